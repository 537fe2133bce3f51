"""Import history: one row per import run and one per record it created or updated, so an
import can be listed and undone (frozen copies of the models as they were at this step)."""
from peewee import *


def up(migrator, db):
    class ImportBatch(Model):
        id = AutoField()
        created_at = DateTimeField(index=True)
        file_name = CharField(max_length=255)
        status = CharField(max_length=16)
        row_count = IntegerField(default=0)
        created = IntegerField(default=0)
        updated = IntegerField(default=0)
        merged = IntegerField(default=0)
        skipped = IntegerField(default=0)
        failed = IntegerField(default=0)
        user_id = IntegerField(null=True)
        user_name = CharField(max_length=150, null=True)
        undone_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "contacts_import_batch"

    class ImportItem(Model):
        id = AutoField()
        batch = ForeignKeyField(ImportBatch, on_delete="CASCADE")
        entity = CharField(max_length=20)
        record_id = IntegerField()
        action = CharField(max_length=10)
        version = IntegerField()
        previous = TextField(null=True)

        class Meta:
            database = db
            table_name = "contacts_import_item"

    db.create_tables([ImportBatch, ImportItem])


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS "contacts_import_item"')
    db.execute_sql('DROP TABLE IF EXISTS "contacts_import_batch"')
