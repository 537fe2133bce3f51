"""Several typed e-mails, phone numbers and addresses per person and organisation.

In the API a contact has ``emails``, ``phones`` and ``addresses``: lists of items such as
``{"value": "+989121234567", "type": "mobile", "primary": true}`` (an address has ``line``,
``city``, ``province`` and ``postal_code`` instead of ``value``). Exactly one item of a
non-empty list is primary, and it comes first.

Storage: the primary item lives in the contact's own columns, as before lists existed —
``email``, ``phone``, and for the address ``address`` (the line), ``city``, ``province`` and
``postal_code`` — with its type in ``email_type``/``phone_type``/``address_type``; the other
items are rows of ``contacts_detail`` (:class:`~peyvand_contacts.models.Detail`). So ``email``
and ``phone`` in the API stay the primary values, and everything that reads those columns
(search, import matching, check-duplicates, other plugins) keeps working:

* writing ``email`` alone replaces the primary item's value (set to ``null``, the next item
  becomes primary);
* writing ``emails`` sets the primary columns from the list's primary item.

:class:`ContactDetails` is the kernel's ``RelatedData`` for both entities (one query loads the
lists of a whole list page); :func:`clean_lists` runs in ``before_record_save`` and normalises
every item like the single fields (phones to E.164 with Iran as the default region, e-mails
case-folded, postal codes checked), naming the item in errors: ``phones[1].value``.
"""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from peyvand_sdk import RelatedData, Veto, gettext

from . import identifiers
from .emails import normalize_email
from .phones import _type_of, normalize_phone

PHONE_TYPES = ("mobile", "work", "home", "fax", "other")
EMAIL_TYPES = ("work", "home", "other")
ADDRESS_TYPES = ("work", "home", "billing", "shipping", "other")
#: Items per list at most.
MAX_ITEMS = 20


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue; it is translated where shown."""
    return message


#: The types of an item as the pages name them (the merge page's words).
TYPE_LABELS = {"mobile": N_("Mobile"), "work": N_("Work"), "home": N_("Home"), "fax": N_("Fax"),
               "billing": N_("Billing"), "shipping": N_("Shipping"), "other": N_("Other")}

#: list field -> (kind in contacts_detail, primary column, its type column)
LISTS = {"emails": ("email", "email", "email_type"),
         "phones": ("phone", "phone", "phone_type"),
         "addresses": ("address", None, "address_type")}
#: The primary address's columns, by item key.
ADDRESS_COLUMNS = {"line": "address", "city": "city", "province": "province",
                   "postal_code": "postal_code"}
ADDRESS_KEYS = tuple(ADDRESS_COLUMNS)
EMPTY_ADDRESS = "give a line, city, province or postal code"


def checked(normalise):
    """A schema validator refusing what ``normalise`` refuses (with its message), so that a
    bad phone number is reported with every other bad field at once, not after them (the
    value itself is normalised later, in ``before_record_save``)."""
    def check(value) -> None:
        if value in (None, ""):
            return
        try:
            normalise(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    return check


class EmailItem(Schema):
    value = fields.String(required=True, validate=[validate.Length(min=1, max=254),
                                                   checked(normalize_email)],
                          metadata={"description": "The address; trimmed and lower-cased."})
    type = fields.String(allow_none=True, validate=validate.OneOf(EMAIL_TYPES),
                         metadata={"description": "Left out: `work` for an organisation, "
                                                  "`other` for a person."})
    primary = fields.Boolean(load_default=False)


class PhoneItem(Schema):
    value = fields.String(required=True, validate=[validate.Length(min=1, max=40),
                                                   checked(normalize_phone)],
                          metadata={"description": "Stored in E.164 (`+98…`); Iranian numbers "
                                                   "may be typed as `0912…`."})
    type = fields.String(allow_none=True, validate=validate.OneOf(PHONE_TYPES),
                         metadata={"description": "Left out: `mobile` for a mobile number, "
                                                  "else `work` (organisation) or `other`."})
    primary = fields.Boolean(load_default=False)


class AddressItem(Schema):
    type = fields.String(allow_none=True, validate=validate.OneOf(ADDRESS_TYPES))
    line = fields.String(allow_none=True, validate=validate.Length(max=500))
    city = fields.String(allow_none=True, validate=validate.Length(max=100))
    province = fields.String(allow_none=True, validate=validate.Length(max=100))
    postal_code = fields.String(allow_none=True,
                                validate=[validate.Length(max=20),
                                          checked(identifiers.postal_code)],
                                metadata={"description": "10 digits (کد پستی); `12345-67890` "
                                                         "and Persian digits are accepted."})
    primary = fields.Boolean(load_default=False)

    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not any((data.get(k) or "").strip() for k in ADDRESS_KEYS):
            raise ValidationError(EMPTY_ADDRESS)


def _list(item, label_en: str, label_fa: str, description: str):
    return fields.List(fields.Nested(item), validate=validate.Length(max=MAX_ITEMS),
                       metadata={"label": {"en": label_en, "fa": label_fa},
                                 "description": description})


def _default_type(kind: str, entity_key: str, value: str | None = None) -> str:
    """The type of an item stored without one (imports write none): a mobile number is
    ``mobile``; anything else ``work`` for an organisation and ``other`` for a person."""
    if kind == "phone" and value and (value.startswith("+989") or _type_of(value) == "mobile"):
        return "mobile"
    return "work" if entity_key == "organization" else "other"


class ContactDetails(RelatedData):
    """``emails``, ``phones`` and ``addresses`` of people (``entity_key="person"``) or of
    organisations (``"organization"``)."""

    def __init__(self, entity_key: str, table: str, address_follows: str,
                 address_schema: tuple[str, ...]):
        self.entity_key = entity_key
        self.table = table
        self.fields = {
            "emails": _list(EmailItem, "E-mails", "ایمیل‌ها",
                            "Every e-mail address, the primary one first (`email` is its "
                            "value). Items: `{value, type, primary}`; exactly one is primary "
                            "(the first, if none is marked)."),
            "phones": _list(PhoneItem, "Phone numbers", "شماره‌های تلفن",
                            "Every phone number, the primary one first (`phone` is its value)."
                            " Items: `{value, type, primary}`."),
            "addresses": _list(AddressItem, "Addresses", "نشانی‌ها",
                               "Every address, the primary one first (its city is `city`)."),
        }
        self.follows = {"emails": "email", "phones": "phone", "addresses": address_follows}
        # The generic form edits the three lists as rows and leaves out the single fields
        # they keep in step (the primary item's columns).
        self.form_fields = ("emails", "phones", "addresses")
        self.form_replaces = {"emails": ("email",), "phones": ("phone",),
                              "addresses": tuple(c for c in ADDRESS_COLUMNS.values()
                                                 if c in address_schema)}

    # -- reading ---------------------------------------------------------------------------
    #: The primary items' columns, read with the page by the kernel.
    columns = ("email", "email_type", "phone", "phone_type", "address_type", "address", "city",
               "province", "postal_code")

    def load(self, entity, ids, rows=None):
        """The three lists of ``ids``: the primary items from ``rows`` (the record's own
        columns; read here when not given) and the others in one query."""
        if not ids:
            return {}
        from .models import Detail

        db = Detail._meta.database
        p = db.param
        marks = ", ".join([p] * len(ids))
        if rows is None:
            names = ", ".join(f'"{c}"' for c in self.columns)
            rows = {r[0]: r[1:] for r in db.execute_sql(
                f'SELECT "id", {names} FROM "{self.table}" WHERE "id" IN ({marks})', ids)}
        key = self.entity_key
        default_email = _default_type("email", key)
        default_address = _default_type("address", key)
        out: dict[int, dict] = {}
        for rid in ids:
            row = rows.get(rid)
            if row is None:
                continue
            (email, email_type, phone, phone_type, address_type, line, city, province,
             postal) = row
            out[rid] = {
                "emails": [{"value": email, "type": email_type or default_email,
                            "primary": True}] if email else [],
                "phones": [{"value": phone, "type": phone_type or
                            _default_type("phone", key, phone), "primary": True}]
                if phone else [],
                "addresses": [{"type": address_type or default_address, "line": line,
                               "city": city, "province": province, "postal_code": postal,
                               "primary": True}]
                if line or city or province or postal else []}
        for rid, kind, dtype, value, line, city, province, postal in db.execute_sql(
                'SELECT "record_id", "kind", "type", "value", "line", "city", "province", '
                f'"postal_code" FROM "contacts_detail" WHERE "entity" = {p} AND "record_id" IN '
                f'({marks}) ORDER BY "position", "id"', [key, *ids]):
            lists = out.get(rid)
            if lists is None:
                continue
            if kind == "email":
                lists["emails"].append({"value": value, "type": dtype, "primary": False})
            elif kind == "phone":
                lists["phones"].append({"value": value, "type": dtype, "primary": False})
            elif kind == "address":
                lists["addresses"].append({"type": dtype, "line": line, "city": city,
                                           "province": province, "postal_code": postal,
                                           "primary": False})
        return out

    # -- writing ---------------------------------------------------------------------------
    def save(self, entity, record, values, action):
        """Replace the secondary items of the lists in ``values`` (the primary item is in the
        record's columns, written by the kernel)."""
        from .models import Detail

        for name, items in values.items():
            kind = LISTS[name][0]
            if action != "create":
                Detail.delete().where((Detail.entity == self.entity_key)
                                      & (Detail.record_id == record.id)
                                      & (Detail.kind == kind)).execute()
            rows = []
            for position, item in enumerate(i for i in items or [] if not i.get("primary")):
                row = {"entity": self.entity_key, "record_id": record.id, "kind": kind,
                       "position": position, "type": item.get("type")}
                if kind == "address":
                    row.update((k, item.get(k)) for k in ADDRESS_KEYS)
                else:
                    row["value"] = item["value"]
                rows.append(row)
            if rows:
                Detail.insert_many(rows).execute()

    # -- the generic create/edit form (pages/listinputs.py) ----------------------------------
    def form_input(self, entity, name, value, errors, add=False):
        from peyvand_sdk import current_language

        from .pages.listinputs import form_input

        label = self.fields[name].metadata["label"]
        return form_input(name, label.get(current_language(), label["en"]), value, errors,
                          add)

    def form_value(self, entity, name, form):
        from .pages.listinputs import form_value

        return form_value(name, form)

    def display_items(self, name, value):
        """What the web pages show: each item with its type in the user's language, phone
        numbers as ``tel:`` links in the user's digits, e-mails as ``mailto:`` links, an
        address's parts joined (empty ones left out); the primary item first."""
        if not value:
            return []
        out = []
        for item in value:
            kind = item.get("type")
            label = gettext(TYPE_LABELS[kind]) if kind in TYPE_LABELS else (
                str(kind).replace("_", " ") if kind else None)
            shown = {"label": label, "primary": bool(item.get("primary"))}
            if name == "addresses":
                shown.update(parts=[item.get(k) for k in ADDRESS_KEYS], digits=True)
            elif name == "phones":
                shown.update(text=item.get("value"), href="tel:" + str(item.get("value")),
                             ltr=True, digits=True)
            else:
                shown.update(text=item.get("value"), href="mailto:" + str(item.get("value")),
                             ltr=True)
            out.append(shown)
        return out

    def export_text(self, name, value):
        """``+989121234567 (mobile); +982188776655 (work)`` — the primary first."""
        if not value:
            return None
        parts = []
        for item in value:
            if name == "addresses":
                text = "، ".join(str(item[k]) for k in ADDRESS_KEYS if item.get(k))
            else:
                text = item["value"]
            parts.append(f"{text} ({item['type']})" if item.get("type") else text)
        return "; ".join(parts)


PERSON_DETAILS = ContactDetails("person", "contacts_person", "city", ("city",))
ORGANIZATION_DETAILS = ContactDetails("organization", "contacts_organization", "address",
                                      ("city", "address", "postal_code"))
BY_ENTITY = {"contacts.person": PERSON_DETAILS, "contacts.organization": ORGANIZATION_DETAILS}


# -- cleaning (before_record_save) -------------------------------------------------------------

def _set(record, changes: dict, column: str, value) -> None:
    """Set a column of ``record`` and list it in ``changes`` (so an update writes it)."""
    old = getattr(record, column)
    if old != value:
        setattr(record, column, value)
        previous = changes[column][0] if column in changes else old
        changes[column] = (previous, value)


def _normalise_items(entity_id: str, entity_key: str, name: str, items,
                     errors: dict) -> list[dict]:
    """The items of list ``name`` normalised, the primary first; every bad item is added to
    ``errors`` (``{"phones[1].value": [message]}``), not only the first."""
    kind = LISTS[name][0]
    cleaned: list[dict] = []
    seen: dict = {}
    for index, item in enumerate(items or []):
        item = dict(item)
        if kind == "address":
            out = {k: (item.get(k) or "").strip() or None for k in ADDRESS_KEYS}
            if out["postal_code"]:
                try:
                    out["postal_code"] = identifiers.postal_code(out["postal_code"])
                except ValueError as exc:
                    errors.setdefault(f"{name}[{index}].postal_code", []).append(str(exc))
                    continue
            if not any(out.values()):
                errors.setdefault(f"{name}[{index}]", []).append(EMPTY_ADDRESS)
                continue
            key = tuple(out.values())
        else:
            try:
                if kind == "email":
                    value = normalize_email(item["value"])
                else:
                    value = normalize_phone(item["value"])
            except ValueError as exc:
                errors.setdefault(f"{name}[{index}].value", []).append(str(exc))
                continue
            out = {"value": value}
            key = value
        out["type"] = item.get("type") or _default_type(kind, entity_key, out.get("value"))
        out["primary"] = bool(item.get("primary"))
        if key in seen:  # the same value twice: keep the first, primary if either is
            cleaned[seen[key]]["primary"] |= out["primary"]
            continue
        seen[key] = len(cleaned)
        cleaned.append(out)
    primaries = [i for i, item in enumerate(cleaned) if item["primary"]]
    if len(primaries) > 1:
        errors.setdefault(name, []).append(
            f"only one item can be primary (items {primaries[0]} and {primaries[1]} are)")
    if cleaned and not primaries:
        cleaned[0]["primary"] = True
    return sorted(cleaned, key=lambda item: not item["primary"])  # stable: primary first


def _primary_of(record, name: str):
    """The record's primary item value(s) as stored in its columns."""
    if name == "addresses":
        values = tuple(getattr(record, ADDRESS_COLUMNS[k], None) for k in ADDRESS_KEYS)
        return values if any(values) else None
    return getattr(record, LISTS[name][1])


def _write_primary(record, changes: dict, name: str, item: dict | None) -> None:
    _, column, type_column = LISTS[name]
    if name == "addresses":
        for key, col in ADDRESS_COLUMNS.items():
            if hasattr(record, col):
                _set(record, changes, col, item.get(key) if item else None)
    else:
        _set(record, changes, column, item["value"] if item else None)
    _set(record, changes, type_column, item["type"] if item else None)


def clean_lists(entity_id: str, record, changes: dict, errors: dict | None = None) -> None:
    """Normalise the lists sent, and keep the primary columns and the lists in step.

    Every bad item goes into ``errors`` (``{"phones[1].value": [message]}``); without
    ``errors``, a :class:`Veto` naming all of them is raised at the end."""
    own = errors is None
    errors = {} if own else errors
    _clean_lists(entity_id, record, changes, errors)
    if own and errors:
        raise Veto(errors=errors)


def _clean_lists(entity_id: str, record, changes: dict, errors: dict) -> None:
    details = BY_ENTITY.get(entity_id)
    if details is None:
        return
    entity_key = details.entity_key
    current = None
    for name, (kind, column, _type_column) in LISTS.items():
        flat = [ADDRESS_COLUMNS[k] for k in ADDRESS_KEYS if hasattr(record, ADDRESS_COLUMNS[k])
                and ADDRESS_COLUMNS[k] in changes] if kind == "address" else (
            [column] if column in changes else [])
        if name in changes:
            old, items = changes[name]
            before = len(errors)
            cleaned = _normalise_items(entity_id, entity_key, name, items, errors)
            if len(errors) > before:
                continue  # refused: the save stops once every field was checked
            primary = cleaned[0] if cleaned else None
            differs = False
            for col in flat:  # the single field sent too: it must agree with the list
                key = next((k for k, c in ADDRESS_COLUMNS.items() if c == col), "value")
                if getattr(record, col) != (primary or {}).get(key):
                    errors.setdefault(col, []).append(
                        f"{col} differs from the primary item of {name}; send one of them")
                    differs = True
            if differs:
                continue
            _write_primary(record, changes, name, primary)
            if old == cleaned:
                del changes[name]
            else:
                changes[name] = (old, cleaned)
            continue
        if not flat or record.id is None:
            continue
        # The primary value alone changed: it replaces the primary item. The other items stay,
        # minus one equal to the new value; with no primary left, the next item becomes it.
        if current is None:
            current = details.load(None, [record.id]).get(record.id, {})  # as stored
        old = current.get(name, [])
        others = [dict(i) for i in old if not i["primary"]]
        value = _primary_of(record, name)
        if value is None:
            if not others:
                _set(record, changes, _type_column, None)
                continue
            promoted = others.pop(0)
            promoted["primary"] = True
            _write_primary(record, changes, name, promoted)
            new = [promoted, *others]
        else:
            same = [i for i in others if (i["value"] if kind != "address" else tuple(
                i[k] for k in ADDRESS_KEYS)) == value]
            if not same:
                continue  # the secondary items are unchanged
            others = [i for i in others if i not in same]
            primary = dict(old[0]) if old and old[0]["primary"] else {"primary": True}
            if kind == "address":
                primary.update(zip(ADDRESS_KEYS, value, strict=True))
            else:
                primary["value"] = value
            primary.setdefault("type", same[0]["type"])
            new = [primary, *others]
        changes[name] = (old, new)
