"""Lead capture forms for admins (``sales.form.manage``): define them, get their public URL
and the HTML snippet to embed in a website."""

from __future__ import annotations

from flask import jsonify, request
from marshmallow import ValidationError
from werkzeug.exceptions import NotFound

from peyvand_sdk import current_actor, record_audit

from .access import require
from .api import Invalid, body, write


def _load(document: dict, partial: bool) -> dict:
    from .forms import FormSchema

    try:
        return FormSchema(partial=partial).load(document)
    except ValidationError as exc:
        raise Invalid(exc.messages) from None


def _get(form_id: int):
    from .models import LeadForm

    form = LeadForm.get_or_none(LeadForm.id == form_id)
    if form is None:
        raise NotFound(f"lead form {form_id} does not exist")
    return form


def _audit(form_id: int, action: str, before, after) -> None:
    actor = current_actor()
    record_audit("sales.lead_form", form_id, action, {"form": (before, after)}, via="api",
                 user_id=getattr(actor, "id", None), user_name=getattr(actor, "name", None))


def _shown(form) -> dict:
    from .forms import as_dict

    return as_dict(form, request.host_url)


def register(bp):
    @bp.get("/lead-forms")
    def list_forms():
        from .models import LeadForm

        require("sales.form.manage", "manage lead forms")
        return jsonify({"data": [_shown(f) for f in LeadForm.select().order_by(LeadForm.id)]})

    @bp.get("/lead-forms/fields")
    def form_field_choices():
        """The fields a form may ask for: the lead's and the admin's custom fields."""
        from peyvand_sdk import custom_fields

        from .forms import LEAD_FIELDS

        require("sales.form.manage", "manage lead forms")
        fields = [{"name": n, "kind": k, "custom": False} for n, k in LEAD_FIELDS.items()]
        fields += [{"name": d.key, "kind": d.type, "custom": True, "label": d.label}
                   for d in custom_fields("sales.lead")]
        return jsonify({"data": fields})

    @bp.post("/lead-forms")
    def create_form():
        from . import forms
        from .rules import utcnow

        require("sales.form.manage", "manage lead forms")
        document = _load(body(), partial=False)
        errors = forms.check(document)
        if errors:
            raise Invalid(errors)
        actor = current_actor()

        def save():
            form = forms.create(document, utcnow(), getattr(actor, "id", None))
            shown = _shown(form)
            _audit(form.id, "create", None, {k: v for k, v in shown.items()
                                             if k not in ("snippet", "url")})
            return shown

        return jsonify(write(save)), 201

    @bp.get("/lead-forms/<int:form_id>")
    def get_form(form_id):
        require("sales.form.manage", "manage lead forms")
        return jsonify(_shown(_get(form_id)))

    @bp.patch("/lead-forms/<int:form_id>")
    def update_form(form_id):
        from . import forms
        from .rules import utcnow

        require("sales.form.manage", "manage lead forms")
        form = _get(form_id)
        document = _load(body(), partial=True)
        if "title" in document or "language" in document:
            title = document.get("title") or forms.texts(form.title)
            language = document.get("language") or form.language
            if not (title.get(language) or "").strip():
                raise Invalid({"title": ["give the title in the form's language"]})
        errors = forms.check(document, form)
        if errors:
            raise Invalid(errors)

        def save():
            before = {k: v for k, v in _shown(form).items() if k not in ("snippet", "url")}
            saved = forms.update(form, document, utcnow())
            shown = _shown(saved)
            _audit(form.id, "update", before, {k: v for k, v in shown.items()
                                               if k not in ("snippet", "url")})
            return shown

        return jsonify(write(save))

    @bp.delete("/lead-forms/<int:form_id>")
    def delete_form(form_id):
        """Delete a form: its URL stops working; leads it brought keep their form_id."""
        from .models import LeadForm

        require("sales.form.manage", "manage lead forms")
        form = _get(form_id)

        def remove():
            before = {k: v for k, v in _shown(form).items() if k not in ("snippet", "url")}
            LeadForm.delete().where(LeadForm.id == form.id).execute()
            _audit(form.id, "delete", before, None)

        write(remove)
        return "", 204
