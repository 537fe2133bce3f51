"""The person and organisation forms edit e-mails, phone numbers and addresses as rows (the
kernel's related-data form inputs, implemented by the contacts plugin), and a refused save
names every bad field and row at once, on the form and in the API."""

from __future__ import annotations

import json
import re

import pytest
from web_kit import csrf, post, web_client


@pytest.fixture
def app(peyvand_app_factory):
    return peyvand_app_factory(plugins=["contacts"])


def text(response) -> str:
    return response.get_data(as_text=True)


def errors_of(html: str) -> list[str]:
    return re.findall(r'class="field-error" role="alert">([^<]+)<', html)


def row_errors(html: str, name: str, index: int) -> list[str]:
    """The errors shown inside row ``index`` of list ``name``."""
    found = re.search(rf'<div class="list-row[^"]*" data-row="{index}">(.*?)</div>',
                      html.split(f'id="list-{name}"')[1], re.S)
    assert found, f"no row {index} in {name}"
    return errors_of(found.group(1))


def stored(app, entity, record_id) -> dict:
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        service = kernel.service(entity, "default")
        return service.to_dict(service.get(record_id))


def test_the_new_person_form_has_rows_instead_of_the_single_fields(app):
    client = web_client(app, "boss", language="en", calendar="gregorian")
    page = text(client.get("/app/contacts/persons/new"))
    for name in ("emails", "phones", "addresses"):
        assert f'id="list-{name}"' in page
        assert f'name="{name}-0-type"' in page and f'name="{name}-primary" value="0"' in page
        assert f'name="_add" value="{name}"' in page
    assert 'name="phones-0-value"' in page and 'name="addresses-0-postal_code"' in page
    # The single fields the lists keep in step are not on the form.
    assert not re.search(r'name="(phone|email|city)"', page)
    assert '<option value="mobile">Mobile</option>' in page
    assert page.count("listrows.js") == 1                       # the script once per page
    persian = web_client(app, "maryam")
    page = text(persian.get("/app/contacts/persons/new"))
    assert "شماره‌های تلفن" in page and '<option value="mobile">موبایل</option>' in page
    assert "افزودن یکی دیگر" in page and "اصلی" in page


def test_create_with_two_phones_and_an_address_then_change_the_primary_and_remove_one(app):
    client = web_client(app, "boss", language="en", calendar="gregorian")
    # "Add another" without JavaScript: the form comes back with what was typed and a new row.
    data = {"last_name": "Karimi", "phones-0-value": "0912 123 4567", "phones-0-type": "mobile",
            "phones-primary": "0"}
    more = post(client, "/app/contacts/persons/new", {**data, "_add": "phones"})
    assert more.status_code == 200
    html = text(more)
    assert 'value="Karimi"' in html and 'value="0912 123 4567"' in html
    assert 'name="phones-1-value"' in html and 'name="phones-2-value"' not in html
    assert "Saved." not in html
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        assert kernel.service("contacts.person", "default").list().rows == []
    created = client.post("/app/contacts/persons/new", data={
        "csrf_token": csrf(more), **data,
        "phones-1-value": "021 8877 6655", "phones-1-type": "work",
        "addresses-0-line": "Azadi St 12", "addresses-0-city": "Tehran",
        "addresses-0-postal_code": "1316913869", "addresses-0-type": "home",
        "addresses-primary": "0", "emails-0-value": "", "emails-0-type": ""})
    assert created.status_code == 302, errors_of(text(created))
    person_id = int(created.headers["Location"].rsplit("/", 1)[1])
    row = stored(app, "contacts.person", person_id)
    assert row["phones"] == [
        {"value": "+989121234567", "type": "mobile", "primary": True},
        {"value": "+982188776655", "type": "work", "primary": False}]
    assert row["phone"] == "+989121234567" and row["emails"] == [] and row["email"] is None
    assert row["addresses"] == [{"type": "home", "line": "Azadi St 12", "city": "Tehran",
                                 "province": None, "postal_code": "1316913869",
                                 "primary": True}]
    assert row["city"] == "Tehran"
    # The edit form shows the stored items, each with its type and the primary checked.
    url = f"/app/contacts/persons/{person_id}/edit"
    page = client.get(url)
    html = text(page)
    assert 'name="phones-0-value" value="+989121234567"' in html
    assert 'name="phones-1-value" value="+982188776655"' in html
    assert re.search(r'name="phones-primary" value="0" checked', html)
    assert re.search(r'<option value="work" selected>Work</option>', html)
    assert 'name="phones-1-remove"' in html and 'name="phones-2-value"' in html  # one empty
    # The work number becomes primary.
    edited = client.post(url, data={
        "csrf_token": csrf(page), "version": str(row["version"]), "last_name": "Karimi",
        "phones-0-value": "+989121234567", "phones-0-type": "mobile",
        "phones-1-value": "+982188776655", "phones-1-type": "work", "phones-primary": "1",
        "addresses-0-line": "Azadi St 12", "addresses-0-city": "Tehran",
        "addresses-0-postal_code": "1316913869", "addresses-0-type": "home",
        "addresses-primary": "0"})
    assert edited.status_code == 302, errors_of(text(edited))
    row = stored(app, "contacts.person", person_id)
    assert row["phone"] == "+982188776655"
    assert [(p["value"], p["primary"]) for p in row["phones"]] == [
        ("+982188776655", True), ("+989121234567", False)]
    # Remove the mobile number with its box and the address by emptying its row.
    page = client.get(url)
    removed = client.post(url, data={
        "csrf_token": csrf(page), "version": str(row["version"]), "last_name": "Karimi",
        "phones-0-value": "+982188776655", "phones-0-type": "work", "phones-primary": "0",
        "phones-1-value": "+989121234567", "phones-1-type": "mobile", "phones-1-remove": "1",
        "addresses-0-line": "", "addresses-0-city": "", "addresses-0-postal_code": "",
        "addresses-0-type": "home", "addresses-primary": "0"})
    assert removed.status_code == 302, errors_of(text(removed))
    row = stored(app, "contacts.person", person_id)
    assert row["phones"] == [{"value": "+982188776655", "type": "work", "primary": True}]
    assert row["addresses"] == [] and row["city"] is None
    # One audited update per save, through the service.
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        from peyvand.audit import Audit

        entries = [(e.action, e.via, json.loads(e.changes)) for e in Audit.select().where(
            (Audit.entity == "contacts.person") & (Audit.record_id == person_id))
            .order_by(Audit.id)]
    assert [(action, via) for action, via, _ in entries] == [
        ("create", "web"), ("update", "web"), ("update", "web")]
    assert {"phones", "phone"} <= set(entries[1][2])
    assert {"phones", "addresses", "city"} <= set(entries[2][2])
    # A stale version is refused, as for every edit.
    stale = client.post(url, data={"csrf_token": csrf(page), "version": "1",
                                   "last_name": "Karimi", "phones-0-value": "0912 000 0000"})
    assert stale.status_code == 302 and stale.headers["Location"].endswith("/edit")
    assert stored(app, "contacts.person", person_id)["phone"] == "+982188776655"
    # "Add another" keeps the version the user started from: a change made meanwhile by
    # someone else is still caught when they save.
    page = client.get(url)
    version = str(stored(app, "contacts.person", person_id)["version"])
    with kernel.storage.bound("default"):
        kernel.service("contacts.person", "default").update(person_id, {"job_title": "CEO"})
    more = client.post(url, data={"csrf_token": csrf(page), "version": version,
                                  "last_name": "Karimi", "phones-0-value": "+982188776655",
                                  "_add": "phones"})
    assert more.status_code == 200
    assert f'name="version" value="{version}"' in text(more)
    assert 'name="phones-1-value"' in text(more)
    stale = client.post(url, data={"csrf_token": csrf(more), "version": version,
                                   "last_name": "Karimi", "phones-0-value": "+982188776655",
                                   "phones-1-value": "09120000000"})
    assert stale.status_code == 302 and stale.headers["Location"].endswith("/edit")
    assert len(stored(app, "contacts.person", person_id)["phones"]) == 1


def test_errors_name_the_row_and_every_error_shows_at_once(app):
    client = web_client(app, "boss", language="en", calendar="gregorian")
    refused = post(client, "/app/contacts/persons/new", {
        "first_name": "Ali", "national_id": "1234567890",
        "phones-0-value": "09121234567", "phones-1-value": "12",
        "emails-0-value": "bad@", "addresses-0-postal_code": "12"})
    assert refused.status_code == 422
    html = text(refused)
    assert row_errors(html, "phones", 1) and "too few digits" in row_errors(html, "phones", 1)[0]
    assert row_errors(html, "phones", 0) == []
    assert row_errors(html, "emails", 0)
    assert row_errors(html, "addresses", 0)
    assert 'value="Ali"' in html and 'value="12"' in html and 'value="bad@"' in html
    flagged = re.findall(r'<div class="form-field kind-\w+ has-error">\s*<label for="f-(\w+)"',
                         html)
    assert sorted(flagged) == ["last_name", "national_id"]
    # last name required + national ID + three rows: five errors in one answer.
    assert len(errors_of(html)) == 5, errors_of(html)
    persian = web_client(app, "maryam")
    html = text(post(persian, "/app/contacts/persons/new", {"last_name": "رضایی",
                                                             "phones-0-value": "12"}))
    [message] = row_errors(html, "phones", 0)
    assert "شماره تلفن" in message and "معتبر نیست" in message


def test_the_organisation_form_edits_its_lists_and_leaves_out_the_address_fields(app):
    client = web_client(app, "boss", language="en", calendar="gregorian")
    page = text(client.get("/app/contacts/organizations/new"))
    assert not re.search(r'name="(phone|email|city|address|postal_code)"', page)
    created = post(client, "/app/contacts/organizations/new", {
        "name": "Novin", "emails-0-value": "Info@Novin.ir", "emails-0-type": "work",
        "emails-1-value": "sales@novin.ir", "emails-1-type": "other", "emails-primary": "1",
        "addresses-0-city": "Karaj", "addresses-0-province": "Alborz"})
    assert created.status_code == 302, errors_of(text(created))
    org_id = int(created.headers["Location"].rsplit("/", 1)[1])
    row = stored(app, "contacts.organization", org_id)
    assert row["email"] == "sales@novin.ir"
    assert [e["value"] for e in row["emails"]] == ["sales@novin.ir", "info@novin.ir"]
    assert row["city"] == "Karaj" and row["addresses"][0]["province"] == "Alborz"


def test_a_role_that_may_not_edit_the_phone_keeps_the_single_field(app):
    kernel = app.extensions["peyvand"]
    client = web_client(app, "boss", language="en", calendar="gregorian")
    seller = web_client(app, "reza", roles=("salesperson",), language="en")
    with kernel.storage.bound("default"):
        from peyvand.identity import FieldRule, get_role

        FieldRule.insert(role=get_role("salesperson"), entity="contacts.person",
                         field="phone", rule="read").execute()
    kernel.bump_generation()
    page = text(seller.get("/app/contacts/persons/new"))
    assert 'id="list-phones"' not in page and re.search(r'name="phone"[^>]*readonly', page)
    assert 'id="list-emails"' in page and not re.search(r'name="email"', page)
    assert 'id="list-phones"' in text(client.get("/app/contacts/persons/new"))


def test_the_api_answers_every_bad_field_at_once(app):
    api = app.test_client()                      # the admin's token
    refused = api.post("/api/v1/contacts/persons", json={
        "phone": "12", "email": "bad@", "national_id": "1234567890",
        "phones": [{"value": "09121234567"}, {"value": "12"}],
        "addresses": [{"postal_code": "12"}, {}]})
    assert refused.status_code == 422
    errors = refused.json["errors"]
    assert set(errors) == {"last_name", "phone", "email", "national_id", "phones[1].value",
                           "addresses[0].postal_code", "addresses[1]"}, errors
    assert "too few digits" in errors["phones[1].value"][0]
    # An update too: both bad fields of one PATCH, not the first.
    made = api.post("/api/v1/contacts/persons", json={"last_name": "Karimi"})
    assert made.status_code == 201
    patched = api.patch(f"/api/v1/contacts/persons/{made.json['id']}",
                        json={"phone": "12", "emails": [{"value": "ok@x.ir"},
                                                        {"value": "bad@"}]})
    assert patched.status_code == 422
    assert set(patched.json["errors"]) == {"phone", "emails[1].value"}


def test_the_save_hook_collects_every_bad_field_too(app):
    """Cleaning in before_record_save (the guard behind the schema's checks) raises one veto
    naming every field, for callers that reach it with values the schema let through."""
    from peyvand_contacts.cleaning import clean
    from peyvand_contacts.models import Person
    from peyvand_sdk import Veto

    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        record = Person(last_name="x", phone="12", email="bad@")
        changes = {"phone": (None, "12"), "email": (None, "bad@"),
                   "phones": (None, [{"value": "1"}, {"value": "09121234567"}])}
        with pytest.raises(Veto) as vetoed:
            clean("contacts.person", record, changes)
    assert set(vetoed.value.errors) == {"phone", "email", "phones[0].value"}
    assert vetoed.value.field == "phone"
