"""The duplicates pages through Flask's test client: the warning while typing, the duplicates
list, the merge screen (choice per field, preview, confirm), undo, and who may do what.
(tests/ui drives the same pages in a real browser.)"""

from __future__ import annotations

import re

import pytest
from web_helpers import text, token, user_client


@pytest.fixture
def app(peyvand_app_factory):
    return peyvand_app_factory(plugins=["contacts"])


def _people(app, *rows, owner=None):
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        service = kernel.service("contacts.person", "default")
        out = []
        for row in rows:
            record = service.create(dict(row))
            if owner is not None:
                from peyvand_contacts.models import Person

                Person.update(owner_id=owner).where(Person.id == record.id).execute()
            out.append(record.id)
        return out


def _get(app, person_id):
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        from peyvand_contacts.models import Person

        return Person.get_by_id(person_id)


# -- the warning on the new-person form -----------------------------------------------------------

def test_the_new_person_form_warns_of_likely_duplicates_as_the_user_types(app):
    [maryam] = _people(app, {"first_name": "مریم", "last_name": "کریمی",
                             "phone": "09121234567", "email": "maryam@example.ir"})
    client = user_client(app, "boss", language="fa")
    form = text(client.get("/app/contacts/persons/new"))
    assert 'id="dup-warning"' in form and "dupcheck.js" in form
    # The part is for new records only.
    assert 'id="dup-warning"' not in text(client.get(f"/app/contacts/persons/{maryam}/edit"))

    # The number typed another way (Persian digits, +98) finds her, with a link to her page.
    answer = client.post("/app/contacts/duplicates/check", data={
        "csrf_token": token(client), "last_name": "کریمی", "phone": "+98 ۹۱۲ ۱۲۳ ۴۵۶۷"})
    assert answer.status_code == 200
    body = text(answer)
    assert "تکراری‌های احتمالی" in body
    assert f'href="/app/contacts/persons/{maryam}"' in body and "مریم کریمی" in body
    assert "شماره تلفن یکسان" in body
    # An e-mail in capitals is the same e-mail.
    body = text(client.post("/app/contacts/duplicates/check", data={
        "csrf_token": token(client), "email": " MARYAM@Example.IR "}))
    assert "ایمیل یکسان" in body
    # Nothing alike: an empty answer, so the panel stays empty.
    nothing = client.post("/app/contacts/duplicates/check", data={
        "csrf_token": token(client), "last_name": "رضایی", "email": "reza@example.ir"})
    assert nothing.status_code == 200 and text(nothing).strip() == ""
    # Without the form's CSRF token the check is refused like any form.
    assert client.post("/app/contacts/duplicates/check",
                       data={"email": "maryam@example.ir"}).status_code == 400
    # Without JavaScript the form still saves (the check never blocks).
    saved = client.post("/app/contacts/persons/new", data={
        "csrf_token": token(client), "last_name": "کریمی", "phone": "09121234567",
        "lifecycle_stage": "lead"})
    assert saved.status_code == 302


def test_the_warning_shows_only_people_the_user_may_read(app):
    reza = user_client(app, "reza", roles=("salesperson",))
    [theirs] = _people(app, {"last_name": "Other", "email": "same@example.ir"})
    [own] = _people(app, {"last_name": "Mine", "email": "same@example.ir"}, owner=reza.user_id)
    body = text(reza.post("/app/contacts/duplicates/check", data={
        "csrf_token": token(reza), "email": "same@example.ir"}))
    assert f"/app/contacts/persons/{own}" in body
    assert f"/app/contacts/persons/{theirs}" not in body


# -- the duplicates list --------------------------------------------------------------------------

def test_the_duplicates_list_shows_groups_with_their_rule_and_can_dismiss_one(app):
    a, b = _people(app, {"first_name": "Sara", "last_name": "Amini", "email": "sara@x.ir"},
                   {"first_name": "Sarah", "last_name": "Amini", "email": "SARA@x.ir"})
    client = user_client(app, "boss")
    page = text(client.get("/app/contacts/duplicates"))
    assert 'data-rule="email"' in page and "Same e-mail" in page and "sara@x.ir" in page
    assert f"/app/contacts/merge?entity=person&amp;ids={a},{b}" in page
    assert "data-dismiss" in page
    answer = client.post("/app/contacts/duplicates/dismiss", data={
        "csrf_token": token(client), "entity": "person", "ids": f"{a},{b}",
        "next": "/app/contacts/duplicates"})
    assert answer.status_code == 302
    page = text(client.get(answer.headers["Location"]))
    assert "not be suggested again" in page
    assert 'data-rule="email"' not in page and "No likely duplicates" in page


def test_a_role_that_may_only_read_sees_no_merge_or_dismiss_and_is_refused(app):
    a, b = _people(app, {"last_name": "Amini", "email": "sara@x.ir"},
                   {"last_name": "Amini", "email": "sara@x.ir"})
    reader = user_client(app, "reader", roles=("readonly",))
    page = text(reader.get("/"))
    assert 'data-menu="contacts.duplicates"' in page
    assert 'data-menu="contacts.import"' not in page       # no import right
    page = text(reader.get("/app/contacts/duplicates"))
    assert 'data-rule="email"' in page
    assert "data-merge" not in page and "data-dismiss" not in page
    assert reader.get(f"/app/contacts/merge?entity=person&ids={a},{b}").status_code == 403
    refused = reader.post("/app/contacts/merge", data={
        "csrf_token": token(reader), "entity": "person", "ids": [a, b], "survivor": a,
        "step": "confirm"})
    assert refused.status_code == 403
    assert reader.post("/app/contacts/duplicates/dismiss", data={
        "csrf_token": token(reader), "entity": "person", "ids": f"{a},{b}"}).status_code == 403
    assert _get(app, b).deleted_at is None


# -- merging --------------------------------------------------------------------------------------

def test_merge_with_a_choice_per_field_preview_confirm_and_undo(app):
    a, b = _people(app,
                   {"first_name": "Sara", "last_name": "Amini", "email": "sara@x.ir",
                    "phone": "09121111111"},
                   {"first_name": "Sarah", "last_name": "Amini", "email": "sara@x.ir",
                    "city": "Tehran", "job_title": "CEO"})
    client = user_client(app, "boss")
    form = text(client.get(f"/app/contacts/merge?entity=person&ids={a},{b}"))
    # The record with the most values is offered as the one that remains; each differing
    # field offers each record's value, by default the remaining record's, or the value of
    # the only record that has one; the same values are listed apart.
    assert re.search(rf'name="survivor" value="{b}" checked', form)
    assert re.search(rf'name="take:first_name" value="{b}" checked', form)
    assert re.search(rf'name="take:phone" value="{a}" checked', form)
    assert 'name="take:email"' not in form and "The same in every record" in form

    choice = {"csrf_token": token(client), "entity": "person", "ids": [a, b], "survivor": a,
              "take:first_name": str(b), "take:city": str(b), "take:job_title": str(b),
              "take:phone": str(a)}
    preview = client.post("/app/contacts/merge", data={**choice, "step": "preview"})
    assert preview.status_code == 200
    body = text(preview)
    assert "Nothing is written yet" in body and "Sarah" in body and "Tehran" in body
    assert _get(app, b).deleted_at is None and _get(app, a).first_name == "Sara"

    done = client.post("/app/contacts/merge", data={**choice, "step": "confirm"})
    assert done.status_code == 302
    result_url = done.headers["Location"]
    assert re.search(r"/app/contacts/merges/\d+$", result_url)
    survivor = _get(app, a)
    assert (survivor.first_name, survivor.city, survivor.phone) == (
        "Sarah", "Tehran", "+989121111111")
    assert _get(app, b).deleted_at is not None
    page = text(client.get(result_url))
    assert "data-undo" in page and "Values the merge changed" in page

    listing = text(client.get("/app/contacts/merges"))
    assert "Sarah Amini" in listing and "data-undo" in listing

    undone = client.post(result_url + "/undo", data={"csrf_token": token(client)})
    assert undone.status_code == 302
    page = text(client.get(undone.headers["Location"]))
    assert "The merge is undone" in page and "data-undo" not in page
    assert _get(app, a).first_name == "Sara" and _get(app, a).city is None
    assert _get(app, b).deleted_at is None


def test_an_undo_refused_for_later_changes_offers_undo_anyway(app):
    a, b = _people(app, {"last_name": "Amini", "email": "sara@x.ir"},
                   {"last_name": "Amini", "email": "sara@x.ir", "city": "Tehran"})
    client = user_client(app, "boss")
    done = client.post("/app/contacts/merge", data={
        "csrf_token": token(client), "entity": "person", "ids": [a, b], "survivor": a,
        "take:city": str(b), "step": "confirm"})
    result_url = done.headers["Location"]
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        kernel.service("contacts.person", "default").update(a, {"city": "Karaj"})
    refused = client.post(result_url + "/undo", data={"csrf_token": token(client)})
    page = text(client.get(refused.headers["Location"]))
    # The city is the primary address's: the merge united the addresses, which changed.
    assert "The merge was not undone" in page and "field Addresses of person" in page
    assert "data-undo-force" in page
    assert _get(app, b).deleted_at is not None
    forced = client.post(result_url + "/undo", data={"csrf_token": token(client),
                                                     "force": "1"})
    assert "The merge is undone" in text(client.get(forced.headers["Location"]))
    assert _get(app, b).deleted_at is None and _get(app, a).city == "Karaj"


def test_merging_records_outside_the_users_scope_is_not_found(app):
    reza = user_client(app, "reza", roles=("salesperson",))
    [mine] = _people(app, {"last_name": "Amini", "email": "s@x.ir"}, owner=reza.user_id)
    [other] = _people(app, {"last_name": "Amini", "email": "s@x.ir"})
    assert reza.get(f"/app/contacts/merge?entity=person&ids={mine},{other}").status_code == 404
    answer = reza.post("/app/contacts/merge", data={
        "csrf_token": token(reza), "entity": "person", "ids": [mine, other], "survivor": mine,
        "step": "confirm"})
    assert answer.status_code == 404
    assert _get(app, other).deleted_at is None


def test_organisations_have_their_own_tab_and_merge_moves_their_people(app):
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        orgs = kernel.service("contacts.organization", "default")
        a = orgs.create({"name": "نوین", "email": "info@novin.ir"}).id
        b = orgs.create({"name": "نوين", "email": "info@novin.ir", "city": "تهران"}).id
        people = kernel.service("contacts.person", "default")
        worker = people.create({"last_name": "کریمی", "organization_id": b}).id
    client = user_client(app, "boss", language="fa")
    page = text(client.get("/app/contacts/duplicates?entity=organization"))
    assert 'aria-current="true">سازمان‌ها' in page and "info@novin.ir" in page
    assert f"/app/contacts/merge?entity=organization&amp;ids={a},{b}" in page
    choice = {"csrf_token": token(client), "entity": "organization", "ids": [a, b],
              "survivor": a}
    preview = text(client.post("/app/contacts/merge", data={**choice, "step": "preview"}))
    assert "۱ رکورد مرتبط" in preview and "تهران" in preview
    done = client.post("/app/contacts/merge", data={**choice, "step": "confirm"})
    assert done.status_code == 302
    with kernel.storage.bound("default"):
        from peyvand_contacts.models import Person

        assert Person.get_by_id(worker).organization_id == a
    assert "۱ رکورد مرتبط به رکورد باقی‌مانده منتقل شد" in text(client.get(
        done.headers["Location"]))


def test_the_merge_screen_combines_the_lists_and_names_their_types(app):
    a, b = _people(app,
                   {"last_name": "Amini", "emails": [
                       {"value": "sara@x.ir", "type": "work", "primary": True}]},
                   {"last_name": "Amini", "emails": [
                       {"value": "sara@x.ir", "type": "work", "primary": True},
                       {"value": "sara@home.ir", "type": "home"}],
                    "addresses": [{"line": "خیابان آزادی ۱۲", "city": "تهران",
                                   "type": "billing"}]})
    client = user_client(app, "boss", language="fa")
    form = text(client.get(f"/app/contacts/merge?entity=person&ids={a},{b}"))
    assert "ترکیب‌شده" in form
    assert "sara@home.ir (خانه)" in form and "sara@x.ir (محل کار)" in form
    assert "خیابان آزادی ۱۲، تهران (صورت‌حساب)" in form
    assert 'name="take:emails"' not in form                  # lists have no radio buttons
    done = client.post("/app/contacts/merge", data={
        "csrf_token": token(client), "entity": "person", "ids": [a, b], "survivor": a,
        "step": "confirm"})
    assert done.status_code == 302
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        emails = kernel.service("contacts.person", "default").to_dict(
            kernel.service("contacts.person", "default").get(a))["emails"]
    assert sorted(e["value"] for e in emails) == ["sara@home.ir", "sara@x.ir"]
