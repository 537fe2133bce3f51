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
            return str(decimal.Decimal(value).normalize())
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
