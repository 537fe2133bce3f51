"""Idempotency keys of API creates, so a retried POST returns the first result."""
from peewee import CharField, DateTimeField, IntegerField, Model


def up(migrator, db):
    class IdempotencyKey(Model):
        key = CharField(max_length=200)
        entity = CharField(max_length=100)
        record_id = IntegerField()
        created_at = DateTimeField(index=True)

        class Meta:
            database = db
            table_name = "peyvand_idempotency"
            indexes = ((("entity", "key"), True),)

    db.create_tables([IdempotencyKey])


def down(migrator, db):
    db.execute_sql('DROP TABLE "peyvand_idempotency"')
