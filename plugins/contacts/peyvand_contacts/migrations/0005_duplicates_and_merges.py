"""Duplicates and merges (issue #7): a folded name key per person and organisation (indexed, so
likely duplicates are found by grouping, never by comparing every pair), the pairs people
marked "not duplicates", and the log of merges that lets one be undone. Frozen copies of the
tables as they are at this step."""
import datetime

from peewee import *

BATCH = 2000


def _fill(db):
    """Compute name_key for the rows that exist (the same folding as peyvand_contacts.text)."""
    from peyvand_contacts.text import fold

    p = db.param
    for table, columns, key in (
            ("contacts_person", "first_name, last_name",
             lambda first, last: f"{fold(last or '')}\x1f{fold(first or '')}"),
            ("contacts_organization", "name", lambda name: fold(name or ""))):
        last_id = 0
        while True:
            rows = db.execute_sql(f'SELECT id, {columns} FROM "{table}" WHERE id > {p} '
                                  f"ORDER BY id LIMIT {BATCH}", (last_id,)).fetchall()
            if not rows:
                break
            cursor = db.cursor()
            cursor.executemany(f'UPDATE "{table}" SET name_key = {p} WHERE id = {p}',
                               [(key(*row[1:]), row[0]) for row in rows])
            last_id = rows[-1][0]


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("contacts_person", "name_key", CharField(max_length=210, null=True)),
        migrator.add_column("contacts_organization", "name_key",
                            CharField(max_length=210, null=True)),
    )
    _fill(db)
    migrator.migrate(
        migrator.add_index("contacts_person", ("organization_id", "name_key"), False),
        migrator.add_index("contacts_organization", ("name_key",), False),
    )

    class DuplicateDismissal(Model):
        id = AutoField()
        entity = CharField(max_length=20)
        low_id = IntegerField()
        high_id = IntegerField()
        user_id = IntegerField(null=True)
        user_name = CharField(max_length=150, null=True)
        created_at = DateTimeField(default=datetime.datetime.utcnow)

        class Meta:
            database = db
            table_name = "contacts_duplicate_dismissal"
            indexes = ((("entity", "low_id", "high_id"), True), (("entity", "high_id"), False))

    class Merge(Model):
        id = AutoField()
        entity = CharField(max_length=20)
        survivor_id = IntegerField(index=True)
        merged_ids = TextField()
        status = CharField(max_length=16)
        created_at = DateTimeField(index=True)
        user_id = IntegerField(null=True)
        user_name = CharField(max_length=150, null=True)
        survivor_version = IntegerField()
        merged_versions = TextField()
        changes = TextField()
        sources = TextField()
        snapshot = TextField(null=True)
        undone_at = DateTimeField(null=True)
        undone_by = CharField(max_length=150, null=True)

        class Meta:
            database = db
            table_name = "contacts_merge"

    class MergeChange(Model):
        id = AutoField()
        merge = ForeignKeyField(Merge, on_delete="CASCADE")
        table = CharField(max_length=100)
        column = CharField(max_length=100)
        row_id = IntegerField()
        old = IntegerField(null=True)
        new = IntegerField(null=True)

        class Meta:
            database = db
            table_name = "contacts_merge_change"

    db.create_tables([DuplicateDismissal, Merge, MergeChange])


def down(migrator, db):
    for table in ("contacts_merge_change", "contacts_merge", "contacts_duplicate_dismissal"):
        db.execute_sql(f'DROP TABLE IF EXISTS "{table}"')
    migrator.migrate(
        migrator.drop_index("contacts_person", "contacts_person_organization_id_name_key"),
        migrator.drop_index("contacts_organization", "contacts_organization_name_key"),
        migrator.drop_column("contacts_person", "name_key"),
        migrator.drop_column("contacts_organization", "name_key"),
    )
