"""Normalise and check contact fields before any write (API today, import and UI later)."""

from __future__ import annotations

from peyvand_sdk import Veto

from . import identifiers
from .details import clean_lists
from .emails import InvalidEmail, normalize_email
from .namekeys import set_name_key
from .phones import InvalidPhone, normalize_phone
from .search import organization_search_text, person_search_text, secondary_values

# field -> normaliser; each raises a ValueError subclass with a message for the user.
PERSON_FIELDS = {
    "phone": normalize_phone,
    "email": normalize_email,
    "national_id": identifiers.national_id,
}
ORGANIZATION_FIELDS = {
    "phone": normalize_phone,
    "email": normalize_email,
    "national_id": identifiers.company_national_id,
    "economic_code": identifiers.economic_code,
    "postal_code": identifiers.postal_code,
}
BY_ENTITY = {"contacts.person": PERSON_FIELDS, "contacts.organization": ORGANIZATION_FIELDS}


def clean(entity_id: str, record, changes: dict) -> None:
    """Normalise the changed fields of ``record`` in place; on bad input raise one
    :class:`Veto` naming every bad field and list item (not only the first)."""
    errors: dict[str, list[str]] = {}
    for field, normalise in BY_ENTITY.get(entity_id, {}).items():
        if field not in changes:
            continue
        value = getattr(record, field)
        if value in (None, ""):
            setattr(record, field, None)
            continue
        try:
            cleaned = normalise(value)
        except (InvalidPhone, InvalidEmail, identifiers.InvalidIdentifier, ValueError) as exc:
            errors[field] = [str(exc)]
            continue
        setattr(record, field, cleaned)
        old, _ = changes[field]
        changes[field] = (old, cleaned)
    clean_lists(entity_id, record, changes, errors)
    if errors:
        raise Veto(errors=errors)
    set_search_text(entity_id, record, changes)
    set_name_key(entity_id, record, changes)


# The fields a record's search text is made of.
SEARCHED = {"contacts.person": ("first_name", "last_name", "email", "phone", "organization_id",
                                "emails", "phones"),
            "contacts.organization": ("name", "email", "phone", "emails", "phones")}


def _secondary(entity_id: str, record, changes: dict) -> tuple[list, list]:
    """The record's e-mails and phones other than the primary ones, as this save leaves them."""
    lists = {}
    for name in ("emails", "phones"):
        if name in changes:
            lists[name] = [i["value"] for i in changes[name][1] or [] if not i["primary"]]
    if len(lists) < 2 and record.id is not None:
        key = "person" if entity_id == "contacts.person" else "organization"
        emails, phones = secondary_values(record._meta.database, key,
                                          [record.id]).get(record.id, ([], []))
        lists.setdefault("emails", emails)
        lists.setdefault("phones", phones)
    return lists.get("emails", []), lists.get("phones", [])


def set_search_text(entity_id: str, record, changes: dict) -> None:
    """Recompute ``record.search_text`` from the normalised fields when one of them changed (or
    it has none yet), and list it in ``changes`` so that an update writes the column."""
    searched = SEARCHED.get(entity_id)
    if searched is None or (record.search_text is not None
                            and not any(field in changes for field in searched)):
        return
    if entity_id == "contacts.person":
        from .models import Organization

        org_name = None
        if record.organization_id is not None:
            org_name = (Organization.select(Organization.name)
                        .where(Organization.id == record.organization_id).scalar())
        text = person_search_text(record.first_name, record.last_name, record.email,
                                  record.phone, org_name, *_secondary(entity_id, record, changes))
    else:
        text = organization_search_text(record.name, record.email, record.phone,
                                        *_secondary(entity_id, record, changes))
    if text != record.search_text:
        changes["search_text"] = (record.search_text, text)
        record.search_text = text
