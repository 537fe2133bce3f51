"""vCard (.vcf) export and import of single people, with the ``vobject`` library.

``GET /api/v1/contacts/persons/<id>/vcard`` answers a vCard 3.0 (UTF-8: Persian survives) with
the person's names, every e-mail and phone number with its type, organisation, job title and
addresses, as the viewer may see them (hidden fields are left out). ``POST
/api/v1/contacts/persons/vcard`` takes a .vcf (the request body, or a ``file`` upload) holding
one or more cards and creates one person per card through the same cleaning and permission
checks as the API, each card in its own savepoint; the answer lists the created ids and, per
card, its likely duplicates (the check-duplicates rules) or its errors.
"""

from __future__ import annotations

from peyvand_sdk import InvalidRecord

from .messages import N_, Coded, Message

#: our phone type -> vCard TEL types, and back
TEL_TYPES = {"mobile": ["CELL"], "work": ["WORK", "VOICE"], "home": ["HOME", "VOICE"],
             "fax": ["FAX"], "other": ["VOICE"]}
EMAIL_TYPES = {"work": ["INTERNET", "WORK"], "home": ["INTERNET", "HOME"],
               "other": ["INTERNET"]}
ADR_TYPES = {"work": ["WORK"], "home": ["HOME"], "billing": ["POSTAL"], "shipping": ["PARCEL"],
             "other": []}
MAX_CARDS = 1000
#: Why a whole file is refused (nothing is created): msgids of the plugin's catalogue.
NOT_A_VCARD = N_("not a vCard file: %(reason)s")
NO_CARD = N_("no BEGIN:VCARD … END:VCARD card in the file")
TOO_MANY = N_("at most %(n)s cards at a time")
NOT_UTF8 = N_("send the .vcf in UTF-8")


class VCardFileError(Coded, InvalidRecord):
    """The file as a whole cannot be imported: ``{"file": [message]}`` for the API,
    ``exc.message`` for the pages."""

    def __init__(self, message: Message):
        self.message = message
        InvalidRecord.__init__(self, {"file": [str(message)]})


def to_vcard(person: dict, organization: str | None = None) -> str:
    """``person`` as the API shows it (``to_dict``) -> vCard 3.0 text."""
    import vobject

    card = vobject.vCard()
    first, last = person.get("first_name") or "", person.get("last_name") or ""
    card.add("n").value = vobject.vcard.Name(family=last, given=first)
    card.add("fn").value = " ".join(n for n in (first, last) if n) or f"#{person['id']}"
    for item in person.get("emails") or []:
        line = card.add("email")
        line.value = item["value"]
        line.type_param = EMAIL_TYPES.get(item.get("type"), ["INTERNET"]) + (
            ["PREF"] if item.get("primary") else [])
    for item in person.get("phones") or []:
        line = card.add("tel")
        line.value = item["value"]
        line.type_param = TEL_TYPES.get(item.get("type"), ["VOICE"]) + (
            ["PREF"] if item.get("primary") else [])
    for item in person.get("addresses") or []:
        line = card.add("adr")
        line.value = vobject.vcard.Address(street=item.get("line") or "",
                                           city=item.get("city") or "",
                                           region=item.get("province") or "",
                                           code=item.get("postal_code") or "", country="")
        types = ADR_TYPES.get(item.get("type"), []) + (["PREF"] if item.get("primary") else [])
        if types:
            line.type_param = types
    if organization:
        card.add("org").value = [organization]
    if person.get("job_title"):
        card.add("title").value = person["job_title"]
    if person.get("tags"):
        card.add("categories").value = list(person["tags"])
    return card.serialize()


def _types(line) -> set[str]:
    types = set()
    for value in line.params.get("TYPE", []):
        types.update(v.strip().upper() for v in str(value).split(","))
    return types


def _pick(types: set[str], table: dict, default: str) -> str:
    for ours, theirs in table.items():
        if theirs and theirs[0] in types:
            return ours
    return default


def from_vcard(card) -> dict:
    """One vobject card -> an API payload for a new person."""
    payload: dict = {}
    contents = card.contents
    if "n" in contents:
        name = contents["n"][0].value
        payload["first_name"] = (" ".join(filter(None, [name.given, name.additional]))
                                 if isinstance(name.given, str) else None) or None
        payload["last_name"] = (name.family if isinstance(name.family, str)
                                else " ".join(name.family)) or None
    if not payload.get("last_name") and "fn" in contents:
        words = str(contents["fn"][0].value).split()
        if words:
            payload["first_name"] = payload.get("first_name") or (
                " ".join(words[:-1]) or None)
            payload["last_name"] = words[-1]
    emails, phones, addresses = [], [], []
    for line in contents.get("email", []):
        types = _types(line)
        emails.append({"value": str(line.value).strip(), "primary": "PREF" in types,
                       "type": "work" if "WORK" in types else "home" if "HOME" in types
                       else "other"})
    for line in contents.get("tel", []):
        types = _types(line)
        kind = ("mobile" if "CELL" in types else "fax" if "FAX" in types else
                "work" if "WORK" in types else "home" if "HOME" in types else "other")
        phones.append({"value": str(line.value).strip(), "type": kind,
                       "primary": "PREF" in types})
    for line in contents.get("adr", []):
        adr, types = line.value, _types(line)

        def text(part):
            return (" ".join(part) if isinstance(part, list) else part or "").strip() or None

        addresses.append({"line": text(adr.street), "city": text(adr.city),
                          "province": text(adr.region), "postal_code": text(adr.code),
                          "type": _pick(types, ADR_TYPES, "other"), "primary": "PREF" in types})
    for name, items in (("emails", emails), ("phones", phones), ("addresses", addresses)):
        if len([i for i in items if i["primary"]]) > 1:  # several PREF: keep the first
            for i in [i for i in items if i["primary"]][1:]:
                i["primary"] = False
        if items:
            payload[name] = items
    if "title" in contents:
        payload["job_title"] = str(contents["title"][0].value)[:100] or None
    if "org" in contents:
        value = contents["org"][0].value
        payload["_organization"] = (value[0] if isinstance(value, list) else str(value)) or None
    return {k: v for k, v in payload.items() if v is not None}


def card_name(card) -> str | None:
    """The name a card shows (its ``FN``, else its ``N``), for messages about it."""
    contents = card.contents
    if "fn" in contents and str(contents["fn"][0].value).strip():
        return str(contents["fn"][0].value).strip()
    if "n" in contents:
        name = contents["n"][0].value
        parts = [getattr(name, k, "") for k in ("prefix", "given", "additional", "family")]
        text = " ".join(" ".join(p) if isinstance(p, list) else str(p or "") for p in parts)
        return " ".join(text.split()) or None
    return None


def decode(raw: bytes) -> str:
    """A .vcf's bytes as text (UTF-8, with or without a BOM); :class:`VCardFileError`
    otherwise."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise VCardFileError(Message(NOT_UTF8)) from None


def import_cards(text: str, via: str = "api") -> dict:
    """Create a person per card of ``text``; ``{"created": [ids], "cards": [...]}``, each
    card ``{"card": number, "name", "id" (None when not created), "duplicates", "errors"?}``.
    A file that cannot be read, or has no card, or more than :data:`MAX_CARDS`, raises
    :class:`VCardFileError` before anything is written; a card that fails the checks is left
    out (its savepoint rolled back) and the others are created. The caller holds the
    transaction (an unexpected error rolls every card back)."""
    import vobject

    from peyvand_sdk import current_kernel, current_tenant, restrict, tenant_db

    from .duplicates import find
    from .models import Organization
    from .text import fold

    try:
        cards = list(vobject.readComponents(text))
    except Exception as exc:  # noqa: BLE001 - vobject raises several kinds for bad text
        raise VCardFileError(Message(NOT_A_VCARD, reason=exc)) from None
    cards = [c for c in cards if c.name == "VCARD"]
    if not cards:
        raise VCardFileError(Message(NO_CARD))
    if len(cards) > MAX_CARDS:
        raise VCardFileError(Message(TOO_MANY, n=MAX_CARDS))
    service = current_kernel().service("contacts.person", current_tenant())
    created, out = [], []
    for index, card in enumerate(cards):
        payload = from_vcard(card)
        name = card_name(card)
        org_name = payload.pop("_organization", None)
        if org_name:
            key = fold(org_name)
            found = [o for o in restrict(Organization.select(Organization.id, Organization.name)
                                         .where(Organization.deleted_at.is_null()),
                                         "contacts.organization") if fold(o.name) == key]
            if found:
                payload["organization_id"] = found[0].id
        duplicates = find({**payload, "email": None, "phone": None})
        try:
            with tenant_db.atomic():
                record = service.create(payload, via=via)
        except InvalidRecord as exc:
            out.append({"card": index + 1, "name": name, "id": None, "errors": exc.errors,
                        "duplicates": duplicates})
            continue
        created.append(record.id)
        out.append({"card": index + 1, "name": name, "id": record.id,
                    "duplicates": duplicates})
    return {"created": created, "cards": out}


def vcard_response(record_id: int):
    """The person as a vCard 3.0 download, as the acting user may see them: fields hidden from
    them left out, and the organisation's name only when they may read that organisation."""
    from flask import current_app

    from peyvand_sdk import Forbidden, RecordNotFound, current_kernel, current_tenant

    kernel, tenant = current_kernel(), current_tenant()
    people = kernel.service("contacts.person", tenant)
    row = people.to_dict(people.get(record_id))
    org = None
    if row.get("organization_id"):
        organizations = kernel.service("contacts.organization", tenant)
        try:
            org = organizations.to_dict(organizations.get(row["organization_id"])).get("name")
        except (Forbidden, RecordNotFound):
            org = None
    response = current_app.response_class(to_vcard(row, org).encode("utf-8"),
                                          mimetype="text/vcard")
    response.headers["Content-Type"] = "text/vcard; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="person-{record_id}.vcf"'
    return response


def register(bp) -> None:
    from flask import g, request

    from peyvand_sdk import current_kernel

    @bp.get("/persons/<int:record_id>/vcard")
    def person_vcard(record_id: int):
        """The person as a vCard 3.0 (``text/vcard``, UTF-8)."""
        return vcard_response(record_id)

    @bp.post("/persons/vcard")
    def persons_from_vcard():
        """A .vcf as the body (``text/vcard``) or a ``file`` upload: one person per card."""
        from flask import jsonify

        upload = request.files.get("file")
        raw = upload.read() if upload is not None else request.get_data()
        text = decode(raw)
        db = current_kernel().storage.database_for(g.tenant)
        with db.atomic():
            result = import_cards(text)
        return jsonify(result), 201 if result["created"] else 200
