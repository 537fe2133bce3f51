"""Tags on any record: tag definitions per tenant and the links from records to them (frozen
copies of the models as they were at this step)."""
import datetime

from peewee import *


def up(migrator, db):
    class Tag(Model):
        id = AutoField()
        name = CharField(max_length=50)
        key = CharField(max_length=100, unique=True)
        colour = CharField(max_length=7)
        created_at = DateTimeField(default=datetime.datetime.utcnow)
        created_by = IntegerField(null=True)

        class Meta:
            database = db
            table_name = "peyvand_tag"

    class TagLink(Model):
        id = AutoField()
        tag = ForeignKeyField(Tag, on_delete="CASCADE")
        entity = CharField(max_length=100)
        record_id = IntegerField()
        created_at = DateTimeField(default=datetime.datetime.utcnow)

        class Meta:
            database = db
            table_name = "peyvand_tag_link"
            indexes = (
                (("entity", "record_id"), False),
                (("tag", "entity", "record_id"), True),
            )

    db.create_tables([Tag, TagLink])


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS "peyvand_tag_link"')
    db.execute_sql('DROP TABLE IF EXISTS "peyvand_tag"')
