"""Imports run in the background (issue #7): one row per upload through the API, its state and
progress, so it can be polled, listed and undone (a frozen copy of the table at this step)."""
from peewee import *


def up(migrator, db):
    class ImportJob(Model):
        id = AutoField()
        state = CharField(max_length=16)
        file_name = CharField(max_length=255)
        stored_name = CharField(max_length=255)
        options = TextField()
        user_id = IntegerField(null=True)
        user_name = CharField(max_length=150, null=True)
        roles = TextField(null=True)
        created_at = DateTimeField(index=True)
        started_at = DateTimeField(null=True)
        finished_at = DateTimeField(null=True)
        rows_total = IntegerField(null=True)
        rows_done = IntegerField(default=0)
        created = IntegerField(default=0)
        updated = IntegerField(default=0)
        merged = IntegerField(default=0)
        skipped = IntegerField(default=0)
        failed = IntegerField(default=0)
        organizations_created = IntegerField(default=0)
        errors_count = IntegerField(default=0)
        batch_id = IntegerField(null=True)
        outcome = CharField(max_length=16, null=True)
        error = TextField(null=True)
        details = TextField(null=True)
        job_id = BigIntegerField(null=True)
        files_removed = BooleanField(default=False)

        class Meta:
            database = db
            table_name = "contacts_import_job"

    db.create_tables([ImportJob])


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS "contacts_import_job"')
