"""People and organisations (frozen copies of the models as they were at this step)."""
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

    class Organization(Base):
        name = CharField(max_length=200)
        national_id = CharField(max_length=11, null=True, index=True)
        economic_code = CharField(max_length=14, null=True)
        email = CharField(max_length=254, null=True, index=True)
        phone = CharField(max_length=20, null=True, index=True)
        website = CharField(max_length=200, null=True)
        city = CharField(max_length=100, null=True)
        address = TextField(null=True)
        postal_code = CharField(max_length=10, null=True)

        class Meta:
            table_name = "contacts_organization"

    class Person(Base):
        first_name = CharField(max_length=100, null=True)
        last_name = CharField(max_length=100)
        email = CharField(max_length=254, null=True, index=True)
        phone = CharField(max_length=20, null=True, index=True)
        organization = ForeignKeyField(Organization, null=True, on_delete="SET NULL")
        job_title = CharField(max_length=100, null=True)
        national_id = CharField(max_length=10, null=True, index=True)
        city = CharField(max_length=100, null=True)
        source = CharField(max_length=50, null=True)
        lifecycle_stage = CharField(max_length=20, default="lead")
        consent_email = BooleanField(default=False)
        consent_sms = BooleanField(default=False)

        class Meta:
            table_name = "contacts_person"

    db.create_tables([Organization, Person])


def down(migrator, db):
    db.drop_tables([], safe=True)
    db.execute_sql('DROP TABLE IF EXISTS "contacts_person"')
    db.execute_sql('DROP TABLE IF EXISTS "contacts_organization"')
