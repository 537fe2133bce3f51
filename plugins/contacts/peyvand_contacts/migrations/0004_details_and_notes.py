"""Several typed e-mails, phone numbers and addresses per contact, and notes (frozen copies of
the models as they were at this step).

The primary e-mail, phone and address stay in the contact's own columns (``email``, ``phone``,
``address``/``city``/``province``/``postal_code``), with their type beside them; the other items
are rows of ``contacts_detail``. Notes are records of their own (``contacts_note``).
"""
import datetime

from peewee import *


def up(migrator, db):
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

    class Detail(Model):
        id = AutoField()
        entity = CharField(max_length=20)
        record_id = IntegerField()
        kind = CharField(max_length=10)
        position = IntegerField(default=0)
        type = CharField(max_length=16, null=True)
        value = CharField(max_length=254, null=True)
        line = TextField(null=True)
        city = CharField(max_length=100, null=True)
        province = CharField(max_length=100, null=True)
        postal_code = CharField(max_length=10, null=True)

        class Meta:
            database = db
            table_name = "contacts_detail"
            indexes = (
                (("entity", "record_id", "kind", "position"), False),
                (("kind", "value"), False),
            )

    class Note(Model):
        id = AutoField()
        version = IntegerField(default=1)
        created_at = DateTimeField(default=datetime.datetime.utcnow)
        updated_at = DateTimeField(default=datetime.datetime.utcnow)
        deleted_at = DateTimeField(null=True, index=True)
        owner_id = IntegerField(null=True, index=True)
        team_id = IntegerField(null=True, index=True)
        person = ForeignKeyField(Person, null=True, on_delete="CASCADE")
        organization = ForeignKeyField(Organization, null=True, on_delete="CASCADE")
        body = TextField()
        mood = CharField(max_length=16, null=True)

        class Meta:
            database = db
            table_name = "contacts_note"

    migrator.migrate(
        migrator.add_column("contacts_person", "email_type", CharField(max_length=16, null=True)),
        migrator.add_column("contacts_person", "phone_type", CharField(max_length=16, null=True)),
        migrator.add_column("contacts_person", "address_type",
                            CharField(max_length=16, null=True)),
        migrator.add_column("contacts_person", "address", TextField(null=True)),
        migrator.add_column("contacts_person", "province", CharField(max_length=100, null=True)),
        migrator.add_column("contacts_person", "postal_code", CharField(max_length=10, null=True)),
        migrator.add_column("contacts_organization", "email_type",
                            CharField(max_length=16, null=True)),
        migrator.add_column("contacts_organization", "phone_type",
                            CharField(max_length=16, null=True)),
        migrator.add_column("contacts_organization", "address_type",
                            CharField(max_length=16, null=True)),
        migrator.add_column("contacts_organization", "province",
                            CharField(max_length=100, null=True)),
    )
    db.create_tables([Detail, Note])


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS "contacts_note"')
    db.execute_sql('DROP TABLE IF EXISTS "contacts_detail"')
    migrator.migrate(
        *[migrator.drop_column("contacts_person", c) for c in (
            "email_type", "phone_type", "address_type", "address", "province", "postal_code")],
        *[migrator.drop_column("contacts_organization", c) for c in (
            "email_type", "phone_type", "address_type", "province")],
    )
