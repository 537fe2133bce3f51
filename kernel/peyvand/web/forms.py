"""Forms and value display generated from an entity's marshmallow schema.

Each schema field (custom fields included) gets a :class:`FieldMeta`: its kind of input, label,
choices, length limit and, for a link to another entity, that entity. Forms are rendered from
it, submitted text is turned back into the values the schema expects (Persian digits, Jalali
dates and grouped numbers accepted), and stored values are shown in the user's language,
digits and calendar.
"""

from __future__ import annotations

import decimal
import json
from dataclasses import dataclass, field

import peewee
from markupsafe import Markup, escape
from marshmallow import fields as mf
from marshmallow import validate

from . import i18n
from .i18n import _

TEXTAREA_OVER = 500
SELECT_LIMIT = 200
SYSTEM_LABELS = {
    "id": i18n.N_("Number"),
    "created_at": i18n.N_("Created"),
    "updated_at": i18n.N_("Updated"),
    "owner_id": i18n.N_("Owner"),
    "team_id": i18n.N_("Team"),
    "version": i18n.N_("Version"),
}


@dataclass
class FieldMeta:
    name: str
    kind: str                      # text textarea email tel select checkbox checkboxes json
    #                                integer decimal date datetime link
    label: dict | None = None      # {"en", "fa"} when the field names its own label
    required: bool = False
    allow_none: bool = True
    max_length: int | None = None
    choices: tuple = ()
    link_entity: str | None = None  # entity id a link/foreign key points to
    custom: bool = False
    items: object = None           # related data (kind "related"): value -> items or None
    labels: object = None          # the entity's value_labels: rows -> a label per row
    label_uses: tuple = ()         # other fields those rows must carry
    link_entity_field: str | None = None  # Entity.record_links: the field naming the entity

    def title(self) -> str:
        if self.label:
            return i18n.label(self.label, self.name)
        return i18n.gettext(i18n.humanize(self.name, link=self.kind == "link"))


@dataclass
class FormField:
    meta: FieldMeta
    value: object = ""
    errors: list = field(default_factory=list)
    read_only: bool = False
    options: list | None = None    # [(value, label)] for selects
    link_title: str | None = None

    @property
    def name(self):
        return self.meta.name

    @property
    def kind(self):
        if self.meta.kind == "link" and self.options is not None:
            return "select"
        return self.meta.kind


def _validator(schema_field, kind):
    for v in getattr(schema_field, "validators", ()):
        if isinstance(v, kind):
            return v
    return None


def field_meta(entity, service, entities: dict) -> list[FieldMeta]:
    """The :class:`FieldMeta` of every schema field of ``service``, in schema order."""
    by_model = {e.model: eid for eid, e in entities.items()}
    value_labels = getattr(entity, "value_labels", None) or {}
    out = []
    for name, sf in service.schema.fields.items():
        if sf.dump_only:
            continue
        rel = service.related_by_field.get(name)
        if rel is not None:  # lists kept outside the table: shown, edited by their own pages
            out.append(FieldMeta(name=name, kind="related", label=sf.metadata.get("label"),
                                 items=lambda value, rel=rel, name=name:
                                 rel.display_items(name, value)))
            continue
        custom = service.custom_by_key.get(name)
        meta = FieldMeta(name=name, kind="text", required=bool(sf.required),
                         allow_none=bool(sf.allow_none), custom=custom is not None)
        if custom is not None:
            meta.label = {k: v for k, v in custom.label.items() if v}
        elif isinstance(sf.metadata.get("label"), dict):
            meta.label = dict(sf.metadata["label"])
        length = _validator(sf, validate.Length)
        one_of = _validator(sf, validate.OneOf)
        model_field = service.model._meta.columns.get(name) or service.model._meta.fields.get(name)
        if isinstance(sf, mf.Boolean):
            meta.kind = "checkbox"
        elif isinstance(sf, mf.List) and _validator(sf.inner, validate.OneOf) is not None:
            meta.kind = "checkboxes"
            meta.choices = tuple(_validator(sf.inner, validate.OneOf).choices)
        elif isinstance(sf, mf.List | mf.Dict | mf.Nested):
            # A structure (a pipeline's stages…): edited as the API's JSON.
            meta.kind = "json"
        elif isinstance(sf, mf.Date):
            meta.kind = "date"
        elif isinstance(sf, mf.DateTime):
            meta.kind = "datetime"
        elif isinstance(sf, mf.Decimal | mf.Float):
            meta.kind = "decimal"
        elif isinstance(sf, mf.Integer):
            meta.kind = "integer"
            if isinstance(model_field, peewee.ForeignKeyField) and \
                    model_field.rel_model in by_model:
                meta.kind, meta.link_entity = "link", by_model[model_field.rel_model]
            elif custom is not None and custom.type == "link" and custom.link_entity:
                meta.kind, meta.link_entity = "link", custom.link_entity
        elif one_of is not None:
            meta.kind = "select"
            meta.choices = tuple(one_of.choices)
        elif name == "email" or name.endswith("_email"):
            meta.kind = "email"
        elif name in ("phone", "mobile") or name.endswith("_phone"):
            meta.kind = "tel"
        else:
            max_length = length.max if length is not None else None
            if isinstance(model_field, peewee.TextField) or (max_length or 0) > TEXTAREA_OVER \
                    or (custom is not None and custom.type == "long_text"):
                meta.kind = "textarea"
        if length is not None and length.max is not None:
            meta.max_length = length.max
        if name in (getattr(entity, "record_links", None) or {}):
            meta.link_entity_field = entity.record_links[name]
        labels = value_labels.get(name)
        if isinstance(labels, dict):
            meta.labels, meta.label_uses = labels.get("labels"), tuple(labels.get("uses") or ())
        elif callable(labels):
            meta.labels = labels
        out.append(meta)
    return out


def choice_label(value) -> str:
    """A stored choice (``"former_customer"``) as the user reads it (catalogued)."""
    if value in (None, ""):
        return ""
    return i18n.gettext(i18n.humanize(str(value)))


def system_label(name: str) -> str:
    return i18n.gettext(SYSTEM_LABELS[name]) if name in SYSTEM_LABELS else \
        i18n.gettext(i18n.humanize(name))


# -- showing values ----------------------------------------------------------------------------

DASH = Markup('<span class="muted">—</span>')


def _time(value, text: str) -> Markup:
    return Markup('<time datetime="' + str(escape(value)) + '">' + str(escape(text)) + "</time>")


def value_labels(meta: FieldMeta | None, rows: list[dict]) -> list | None:
    """The labels the entity's ``value_labels`` gives field ``meta`` for ``rows`` (one per
    row, ``None`` where it has none), in the user's language; ``None`` without such labels."""
    if meta is None or meta.labels is None or not rows:
        return None
    try:
        found = list(meta.labels(rows) or ())
    except Exception:
        from flask import current_app

        if current_app.extensions["peyvand"].settings.strict_plugins:
            raise
        return None     # a plugin's broken labels show the stored keys, not an error page
    out = []
    for index in range(len(rows)):
        text = found[index] if index < len(found) else None
        if isinstance(text, dict):
            text = i18n.label(text) or None
        out.append(str(text) if text not in (None, "") else None)
    return out


def display(meta: FieldMeta | None, name: str, value, row: dict, titles: dict | None = None,
            link=None, mode: str = "full", shown: str | None = None):
    """``value`` of field ``name`` as safe HTML in the user's language, digits and calendar.

    ``mode``: ``"full"`` (record pages: a list one item per line), ``"cell"`` (list pages:
    compact) or ``"inline"`` (the history: one line). ``shown``: the value's label from the
    entity's ``value_labels`` (:func:`value_labels`), shown instead of the stored key."""
    if value is None or value == "" or value == []:
        return DASH
    if shown is not None:
        return Markup("<bdi>") + escape(shown) + Markup("</bdi>")
    if name in ("created_at", "updated_at"):
        return _time(value, i18n.datetime_text(value))
    kind = meta.kind if meta else ("integer" if isinstance(value, int) else "text")
    if kind == "related":
        items = meta.items(value) if meta.items is not None else None
        if items is None:
            return structured(value, mode)
        return related_items(items, mode)
    if kind == "checkboxes" and isinstance(value, list) and all(_simple(v) for v in value):
        comma = "، " if i18n.current_language() == "fa" else ", "
        return escape(comma.join(choice_label(v) for v in value))
    if isinstance(value, list | dict):  # never Python's text of a structure
        return structured(value, mode)
    if kind in ("text", "textarea"):
        return escape(value)
    if kind in ("email", "tel"):
        shown = i18n.digits(value) if kind == "tel" else value
        return Markup('<bdi dir="ltr">' + str(escape(shown)) + "</bdi>")
    if kind == "checkbox":
        return escape(_("Yes") if value else _("No"))
    if kind == "select":
        return escape(choice_label(value))
    if kind == "date":
        return _time(value, i18n.date_text(value))
    if kind == "datetime":
        return _time(value, i18n.datetime_text(value))
    if kind == "decimal":
        if "currency" in row and row.get("currency"):
            return escape(i18n.amount(value, row["currency"]))
        return escape(i18n.number(value))
    if kind == "link" or (meta is not None and meta.link_entity_field and titles):
        title = (titles or {}).get(value)
        text = title if title else "#" + i18n.digits(value)
        if link is not None and title is not None:
            return Markup('<a href="' + str(escape(link(value))) + '">' + str(escape(text))
                          + "</a>")
        return escape(text)
    if kind == "integer":
        return escape(i18n.number(value))
    return escape(value)


# -- lists and structures ----------------------------------------------------------------------

SAFE_LINKS = ("tel:", "mailto:", "http:", "https:")


def _comma() -> str:
    return "، " if i18n.current_language() == "fa" else ", "


def _joined(parts, separator: str | None = None) -> Markup:
    """``parts`` (isolated values) joined, in a run of the page's direction: a ``dir="auto"``
    element around them finds no letter outside their isolates, and would lay them out
    left-to-right in Persian."""
    parts = list(parts)
    joined = Markup(separator if separator is not None else _comma()).join(parts)
    if len(parts) < 2:
        return joined
    return Markup('<span dir="%s">') % i18n.direction() + joined + Markup("</span>")


def _simple(value) -> bool:
    return not isinstance(value, list | dict)


def _item_value(item: dict) -> Markup | None:
    """One related-data item's value: isolated, in local digits if asked, linked if safe."""
    if "parts" in item:
        parts = [str(p).strip() for p in item.get("parts") or () if p is not None]
        text = _comma().join(p for p in parts if p)
    else:
        text = str(item.get("text") if item.get("text") is not None else "").strip()
    if not text:
        return None
    if item.get("digits"):
        text = i18n.digits(text)
    value = Markup('<bdi dir="ltr">' if item.get("ltr") else "<bdi>") + escape(text) \
        + Markup("</bdi>")
    href = str(item.get("href") or "")
    if href and href.lower().startswith(SAFE_LINKS):
        value = Markup('<a href="%s">%s</a>') % (href, value)
    return value


def related_items(items, mode: str = "full") -> Markup:
    """Items of :meth:`peyvand.related.RelatedData.display_items` as HTML: one per line
    (``full``), the primary and "+N" (``cell``), or on one line (``inline``)."""
    shown = []
    for item in sorted((i for i in items or () if isinstance(i, dict)),
                       key=lambda i: not i.get("primary")):
        value = _item_value(item)
        if value is not None:
            shown.append((item, value))
    if not shown:
        return DASH
    if mode == "cell":
        out = shown[0][1]
        if len(shown) > 1:
            out += Markup(' <bdi dir="ltr" class="more muted">+') \
                + escape(i18n.digits(len(shown) - 1)) + Markup("</bdi>")
        return out
    if mode == "inline":
        parts = []
        for item, value in shown:
            if item.get("label"):
                value += Markup(" (") + escape(item["label"]) + Markup(")")
            parts.append(value)
        return _joined(parts, "؛ " if i18n.current_language() == "fa" else "; ")
    mark = len(shown) > 1
    lines = []
    for item, value in shown:
        line = Markup('<li class="item%s">') % (" is-primary" if item.get("primary") else "")
        line += value
        if item.get("label"):
            line += Markup(' <span class="item-type">') + escape(item["label"]) \
                + Markup("</span>")
        if mark and item.get("primary"):
            line += Markup(' <span class="badge item-primary">') + escape(_("Primary")) \
                + Markup("</span>")
        lines.append(line + Markup("</li>"))
    return Markup('<ul class="items">') + Markup("").join(lines) + Markup("</ul>")


def _scalar(value) -> Markup:
    if value is None or value == "":
        return DASH
    if isinstance(value, bool):
        return escape(_("Yes") if value else _("No"))
    if isinstance(value, int | float | decimal.Decimal):
        return escape(i18n.number(value))
    return Markup("<bdi>") + escape(str(value)) + Markup("</bdi>")


def _pairs(mapping: dict) -> Markup:
    """``Key: value · Key: value`` of a dict (nested ones in brackets)."""
    parts = []
    for key, value in mapping.items():
        if value is None or value == "" or value == [] or value == {}:
            continue
        if isinstance(value, dict):
            shown = Markup("(") + _pairs(value) + Markup(")")
        elif isinstance(value, list):
            shown = _joined(_thing(v) for v in value)
        else:
            shown = _scalar(value)
        parts.append(escape(i18n.gettext(i18n.humanize(str(key)))) + Markup(": ") + shown)
    return Markup(" · ").join(parts)


def _label_of(mapping: dict) -> str | None:
    label = mapping.get("label")
    if isinstance(label, dict):
        return i18n.label(label) or None
    return str(label) if isinstance(label, str) and label else None


def _thing(value) -> Markup:
    """One item of a structured value: a dict by its label (``{"en", "fa"}`` in the user's
    language) and its other values as ``Key: value``; a list comma-separated; else scalar."""
    if isinstance(value, list):
        return _joined(_thing(v) for v in value)
    if not isinstance(value, dict):
        return _scalar(value)
    label = _label_of(value)
    if label is None:
        return _pairs(value)
    rest = _pairs({k: v for k, v in value.items() if k not in ("label", "key", "id")})
    out = Markup("<bdi>") + escape(label) + Markup("</bdi>")
    if rest:
        out += Markup(' <span class="muted">(') + rest + Markup(")</span>")
    return out


def structured(value, mode: str = "full") -> Markup:
    """A list or dict value shown readably, never as Python text: a list one item per line
    (``full``), its first item and "+N" (``cell``), or comma-separated (``inline``)."""
    if isinstance(value, dict):
        return _thing(value) if value else DASH
    items = [v for v in value if v not in (None, "", [], {})]
    if not items:
        return DASH
    if mode == "cell":
        out = _thing(items[0])
        if len(items) > 1:
            out += Markup(' <bdi dir="ltr" class="more muted">+') \
                + escape(i18n.digits(len(items) - 1)) + Markup("</bdi>")
        return out
    if mode == "inline" or all(_simple(v) for v in items):
        return _joined(_thing(v) for v in items)
    return Markup('<ul class="items">') + Markup("").join(
        Markup("<li>") + _thing(v) + Markup("</li>") for v in items) + Markup("</ul>")


def date_cell(value) -> Markup:
    """A stored moment as a local date in a ``<time>`` element (list columns)."""
    if not value:
        return DASH
    return _time(value, i18n.date_text(value))


# -- editing -----------------------------------------------------------------------------------

def input_value(meta: FieldMeta, value):
    """A stored (API-form) value as what its input shows."""
    if value is None:
        return [] if meta.kind == "checkboxes" else ""
    if meta.kind == "date":
        return i18n.date_input_value(value)
    if meta.kind == "datetime":
        return i18n.datetime_text(value)
    if meta.kind == "checkbox":
        return bool(value)
    if meta.kind == "json":
        return json.dumps(value, ensure_ascii=False, indent=2) if value not in ("", None) else ""
    return value


def parse(metas: list[FormField], form, creating: bool) -> tuple[dict, dict]:
    """``(data, errors)``: the submitted ``form`` as the values the schema loads."""
    data, errors = {}, {}
    for ff in metas:
        meta = ff.meta
        if ff.read_only:
            continue
        if meta.kind == "checkbox":
            data[meta.name] = meta.name in form
            continue
        if meta.kind == "checkboxes":
            data[meta.name] = [v for v in form.getlist(meta.name) if v in meta.choices]
            continue
        raw = (form.get(meta.name) or "").strip()
        if raw == "":
            if not creating and (meta.allow_none or meta.required):
                data[meta.name] = None
            elif creating and meta.required:
                data[meta.name] = None  # the schema answers "required" in the user's language
            continue
        try:
            if meta.kind in ("integer", "link"):
                data[meta.name] = _clean_number(raw)
            elif meta.kind == "decimal":
                data[meta.name] = _clean_number(raw, decimal_point=True)
            elif meta.kind == "date":
                data[meta.name] = i18n.parse_date(raw).isoformat()
            elif meta.kind == "datetime":
                data[meta.name] = i18n.parse_datetime(raw).isoformat()
            elif meta.kind == "json":
                try:
                    data[meta.name] = json.loads(raw)
                except ValueError as exc:
                    errors[meta.name] = [_(
                        "This is not valid JSON (line %(line)s, column %(column)s): %(error)s",
                        line=exc.lineno, column=exc.colno, error=exc.msg)]
            else:
                data[meta.name] = raw
        except i18n.DateInputError:
            example = i18n.date_example()
            if meta.kind == "datetime":
                example += " " + i18n.digits("14:30")
            errors[meta.name] = [_("Enter a date like %(example)s.", example=example)]
    return data, errors


def _clean_number(raw: str, decimal_point: bool = False) -> str:
    text = i18n.ascii_digits(raw).replace("٬", "").replace(",", "").replace(" ", "")
    if decimal_point:
        text = text.replace("٫", ".").replace("/", ".")
        try:
            decimal.Decimal(text)
        except decimal.InvalidOperation:
            return raw
    return text


def translated_errors(errors: dict) -> dict[str, list[str]]:
    """``InvalidRecord.errors`` with every message in the user's language."""
    out = {}
    for name, messages in errors.items():
        if isinstance(messages, dict):  # a list field: {index: [messages]}
            flat = [m for sub in messages.values()
                    for m in (sub if isinstance(sub, list) else [sub])]
            out[name] = [i18n.translate_error(m) for m in flat]
        elif isinstance(messages, list):
            out[name] = [i18n.translate_error(m) for m in messages]
        else:
            out[name] = [i18n.translate_error(messages)]
    return out
