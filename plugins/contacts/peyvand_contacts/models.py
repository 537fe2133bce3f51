"""Tables of the contacts plugin (prefixed ``contacts_``)."""

import peewee

from peyvand_sdk import RecordModel


class Organization(RecordModel):
    name = peewee.CharField(max_length=200)
    national_id = peewee.CharField(max_length=11, null=True, index=True)   # شناسه ملی
    economic_code = peewee.CharField(max_length=14, null=True)              # کد اقتصادی
    email = peewee.CharField(max_length=254, null=True, index=True)
    phone = peewee.CharField(max_length=20, null=True, index=True)
    website = peewee.CharField(max_length=200, null=True)
    city = peewee.CharField(max_length=100, null=True)
    address = peewee.TextField(null=True)
    postal_code = peewee.CharField(max_length=10, null=True)

    class Meta:
        table_name = "contacts_organization"


class Person(RecordModel):
    first_name = peewee.CharField(max_length=100, null=True)
    last_name = peewee.CharField(max_length=100)
    email = peewee.CharField(max_length=254, null=True, index=True)
    phone = peewee.CharField(max_length=20, null=True, index=True)
    organization = peewee.ForeignKeyField(Organization, null=True, backref="people",
                                          on_delete="SET NULL")
    job_title = peewee.CharField(max_length=100, null=True)
    national_id = peewee.CharField(max_length=10, null=True, index=True)    # کد ملی
    city = peewee.CharField(max_length=100, null=True)
    source = peewee.CharField(max_length=50, null=True)
    lifecycle_stage = peewee.CharField(max_length=20, default="lead")
    consent_email = peewee.BooleanField(default=False)
    consent_sms = peewee.BooleanField(default=False)

    class Meta:
        table_name = "contacts_person"
