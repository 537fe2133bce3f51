"""Entity types that plugins declare, and the base model their tables start from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import peewee

from .storage import tenant_db, utcnow


class Model(peewee.Model):
    """Base for every plugin model: bound to the current tenant's database.

    Name tables explicitly with the plugin's prefix (``table_name = "contacts_person"``).
    """

    class Meta:
        database = tenant_db
        legacy_table_names = False


class RecordModel(Model):
    """Base for entity models: the columns every record has.

    ``version`` is the optimistic-lock counter (the API's ``ETag``); ``deleted_at`` marks a
    record in the trash; ``owner_id`` and ``team_id`` are what record scopes filter on.
    """

    id = peewee.AutoField()
    version = peewee.IntegerField(default=1)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)
    deleted_at = peewee.DateTimeField(null=True, index=True)
    owner_id = peewee.IntegerField(null=True, index=True)
    team_id = peewee.IntegerField(null=True, index=True)


@dataclass(eq=False)
class Entity:
    """A record type a plugin stores: model, schema and metadata.

    :param name: singular, lower-case (``"person"``); the entity id is ``<plugin>.<name>``.
    :param plural: the URL segment (``"persons"`` → ``/api/v1/contacts/persons``).
    :param model: a :class:`RecordModel` subclass whose table starts with ``<plugin>_``.
    :param schema: a marshmallow schema class for input validation and output.
    :param label: ``{"en": "Person", "fa": "شخص"}``; ``label_plural`` likewise.
    :param title_field: the field that names a record in lists, search hits and the audit.
    :param searchable: fields the global search looks at.
    :param audited: fields whose changes the audit trail records (``None``: all schema fields).
    :param default_sort: a field name, ``-`` for descending (``"-id"``).
    :param example: a valid create payload, used by the API description and by the generated
        authorization tests (required: the matrix test refuses an entity without one).
    :param default_grants: ``{role: {action: scope}}`` overriding the built-in roles' default
        grants for this entity (``{"accountant": {"export": "all"}}``).
    :param related: :class:`peyvand.related.RelatedData` objects: values kept outside the
        entity's table (typed lists of phone numbers, line items…) that the API reads and
        writes with each record, loaded for a whole list page in one query.
    :param record_links: ``{id field: entity field}`` for a reference to a record of any
        entity (an activity's ``record_id``, whose entity id is in its ``entity`` field): the
        record page shows the referenced record's title, linked to its page, when the user
        may read it (its number otherwise). The stored values and the API are unchanged.
    """

    name: str
    plural: str
    model: type[RecordModel]
    schema: type
    label: Mapping[str, str]
    label_plural: Mapping[str, str] = field(default_factory=dict)
    title_field: str = "id"
    searchable: tuple[str, ...] = ()
    audited: tuple[str, ...] | None = None
    default_sort: str = "-id"
    default_grants: Mapping[str, Mapping[str, str]] | None = None
    example: Mapping[str, object] | None = None
    related: tuple = ()
    value_labels: Mapping[str, object] = field(default_factory=dict)
    record_links: Mapping[str, str] = field(default_factory=dict)
    plugin: str | None = None

    @property
    def id(self) -> str:
        return f"{self.plugin}.{self.name}"
