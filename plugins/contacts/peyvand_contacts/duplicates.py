"""Likely duplicates of a contact being typed by hand, by the import's own rules: the same
normalised e-mail, the same normalised mobile, or the same folded name in the same
organisation. Only records the user may read are shown."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from peyvand_sdk import InvalidRecord, hidden_fields, restrict

from .emails import InvalidEmail, normalize_email
from .phones import InvalidPhone, normalize_phone
from .text import fold


def find(data: dict, limit: int = 10) -> list[dict]:
    from .models import Person

    email = phone = None
    if data.get("email"):
        try:
            email = normalize_email(str(data["email"]))
        except InvalidEmail:
            email = None
    if data.get("phone"):
        try:
            phone = normalize_phone(str(data["phone"]))
        except InvalidPhone:
            phone = None
    hits: dict[int, dict] = {}

    def add(rows, match, value):
        for person in rows:
            hits.setdefault(person.id, {"id": person.id, "title": " ".join(
                n for n in (person.first_name, person.last_name) if n), "match": match,
                "value": value})

    live = Person.deleted_at.is_null()
    if email:
        add(restrict(Person.select().where(live & (Person.email == email)),
                     "contacts.person").limit(limit), "email", email)
    if phone:
        add(restrict(Person.select().where(live & (Person.phone == phone)),
                     "contacts.person").limit(limit), "phone", phone)
    name = fold(" ".join(str(data.get(k) or "") for k in ("first_name", "last_name")))
    if name.strip() and data.get("organization_id"):
        same_org = restrict(Person.select().where(
            live & (Person.organization == int(data["organization_id"]))), "contacts.person")
        add([p for p in same_org.limit(500)
             if fold(f"{p.first_name or ''} {p.last_name or ''}") == name], "name", name)
    hidden = hidden_fields("contacts.person")
    out = []
    for hit in list(hits.values())[:limit]:
        if hit["match"] in hidden:  # the match itself would reveal a hidden value
            hit = {**hit, "value": None}
        out.append(hit)
    return out


def blueprint() -> Blueprint:
    bp = Blueprint("contacts_api", __name__, url_prefix="/api/v1/contacts")

    @bp.post("/persons/check-duplicates")
    def check_duplicates():
        """``{first_name, last_name, email, phone, organization_id}`` → likely duplicates."""
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise InvalidRecord({"_schema": ["send the person's fields as a JSON object"]})
        return jsonify({"data": find(data)})

    @bp.errorhandler(InvalidRecord)
    def invalid(exc):
        return jsonify({"errors": exc.errors}), 422

    return bp
