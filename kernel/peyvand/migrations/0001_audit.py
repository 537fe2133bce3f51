"""The kernel's audit trail table."""
from peewee import AutoField, CharField, DateTimeField, IntegerField, Model, TextField


def up(migrator, db):
    class Audit(Model):
        id = AutoField()
        at = DateTimeField(index=True)
        tenant = CharField(max_length=40)
        user_id = IntegerField(null=True)
        user_name = CharField(max_length=150, null=True)
        via = CharField(max_length=16)
        action = CharField(max_length=16)
        entity = CharField(max_length=100)
        record_id = IntegerField()
        changes = TextField()

        class Meta:
            database = db
            table_name = "peyvand_audit"
            indexes = ((("entity", "record_id", "id"), False),)

    db.create_tables([Audit])


def down(migrator, db):
    db.execute_sql('DROP TABLE "peyvand_audit"')
