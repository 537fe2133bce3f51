"""Converting a lead into a person (and organisation) plus a deal, in one step, without
duplicates.

The lead's e-mail and phone are stored normalised the way contacts stores them
(``peyvand_contacts.emails.normalize_email``, ``peyvand_contacts.phones.normalize_phone``),
so matching is a plain comparison on contacts' indexed columns. Matching looks at every
contact, not only those the user may read: a duplicate the user cannot see is still a
duplicate. Everything is written through the kernel's record services (validation, contacts'
own cleaning, permissions, audit) in the request's one transaction, then ``lead_converted``
is fired.
"""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields
from peewee import fn

from peyvand_contacts.models import Organization, Person
from peyvand_sdk import restrict

from . import events
from .access import system_write
from .api import Invalid, service
from .models import Pipeline
from .pipelines import stages_of

DEAL_FIELDS = ("title", "pipeline_id", "stage", "amount", "currency", "expected_close",
               "probability", "forecast_category")


class ConvertSchema(Schema):
    person_id = fields.Integer(allow_none=True)
    organization_id = fields.Integer(allow_none=True)
    create_deal = fields.Boolean(load_default=True)
    deal = fields.Dict(load_default=dict)


def _live(model):
    return model.select().where(model.deleted_at.is_null())


def matching_people(lead):
    """People with the lead's e-mail or phone as their primary one or among their other
    e-mails and numbers (contacts' ``contacts_detail``), e-mail matches first, oldest first."""
    from peyvand_contacts.models import Detail

    found = []
    for kind, column, value in (("email", Person.email, lead.email),
                                ("phone", Person.phone, lead.phone)):
        if value:
            secondary = Detail.select(Detail.record_id).where(
                (Detail.entity == "person") & (Detail.kind == kind) & (Detail.value == value))
            found += [p for p in _live(Person).where((column == value)
                                                     | Person.id.in_(secondary))
                      .order_by(Person.id) if p.id not in {f.id for f in found}]
    return found


def _has_detail(person_id: int, kind: str, value: str) -> bool:
    from peyvand_contacts.models import Detail

    return Detail.select().where((Detail.entity == "person") & (Detail.record_id == person_id)
                                 & (Detail.kind == kind) & (Detail.value == value)).exists()


def matching_organization(name: str | None):
    if not name or not name.strip():
        return None
    return (_live(Organization).where(fn.LOWER(Organization.name) == name.strip().lower())
            .order_by(Organization.id).first())


def visible_matches(lead) -> list[dict]:
    """The duplicates a user may see, to check before converting."""
    people = matching_people(lead)
    if not people:
        return []
    readable = {p.id for p in restrict(Person.select(Person.id).where(
        Person.id.in_([p.id for p in people])), "contacts.person")}
    on = []
    for person in people:
        if person.id in readable:
            why = [n for n in ("email", "phone") if getattr(lead, n) and (
                getattr(lead, n) == getattr(person, n) or _has_detail(person.id, n,
                                                                      getattr(lead, n)))]
            on.append({"id": person.id, "first_name": person.first_name,
                       "last_name": person.last_name, "email": person.email,
                       "phone": person.phone, "organization_id": person.organization_id,
                       "matched_on": why})
    return on


def convert(lead_id: int, data: dict) -> dict:
    try:
        options = ConvertSchema().load(data)
    except ValidationError as exc:
        raise Invalid(exc.messages) from None
    leads = service("sales.lead")
    lead = leads.get(lead_id, action="update")
    if lead.status == "converted":
        raise Invalid({"status": [f"lead {lead.id} was already converted (person "
                                  f"{lead.person_id}, deal {lead.deal_id})"]})
    if lead.status == "disqualified":
        raise Invalid({"status": ["the lead is disqualified; qualify it first"]})
    people = service("contacts.person")
    organizations = service("contacts.organization")

    person, person_matched = None, False
    if options.get("person_id"):
        person, person_matched = people.get(options["person_id"]), True
    else:
        found = matching_people(lead)
        if found:
            person, person_matched = found[0], True

    organization, organization_matched = None, False
    if options.get("organization_id"):
        organization, organization_matched = organizations.get(options["organization_id"]), True
    elif person is not None and person.organization_id:
        organization = Organization.get_or_none(Organization.id == person.organization_id)
        organization_matched = organization is not None
    if organization is None and lead.company:
        organization = matching_organization(lead.company)
        organization_matched = organization is not None
        if organization is None:
            organization = organizations.create({"name": lead.company, "city": lead.city})

    if person is None:
        if not lead.last_name:
            raise Invalid({"last_name": ["a person needs a last name: add it to the lead, or "
                                         "pick an existing person with person_id"]})
        person = people.create({
            "first_name": lead.first_name, "last_name": lead.last_name, "email": lead.email,
            "phone": lead.phone, "job_title": lead.job_title, "city": lead.city,
            "organization_id": organization.id if organization else None,
            "source": lead.source, "lifecycle_stage": "lead"})
    elif organization is not None and person.organization_id is None:
        person = people.update(person.id, {"organization_id": organization.id})

    deal = None
    if options["create_deal"]:
        unknown = sorted(set(options["deal"]) - set(DEAL_FIELDS))
        if unknown:
            raise Invalid({"deal": {name: ["not a deal field a conversion sets"]
                                    for name in unknown}})
        deal = service("sales.deal").create({**_deal_defaults(lead, person, organization),
                                             **options["deal"]})

    with system_write():
        lead = leads.update(lead.id, {
            "status": "converted", "person_id": person.id,
            "organization_id": organization.id if organization else None,
            "deal_id": deal.id if deal else None})
    events.lead_converted(lead, person, deal)
    return {"lead": leads.to_dict(lead),
            "person": {"id": person.id, "matched": person_matched},
            "organization": ({"id": organization.id, "matched": organization_matched}
                             if organization else None),
            "deal": service("sales.deal").to_dict(deal) if deal else None}


def _deal_defaults(lead, person, organization) -> dict:
    pipeline = (Pipeline.select().where(Pipeline.deleted_at.is_null())
                .order_by(Pipeline.id).first())
    if pipeline is None:
        raise Invalid({"deal": ["there is no pipeline to put the deal in"]})
    stages = stages_of(pipeline)
    name = " ".join(p for p in (lead.first_name, lead.last_name) if p)
    return {"title": lead.title or lead.company or name or f"Lead {lead.id}",
            "pipeline_id": pipeline.id, "stage": stages[0]["key"] if stages else "",
            "amount": str(lead.budget or 0), "currency": lead.currency,
            "person_id": person.id,
            "organization_id": organization.id if organization else None}
