"""Normalise and check contact fields before any write (API today, import and UI later)."""

from __future__ import annotations

from peyvand_sdk import Veto

from . import identifiers
from .emails import InvalidEmail, normalize_email
from .phones import InvalidPhone, normalize_phone

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
    """Normalise the changed fields of ``record`` in place; raise :class:`Veto` on bad input."""
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
            raise Veto(str(exc), field=field) from None
        setattr(record, field, cleaned)
        old, _ = changes[field]
        changes[field] = (old, cleaned)
