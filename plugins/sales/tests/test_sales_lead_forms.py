"""Lead capture forms: an admin defines them; anyone may fill them in at /f/<slug> (no login,
no CSRF token), in the form's language; a submission becomes a lead through the record path,
linked to an existing contact instead of duplicating it, given to the form's owner or by the
assignment rules, with the owner told; a honeypot drops bots silently and a persisted limit
per address answers 429."""

import json
import re

import pytest

from peyvand_sdk.testing import make_user_client

pytestmark = pytest.mark.peyvand_plugins("contacts", "sales")

FORMS = "/api/v1/sales/lead-forms"
ANON = {"Authorization": ""}

CONTACT_US = {
    "title": {"fa": "تماس با ما", "en": "Contact us"},
    "fields": [{"name": "first_name"}, {"name": "last_name", "required": True},
               {"name": "email", "required": True}, {"name": "phone"},
               {"name": "company", "label": {"fa": "نام شرکت شما", "en": "Your company"}},
               {"name": "purchase_timing"}, {"name": "notes"}],
    "thank_you": {"fa": "ممنون! کارشناسان ما به‌زودی تماس می‌گیرند."},
}


def make_form(admin, **changes):
    response = admin.post(FORMS, json={**CONTACT_US, **changes})
    assert response.status_code == 201, response.json
    return response.json


def public_client(app, address="10.1.1.1"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def send(client, form, **values):
    return client.post(f"/f/{form['slug']}", data=values, headers=ANON)


def html(response) -> str:
    return response.get_data(as_text=True)


def leads(admin, **filters):
    query = "&".join(f"{k}={v}" for k, v in {"limit": 100, **filters}.items())
    return admin.get(f"/api/v1/sales/leads?{query}").json["data"]


def audit_history(app, entity_id, record_id):
    from peyvand import audit

    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        return audit.history(entity_id, record_id)


def test_admins_define_forms_and_get_a_url_and_a_snippet(peyvand_app, peyvand_client,
                                                         peyvand_login):
    admin = peyvand_client
    seller = peyvand_login("salesperson")
    assert seller.post(FORMS, json=CONTACT_US).status_code == 403
    assert seller.get(FORMS).status_code == 403
    form = make_form(admin)
    assert form["url"] == f"http://localhost/f/{form['slug']}"
    assert form["language"] == "fa" and form["source"] == "web_form"
    assert form["type"] == "marketing" and form["enabled"] is True
    snippet = form["snippet"]
    assert f'action="{form["url"]}"' in snippet and 'method="post"' in snippet
    assert 'dir="rtl"' in snippet and 'lang="fa"' in snippet
    assert 'name="last_name"' in snippet and 'name="website"' in snippet   # the honeypot
    assert "نام شرکت شما" in snippet and "csrf" not in snippet
    assert admin.get(f"{FORMS}/{form['id']}").json["snippet"] == snippet
    assert [f["id"] for f in admin.get(FORMS).json["data"]] == [form["id"]]
    field_names = {f["name"] for f in admin.get(f"{FORMS}/fields").json["data"]}
    assert {"email", "region", "product_interest", "budget"} <= field_names
    renamed = admin.patch(f"{FORMS}/{form['id']}", json={"slug": "contact-us",
                                                          "enabled": False})
    assert renamed.status_code == 200 and renamed.json["url"].endswith("/f/contact-us")
    history = audit_history(peyvand_app, "sales.lead_form", form["id"])
    assert [h["action"] for h in history] == ["update", "create"]
    assert history[0]["changes"]["form"][1]["slug"] == "contact-us"
    assert admin.delete(f"{FORMS}/{form['id']}").status_code == 204
    assert admin.get(f"{FORMS}/{form['id']}").status_code == 404


@pytest.mark.parametrize("change,field", [
    ({"fields": [{"name": "shoe_size"}]}, "fields.0.name"),
    ({"fields": [{"name": "first_name"}, {"name": "city"}]}, "fields"),
    ({"fields": [{"name": "email"}, {"name": "email"}]}, "fields"),
    ({"title": {"en": "Only English"}}, "title"),
    ({"source": "carrier_pigeon"}, "source"),
    ({"type": "cold"}, "type"),
    ({"owner_id": 999}, "owner_id"),
    ({"team_id": 999}, "team_id"),
    ({"slug": "a b"}, "slug"),
    ({"redirect_url": "javascript:alert(1)"}, "redirect_url"),
])
def test_form_definitions_are_checked(peyvand_client, change, field):
    response = peyvand_client.post(FORMS, json={**CONTACT_US, **change})
    assert response.status_code == 422
    assert field in response.json["errors"], response.json


def test_a_slug_is_unique(peyvand_client):
    make_form(peyvand_client, slug="demo-form")
    again = peyvand_client.post(FORMS, json={**CONTACT_US, "slug": "demo-form"})
    assert again.status_code == 422 and "slug" in again.json["errors"]


def test_the_public_page_is_accessible_and_in_the_forms_language(peyvand_app, peyvand_client):
    fa = make_form(peyvand_client)
    page = html(public_client(peyvand_app).get(f"/f/{fa['slug']}"))
    assert '<html lang="fa" dir="rtl">' in page
    assert "<h1>تماس با ما</h1>" in page
    assert '<label for="pv-last_name">نام خانوادگی' in page          # the catalogue's label
    assert '<label for="pv-company">نام شرکت شما</label>' in page     # the form's own
    assert re.search(r'<input id="pv-last_name" name="last_name" required aria-required="true"',
                     page)
    assert 'type="email"' in page and 'autocomplete="email"' in page
    assert '<option value="this_quarter">همین فصل</option>' in page
    assert 'class="hp" aria-hidden="true"' in page and 'tabindex="-1"' in page
    assert "csrf_token" not in page
    en = make_form(peyvand_client, language="en", title={"en": "Get a demo"})
    page = html(public_client(peyvand_app).get(f"/f/{en['slug']}"))
    assert '<html lang="en" dir="ltr">' in page and ">Last name" in page
    assert public_client(peyvand_app).get("/f/nothing-here").status_code == 404


def test_a_submission_becomes_a_lead_through_the_record_path(peyvand_app, peyvand_client):
    owner = make_user_client(peyvand_app, "sara", ("salesperson",), ("تهران",))
    form = make_form(peyvand_client, owner_id=owner.peyvand_user.id, type="sales",
                     source="event")
    response = send(public_client(peyvand_app), form, first_name="نگار", last_name="حسینی",
                    email=" Negar@AryaSoft.IR ", phone="۰۹۱۲ ۳۴۵ ۶۷۸۹",
                    purchase_timing="now", notes="۲۰ دستگاه کارتخوان")
    assert response.status_code == 303, html(response)
    assert response.headers["Location"].endswith(f"/f/{form['slug']}/thanks")
    thanks = public_client(peyvand_app).get(response.headers["Location"])
    assert "ممنون! کارشناسان ما به‌زودی تماس می‌گیرند." in html(thanks)
    [lead] = leads(peyvand_client)
    assert (lead["email"], lead["phone"]) == ("negar@aryasoft.ir", "+989123456789")
    assert (lead["source"], lead["type"], lead["status"]) == ("event", "sales", "new")
    assert lead["form_id"] == form["id"] and lead["owner_id"] == owner.peyvand_user.id
    assert lead["team_id"] is not None and lead["person_id"] is None
    history = peyvand_client.get(f"/api/v1/audit?entity=sales.lead&id={lead['id']}").json
    assert {(h["action"], h["via"]) for h in history["data"]} >= {("create", "form")}
    db = peyvand_app.extensions["peyvand"].storage.database_for("default")
    events = {name: json.loads(payload)["data"] for name, payload in db.execute_sql(
        "SELECT name, payload FROM peyvand_outbox").fetchall()
        if name in ("record-created", "lead-assigned")}
    assert events["lead-assigned"] == {"id": lead["id"], "owner_id": owner.peyvand_user.id,
                                       "rule_id": None, "form_id": form["id"], "notify": True}
    inbox = owner.get("/api/v1/sales/my-work").json
    [task] = inbox["today"] + inbox["overdue"]
    assert task["record_id"] == lead["id"] and "تماس با ما" in task["notes"]
    assert peyvand_client.get(f"{FORMS}/{form['id']}").json["submissions"] == 1


def test_field_errors_are_shown_on_the_form_and_nothing_is_written(peyvand_app,
                                                                   peyvand_client):
    form = make_form(peyvand_client)
    response = send(public_client(peyvand_app), form, first_name="نگار", email="not-an-email",
                    phone="12", purchase_timing="someday")
    assert response.status_code == 422
    page = html(response)
    assert 'role="alert"' in page
    assert re.search(r'id="pv-last_name"[^>]*aria-invalid="true"', page)
    assert '<span class="error" id="pv-last_name-error">پر کردن این فیلد الزامی است.</span>' in page
    assert "pv-email-error" in page and "pv-phone-error" in page
    assert "pv-purchase_timing-error" in page
    assert 'value="نگار"' in page and 'value="not-an-email"' in page     # kept for correcting
    assert leads(peyvand_client) == []


def test_someone_already_in_the_contacts_is_linked_not_duplicated(peyvand_app, peyvand_client):
    org = peyvand_client.post("/api/v1/contacts/organizations", json={"name": "آریا"}).json
    person = peyvand_client.post("/api/v1/contacts/persons", json={
        "last_name": "حسینی", "phone": "09123456789", "organization_id": org["id"]}).json
    form = make_form(peyvand_client)
    send(public_client(peyvand_app), form, last_name="حسینی", email="new@example.ir",
         phone="+98 912 345 6789")
    [lead] = leads(peyvand_client)
    assert lead["person_id"] == person["id"] and lead["organization_id"] == org["id"]
    people = peyvand_client.get("/api/v1/contacts/persons?total=1").json
    assert people["total"] == 1
    converted = peyvand_client.post(f"/api/v1/sales/leads/{lead['id']}/convert",
                                    json={"create_deal": False}).json
    assert converted["person"] == {"id": person["id"], "matched": True}
    assert peyvand_client.get("/api/v1/contacts/persons?total=1").json["total"] == 1


def test_without_an_owner_on_the_form_the_assignment_rules_decide(peyvand_app,
                                                                  peyvand_client):
    a = make_user_client(peyvand_app, "a", ("salesperson",))
    b = make_user_client(peyvand_app, "b", ("salesperson",))
    peyvand_client.put("/api/v1/sales/assignment-rules", json={"rules": [
        {"name": "وب", "when": {"source": ["web_form"]},
         "assign_to": {"user_ids": [a.peyvand_user.id, b.peyvand_user.id]}}]})
    form = make_form(peyvand_client)
    for i in range(3):
        send(public_client(peyvand_app, f"10.0.0.{i}"), form, last_name=f"نفر {i}",
             email=f"p{i}@example.ir")
    owners = [lead["owner_id"] for lead in reversed(leads(peyvand_client))]
    assert owners == [a.peyvand_user.id, b.peyvand_user.id, a.peyvand_user.id]


def test_a_logged_in_user_posting_the_form_does_not_become_the_owner(peyvand_app,
                                                                     peyvand_client):
    from sales_web_kit import web_login

    form = make_form(peyvand_client)
    browser = web_login(peyvand_app, "nima")
    response = browser.post(f"/f/{form['slug']}", data={"last_name": "بازدیدکننده",
                                                        "email": "v@example.ir"})
    assert response.status_code == 303
    [lead] = leads(peyvand_client)
    assert lead["owner_id"] is None


def test_the_honeypot_drops_bots_silently(peyvand_app, peyvand_client):
    form = make_form(peyvand_client)
    response = send(public_client(peyvand_app), form, last_name="ربات", email="bot@spam.ir",
                    website="http://spam.example")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/thanks")
    assert leads(peyvand_client) == []
    assert peyvand_client.get(f"{FORMS}/{form['id']}").json["spam"] == 1


def test_too_many_submissions_from_one_address_answer_429_and_the_count_persists(
        peyvand_app, peyvand_client):
    from peyvand.app import create_app

    assert peyvand_client.put("/api/v1/settings/sales.lead_form_rate_limit",
                              json={"value": 3}).status_code == 200
    form = make_form(peyvand_client)
    spammer = public_client(peyvand_app, "192.0.2.7")
    assert send(spammer, form, last_name="یک", email="1@x.ir").status_code == 303
    assert send(spammer, form, first_name="بی‌نام").status_code == 422    # counts too
    assert send(spammer, form, last_name="سه", email="3@x.ir").status_code == 303
    refused = send(spammer, form, last_name="چهار", email="4@x.ir")
    assert refused.status_code == 429
    page = html(refused)
    assert "ارسال‌های زیادی از نشانی شما رسیده است" in page
    assert "Too many submissions came from your address" in page
    assert int(refused.headers["Retry-After"]) > 0
    as_json = spammer.post(f"/f/{form['slug']}", json={"last_name": "x"}, headers=ANON)
    assert as_json.status_code == 429 and set(as_json.json["message"]) == {"fa", "en"}
    # another address is not held back
    assert send(public_client(peyvand_app, "192.0.2.8"), form, last_name="دیگر",
                email="o@x.ir").status_code == 303
    # a restarted server (a new app over the same database) still remembers
    restarted = create_app({"TESTING": True}, kernel=peyvand_app.extensions["peyvand"])
    again = restarted.test_client()
    again.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert again.post(f"/f/{form['slug']}", data={"last_name": "پنج"}).status_code == 429
    assert len(leads(peyvand_client)) == 3


def test_custom_fields_on_a_form(peyvand_app, peyvand_client):
    added = peyvand_client.post("/api/v1/custom-fields", json={
        "entity": "sales.lead", "name": "branch", "type": "choice",
        "choices": ["tehran", "shiraz"], "label": {"en": "Branch", "fa": "شعبه"}})
    assert added.status_code == 201, added.json
    form = make_form(peyvand_client, fields=[{"name": "last_name", "required": True},
                                             {"name": "cf_branch", "required": True}])
    page = html(public_client(peyvand_app).get(f"/f/{form['slug']}"))
    assert '<label for="pv-cf_branch">شعبه' in page
    missing = send(public_client(peyvand_app), form, last_name="الف")
    assert missing.status_code == 422 and "pv-cf_branch-error" in html(missing)
    wrong = send(public_client(peyvand_app), form, last_name="الف", cf_branch="mashhad")
    assert wrong.status_code == 422
    assert send(public_client(peyvand_app), form, last_name="الف",
                cf_branch="shiraz").status_code == 303
    [lead] = leads(peyvand_client)
    assert lead["cf_branch"] == "shiraz"


def test_json_submissions_closed_forms_and_redirects(peyvand_app, peyvand_client):
    form = make_form(peyvand_client, redirect_url="https://example.ir/thanks")
    client = public_client(peyvand_app)
    ok = client.post(f"/f/{form['slug']}", json={"last_name": "جی‌سان", "email": "j@x.ir"})
    assert ok.status_code == 201 and ok.json["ok"] is True
    bad = client.post(f"/f/{form['slug']}", json={"email": "j@x.ir"})
    assert bad.status_code == 422 and "last_name" in bad.json["errors"]
    sent = send(client, form, last_name="فرم", email="f@x.ir")
    assert sent.status_code == 303 and sent.headers["Location"] == "https://example.ir/thanks"
    peyvand_client.patch(f"{FORMS}/{form['id']}", json={"enabled": False})
    closed = send(client, form, last_name="دیر", email="d@x.ir")
    assert closed.status_code == 410
    assert "این فرم دیگر" in html(closed)
    assert len(leads(peyvand_client)) == 2


def test_a_persons_other_numbers_and_e_mails_match_too(peyvand_app, peyvand_client):
    person = peyvand_client.post("/api/v1/contacts/persons", json={
        "last_name": "دوشماره", "phones": [
            {"value": "021 8888 7777", "type": "work", "primary": True},
            {"value": "0935 111 2233", "type": "mobile"}],
        "emails": [{"value": "main@example.ir", "primary": True},
                   {"value": "Other@Example.ir"}]})
    assert person.status_code == 201, person.json
    form = make_form(peyvand_client)
    send(public_client(peyvand_app), form, last_name="دوشماره", email="x@example.ir",
         phone="09351112233")
    send(public_client(peyvand_app, "10.9.9.9"), form, last_name="دوشماره",
         email="other@example.ir")
    found = leads(peyvand_client)
    assert [lead["person_id"] for lead in found] == [person.json["id"]] * 2
    matches = peyvand_client.get(f"/api/v1/sales/leads/{found[0]['id']}/matches").json["data"]
    assert [(m["id"], m["matched_on"]) for m in matches] == [(person.json["id"], ["email"])]


def test_the_demo_business_has_a_contact_form(peyvand_cli, peyvand_settings):
    from peyvand.app import create_app
    from peyvand.kernel import Kernel

    result = peyvand_cli("demo")
    assert result.exit_code == 0, result.output
    assert "lead form /f/contact-us" in result.output
    kernel = Kernel(peyvand_settings)
    try:
        client = create_app({"TESTING": True}, kernel=kernel).test_client()
        page = client.get("/f/contact-us").get_data(as_text=True)
        assert "<h1>تماس با ما</h1>" in page and "تلفن همراه" in page
    finally:
        kernel.storage.close()
