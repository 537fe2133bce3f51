"""The spy's side-effect table."""
from peewee import AutoField, CharField, IntegerField, Model


def up(migrator, db):
    class Effect(Model):
        id = AutoField()
        event_id = CharField(max_length=36)
        record_id = IntegerField()
        pid = IntegerField()

        class Meta:
            database = db
            table_name = "evspy_effect"

    db.create_tables([Effect])


def down(migrator, db):
    db.execute_sql('DROP TABLE "evspy_effect"')
