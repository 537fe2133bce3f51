"""Saved views of the generic list pages (a named set of filters, sort and columns per entity,
private or shared with a team or everyone) and each user's default view per entity."""
from peewee import (
    AutoField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)


def up(migrator, db):
    class User(Model):
        id = AutoField()

        class Meta:
            database = db
            table_name = "peyvand_user"

    class SavedView(Model):
        id = AutoField()
        user = ForeignKeyField(User, on_delete="CASCADE")
        entity = CharField(max_length=100)
        name = CharField(max_length=100)
        visibility = CharField(max_length=8)
        team_id = IntegerField(null=True)
        query = TextField()
        created_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = "peyvand_saved_view"
            indexes = ((("entity", "visibility"), False),)

    class DefaultView(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        entity = CharField(max_length=100)
        view = ForeignKeyField(SavedView, on_delete="CASCADE")

        class Meta:
            database = db
            table_name = "peyvand_default_view"
            indexes = ((("user", "entity"), True),)

    db.create_tables([SavedView, DefaultView])


def down(migrator, db):
    db.execute_sql('DROP TABLE "peyvand_default_view"')
    db.execute_sql('DROP TABLE "peyvand_saved_view"')
