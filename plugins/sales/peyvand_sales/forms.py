"""Lead capture forms: what an admin defines, and turning a public submission into a lead.

A form lists the lead fields it asks for (and the admin's custom fields of ``sales.lead``),
each required or not, with an optional label of its own; the lead's source, type, owner and
team; a thank-you message and an optional page to send the visitor to afterwards. It is served
without login at ``/f/<slug>`` (:mod:`.public`), in its own language (Persian right to left, or
English), and :func:`snippet` gives the HTML to paste into a website, which posts to it.

A submission is checked here field by field (messages in the form's language), then created
through the kernel's record service like any lead — the plugin's own checks, scoring, hooks,
events and audit apply — as the system (no user), inside :func:`assignment.intake`: the
form's owner, else the assignment rules, get it; someone already in the contacts (same e-mail
or mobile) is linked instead of duplicated; the owner is told.
"""

from __future__ import annotations

import decimal
import json
import re
import secrets
from html import escape

from marshmallow import Schema, ValidationError, validate, validates_schema
from marshmallow import fields as mf

from peyvand_sdk import custom_fields, find_teams, find_users

from . import options
from .entities import LEAD_TYPES, PURCHASE_TIMINGS
from .models import LeadForm

#: Lead fields a form may ask for, with the kind of input each gets.
LEAD_FIELDS = {
    "first_name": "text", "last_name": "text", "company": "text", "job_title": "text",
    "email": "email", "phone": "tel", "city": "text", "region": "text", "industry": "text",
    "product_interest": "text", "budget": "number", "purchase_timing": "select",
    "title": "text", "notes": "textarea",
}
MAX_LENGTH = {"first_name": 100, "last_name": 100, "company": 200, "job_title": 100,
              "email": 254, "phone": 20, "city": 100, "region": 100, "industry": 100,
              "product_interest": 100, "title": 200, "notes": 5000}
#: A lead needs one of these; a form must ask for at least one.
IDENTIFYING = ("last_name", "company", "email", "phone")
#: The honeypot: a field people never see (hidden by CSS) that bots fill in.
HONEYPOT = "website"
SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,63}$")
LANGUAGES = ("fa", "en")
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


class Text(Schema):
    en = mf.String(validate=validate.Length(max=2000), load_default="")
    fa = mf.String(validate=validate.Length(max=2000), load_default="")


class FieldSchema(Schema):
    name = mf.String(required=True, validate=validate.Length(min=1, max=60))
    required = mf.Boolean(load_default=False)
    label = mf.Nested(Text, load_default=dict)


class FormSchema(Schema):
    title = mf.Nested(Text, required=True)
    slug = mf.String(validate=validate.Regexp(SLUG, error=(
        "3 to 64 letters, digits, - or _ (e.g. contact-us); leave it out for a random one")))
    language = mf.String(load_default="fa", validate=validate.OneOf(LANGUAGES))
    fields = mf.List(mf.Nested(FieldSchema), required=True,
                         validate=validate.Length(min=1, max=40))
    source = mf.String(load_default="web_form", validate=validate.Length(min=1, max=50))
    type = mf.String(load_default="marketing", validate=validate.OneOf(LEAD_TYPES))
    owner_id = mf.Integer(allow_none=True, load_default=None)
    team_id = mf.Integer(allow_none=True, load_default=None)
    thank_you = mf.Nested(Text, load_default=dict)
    redirect_url = mf.Url(allow_none=True, load_default=None, schemes={"http", "https"},
                              require_tld=False, validate=validate.Length(max=500))
    enabled = mf.Boolean(load_default=True)
    notify_owner = mf.Boolean(load_default=True)

    @validates_schema
    def _title(self, data, **kwargs):
        if "title" not in data:
            return                  # a partial change; the route checks the stored title
        title = data.get("title") or {}
        if not (title.get(data.get("language", "fa")) or "").strip():
            raise ValidationError("give the title in the form's language", "title")


def _custom() -> dict:
    return {d.key: d for d in custom_fields("sales.lead")}


def check(document: dict, current: LeadForm | None = None) -> dict:
    """``{field: [message]}`` for what the schema cannot see: field names, the source, the
    owner and team, a slug in use."""
    errors: dict = {}
    custom = _custom()
    names = [f["name"] for f in document.get("fields", [])]
    for i, name in enumerate(names):
        if name not in LEAD_FIELDS and name not in custom:
            known = ", ".join([*LEAD_FIELDS, *custom])
            errors[f"fields.{i}.name"] = [f"{name!r} is not a lead field; use one of {known}"]
    if len(names) != len(set(names)):
        errors["fields"] = ["each field once"]
    elif "fields" in document and not set(IDENTIFYING) & set(names):
        errors["fields"] = [f"ask for at least one of {', '.join(IDENTIFYING)}: a lead needs "
                            "one of them"]
    if "source" in document and not options.is_active("lead_source", document["source"]):
        errors["source"] = [f"{document['source']!r} is not in the lead_source list (GET "
                            "/api/v1/sales/options/lead_source)"]
    owner = document.get("owner_id")
    if owner is not None and not find_users([owner]):
        errors["owner_id"] = [f"no active user with id {owner}"]
    team = document.get("team_id")
    if team is not None and not find_teams([team]):
        errors["team_id"] = [f"no team with id {team}"]
    slug = document.get("slug")
    if slug:
        taken = LeadForm.select().where(LeadForm.slug == slug)
        if current is not None:
            taken = taken.where(LeadForm.id != current.id)
        if taken.exists():
            errors["slug"] = [f"{slug!r} is used by another form"]
    return errors


def new_slug() -> str:
    while True:
        slug = secrets.token_urlsafe(9)
        if SLUG.match(slug) and not LeadForm.select().where(LeadForm.slug == slug).exists():
            return slug


def _columns(document: dict) -> dict:
    out = {}
    for key, column in (("title", "title"), ("thank_you", "thank_you")):
        if key in document:
            out[column] = json.dumps(document[key], ensure_ascii=False)
    if "fields" in document:
        out["fields"] = json.dumps(
            [{"name": f["name"], "required": f["required"], "label": f.get("label") or {}}
             for f in document["fields"]], ensure_ascii=False)
    if "type" in document:
        out["lead_type"] = document["type"]
    for name in ("slug", "language", "source", "owner_id", "team_id", "redirect_url",
                 "enabled", "notify_owner"):
        if name in document:
            out[name] = document[name]
    return out


def create(document: dict, now, user_id) -> LeadForm:
    values = _columns(document)
    values.setdefault("slug", document.get("slug") or new_slug())
    return LeadForm.create(created_at=now, updated_at=now, created_by=user_id, **values)


def update(form: LeadForm, document: dict, now) -> LeadForm:
    values = _columns(document)
    if values:
        LeadForm.update(updated_at=now, **values).where(LeadForm.id == form.id).execute()
    return LeadForm.get_by_id(form.id)


def form_fields(form: LeadForm) -> list[dict]:
    try:
        return json.loads(form.fields or "[]")
    except ValueError:
        return []


def texts(raw) -> dict:
    try:
        return json.loads(raw or "{}")
    except ValueError:
        return {}


def public_path(form: LeadForm) -> str:
    return f"/f/{form.slug}"


def as_dict(form: LeadForm, host_url: str) -> dict:
    """A form as the API shows it, with its public URL and the HTML to embed."""
    url = host_url.rstrip("/") + public_path(form)
    return {"id": form.id, "slug": form.slug, "title": texts(form.title),
            "language": form.language, "fields": form_fields(form), "source": form.source,
            "type": form.lead_type, "owner_id": form.owner_id, "team_id": form.team_id,
            "thank_you": texts(form.thank_you), "redirect_url": form.redirect_url,
            "enabled": form.enabled, "notify_owner": form.notify_owner,
            "submissions": form.submissions, "spam": form.spam,
            "last_submission_at": (form.last_submission_at.isoformat() + "Z"
                                   if form.last_submission_at else None),
            "created_at": form.created_at.isoformat() + "Z",
            "updated_at": form.updated_at.isoformat() + "Z",
            "url": url, "snippet": snippet(form, url)}


# -- what a visitor sees -------------------------------------------------------------------------

def _choice_text(value: str) -> str:
    text = value.replace("_", " ")
    return text[:1].upper() + text[1:]


def inputs(form: LeadForm, lang: str, gettext) -> list[dict]:
    """The form's fields as the public page renders them: ``{name, kind, label, required,
    choices: [(value, label)], max_length, autocomplete}``."""
    custom = _custom()
    out = []
    for spec in form_fields(form):
        name = spec["name"]
        label = (spec.get("label") or {}).get(lang)
        item = {"name": name, "required": bool(spec.get("required")), "choices": [],
                "max_length": MAX_LENGTH.get(name), "autocomplete": AUTOCOMPLETE.get(name),
                "multiple": False}
        if name in LEAD_FIELDS:
            item["kind"] = LEAD_FIELDS[name]
            item["label"] = label or gettext(_choice_text(name))
            if name == "purchase_timing":
                item["choices"] = [(c, gettext(_choice_text(c))) for c in PURCHASE_TIMINGS]
        elif name in custom:
            d = custom[name]
            item["label"] = label or d.label.get(lang) or d.label.get("en") or d.name
            item["kind"] = CUSTOM_KINDS.get(d.type, "text")
            item["choices"] = [(c, c) for c in d.choices]
            item["multiple"] = d.multiple
            item["max_length"] = 20000 if d.type == "long_text" else 500
        else:
            continue            # a custom field deleted since the form was saved
        out.append(item)
    return out


AUTOCOMPLETE = {"first_name": "given-name", "last_name": "family-name",
                "company": "organization", "job_title": "organization-title",
                "email": "email", "phone": "tel", "city": "address-level2",
                "region": "address-level1"}
CUSTOM_KINDS = {"text": "text", "long_text": "textarea", "integer": "number",
                "decimal": "number", "date": "date", "datetime": "text", "boolean": "checkbox",
                "choice": "select", "multi_choice": "checkboxes", "link": "number"}


def parse(form: LeadForm, submitted, gettext) -> tuple[dict, dict, dict]:
    """``(lead data, errors, values to show again)`` from a submission (a
    ``MultiDict``): required fields, lengths, e-mail, phone, numbers and choices checked with
    messages in the current language."""
    from peyvand_contacts.emails import InvalidEmail, normalize_email
    from peyvand_contacts.phones import InvalidPhone, normalize_phone

    custom = _custom()
    data, errors, shown = {}, {}, {}
    for item in inputs(form, form.language, gettext):
        name = item["name"]
        if item["kind"] == "checkboxes":
            raw = [v for v in submitted.getlist(name) if v]
            shown[name] = raw
        elif item["kind"] == "checkbox":
            raw = "1" if submitted.get(name) else ""
            shown[name] = bool(raw)
        else:
            raw = (submitted.get(name) or "").strip()
            shown[name] = raw
        if not raw:
            if item["required"]:
                errors[name] = [gettext("This field is required.")]
            continue
        if isinstance(raw, str) and item["max_length"] and len(raw) > item["max_length"]:
            errors[name] = [gettext("Too long: at most %(n)s characters.",
                                    n=item["max_length"])]
            continue
        try:
            if name == "email":
                data[name] = normalize_email(raw)
            elif name == "phone":
                data[name] = normalize_phone(raw)
            elif name == "budget":
                data[name] = _whole_number(raw)
            elif name == "purchase_timing":
                if raw not in PURCHASE_TIMINGS:
                    raise ValueError
                data[name] = raw
            elif name in custom:
                d = custom[name]
                value = d.parse(",".join(raw) if isinstance(raw, list) else raw)
                data[name] = value
            else:
                data[name] = raw
        except InvalidEmail:
            errors[name] = [gettext("Enter an e-mail address such as name@example.com.")]
        except InvalidPhone:
            errors[name] = [gettext("Enter a phone number such as 0912 345 6789.")]
        except (ValueError, decimal.InvalidOperation) as exc:
            if name in custom and str(exc):
                errors[name] = [gettext(str(exc))]
            elif item["choices"]:
                errors[name] = [gettext("Choose one of the offered values.")]
            else:
                errors[name] = [gettext("Enter a whole number.")]
    return data, errors, shown


def _whole_number(raw: str) -> int:
    text = raw.translate(_DIGITS).replace(",", "").replace("٬", "").replace("،", "")
    text = text.replace(" ", "")
    value = int(text)
    if value < 0:
        raise ValueError("negative")
    return value


def lead_values(form: LeadForm, data: dict) -> dict:
    """The lead to create from a checked submission."""
    return {**data, "source": form.source, "type": form.lead_type}


# -- the snippet ---------------------------------------------------------------------------------

def snippet(form: LeadForm, url: str) -> str:
    """HTML to paste into a website: a plain form that posts to the public URL (no script),
    with labels, the required marks and the honeypot. After sending, the visitor sees the
    form's thank-you page (or its ``redirect_url``); a refused submission is shown again on
    the form's own page, with the problems marked."""
    from peyvand_sdk import gettext

    from .notify import in_language

    lang = form.language
    direction = "rtl" if lang == "fa" else "ltr"
    with in_language(lang):
        items = inputs(form, lang, gettext)
        send = gettext("Send")
        required = gettext("required")
        honeypot = gettext("Leave this field empty")
    prefix = f"pv-{form.slug}-"
    lines = [f'<form action="{escape(url)}" method="post" accept-charset="UTF-8" '
             f'lang="{lang}" dir="{direction}" class="peyvand-lead-form">']
    for item in items:
        field_id = escape(prefix + item["name"])
        name = escape(item["name"])
        mark = ' <span aria-hidden="true">*</span>' if item["required"] else ""
        req = " required" if item["required"] else ""
        label = escape(item["label"])
        if item["kind"] == "checkboxes":
            lines.append(f"  <fieldset><legend>{label}{mark}</legend>")
            for value, text in item["choices"]:
                lines.append(f'    <label><input type="checkbox" name="{name}" '
                             f'value="{escape(value)}"> {escape(text)}</label>')
            lines.append("  </fieldset>")
            continue
        if item["kind"] == "checkbox":
            lines.append(f'  <p><label><input type="checkbox" id="{field_id}" name="{name}" '
                         f'value="1"{req}> {label}</label></p>')
            continue
        lines.append(f'  <p><label for="{field_id}">{label}{mark}</label><br>')
        if item["kind"] == "textarea":
            lines.append(f'  <textarea id="{field_id}" name="{name}" rows="4"{req}>'
                         "</textarea></p>")
        elif item["kind"] == "select":
            lines.append(f'  <select id="{field_id}" name="{name}"{req}>')
            lines.append('    <option value=""></option>')
            for value, text in item["choices"]:
                lines.append(f'    <option value="{escape(value)}">{escape(text)}</option>')
            lines.append("  </select></p>")
        else:
            kind = {"email": "email", "tel": "tel", "date": "date"}.get(item["kind"], "text")
            extra = ' inputmode="numeric"' if item["kind"] == "number" else ""
            if item["autocomplete"]:
                extra += f' autocomplete="{item["autocomplete"]}"'
            if item["max_length"]:
                extra += f' maxlength="{item["max_length"]}"'
            lines.append(f'  <input type="{kind}" id="{field_id}" name="{name}"{extra}{req}>'
                         "</p>")
    lines.append(f'  <p style="position:absolute;width:1px;height:1px;overflow:hidden;'
                 f'clip:rect(0 0 0 0);white-space:nowrap" aria-hidden="true">'
                 f'<label for="{prefix}{HONEYPOT}">'
                 f'{escape(honeypot)}</label><input type="text" id="{prefix}{HONEYPOT}" '
                 f'name="{HONEYPOT}" tabindex="-1" autocomplete="off"></p>')
    lines.append(f'  <p><button type="submit">{escape(send)}</button> '
                 f'<small>(<span aria-hidden="true">*</span> {escape(required)})</small></p>')
    lines.append("</form>")
    return "\n".join(lines)
