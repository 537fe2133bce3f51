"""Tables of the web workspace's saved list views (the pages are in :mod:`peyvand.web.saved_views`):
a named list query per entity, private or shared, and each user's default view per entity."""

from __future__ import annotations

import json

import peewee

from .entities import Model
from .identity import User
from .storage import utcnow


class SavedView(Model):
    id = peewee.AutoField()
    user = peewee.ForeignKeyField(User, on_delete="CASCADE")
    entity = peewee.CharField(max_length=100)
    name = peewee.CharField(max_length=100)
    visibility = peewee.CharField(max_length=8)
    team_id = peewee.IntegerField(null=True)
    query = peewee.TextField()              # JSON: {"q": ..., "sort": ..., "city": ...}
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "peyvand_saved_view"
        indexes = ((("entity", "visibility"), False),)

    @property
    def args(self) -> dict[str, str]:
        try:
            value = json.loads(self.query or "{}")
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


class DefaultView(Model):
    user = peewee.ForeignKeyField(User, on_delete="CASCADE")
    entity = peewee.CharField(max_length=100)
    view = peewee.ForeignKeyField(SavedView, on_delete="CASCADE")

    class Meta:
        table_name = "peyvand_default_view"
        indexes = ((("user", "entity"), True),)


MODELS = [SavedView, DefaultView]
