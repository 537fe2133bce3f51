"""Tables of duplicates and merges (not entities: written only by duplicates.py and
merging.py; created by migration 0005)."""

import peewee

from peyvand_sdk import Model


class DuplicateDismissal(Model):
    """A pair someone marked "not duplicates": it no longer appears in the duplicates list.
    ``entity`` is ``"person"`` or ``"organization"``; ``low_id < high_id``."""

    id = peewee.AutoField()
    entity = peewee.CharField(max_length=20)
    low_id = peewee.IntegerField()
    high_id = peewee.IntegerField()
    user_id = peewee.IntegerField(null=True)
    user_name = peewee.CharField(max_length=150, null=True)
    created_at = peewee.DateTimeField()

    class Meta:
        table_name = "contacts_duplicate_dismissal"
        indexes = ((("entity", "low_id", "high_id"), True), (("entity", "high_id"), False))


class Merge(Model):
    """One merge: what it changed on the survivor, which records it trashed, so it can be
    listed and undone. JSON columns: ``merged_ids`` ``[id]``, ``merged_versions``
    ``{id: version in the trash}``, ``changes`` ``{field: [old, new]}`` of the survivor,
    ``sources`` ``{field: record id the value came from}``, ``snapshot`` what else undo needs
    (the survivor's lists before the merge)."""

    id = peewee.AutoField()
    entity = peewee.CharField(max_length=20)
    survivor_id = peewee.IntegerField(index=True)
    merged_ids = peewee.TextField()
    status = peewee.CharField(max_length=16)          # "done", then "undone"
    created_at = peewee.DateTimeField(index=True)
    user_id = peewee.IntegerField(null=True)
    user_name = peewee.CharField(max_length=150, null=True)
    survivor_version = peewee.IntegerField()          # the survivor's version after the merge
    merged_versions = peewee.TextField()
    changes = peewee.TextField()
    sources = peewee.TextField()
    snapshot = peewee.TextField(null=True)
    undone_at = peewee.DateTimeField(null=True)
    undone_by = peewee.CharField(max_length=150, null=True)

    class Meta:
        table_name = "contacts_merge"


class MergeChange(Model):
    """A row a merge re-pointed from a merged record to the survivor (the contacts plugin's
    own, or one a ``contacts_merged`` implementation returned): undo writes ``old`` back."""

    id = peewee.AutoField()
    merge = peewee.ForeignKeyField(Merge, backref="repointed", on_delete="CASCADE")
    table = peewee.CharField(max_length=100)
    column = peewee.CharField(max_length=100)
    row_id = peewee.IntegerField()
    old = peewee.IntegerField(null=True)
    new = peewee.IntegerField(null=True)

    class Meta:
        table_name = "contacts_merge_change"
