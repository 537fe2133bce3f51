"""Entity declarations: how the kernel exposes the contacts tables."""

from marshmallow import Schema, fields, validate

from peyvand_sdk import Entity

from .details import ORGANIZATION_DETAILS, PERSON_DETAILS
from .models import Organization, Person

LIFECYCLE_STAGES = ("subscriber", "lead", "customer", "former_customer")


class OrganizationSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    national_id = fields.String(allow_none=True, validate=validate.Length(max=11),
                                metadata={"label": {"en": "National ID", "fa": "شناسه ملی"}})
    economic_code = fields.String(allow_none=True, validate=validate.Length(max=14))
    email = fields.String(allow_none=True, validate=validate.Length(max=254))  # cleaned later
    phone = fields.String(allow_none=True, validate=validate.Length(max=20))
    website = fields.String(allow_none=True, validate=validate.Length(max=200))
    city = fields.String(allow_none=True, validate=validate.Length(max=100))
    address = fields.String(allow_none=True)
    postal_code = fields.String(allow_none=True, validate=validate.Length(max=10))


class PersonSchema(Schema):
    first_name = fields.String(allow_none=True, validate=validate.Length(max=100))
    last_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    email = fields.String(allow_none=True, validate=validate.Length(max=254))  # cleaned later
    phone = fields.String(allow_none=True, validate=validate.Length(max=20))
    organization_id = fields.Integer(
        allow_none=True, metadata={"label": {"en": "Organisation", "fa": "سازمان"}})
    job_title = fields.String(allow_none=True, validate=validate.Length(max=100))
    national_id = fields.String(allow_none=True, validate=validate.Length(max=10),
                                metadata={"label": {"en": "National ID", "fa": "کد ملی"}})
    city = fields.String(allow_none=True, validate=validate.Length(max=100))
    source = fields.String(allow_none=True, validate=validate.Length(max=50))
    lifecycle_stage = fields.String(validate=validate.OneOf(LIFECYCLE_STAGES))
    consent_email = fields.Boolean(
        metadata={"label": {"en": "Agrees to e-mails", "fa": "رضایت دریافت ایمیل"}})
    consent_sms = fields.Boolean(
        metadata={"label": {"en": "Agrees to SMS", "fa": "رضایت دریافت پیامک"}})


PERSON = Entity(
    name="person", plural="persons", model=Person, schema=PersonSchema,
    label={"en": "Person", "fa": "شخص"}, label_plural={"en": "People", "fa": "اشخاص"},
    title_field="last_name", searchable=("first_name", "last_name", "email", "phone"),
    default_sort="-id", related=(PERSON_DETAILS,),
    example={"first_name": "مریم", "last_name": "احمدی", "phone": "09121234567",
             "email": "maryam@example.ir", "lifecycle_stage": "lead"},
)
ORGANIZATION = Entity(
    name="organization", plural="organizations", model=Organization, schema=OrganizationSchema,
    label={"en": "Organisation", "fa": "سازمان"},
    label_plural={"en": "Organisations", "fa": "سازمان‌ها"},
    title_field="name", searchable=("name", "email", "phone"), default_sort="-id",
    related=(ORGANIZATION_DETAILS,),
    example={"name": "بازرگانی نمونه", "city": "تهران"},
)
