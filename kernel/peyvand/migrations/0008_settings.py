"""Tenant settings that plugins declare and admins change."""
from peewee import CharField, DateTimeField, IntegerField, Model, TextField


def up(migrator, db):
    class Setting(Model):
        key = CharField(max_length=150, primary_key=True)
        value = TextField()
        updated_at = DateTimeField()
        updated_by = IntegerField(null=True)

        class Meta:
            database = db
            table_name = "peyvand_setting"

    db.create_tables([Setting])


def down(migrator, db):
    db.execute_sql('DROP TABLE "peyvand_setting"')
