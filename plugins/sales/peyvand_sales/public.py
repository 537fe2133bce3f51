"""The public lead form pages: ``/f/<slug>`` (no login, no CSRF: anyone may post to it, from
this page or from the snippet pasted into a website).

``GET`` shows the form in its language (Persian right to left, or English). ``POST`` checks
the client address's rate limit (429 with a Persian and English message), drops a submission
that filled in the honeypot (answered exactly like a real one), checks every field, and
creates the lead through the record service as the system inside the form's intake (owner
from the form or the assignment rules, duplicate check against contacts, the owner told).
A refused submission shows the form again with each problem next to its field; an accepted
one redirects (303) to the form's ``redirect_url`` or to ``/f/<slug>/thanks``. A JSON body
(``Content-Type: application/json``) gets JSON answers instead: 201, 422 ``{"errors"}``, 429.
"""

from __future__ import annotations

from flask import Blueprint, g, jsonify, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from peyvand_sdk import (
    InvalidRecord,
    acting_as,
    current_kernel,
    current_tenant,
    gettext,
    public,
    tenant_db,
)

from . import forms
from .models import LeadForm

MESSAGES = {
    "rate": {"fa": "ارسال‌های زیادی از نشانی شما رسیده است. لطفاً %(minutes)s دقیقه دیگر "
                   "دوباره تلاش کنید.",
             "en": "Too many submissions came from your address. Please try again in "
                   "%(minutes)s minutes."},
}


PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def _form_or_404(slug: str) -> LeadForm | None:
    return LeadForm.get_or_none(LeadForm.slug == slug)


def _use_language(form: LeadForm) -> None:
    g.lang = form.language
    g.calendar = "jalali" if form.language == "fa" else "gregorian"


def _message(status: int, heading: str, lines: list[dict], alert: bool = False):
    return render_template("sales/public_message.html", heading=heading, lines=lines,
                           alert=alert), status


def _wants_json() -> bool:
    return request.is_json


def blueprint() -> Blueprint:
    bp = Blueprint("sales_public", __name__, template_folder="templates")

    @bp.route("/f/<slug>", methods=["GET", "POST"])
    @public  # anyone may see and send a lead form: no login, no CSRF token
    def lead_form(slug):
        form = _form_or_404(slug)
        if form is None:
            if _wants_json():
                return jsonify({"error": "Not Found", "message": "no such form"}), 404
            return _message(404, gettext("Not found"),
                            [{"text": gettext("There is no form at this address.")}])
        _use_language(form)
        heading = form.title_in(form.language)
        if not form.enabled:
            if _wants_json():
                return jsonify({"error": "Gone", "message": "this form is closed"}), 410
            return _message(410, heading, [{"text": gettext(
                "This form is not accepting submissions any more.")}])
        if request.method == "GET":
            return _page(form, {}, {}, [])
        return _submit(form)

    @bp.get("/f/<slug>/thanks")
    @public
    def lead_form_thanks(slug):
        form = _form_or_404(slug)
        if form is None:
            return _message(404, gettext("Not found"),
                            [{"text": gettext("There is no form at this address.")}])
        _use_language(form)
        return _message(200, form.title_in(form.language), [{"text": _thank_you(form)}])

    return bp


def _thank_you(form: LeadForm) -> str:
    return (forms.texts(form.thank_you).get(form.language) or
            gettext("Thank you! We have received your message and will be in touch soon."))


def _page(form: LeadForm, errors: dict, shown: dict, general: list, status: int = 200):
    return render_template(
        "sales/public_form.html", heading=form.title_in(form.language),
        items=forms.inputs(form, form.language, gettext), errors=errors, shown=shown,
        general=general, honeypot=forms.HONEYPOT,
        action=url_for("sales_public.lead_form", slug=form.slug)), status


def _submit(form: LeadForm):
    from .ratelimit import hit

    submitted = request.form
    if _wants_json():
        body = request.get_json(silent=True)
        submitted = MultiDict(body if isinstance(body, dict) else {})
    wait = hit(request.remote_addr or "")
    if wait is not None:
        return _too_many(form, wait)
    if (submitted.get(forms.HONEYPOT) or "").strip():
        # A bot filled in the field people never see: answer as if it worked, keep nothing.
        with tenant_db.atomic():
            LeadForm.update(spam=LeadForm.spam + 1).where(LeadForm.id == form.id).execute()
        return _accepted(form, None)
    data, errors, shown = forms.parse(form, submitted, gettext)
    general: list = []
    lead = None
    if not errors:
        try:
            lead = _create(form, data)
        except InvalidRecord as exc:
            on_form = {item["name"] for item in forms.inputs(form, form.language, gettext)}
            for name, messages in exc.errors.items():
                texts = [gettext(str(m)) for m in (messages if isinstance(messages, list)
                                                   else [messages])]
                if name in on_form:
                    errors[name] = texts
                else:
                    general += texts
    if errors or general:
        if _wants_json():
            return jsonify({"errors": {**errors, **({"_form": general} if general else {})}}
                           ), 422
        return _page(form, errors, shown, general, 422)
    return _accepted(form, lead)


def _create(form: LeadForm, data: dict):
    from .assignment import intake
    from .rules import utcnow

    service = current_kernel().service("sales.lead", current_tenant())
    with tenant_db.atomic(), acting_as(None), intake(
            owner_id=form.owner_id, team_id=form.team_id, form=form,
            notify=form.notify_owner):
        lead = service.create(forms.lead_values(form, data), via="form")
        (LeadForm.update(submissions=LeadForm.submissions + 1, last_submission_at=utcnow())
         .where(LeadForm.id == form.id).execute())
    return lead


def _accepted(form: LeadForm, lead):
    if _wants_json():
        return jsonify({"ok": True, "message": _thank_you(form)}), 201
    if form.redirect_url:
        return redirect(form.redirect_url, code=303)
    return redirect(url_for("sales_public.lead_form_thanks", slug=form.slug), code=303)


def _too_many(form: LeadForm, wait: int):
    minutes = max(1, (wait + 59) // 60)
    texts = {lang: text % {"minutes": str(minutes).translate(PERSIAN) if lang == "fa"
                           else minutes} for lang, text in MESSAGES["rate"].items()}
    if _wants_json():
        response = jsonify({"error": "Too Many Requests", "message": texts})
    else:
        first = form.language
        lines = [{"text": texts[first], "lang": first}] + [
            {"text": texts[lang], "lang": lang} for lang in ("fa", "en") if lang != first]
        response, _status = _message(429, form.title_in(form.language), lines, alert=True)
        from flask import make_response

        response = make_response(response)
    response.status_code = 429
    response.headers["Retry-After"] = str(wait)
    return response
