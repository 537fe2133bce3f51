"""Lead capture forms for admins: the list, the builder, the public URL and the snippet."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from marshmallow import ValidationError

from peyvand_sdk import (
    current_actor,
    current_language,
    custom_fields,
    find_teams,
    find_users,
    gettext,
    record_audit,
    require_permission,
    tenant_db,
)

_ = gettext


def _available() -> list[dict]:
    """Every field a form may ask for: ``{name, label, custom}``."""
    from ..forms import LEAD_FIELDS, _choice_text

    out = [{"name": n, "label": _(_choice_text(n)), "custom": False} for n in LEAD_FIELDS]
    for d in custom_fields("sales.lead"):
        out.append({"name": d.key, "label": d.label.get(current_language())
                    or d.label.get("en") or d.name, "custom": True})
    return out


def _document(form) -> dict:
    """The builder's submission as the API's form document."""
    values = request.form
    chosen = []
    for position, field in enumerate(_available()):
        name = field["name"]
        if name not in values.getlist("use"):
            continue
        try:
            order = int(values.get(f"order_{name}") or position + 1)
        except ValueError:
            order = position + 1
        label = {lang: values.get(f"label_{lang}_{name}", "").strip() for lang in ("fa", "en")}
        chosen.append((order, position, {"name": name,
                                         "required": bool(values.get(f"required_{name}")),
                                         "label": {k: v for k, v in label.items() if v}}))
    document = {
        "title": {"fa": values.get("title_fa", "").strip(),
                  "en": values.get("title_en", "").strip()},
        "language": values.get("language", "fa"),
        "fields": [spec for _order, _pos, spec in sorted(chosen, key=lambda c: c[:2])],
        "source": values.get("source") or "web_form",
        "type": values.get("type") or "marketing",
        "owner_id": int(values["owner_id"]) if values.get("owner_id", "").isdigit() else None,
        "team_id": int(values["team_id"]) if values.get("team_id", "").isdigit() else None,
        "thank_you": {"fa": values.get("thank_you_fa", "").strip(),
                      "en": values.get("thank_you_en", "").strip()},
        "redirect_url": values.get("redirect_url", "").strip() or None,
        "enabled": bool(values.get("enabled")),
        "notify_owner": bool(values.get("notify_owner")),
    }
    slug = values.get("slug", "").strip()
    if slug:
        document["slug"] = slug
    return document


def _builder(form, document=None, errors=None, status=200):
    from .. import forms, options
    from ..entities import LEAD_TYPES

    shown = forms.as_dict(form, request.host_url) if form is not None else None
    if document is None:
        document = shown or {"title": {}, "language": "fa", "fields": [
            {"name": "first_name", "required": False, "label": {}},
            {"name": "last_name", "required": True, "label": {}},
            {"name": "email", "required": False, "label": {}},
            {"name": "phone", "required": False, "label": {}}],
            "source": "web_form", "type": "marketing", "thank_you": {}, "enabled": True,
            "notify_owner": True}
    on_form = {f["name"]: (i, f) for i, f in enumerate(document.get("fields") or [])}
    rows = []
    for field in _available():
        index, spec = on_form.get(field["name"], (None, None))
        rows.append({**field, "used": spec is not None,
                     "required": bool(spec and spec.get("required")),
                     "label_fa": ((spec or {}).get("label") or {}).get("fa", ""),
                     "label_en": ((spec or {}).get("label") or {}).get("en", ""),
                     "order": index + 1 if index is not None else ""})
    rows.sort(key=lambda r: (not r["used"], r["order"] or 0))
    return render_template(
        "sales/lead_form_edit.html", form=form, shown=shown, doc=document, rows=rows,
        errors=errors or {}, sources=[o for o in options.entries("lead_source")
                                      if o["active"] or o["key"] == document.get("source")],
        types=LEAD_TYPES, users=find_users(), teams=find_teams()), status


def _audit(form_id, action, before, after):
    actor = current_actor()
    record_audit("sales.lead_form", form_id, action, {"form": (before, after)}, via="web",
                 user_id=getattr(actor, "id", None), user_name=getattr(actor, "name", None))


def _plain(shown):
    return {k: v for k, v in (shown or {}).items() if k not in ("snippet", "url")} or None


def _save(form):
    from .. import forms
    from ..rules import utcnow

    document = _document(form)
    try:
        loaded = forms.FormSchema().load(document)
    except ValidationError as exc:
        return _builder(form, document, exc.messages, 422)
    errors = forms.check(loaded, form)
    if errors:
        return _builder(form, document, errors, 422)
    before = _plain(forms.as_dict(form, request.host_url)) if form is not None else None
    with tenant_db.atomic():
        if form is None:
            saved = forms.create(loaded, utcnow(), current_actor().id)
        else:
            saved = forms.update(form, loaded, utcnow())
        _audit(saved.id, "create" if form is None else "update", before,
               _plain(forms.as_dict(saved, request.host_url)))
    flash(_("The form is saved."), "success")
    return redirect(url_for("sales_web.lead_form_edit", form_id=saved.id))


def register(bp):
    @bp.get("/lead-forms")
    def lead_forms():
        from .. import forms
        from ..models import LeadForm

        require_permission("sales.form.manage")
        rows = [forms.as_dict(f, request.host_url) for f in LeadForm.select().order_by(
            LeadForm.id)]
        return render_template("sales/lead_forms.html", rows=rows)

    @bp.route("/lead-forms/new", methods=["GET", "POST"])
    def lead_form_new():
        require_permission("sales.form.manage")
        if request.method == "POST":
            return _save(None)
        return _builder(None)

    @bp.route("/lead-forms/<int:form_id>", methods=["GET", "POST"])
    def lead_form_edit(form_id):
        from ..models import LeadForm

        require_permission("sales.form.manage")
        form = LeadForm.get_or_none(LeadForm.id == form_id)
        if form is None:
            abort(404)
        if request.method == "POST":
            return _save(form)
        return _builder(form)

    @bp.route("/lead-forms/<int:form_id>/delete", methods=["GET", "POST"])
    def lead_form_delete(form_id):
        """GET (or a POST without ``confirmed=1``): the confirmation page; POST: delete."""
        from .. import forms
        from ..models import LeadForm

        require_permission("sales.form.manage")
        form = LeadForm.get_or_none(LeadForm.id == form_id)
        if form is None:
            abort(404)
        if request.method == "GET" or request.form.get("confirmed") != "1":
            shown = forms.as_dict(form, request.host_url)
            title = shown["title"].get(current_language()) or next(
                (t for t in shown["title"].values() if t), f"#{form.id}")
            return render_template(
                "peyvand/confirm.html", title=_("Delete the form “%(name)s”?", name=title),
                message=_("Its address stops working: the form on your website can no longer "
                          "send leads. The leads it brought in stay."),
                items=[Markup('<bdi dir="ltr">%s</bdi>') % shown["url"]],
                action=url_for("sales_web.lead_form_delete", form_id=form.id),
                fields={"confirmed": "1"}, button=_("Delete the form"),
                cancel=url_for("sales_web.lead_form_edit", form_id=form.id))
        with tenant_db.atomic():
            before = _plain(forms.as_dict(form, request.host_url))
            LeadForm.delete().where(LeadForm.id == form.id).execute()
            _audit(form.id, "delete", before, None)
        flash(_("The form is deleted; its address no longer works."), "success")
        return redirect(url_for("sales_web.lead_forms"))
