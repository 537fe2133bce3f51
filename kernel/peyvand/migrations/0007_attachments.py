"""Files attached to any record."""
from peewee import AutoField, BigIntegerField, CharField, DateTimeField, IntegerField, Model


def up(migrator, db):
    class Attachment(Model):
        id = AutoField()
        entity = CharField(max_length=100)
        record_id = IntegerField()
        filename = CharField(max_length=255)
        content_type = CharField(max_length=100)
        size = BigIntegerField()
        sha256 = CharField(max_length=64)
        path = CharField(max_length=255)
        uploaded_by = IntegerField(null=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "peyvand_attachment"
            indexes = ((("entity", "record_id"), False),)

    db.create_tables([Attachment])


def down(migrator, db):
    db.execute_sql('DROP TABLE "peyvand_attachment"')
