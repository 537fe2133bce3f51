"""Leads and the lead-scoring criteria (frozen copies of the models as they were at this
step)."""
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

    class Organization(Model):
        id = AutoField()

        class Meta:
            database = db
            table_name = "contacts_organization"

    class Deal(Model):
        id = AutoField()

        class Meta:
            database = db
            table_name = "sales_deal"

    class Lead(Base):
        title = CharField(max_length=200, null=True)
        first_name = CharField(max_length=100, null=True)
        last_name = CharField(max_length=100, null=True)
        company = CharField(max_length=200, null=True)
        job_title = CharField(max_length=100, null=True)
        email = CharField(max_length=254, null=True, index=True)
        phone = CharField(max_length=20, null=True, index=True)
        city = CharField(max_length=100, null=True)
        industry = CharField(max_length=100, null=True)
        source = CharField(max_length=50)
        type = CharField(max_length=20, default="sales")
        status = CharField(max_length=20, default="new", index=True)
        disqualify_reason = CharField(max_length=50, null=True)
        budget = DecimalField(max_digits=20, decimal_places=0, null=True)
        currency = CharField(max_length=3, default="IRR")
        purchase_timing = CharField(max_length=20, null=True)
        notes = TextField(null=True)
        score = IntegerField(default=0)
        score_details = TextField(null=True)
        score_met = BooleanField(default=False)
        person = ForeignKeyField(Person, null=True, on_delete="SET NULL")
        organization = ForeignKeyField(Organization, null=True, on_delete="SET NULL")
        deal = ForeignKeyField(Deal, null=True, on_delete="SET NULL")
        converted_at = DateTimeField(null=True)

        class Meta:
            table_name = "sales_lead"

    class ScoreRule(Model):
        id = AutoField()
        position = IntegerField(default=0)
        label = CharField(max_length=200)
        field = CharField(max_length=30)
        operator = CharField(max_length=10)
        value = TextField(null=True)
        points = IntegerField()

        class Meta:
            database = db
            table_name = "sales_score_rule"

    db.create_tables([Lead, ScoreRule])


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS "sales_score_rule"')
    db.execute_sql('DROP TABLE IF EXISTS "sales_lead"')
