"""The OpenAPI 3.1 description of a tenant's REST API (``GET /api/v1/openapi.json``).

The document is built from what the tenant actually has: every entity of its enabled plugins
(``kernel.entities(tenant)``) gets the generic record paths, and the kernel's own routes
(``/plugins``, ``/search``, ``/audit``, ``/openapi.json``) are always there, and each enabled
plugin describes its own routes under ``/api/v1/<plugin>/`` through the ``register_openapi``
hook (:func:`_add_plugin_paths` merges them and refuses a path outside that prefix or one
already described). It is cached per
tenant with :meth:`Kernel.cache`, so enabling or disabling a plugin (which moves the generation)
rebuilds it on the next request.

Marshmallow fields are mapped to JSON Schema 2020-12 (the dialect of OpenAPI 3.1) by
:func:`field_schema`, a small hand-written mapper: types, formats, ``required``,
``allow_none`` (``"null"`` in ``type``), and the ``Length``/``OneOf``/``Range``/``Regexp``
validators. Labels are English in ``title``/``summary``/``description`` and Persian in the
``x-label-fa`` extension.

Custom fields: :func:`custom_field_properties` is the one place that adds per-tenant
properties to an entity's schemas. It returns nothing today.
"""

from __future__ import annotations

import copy
import datetime
import decimal
import enum
import re
from collections.abc import Mapping

import peewee
from marshmallow import RAISE, fields, missing, validate

from . import __version__
from .entities import Entity
from .errors import PluginError
from .records import SYSTEM_FIELDS

OPENAPI_VERSION = "3.1.0"
SCHEMA_REF = "#/components/schemas/"

# -- marshmallow → JSON Schema --------------------------------------------------------------------

#: Base JSON Schema per marshmallow field class; the most specific class in a field's MRO wins
#: (``Date`` and ``Time`` subclass ``DateTime``, ``Email`` subclasses ``String``...).
_BASE_TYPES: dict[type, dict] = {
    fields.Raw: {},
    fields.String: {"type": "string"},
    fields.Email: {"type": "string", "format": "email"},
    fields.Url: {"type": "string", "format": "uri"},
    fields.UUID: {"type": "string", "format": "uuid"},
    fields.IP: {"type": "string"},
    fields.IPv4: {"type": "string", "format": "ipv4"},
    fields.IPv6: {"type": "string", "format": "ipv6"},
    fields.Number: {"type": "number"},
    fields.Float: {"type": "number"},
    fields.Integer: {"type": "integer"},
    # Decimals travel as strings so no precision is lost in a JSON float.
    fields.Decimal: {"type": "string", "format": "decimal",
                     "description": "A decimal number written as a string, e.g. \"1250000\"."},
    fields.Boolean: {"type": "boolean"},
    fields.DateTime: {"type": "string", "format": "date-time"},
    fields.Date: {"type": "string", "format": "date"},
    fields.Time: {"type": "string", "format": "time"},
    fields.TimeDelta: {"type": "number"},
    fields.Mapping: {"type": "object"},
    fields.List: {"type": "array"},
    fields.Tuple: {"type": "array"},
    fields.Nested: {"type": "object"},
}

_NUMERIC = ("integer", "number")


def _plain(value):
    """A default or enum value as JSON can carry it."""
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.name
    return value


def _base(field: fields.Field) -> dict:
    for cls in type(field).__mro__:
        if cls in _BASE_TYPES:
            return dict(_BASE_TYPES[cls])
    return {}


def _apply_validator(schema: dict, validator) -> None:
    kind = schema.get("type")
    if isinstance(validator, validate.And):
        for inner in validator.validators:
            _apply_validator(schema, inner)
    elif isinstance(validator, validate.Length):
        low, high = ("minItems", "maxItems") if kind == "array" else (
            ("minProperties", "maxProperties") if kind == "object" else ("minLength", "maxLength"))
        if validator.equal is not None:
            schema[low] = schema[high] = validator.equal
        if validator.min is not None:
            schema[low] = validator.min
        if validator.max is not None:
            schema[high] = validator.max
    elif isinstance(validator, validate.OneOf):
        schema["enum"] = [_plain(c) for c in validator.choices]
    elif isinstance(validator, validate.Equal):
        schema["const"] = _plain(validator.comparable)
    elif isinstance(validator, validate.NoneOf):
        schema["not"] = {"enum": [_plain(c) for c in validator.iterable]}
    elif isinstance(validator, validate.ContainsOnly) and kind == "array":
        schema.setdefault("items", {})["enum"] = [_plain(c) for c in validator.choices]
    elif isinstance(validator, validate.Regexp):
        schema["pattern"] = validator.regex.pattern
    elif isinstance(validator, validate.Range):
        if kind in _NUMERIC:
            for bound, inclusive, key in ((validator.min, validator.min_inclusive, "minimum"),
                                          (validator.max, validator.max_inclusive, "maximum")):
                if bound is not None:
                    schema[key if inclusive else f"exclusive{key.title()}"] = _plain(bound)
        else:  # e.g. a Decimal sent as a string: say it in words
            parts = []
            if validator.min is not None:
                parts.append(f"{'at least' if validator.min_inclusive else 'more than'} "
                             f"{_plain(validator.min)}")
            if validator.max is not None:
                parts.append(f"{'at most' if validator.max_inclusive else 'less than'} "
                             f"{_plain(validator.max)}")
            schema["description"] = " ".join(
                filter(None, [schema.get("description"), f"Must be {' and '.join(parts)}."]))


def field_schema(field: fields.Field, *, nullable: bool | None = None,
                 with_default: bool = False) -> dict:
    """JSON Schema 2020-12 for one marshmallow field.

    :param nullable: whether ``null`` is a valid value; ``None`` follows ``field.allow_none``.
    :param with_default: add ``default`` from ``load_default`` (for input schemas).

    Field ``metadata`` may carry ``description``, ``title``, ``example``/``examples`` and a
    ``label`` mapping (``{"en": ..., "fa": ...}``: ``title`` and ``x-label-fa``).
    """
    schema = _base(field)
    if isinstance(field, fields.Enum):
        schema["enum"] = [(m.value if field.by_value else m.name) for m in field.enum]
    elif isinstance(field, fields.Constant):
        schema["const"] = _plain(field.constant)
    elif isinstance(field, fields.Pluck):
        inner = field.schema.fields[field.field_name]
        plucked = field_schema(inner, nullable=False)
        schema = {"type": "array", "items": plucked} if field.many else plucked
    elif isinstance(field, fields.Nested):
        nested = schema_properties(field.schema)
        schema = {"type": "object", "properties": nested["properties"]}
        if nested["required"]:
            schema["required"] = nested["required"]
        if field.many:
            schema = {"type": "array", "items": schema}
    elif isinstance(field, fields.List):
        schema["items"] = field_schema(field.inner)
    elif isinstance(field, fields.Tuple):
        schema["prefixItems"] = [field_schema(f) for f in field.tuple_fields]
        schema["minItems"] = schema["maxItems"] = len(field.tuple_fields)
    elif isinstance(field, fields.Mapping) and field.value_field is not None:
        schema["additionalProperties"] = field_schema(field.value_field)
    for validator in field.validators:
        _apply_validator(schema, validator)

    metadata = field.metadata or {}
    label = metadata.get("label")
    if isinstance(label, Mapping):
        if label.get("en"):
            schema["title"] = label["en"]
        if label.get("fa"):
            schema["x-label-fa"] = label["fa"]
    for key in ("title", "description", "example", "examples", "deprecated"):
        if key in metadata:
            schema[key] = metadata[key]
    if with_default and field.load_default is not missing and not callable(field.load_default):
        schema["default"] = _plain(field.load_default)

    if field.allow_none if nullable is None else nullable:
        if "type" in schema:
            kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            schema["type"] = [*kinds, "null"]
        if "enum" in schema and None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]
    return schema


def schema_properties(schema, *, for_input: bool = True) -> dict:
    """``{"properties": {...}, "required": [...]}`` for a marshmallow schema class or instance.

    Input leaves out ``dump_only`` fields, output leaves out ``load_only`` ones; properties are
    named by ``data_key`` when a field has one.
    """
    instance = schema() if isinstance(schema, type) else schema
    properties, required = {}, []
    for name, field in instance.fields.items():
        if (field.dump_only and for_input) or (field.load_only and not for_input):
            continue
        key = field.data_key or name
        properties[key] = field_schema(field, with_default=for_input)
        if field.required:
            required.append(key)
    return {"properties": properties, "required": required}


def json_schema(schema, *, for_input: bool = True, title: str | None = None) -> dict:
    """A JSON Schema 2020-12 object for a marshmallow schema (class or instance): its
    ``properties`` and ``required`` (see :func:`schema_properties`), and
    ``additionalProperties: false`` for an input schema that refuses unknown fields. What
    plugins use to describe request and response bodies in their ``register_openapi``."""
    instance = schema() if isinstance(schema, type) else schema
    props = schema_properties(instance, for_input=for_input)
    out: dict = {"type": "object"}
    if title:
        out["title"] = title
    out["properties"] = props["properties"]
    if props["required"]:
        out["required"] = props["required"]
    if for_input and getattr(instance, "unknown", RAISE) == RAISE:
        out["additionalProperties"] = False
    return out


# -- the extension point for custom fields --------------------------------------------------------

def custom_field_properties(kernel, tenant: str, entity: Entity) -> dict[str, dict]:
    """Extra properties of ``entity`` for ``tenant``: the hook for custom fields.

    Return ``{"cf_<name>": <JSON Schema 2020-12>}``. Each property is added to the entity's
    record schema (``<plugin>.<name>``), its input schemas (``.input`` and ``.patch``, never
    required) and the values ``fields=`` accepts; give it ``title`` (English) and
    ``x-label-fa`` (Persian) like the built-in fields. Build the JSON Schema with
    :func:`field_schema` when the custom field is backed by a marshmallow field.

    The document is cached per tenant until the generation moves, so code that changes custom
    field definitions must call ``kernel.bump_generation()`` (it does anyway, for its own
    caches).
    """
    service = kernel.service(entity.id, tenant)
    if service is None:
        return {}
    out = {}
    for d in service.custom:
        schema = field_schema(d.marshmallow_field())
        schema["title"] = d.label.get("en") or d.name
        if d.label.get("fa"):
            schema["x-label-fa"] = d.label["fa"]
        schema["x-custom-field"] = {"type": d.type, **({"link": d.link_entity}
                                                      if d.link_entity else {})}
        out[d.key] = schema
    return out


# -- the document ---------------------------------------------------------------------------------

def document(kernel, tenant: str) -> dict:
    """The OpenAPI 3.1 document for ``tenant``, cached until plugins (the generation) change."""
    return kernel.cache(f"openapi:{tenant}", lambda: build_document(kernel, tenant))


def _ref(name: str) -> dict:
    return {"$ref": SCHEMA_REF + name}


def _response(description: str, schema: dict | None = None, headers: dict | None = None,
              example=None) -> dict:
    out = {"description": description}
    if headers:
        out["headers"] = headers
    if schema is not None:
        out["content"] = {"application/json": {"schema": schema}}
        if example is not None:
            out["content"]["application/json"]["example"] = example
    return out


def _error(error: str, message: str) -> dict:
    return {"error": error, "message": message}


def _json_body(schema: dict, description: str) -> dict:
    return {"required": True, "description": description,
            "content": {"application/json": {"schema": schema}}}


def _labels(entity: Entity) -> dict[str, str]:
    """English and Persian names of an entity, singular and plural, with fall-backs."""
    en = entity.label.get("en") or entity.name.replace("_", " ").title()
    fa = entity.label.get("fa") or en
    plural = entity.label_plural or {}
    return {"en": en, "fa": fa, "a_en": f"{'an' if en[:1].lower() in 'aeiou' else 'a'} {en}",
            "en_plural": plural.get("en") or entity.plural.replace("_", " ").title(),
            "fa_plural": plural.get("fa") or fa}


def _columns(entity: Entity, field_names) -> dict[str, peewee.Field]:
    """Names (schema fields and system fields) that are real columns: what the list endpoint
    can sort and filter on (see ``EntityService._column``)."""
    out = {}
    for name in (*SYSTEM_FIELDS, *field_names):
        column = getattr(entity.model, name, None)
        if isinstance(column, peewee.Field):
            out[name] = column
    return out


def _scalar(schema: dict) -> dict:
    """A property schema as a query-string value: no ``null``, no title or default."""
    out = {k: v for k, v in schema.items()
           if k in ("type", "format", "enum", "minimum", "maximum", "pattern")}
    if isinstance(out.get("type"), list):
        kinds = [t for t in out["type"] if t != "null"]
        out["type"] = kinds[0] if len(kinds) == 1 else kinds
    if "enum" in out:
        out["enum"] = [v for v in out["enum"] if v is not None]
    return out


def _filter_properties(by_column: dict, columns: dict) -> dict:
    """Every query key the list endpoint accepts as a filter, with its value's schema."""
    out = {}
    for name in columns:
        value = _scalar(by_column.get(name, {}))
        kind = value.get("type")
        out[name] = {**value, "description": f"`{name}` equals the value."}
        out[f"{name}__in"] = {"type": "string", "description": f"`{name}` is one of these "
                              "comma-separated values (`a,b,c`)."}
        if kind != "boolean":
            for op, word in (("gte", "≥"), ("lte", "≤"), ("gt", ">"), ("lt", "<")):
                out[f"{name}__{op}"] = {**value, "description": f"`{name}` {word} the value."}
        if kind == "string" and value.get("format") is None and "enum" not in value:
            out[f"{name}__contains"] = {"type": "string",
                                        "description": f"`{name}` contains the text."}
        out[f"{name}__empty"] = {"type": "boolean", "description": f"`true`: `{name}` is empty "
                                 "(null); `false`: it has a value."}
    return out


def _entity_schemas(kernel, tenant: str, entity: Entity) -> tuple[dict, dict]:
    """Component schemas of one entity and what its list endpoint needs to know."""
    labels = _labels(entity)
    marsh = entity.schema()
    inp = schema_properties(marsh, for_input=True)
    shown = {name: field for name, field in marsh.fields.items() if not field.load_only}
    columns = _columns(entity, shown)

    record_props = {
        "id": {"type": "integer", "readOnly": True, "description": "The record's id."},
        "version": {"type": "integer", "minimum": 1, "readOnly": True,
                    "description": "Optimistic-lock counter; the ETag. Send it back in "
                                   "`If-Match` when you update."},
        "created_at": {"type": "string", "format": "date-time", "readOnly": True},
        "updated_at": {"type": "string", "format": "date-time", "readOnly": True},
        "owner_id": {"type": ["integer", "null"], "description": "The user who owns it."},
        "team_id": {"type": ["integer", "null"], "description": "The team it belongs to."},
    }
    by_column = {name: record_props[name] for name in SYSTEM_FIELDS}
    required = list(SYSTEM_FIELDS)
    for name, field in shown.items():
        column = columns.get(name)
        # A stored value may be null although input may not send null (a nullable column,
        # or a field no column backs), so the record says so.
        nullable = field.allow_none or column is None or column.null
        key = field.data_key or name
        record_props[key] = by_column[name] = field_schema(field, nullable=nullable)
        if field.required:
            required.append(key)
    from .related import related_for

    for rel in related_for(entity):   # values kept outside the entity's table
        for name, field in rel.fields.items():
            record_props[name] = field_schema(field, nullable=False)
            inp["properties"][name] = field_schema(field, with_default=True)
    extra = custom_field_properties(kernel, tenant, entity)
    record_props.update(extra)
    inp["properties"].update(extra)

    common = {"x-entity": entity.id, "x-title-field": entity.title_field}
    record = {
        "type": "object", "title": labels["en"], "x-label-fa": labels["fa"],
        "description": f"A{labels['a_en'][1:]} record of the `{entity.plugin}` plugin, as "
                       f"the API returns it. It is named by `{entity.title_field}`.",
        **common,
        "properties": record_props,
        "required": required,
    }
    strict = getattr(marsh, "unknown", RAISE) == RAISE
    create = {
        "type": "object", "title": f"New {labels['en']}", "x-label-fa": f"{labels['fa']} جدید",
        "description": f"What to send to create {labels['a_en']}: unknown fields are "
                       "refused." if strict else f"What to send to create {labels['a_en']}.",
        **common,
        "properties": inp["properties"],
    }
    if inp["required"]:
        create["required"] = inp["required"]
    if strict:
        create["additionalProperties"] = False
    patch = {k: v for k, v in create.items() if k != "required"}
    patch["title"] = f"{labels['en']} changes"
    patch["x-label-fa"] = f"تغییرات {labels['fa']}"
    patch["description"] = (f"The fields of {labels['a_en']} to change; the others keep their "
                            "values. Every field is optional here.")
    schemas = {entity.id: record, f"{entity.id}.input": create, f"{entity.id}.patch": patch}
    return schemas, {"columns": columns, "by_column": by_column,
                     "outputs": list(record_props)}


def _entity_paths(entity: Entity, info: dict) -> dict:
    from .api import MAX_LIMIT

    labels = _labels(entity)
    base = f"/api/v1/{entity.plugin}/{entity.plural}"
    op = f"{entity.plugin}_{entity.name}"
    tags = [entity.plugin]
    record = _ref(entity.id)
    etag = {"ETag": {"$ref": "#/components/headers/ETag"}}
    sortable = list(info["columns"])
    filters = _filter_properties(info["by_column"], info["columns"])
    if f"{entity.title_field}__contains" in filters:
        example, example_value = f"{entity.title_field}__contains=…", "…"
    else:
        example, example_value = "id__gte=100", 100
    list_params = [
        {"name": "limit", "in": "query", "description": "Rows per page.",
         "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 50}},
        {"name": "cursor", "in": "query", "description": "The `next_cursor` of the previous "
         "page; leave it out for the first page.", "schema": {"type": "string"}},
        {"name": "sort", "in": "query", "description": "A field to sort on; prefix `-` for "
         "descending. Ties are broken by id.",
         "schema": {"type": "string", "default": entity.default_sort,
                    "enum": [*sortable, *[f"-{n}" for n in sortable]]}},
        {"name": "fields", "in": "query", "style": "form", "explode": False,
         "description": "Comma-separated fields to return; rows then carry only `id` and "
                        "these.",
         "schema": {"type": "array", "items": {"type": "string",
                                               "enum": info["outputs"]}}},
        {"name": "total", "in": "query", "description": "`true`: also count every matching "
         "record (`total`).", "schema": {"type": "boolean", "default": False}},
        {"name": "trash", "in": "query", "description": "`true`: list the trash (deleted, "
         "restorable records) instead.", "schema": {"type": "boolean", "default": False}},
        {"name": "tag", "in": "query", "style": "form", "explode": True,
         "description": "Only records carrying this tag (its name, compared with Persian and "
                        "Arabic letters and case folded); repeat it for records carrying all of "
                        "several (`?tag=VIP&tag=تهران`). An unknown tag matches nothing.",
         "schema": {"type": "array", "items": {"type": "string"}}},
        {"name": "filter", "in": "query", "style": "form", "explode": True,
         "description": (
             "Filters, each its own query parameter, all of which must hold: `field=value` "
             "(equals), `field__in=a,b` (one of), `field__gte=`, `field__lte=`, `field__gt=`, "
             "`field__lt=` (compare), `field__contains=` (text contains), `field__empty=true` "
             "or `false` (is null / has a value). Any of the fields below, e.g. "
             f"`?{example}`. An unknown field or operator answers 422."),
         "x-filter-operators": ["in", "gte", "lte", "gt", "lt", "contains", "empty"],
         "schema": {"type": "object", "properties": filters, "additionalProperties": False},
         # Named examples, the first empty: Swagger UI's "Try it out" then starts with no
         # filter instead of a sample of every key.
         "examples": {"none": {"summary": "No filter", "value": {}},
                      "example": {"summary": example.split("=")[0],
                                  "value": {example.split("=")[0]: example_value}}}},
    ]
    restore_days = ("Deleted records stay restorable for `PEYVAND_TRASH_DAYS` days "
                    "(30 by default).")
    return {
        base: {
            "get": {
                "operationId": f"{op}_list", "tags": tags,
                "summary": f"List {labels['en_plural']}",
                "x-label-fa": f"فهرست {labels['fa_plural']}",
                "description": "One page of records, by keyset pagination: follow "
                               "`next_cursor` until it is null.",
                "parameters": list_params,
                "responses": {
                    "200": _response(f"A page of {labels['en_plural']}.", {
                        "type": "object", "required": ["data", "next_cursor"],
                        "properties": {
                            "data": {"type": "array", "items": record,
                                     "description": "With `fields`, each row carries only "
                                                    "`id` and the fields asked for."},
                            "next_cursor": {"type": ["string", "null"],
                                            "description": "Pass as `cursor` for the next "
                                                           "page; null on the last page."},
                            "total": {"type": "integer", "minimum": 0,
                                      "description": "Only with `total=true`."},
                        }}),
                    "422": {"$ref": "#/components/responses/Invalid"},
                },
            },
            "post": {
                "operationId": f"{op}_create", "tags": tags,
                "summary": f"Create {labels['a_en']}",
                "x-label-fa": f"ایجاد {labels['fa']}",
                "description": "Validates and saves a new record in one transaction. With an "
                               "`Idempotency-Key`, a retry of the same request answers the "
                               "record the first one made (200) instead of creating another.",
                "parameters": [{"$ref": "#/components/parameters/IdempotencyKey"}],
                "requestBody": _json_body(_ref(f"{entity.id}.input"),
                                          f"The new {labels['en']}."),
                "responses": {
                    "201": _response("Created.", record, {
                        **etag, "Location": {"description": "The new record's URL.",
                                             "schema": {"type": "string"}}}),
                    "200": _response("Already created earlier with this Idempotency-Key.",
                                     record, etag),
                    "422": {"$ref": "#/components/responses/Invalid"},
                },
            },
        },
        f"{base}/{{id}}": {
            "parameters": [{"$ref": "#/components/parameters/RecordId"}],
            "get": {
                "operationId": f"{op}_get", "tags": tags,
                "summary": f"Get one {labels['en']}",
                "x-label-fa": f"دریافت {labels['fa']}",
                "responses": {
                    "200": _response(f"The {labels['en']}; its version is the ETag.", record,
                                     etag),
                    "404": {"$ref": "#/components/responses/NotFound"},
                },
            },
            "patch": {
                "operationId": f"{op}_update", "tags": tags,
                "summary": f"Update {labels['a_en']}",
                "x-label-fa": f"ویرایش {labels['fa']}",
                "description": "Changes only the fields sent. Send the ETag you read as "
                               "`If-Match`: if someone changed the record since, the answer is "
                               "412 and nothing is written.",
                "parameters": [{"$ref": "#/components/parameters/IfMatch"}],
                "requestBody": _json_body(_ref(f"{entity.id}.patch"), "The fields to change."),
                "responses": {
                    "200": _response("Updated (or unchanged).", record, etag),
                    "404": {"$ref": "#/components/responses/NotFound"},
                    "412": {"$ref": "#/components/responses/PreconditionFailed"},
                    "422": {"$ref": "#/components/responses/Invalid"},
                },
            },
            "delete": {
                "operationId": f"{op}_delete", "tags": tags,
                "summary": f"Move {labels['a_en']} to the trash",
                "x-label-fa": f"انتقال {labels['fa']} به سطل بازیافت",
                "description": restore_days,
                "responses": {
                    "204": {"description": "Moved to the trash."},
                    "404": {"$ref": "#/components/responses/NotFound"},
                },
            },
        },
        f"{base}/{{id}}/restore": {
            "parameters": [{"$ref": "#/components/parameters/RecordId"}],
            "post": {
                "operationId": f"{op}_restore", "tags": tags,
                "summary": f"Restore {labels['a_en']} from the trash",
                "x-label-fa": f"بازگردانی {labels['fa']} از سطل بازیافت",
                "description": restore_days,
                "responses": {
                    "200": _response("Restored (or was not deleted).", record, etag),
                    "404": {"$ref": "#/components/responses/NotFound"},
                },
            },
        },
    }


def _kernel_paths(entity_ids: list[str]) -> dict:
    def data_of(schema: dict) -> dict:
        return {"type": "object", "required": ["data"],
                "properties": {"data": {"type": "array", "items": schema}}}

    tags = ["peyvand"]
    return {
        "/api/v1/plugins": {"get": {
            "operationId": "peyvand_plugins", "tags": tags,
            "summary": "List installed plugins", "x-label-fa": "فهرست افزونه‌ها",
            "description": "Every installed plugin with its state for this tenant.",
            "responses": {"200": _response("The plugins.", data_of(_ref("peyvand.plugin")))},
        }},
        "/api/v1/search": {"get": {
            "operationId": "peyvand_search", "tags": tags,
            "summary": "Search every enabled plugin", "x-label-fa": "جستجوی سراسری",
            "description": "Hits from every enabled plugin's `search` hook, best first.",
            "parameters": [
                {"name": "q", "in": "query", "required": True,
                 "schema": {"type": "string", "minLength": 1},
                 "description": "The text to look for."},
                {"name": "limit", "in": "query", "description": "The most hits to answer.",
                 "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
            ],
            "responses": {
                "200": _response("The hits.", data_of(_ref("peyvand.search_hit"))),
                "422": {"$ref": "#/components/responses/Invalid"},
            },
        }},
        "/api/v1/audit": {"get": {
            "operationId": "peyvand_audit", "tags": tags,
            "summary": "A record's audit trail", "x-label-fa": "تاریخچه تغییرات یک رکورد",
            "description": "Who changed which field of the record, when and through what, "
                           "newest first.",
            "parameters": [
                {"name": "entity", "in": "query", "required": True,
                 "description": "The entity id, `<plugin>.<name>`.",
                 "schema": {"type": "string", "enum": entity_ids} if entity_ids
                 else {"type": "string"}},
                {"name": "id", "in": "query", "required": True,
                 "description": "The record's id.", "schema": {"type": "integer"}},
            ],
            "responses": {
                "200": _response("The audit rows.", data_of(_ref("peyvand.audit_entry"))),
                "422": {"$ref": "#/components/responses/Invalid"},
            },
        }},
        "/api/v1/openapi.json": {"get": {
            "operationId": "peyvand_openapi", "tags": tags,
            "summary": "This document", "x-label-fa": "همین سند",
            "description": "The OpenAPI 3.1 description of this tenant's API: it changes as "
                           "plugins are enabled or disabled. Browse it at `/api/docs`.",
            "responses": {"200": _response("An OpenAPI 3.1 document.", {"type": "object"})},
        }},
        **_tag_paths(tags, data_of),
    }


def _tag_paths(tags: list, data_of) -> dict:
    tag = {"type": "object", "required": ["id", "name", "colour"], "properties": {
        "id": {"type": "integer", "readOnly": True},
        "name": {"type": "string", "minLength": 1, "maxLength": 50,
                 "description": "Unique once Persian/Arabic letters, digits, ZWNJ, spacing and "
                                "case are folded."},
        "colour": {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$",
                   "description": "`#rrggbb`; left out on create, one of a palette."}}}
    body = {"type": "object", "additionalProperties": False,
            "properties": {k: tag["properties"][k] for k in ("name", "colour")}}
    manage = ("Needs the permission `peyvand.tags.manage` (admins by default). Records are "
              "tagged through their own `tags` field.")
    invalid = {"$ref": "#/components/responses/Invalid"}
    return {
        "/api/v1/tags": {
            "get": {"operationId": "peyvand_tags", "tags": tags, "summary": "List the tags",
                    "x-label-fa": "فهرست برچسب‌ها",
                    "description": "Every tag of the tenant, by name (any user).",
                    "responses": {"200": _response("The tags.", data_of(tag))}},
            "post": {"operationId": "peyvand_tag_create", "tags": tags,
                     "summary": "Create a tag", "x-label-fa": "ساختن برچسب",
                     "description": manage,
                     "requestBody": _json_body({**body, "required": ["name"]}, "The tag."),
                     "responses": {"201": _response("Created.", tag), "422": invalid}},
        },
        "/api/v1/tags/{id}": {
            "parameters": [{"name": "id", "in": "path", "required": True,
                            "schema": {"type": "integer"}}],
            "patch": {"operationId": "peyvand_tag_update", "tags": tags,
                      "summary": "Rename or recolour a tag", "x-label-fa": "ویرایش برچسب",
                      "description": manage,
                      "requestBody": _json_body(body, "What to change."),
                      "responses": {"200": _response("The tag.", tag), "422": invalid}},
            "delete": {"operationId": "peyvand_tag_delete", "tags": tags,
                       "summary": "Delete a tag", "x-label-fa": "حذف برچسب",
                       "description": manage + " The tag is taken off every record.",
                       "responses": {"204": {"description": "Deleted."}}},
        },
    }


def _kernel_components() -> dict:
    from .kernel import STATES

    text = {"type": "object", "additionalProperties": {"type": "string"},
            "description": "By language: `{\"en\": ..., \"fa\": ...}`."}
    error = {"type": "object", "required": ["error", "message"],
             "properties": {"error": {"type": "string"}, "message": {"type": "string"}}}
    schemas = {
        "peyvand.error": {**error, "title": "Error", "x-label-fa": "خطا"},
        "peyvand.validation_errors": {
            "type": "object", "title": "Validation errors", "x-label-fa": "خطاهای اعتبارسنجی",
            "description": "Messages per field; `_schema` holds those about the whole body.",
            "required": ["errors"],
            "properties": {"errors": {"type": "object", "additionalProperties": {
                "type": "array", "items": {"type": "string"}}}},
            "example": {"errors": {"last_name": ["Shorter than minimum length 1."]}},
        },
        "peyvand.plugin": {
            "type": "object", "title": "Plugin", "x-label-fa": "افزونه",
            "required": ["name", "version", "state"],
            "properties": {
                "name": {"type": "string"},
                "version": {"type": ["string", "null"]},
                "distribution": {"type": ["string", "null"]},
                "state": {"type": "string", "enum": list(STATES)},
                "label": text, "description": text,
                "requires": {"type": "object", "additionalProperties": {"type": "string"},
                             "description": "Required plugins and their version ranges."},
                "provides": {"type": "array", "items": {"type": "string"}},
                "requires_capability": {"type": "array", "items": {"type": "string"}},
                "hooks": {"type": "array", "items": {"type": "string"}},
                "error": {"type": ["string", "null"],
                          "description": "Why it failed to load, if it did."},
            },
        },
        "peyvand.search_hit": {
            "type": "object", "title": "Search hit", "x-label-fa": "نتیجه جستجو",
            "required": ["entity", "id", "title", "score"],
            "properties": {
                "entity": {"type": "string"}, "id": {"type": "integer"},
                "title": {"type": "string"}, "subtitle": {"type": ["string", "null"]},
                "subtitle_field": {"type": "string", "description":
                                   "The entity's field the subtitle is the value of."},
                "score": {"type": "number"},
            },
        },
        "peyvand.audit_entry": {
            "type": "object", "title": "Audit entry", "x-label-fa": "ردیف تاریخچه",
            "required": ["at", "via", "action", "changes"],
            "properties": {
                "at": {"type": "string", "format": "date-time"},
                "user": {"type": ["string", "null"]},
                "via": {"type": "string"},
                "action": {"type": "string",
                           "examples": ["create", "update", "delete", "restore"]},
                "changes": {"type": "object", "description": "`{field: [old, new]}`.",
                            "additionalProperties": {"type": "array", "minItems": 2,
                                                     "maxItems": 2}},
            },
        },
    }
    responses = {
        "NotFound": _response("No such record (or it is in the trash).",
                              _ref("peyvand.error"),
                              example=_error("Not Found", "contacts.person 17 does not exist")),
        "PreconditionFailed": _response(
            "`If-Match` names an older version: someone changed the record. Reload it and "
            "apply your change again.", _ref("peyvand.error"),
            example=_error("Precondition Failed", "contacts.person 17 was changed by someone "
                           "else (version 4, you sent 3); reload it and apply your change "
                           "again")),
        "Invalid": _response("Invalid input; nothing was written.",
                             _ref("peyvand.validation_errors")),
        "Unauthorized": _response(
            "No valid API token was sent.", _ref("peyvand.error"),
            {"WWW-Authenticate": {"schema": {"type": "string"},
                                  "description": "`Bearer realm=\"peyvand\"`"}},
            example=_error("Unauthorized", "send a valid API token as `Authorization: Bearer "
                           "<token>`")),
        "Forbidden": _response("The token's user may not do this.", _ref("peyvand.error"),
                               example=_error("Forbidden", "your roles (salesperson) may "
                                              "not delete contacts.person; an admin can "
                                              "grant it")),
    }
    parameters = {
        "RecordId": {"name": "id", "in": "path", "required": True,
                     "schema": {"type": "integer", "minimum": 1}},
        "IfMatch": {"name": "If-Match", "in": "header", "required": False,
                    "description": "The ETag you read, e.g. `\"3\"`: the update is refused "
                                   "(412) if the record has changed since.",
                    "schema": {"type": "string"}, "example": "\"1\""},
        "IdempotencyKey": {"name": "Idempotency-Key", "in": "header", "required": False,
                           "description": "A unique key (e.g. a UUID) that makes retrying "
                                          "this create safe.",
                           "schema": {"type": "string", "minLength": 1, "maxLength": 200}},
    }
    headers = {"ETag": {"description": "The record's version, quoted (`\"3\"`).",
                        "schema": {"type": "string"}}}
    security = {"bearerToken": {
        "type": "http", "scheme": "bearer",
        "description": "An API token: `Authorization: Bearer <token>`. Create one with "
                       "`peyvand tokens create USER`; tokens expire and can be revoked."}}
    return {"schemas": schemas, "responses": responses, "parameters": parameters,
            "headers": headers, "securitySchemes": security}


HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _add_plugin_paths(kernel, tenant: str, enabled, paths: dict, schemas: dict) -> None:
    """Merge what enabled plugins return from ``register_openapi`` into ``paths`` and
    ``schemas``; a path outside ``/api/v1/<plugin>/``, or one already there, is refused."""
    def shape(path: str) -> str:  # /a/{id} and /a/{record_id} are the same path
        return re.sub(r"\{[^}/]*\}", "{}", path)

    owners = {shape(path): "the kernel" for path in paths}
    schema_owners = {name: "the kernel" for name in schemas}
    for plugin, fragment in kernel.collect("register_openapi", enabled, tenant=tenant):
        if not isinstance(fragment, Mapping) or not set(fragment) <= {"paths", "schemas"}:
            raise PluginError(f"plugin {plugin!r}: register_openapi must return a list of "
                              "dicts with \"paths\" (and optionally \"schemas\")")
        fragment = copy.deepcopy(dict(fragment))
        prefix = f"/api/v1/{plugin}/"
        for path, item in (fragment.get("paths") or {}).items():
            if not isinstance(path, str) or not path.startswith(prefix) or path == prefix:
                raise PluginError(f"plugin {plugin!r} describes the path {path!r} in the API "
                                  f"document: a plugin may only describe paths under "
                                  f"{prefix}")
            if shape(path) in owners:
                raise PluginError(f"plugin {plugin!r} describes the path {path!r}, which "
                                  f"{owners[shape(path)]} already describes in the API "
                                  "document")
            if not isinstance(item, Mapping) or not any(m in item for m in HTTP_METHODS):
                raise PluginError(f"plugin {plugin!r}: the path {path!r} has no operation "
                                  "(get, post, …)")
            for method, operation in item.items():
                if method in HTTP_METHODS:
                    operation.setdefault("tags", [plugin])
                    operation.setdefault("responses", {})
            owners[shape(path)] = f"plugin {plugin!r}"
            paths[path] = dict(item)
        for name, schema in (fragment.get("schemas") or {}).items():
            if not isinstance(name, str) or not name.startswith(f"{plugin}."):
                raise PluginError(f"plugin {plugin!r}: the schema {name!r} of its API "
                                  f"document must be named \"{plugin}.<name>\"")
            if name in schema_owners:
                raise PluginError(f"plugin {plugin!r}: the schema {name!r} is already in the "
                                  f"API document (from {schema_owners[name]})")
            schema_owners[name] = f"plugin {plugin!r}"
            schemas[name] = schema


def build_document(kernel, tenant: str) -> dict:
    """Build (uncached) the OpenAPI 3.1 document for ``tenant``."""
    entities = sorted(kernel.entities(tenant).values(), key=lambda e: e.id)
    components = _kernel_components()
    paths = _kernel_paths([e.id for e in entities])
    enabled = kernel.enabled(tenant)
    plugins = sorted((kernel.records[n] for n in kernel.order if n in enabled),
                     key=lambda r: not r.internal)  # the kernel's tag first, then dependency order
    tags = []
    for record in plugins:
        label = dict(record.manifest.label) if record.manifest else {}
        description = dict(record.manifest.description) if record.manifest else {}
        tag = {"name": record.name,
               "description": " — ".join(filter(None, [label.get("en"),
                                                       description.get("en")]))}
        if label.get("fa"):
            tag["x-label-fa"] = label["fa"]
        tags.append(tag)
    for entity in entities:
        schemas, info = _entity_schemas(kernel, tenant, entity)
        components["schemas"].update(schemas)
        paths.update(_entity_paths(entity, info))
    _add_plugin_paths(kernel, tenant, enabled, paths, components["schemas"])
    for item in paths.values():  # every /api/v1 route needs a token and may be refused
        for method, operation in item.items():
            if method in HTTP_METHODS and operation.get("security") != []:
                operation["responses"].setdefault(
                    "401", {"$ref": "#/components/responses/Unauthorized"})
                operation["responses"].setdefault(
                    "403", {"$ref": "#/components/responses/Forbidden"})
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Peyvand CRM API",
            "x-label-fa": "رابط برنامه‌نویسی پیوند",
            "version": __version__,
            "description": (
                "The REST API of this Peyvand tenant. Every record type of an enabled plugin "
                "has the same operations: list (cursor pages, sorting, sparse fields, "
                "filters), get, create, update with optimistic locking (`If-Match`), delete "
                "to the trash and restore. Every call needs an API token "
                "(`Authorization: Bearer <token>`). Invalid input answers 422 with "
                "`{\"errors\": {field: [message]}}` and writes nothing; each request is one "
                "transaction. This document lists only the plugins enabled for the tenant."),
            "x-plugins": {r.name: r.version for r in plugins if not r.internal},
        },
        "security": [{"bearerToken": []}],
        "tags": tags,
        "paths": paths,
        "components": components,
    }
