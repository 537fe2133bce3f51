"""Custom fields: typed fields an admin adds to any entity at runtime, without a restart and
without touching the plugin's code.

They live outside the plugin's declared columns, in ``peyvand_custom_value`` (one row per
value, indexed per field and value), so a plugin's schema check stays meaningful and filtering
on a custom field uses an index on SQLite and PostgreSQL alike. In the API a custom field
``colour`` is ``cf_colour``: in records, filters, sorting, exports and the OpenAPI document.
"""

from __future__ import annotations

import datetime
import decimal
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import peewee
from marshmallow import fields as mf
from marshmallow import validate

from .entities import Model
from .errors import PeyvandError
from .storage import utcnow

TYPES = ("text", "long_text", "integer", "decimal", "date", "datetime", "boolean", "choice",
         "multi_choice", "link")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
PREFIX = "cf_"


def decimal_text(value: decimal.Decimal) -> str:
    """A decimal as plain text without trailing zeros or an exponent: 100, 2.5, 0.001."""
    text = format(value.normalize(), "f")
    return text


class CustomFieldError(PeyvandError):
    pass


class CustomField(Model):
    id = peewee.AutoField()
    entity = peewee.CharField(max_length=100)
    name = peewee.CharField(max_length=60)
    type = peewee.CharField(max_length=16)
    label_en = peewee.CharField(max_length=100)
    label_fa = peewee.CharField(max_length=100, null=True)
    choices = peewee.TextField(null=True)
    link_entity = peewee.CharField(max_length=100, null=True)
    required = peewee.BooleanField(default=False)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "peyvand_custom_field"
        indexes = ((("entity", "name"), True),)


class CustomValue(Model):
    id = peewee.AutoField()
    entity = peewee.CharField(max_length=100)
    record_id = peewee.IntegerField()
    field_id = peewee.IntegerField()
    value_text = peewee.TextField(null=True)
    value_num = peewee.DecimalField(max_digits=30, decimal_places=10, null=True)
    value_date = peewee.CharField(max_length=32, null=True)

    class Meta:
        table_name = "peyvand_custom_value"
        indexes = (
            (("entity", "record_id"), False),
            (("field_id", "value_text"), False),
            (("field_id", "value_num"), False),
            (("field_id", "value_date"), False),
        )


@dataclass(frozen=True)
class FieldDef:
    """One custom field as the record code uses it."""

    id: int
    entity: str
    name: str
    type: str
    label: dict
    choices: tuple[str, ...]
    link_entity: str | None
    required: bool

    @property
    def key(self) -> str:
        return PREFIX + self.name

    @property
    def column(self) -> str:
        """The value column this type is stored and compared in."""
        if self.type in ("integer", "decimal", "boolean", "link"):
            return "value_num"
        if self.type in ("date", "datetime"):
            return "value_date"
        return "value_text"

    @property
    def multiple(self) -> bool:
        return self.type == "multi_choice"

    def marshmallow_field(self) -> mf.Field:
        kw = {"required": self.required, "allow_none": not self.required}
        if self.type in ("text",):
            return mf.String(validate=validate.Length(max=500), **kw)
        if self.type == "long_text":
            return mf.String(validate=validate.Length(max=20000), **kw)
        if self.type in ("integer", "link"):
            return mf.Integer(**kw)
        if self.type == "decimal":
            return mf.Decimal(as_string=True, **kw)
        if self.type == "date":
            return mf.Date(**kw)
        if self.type == "datetime":
            return mf.NaiveDateTime(**kw)
        if self.type == "boolean":
            return mf.Boolean(**kw)
        if self.type == "choice":
            return mf.String(validate=validate.OneOf(self.choices), **kw)
        return mf.List(mf.String(validate=validate.OneOf(self.choices)), **kw)

    def to_db(self, value) -> list:
        """Stored values (a list: several for a multiple choice, none for null)."""
        if value is None:
            return []
        values = value if self.multiple else [value]
        out = []
        for v in values:
            if self.type == "boolean":
                out.append(decimal.Decimal(int(bool(v))))
            elif self.column == "value_num":
                out.append(decimal.Decimal(v))
            elif self.type == "datetime":
                out.append(v.replace(microsecond=0).isoformat(sep=" "))
            elif self.type == "date":
                out.append(v.isoformat())
            else:
                out.append(str(v))
        return out

    def from_db(self, stored: list):
        """The API value from the stored values."""
        if not stored:
            return [] if self.multiple else None
        if self.multiple:
            return sorted(stored)
        value = stored[0]
        if self.type == "boolean":
            return bool(int(value))
        if self.type in ("integer", "link"):
            return int(value)
        if self.type == "decimal":
            return decimal_text(decimal.Decimal(value))
        if self.type == "datetime":
            return value.replace(" ", "T")
        return value

    def parse_filter(self, raw: str):
        """A query-string value as a stored value, or ``ValueError``."""
        if self.type == "boolean":
            lowered = raw.strip().lower()
            if lowered not in ("true", "false", "1", "0"):
                raise ValueError("use true or false")
            return decimal.Decimal(int(lowered in ("true", "1")))
        if self.column == "value_num":
            return decimal.Decimal(raw)
        if self.type == "date":
            return datetime.date.fromisoformat(raw).isoformat()
        if self.type == "datetime":
            return datetime.datetime.fromisoformat(raw).isoformat(sep=" ")
        return raw


    def parse(self, text: str):
        """Spreadsheet text as the field's validated value, in the form the API shows it
        (``int``, a decimal as a string, an ISO date, ``bool``, a choice, a sorted list of
        choices); ``None`` for empty text. Raises ``ValueError`` with a message a user can act
        on.

        Persian and Arabic-Indic digits are read as digits; dates are ISO (``2024-03-20``) or
        Jalali (``1403/01/01``: a year below 1700 is Jalali); booleans are true/false, yes/no,
        1/0 or بله/خیر; a multiple choice is separated by ``,``, ``،``, ``;`` or ``؛``.
        """
        raw = " ".join(str(text).translate(_DIGITS).split())
        if not raw:
            return None
        if self.type in ("text", "long_text"):
            limit = 500 if self.type == "text" else 20000
            value = str(text).strip()
            if len(value) > limit:
                raise ValueError(f"longer than {limit} characters ({len(value)})")
            return value
        if self.type in ("integer", "link"):
            number = _number(raw)
            if number is None or number != number.to_integral_value():
                raise ValueError(f"{text!r} is not a whole number")
            return int(number)
        if self.type == "decimal":
            number = _number(raw)
            if number is None:
                raise ValueError(f"{text!r} is not a number")
            return decimal_text(number)  # as from_db shows stored decimals
        if self.type == "date":
            return _date(raw, text).isoformat()
        if self.type == "datetime":
            day, _, clock = raw.partition(" ")
            date = _date(day, text)
            found = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", clock) if clock else None
            if clock and (found is None or int(found[1]) > 23 or int(found[2]) > 59
                          or int(found[3] or 0) > 59):
                raise ValueError(f"{text!r} is not a date and time (use 2024-03-20 14:30 or "
                                 "1403/01/01 14:30)")
            hour, minute, second = (int(found[1]), int(found[2]), int(found[3] or 0)) if found \
                else (0, 0, 0)
            return datetime.datetime(date.year, date.month, date.day, hour, minute,
                                     second).isoformat()
        if self.type == "boolean":
            key = raw.casefold()
            if key in _TRUE:
                return True
            if key in _FALSE:
                return False
            raise ValueError(f"{text!r} is not yes or no (use true/false, yes/no, 1/0, بله/خیر)")
        if self.type == "choice":
            return self._choice(str(text).strip())
        parts = [p.strip() for p in re.split(r"[,،;؛]", str(text))]
        return sorted({self._choice(p) for p in parts if p})

    def _choice(self, value: str) -> str:
        if value in self.choices:
            return value
        folded = [c for c in self.choices if c.casefold() == value.casefold()]
        if len(folded) == 1:
            return folded[0]
        raise ValueError(f"{value!r} is not one of the choices: {', '.join(self.choices)}")


_DIGITS = str.maketrans({**{0x06F0 + i: str(i) for i in range(10)},
                         **{0x0660 + i: str(i) for i in range(10)},
                         "\u066b": ".", "\u066c": ",", "\u200c": None, "\u200f": None,
                         "\u200e": None})
_TRUE = frozenset({"true", "yes", "1", "بله", "بلی", "آری"})
_FALSE = frozenset({"false", "no", "0", "خیر", "نه"})
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_DATE_TEXT = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")


def _number(raw: str) -> decimal.Decimal | None:
    """``raw`` (digits folded) as a finite Decimal: ``1,234.5`` and ``1234`` alike."""
    text = raw.replace(" ", "")
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    try:
        number = decimal.Decimal(text)
    except decimal.InvalidOperation:
        return None
    return number if number.is_finite() else None


def _date(raw: str, text) -> datetime.date:
    found = _DATE_TEXT.fullmatch(raw)
    if found is None:
        raise ValueError(f"{text!r} is not a date (use 2024-03-20, or Jalali 1403/01/01)")
    year, month, day = (int(g) for g in found.groups())
    try:
        if year < 1700:
            import jdatetime

            return jdatetime.date(year, month, day).togregorian()
        return datetime.date(year, month, day)
    except ValueError:
        raise ValueError(f"{text!r} is not a date of the "
                         f"{'Jalali' if year < 1700 else 'Gregorian'} calendar") from None


def definitions(entity_id: str | None = None) -> list[FieldDef]:
    query = CustomField.select().order_by(CustomField.entity, CustomField.name)
    if entity_id:
        query = query.where(CustomField.entity == entity_id)
    return [FieldDef(f.id, f.entity, f.name, f.type, {"en": f.label_en, "fa": f.label_fa},
                     tuple(json.loads(f.choices or "[]")), f.link_entity, f.required)
            for f in query]


def add_field(entities: dict, entity_id: str, name: str, type: str, *, label_en: str | None = None,
              label_fa: str | None = None, choices=(), link_entity: str | None = None,
              required: bool = False) -> FieldDef:
    """Validate and create a custom field; ``entities`` are the tenant's enabled entities."""
    problems = []
    if entity_id not in entities:
        problems.append(f"unknown entity {entity_id!r} (entities: {', '.join(sorted(entities))})")
    if not NAME.match(name or ""):
        problems.append(f"name {name!r}: use lower-case letters, digits and '_', starting with "
                        "a letter (the API calls it cf_<name>)")
    if type not in TYPES:
        problems.append(f"type {type!r}: one of {', '.join(TYPES)}")
    choices = tuple(c.strip() for c in choices if c.strip())
    if type in ("choice", "multi_choice") and not choices:
        problems.append(f"a {type} field needs its choices")
    if type == "link" and link_entity not in entities:
        problems.append(f"a link field needs --link ENTITY, one of {', '.join(sorted(entities))}")
    if entity_id in entities and CustomField.select().where(
            (CustomField.entity == entity_id) & (CustomField.name == name)).exists():
        problems.append(f"{entity_id} already has a custom field {name!r}")
    if problems:
        raise CustomFieldError("cannot add the custom field: " + "; ".join(problems))
    CustomField.create(entity=entity_id, name=name, type=type, label_en=label_en or name,
                       label_fa=label_fa, choices=json.dumps(list(choices), ensure_ascii=False),
                       link_entity=link_entity if type == "link" else None, required=required)
    return next(d for d in definitions(entity_id) if d.name == name)


def update_field(entity_id: str, name: str, *, label_en: str | None = None,
                 label_fa: str | None = None, choices=None, required: bool | None = None
                 ) -> dict:
    """Change a custom field's labels, choices or ``required``; its name and type stay.

    A choice that records still hold cannot be taken away (the error names how many hold
    it). Returns ``{what: (old, new)}`` for the audit trail."""
    field = CustomField.get_or_none((CustomField.entity == entity_id) & (CustomField.name == name))
    if field is None:
        raise CustomFieldError(f"{entity_id} has no custom field {name!r}")
    changes = {}
    if label_en is not None and label_en.strip() and label_en.strip() != field.label_en:
        changes["label_en"] = (field.label_en, label_en.strip())
        field.label_en = label_en.strip()
    if label_fa is not None and (label_fa.strip() or None) != field.label_fa:
        changes["label_fa"] = (field.label_fa, label_fa.strip() or None)
        field.label_fa = label_fa.strip() or None
    if required is not None and bool(required) != field.required:
        changes["required"] = (field.required, bool(required))
        field.required = bool(required)
    if choices is not None and field.type in ("choice", "multi_choice"):
        old = json.loads(field.choices or "[]")
        new = list(dict.fromkeys(c.strip() for c in choices if c.strip()))
        if not new:
            raise CustomFieldError(f"a {field.type} field needs its choices")
        for gone in [c for c in old if c not in new]:
            used = CustomValue.select().where((CustomValue.field_id == field.id)
                                              & (CustomValue.value_text == gone)).count()
            if used:
                raise CustomFieldError(f"choice {gone!r} of {entity_id}.{PREFIX}{name} is held by "
                                       f"{used} record(s); change them first")
        if new != old:
            changes["choices"] = (old, new)
            field.choices = json.dumps(new, ensure_ascii=False)
    if changes:
        field.save()
    return changes


def remove_field(entity_id: str, name: str) -> int:
    """Delete a custom field and its values; returns how many values went."""
    field = CustomField.get_or_none((CustomField.entity == entity_id) & (CustomField.name == name))
    if field is None:
        raise CustomFieldError(f"{entity_id} has no custom field {name!r}")
    gone = CustomValue.delete().where(CustomValue.field_id == field.id).execute()
    field.delete_instance()
    return gone


def load_values(entity_id: str, defs: list[FieldDef], record_ids: list[int]) -> dict:
    """``{record_id: {cf_name: value}}`` for the given records, one query."""
    if not defs or not record_ids:
        return {}
    by_id = {d.id: d for d in defs}
    stored: dict[int, dict[int, list]] = {}
    rows = (CustomValue.select(CustomValue.record_id, CustomValue.field_id,
                               CustomValue.value_text, CustomValue.value_num,
                               CustomValue.value_date)
            .where((CustomValue.entity == entity_id) & CustomValue.record_id.in_(record_ids)
                   & CustomValue.field_id.in_(list(by_id)))
            .order_by(CustomValue.id).tuples())
    for record_id, field_id, text, num, date in rows:
        d = by_id[field_id]
        value = {"value_text": text, "value_num": num, "value_date": date}[d.column]
        stored.setdefault(record_id, {}).setdefault(field_id, []).append(value)
    return {rid: {d.key: d.from_db(stored.get(rid, {}).get(d.id, [])) for d in defs}
            for rid in record_ids}


def save_values(entity_id: str, defs: list[FieldDef], record_id: int, values: dict) -> None:
    """Replace the stored values of the custom fields present in ``values`` (by cf_ key)."""
    for d in defs:
        if d.key not in values:
            continue
        CustomValue.delete().where((CustomValue.record_id == record_id)
                                   & (CustomValue.field_id == d.id)).execute()
        rows = [{"entity": entity_id, "record_id": record_id, "field_id": d.id,
                 d.column: v} for v in d.to_db(values[d.key])]
        if rows:
            CustomValue.insert_many(rows).execute()


def _stored_rows(entity_id: str, by_key: dict, loaders: dict, record_id: int,
                 values: Mapping) -> tuple:
    """``(field ids to clear, value rows to insert)`` for one record; validates ``values``."""
    from marshmallow import ValidationError

    from .records import InvalidRecord

    unknown = sorted(k for k in values if k not in by_key)
    if unknown:
        raise InvalidRecord({k: [f"{entity_id} has no custom field {k!r} (custom fields: "
                                 f"{', '.join(sorted(by_key)) or 'none'})"] for k in unknown})
    clear, rows, errors = [], [], {}
    for key, value in values.items():
        d = by_key[key]
        try:
            loaded = None if value is None else loaders[key].deserialize(value)
        except ValidationError as exc:
            errors[key] = exc.messages if isinstance(exc.messages, list) else [str(exc)]
            continue
        clear.append(d.id)
        rows += [(entity_id, record_id, d.id, d.column, v) for v in d.to_db(loaded)]
    if errors:
        raise InvalidRecord(errors)
    return clear, rows


def save_values_many(entity_id: str, rows: Iterable[tuple[int, Mapping]]) -> int:
    """Replace the custom values of many records: ``rows`` are ``(record_id, {cf_key: value})``
    with values in the API's form (``None`` or ``[]`` clears a field); keys absent from a
    mapping are left alone. Validated first (:class:`~peyvand.records.InvalidRecord`, nothing
    written), then deleted and inserted with ``executemany``. Not audited and the record's
    version is not changed: the caller does both. Returns the number of records written."""
    by_key = {d.key: d for d in definitions(entity_id)}
    loaders = {k: d.marshmallow_field() for k, d in by_key.items()}
    clear: list[tuple[int, int]] = []
    inserts: dict[str, list[tuple]] = {}
    count = 0
    for record_id, values in rows:
        if not values:
            continue
        fields, stored = _stored_rows(entity_id, by_key, loaders, record_id, values)
        clear += [(record_id, f) for f in fields]
        for entity, rid, field_id, column, value in stored:
            inserts.setdefault(column, []).append((entity, rid, field_id, value))
        count += 1
    if not count:
        return 0
    db = CustomValue._meta.database
    table = CustomValue._meta.table_name
    with db.atomic():       # a savepoint inside the caller's transaction, if it has one
        _write_values(db, table, clear, inserts)
    return count


def _write_values(db, table: str, clear: list, inserts: dict) -> None:
    p = db.param
    cursor = db.cursor()
    try:
        for start in range(0, len(clear), 5000):
            cursor.executemany(f'DELETE FROM "{table}" WHERE "record_id" = {p} AND '
                               f'"field_id" = {p}', clear[start:start + 5000])
        for column, values in inserts.items():
            for start in range(0, len(values), 5000):
                cursor.executemany(
                    f'INSERT INTO "{table}" ("entity", "record_id", "field_id", "{column}") '
                    f"VALUES ({p}, {p}, {p}, {p})", values[start:start + 5000])
    finally:
        cursor.close()


def save_values_for(entity_id: str, record_id: int, values: Mapping) -> None:
    """Replace one record's custom values (see :func:`save_values_many`)."""
    save_values_many(entity_id, [(record_id, values)])


def load_values_for(entity_id: str, record_ids: Iterable[int]) -> dict:
    """``{record_id: {cf_key: value}}`` of every custom field of ``entity_id`` (API form), 500
    records per query."""
    defs = definitions(entity_id)
    ids = list(record_ids)
    out: dict = {}
    for start in range(0, len(ids), 500):
        out.update(load_values(entity_id, defs, ids[start:start + 500]))
    return out
