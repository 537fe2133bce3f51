"""Pipelines and deals (frozen copies of the models as they were at this step)."""
import datetime

from peewee import *


def up(migrator, db):
    class Base(Model):
        id = AutoField()
        version = IntegerField(default=1)
        created_at = DateTimeField(default=datetime.datetime.utcnow)
        updated_at = DateTimeField(default=datetime.datetime.utcnow)
        deleted_at = DateTimeField(null=True, index=True)
        owner_id = IntegerField(null=True, index=True)
        team_id = IntegerField(null=True, index=True)

        class Meta:
            database = db
            legacy_table_names = False

    class Person(Model):
        id = AutoField()

        class Meta:
            database = db
            table_name = "contacts_person"

    class Pipeline(Base):
        name = CharField(max_length=100)
        stages = TextField()

        class Meta:
            table_name = "sales_pipeline"

    class Deal(Base):
        title = CharField(max_length=200)
        pipeline = ForeignKeyField(Pipeline)
        stage = CharField(max_length=50)
        status = CharField(max_length=10, default="open")
        amount = DecimalField(max_digits=20, decimal_places=0, default=0)
        currency = CharField(max_length=3, default="IRR")
        expected_close = DateField(null=True)
        person = ForeignKeyField(Person, null=True, on_delete="SET NULL")

        class Meta:
            table_name = "sales_deal"
            indexes = ((("pipeline", "stage", "status"), False),)

    db.create_tables([Pipeline, Deal])


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS "sales_deal"')
    db.execute_sql('DROP TABLE IF EXISTS "sales_pipeline"')
