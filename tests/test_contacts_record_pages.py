"""What the contacts plugin adds to a person's and an organisation's record page: the
timeline tab (every plugin's items through ``contact_timeline``, newest first, paged, as the
viewer may see them)."""

from __future__ import annotations

import re

import pytest
from web_kit import csrf, log_in, make_user, web_client


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def app(peyvand_app_factory):
    return peyvand_app_factory(plugins=["contacts", "sales"])


def _calls(app, person_id, count, owner=None):
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        service = kernel.service("sales.activity", "default")
        out = []
        for i in range(count):
            record = service.create({"subject": f"Call {i}", "kind": "call",
                                     "entity": "contacts.person", "record_id": person_id})
            if owner is not None:
                from peyvand_sales.models import Activity

                Activity.update(owner_id=owner, assignee_id=owner).where(
                    Activity.id == record.id).execute()
            out.append(record.id)
        return out


def _person(app, **values):
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        return kernel.service("contacts.person", "default").create(
            {"last_name": "Karimi", **values}).id


def test_the_timeline_tab_pages_every_plugins_items_newest_first(app):
    person = _person(app)
    calls = _calls(app, person, 23)
    client = web_client(app, "boss", language="en")
    page = text(client.get(f"/app/contacts/persons/{person}"))
    assert 'data-tab="contacts.timeline"' in page and "Timeline" in page
    assert "contact-timeline" not in page                  # rendered only when opened
    page = text(client.get(f"/app/contacts/persons/{person}?tab=contacts.timeline"))
    keys = re.findall(r'data-key="sales\.activity:(\d+)"', page)
    assert [int(k) for k in keys] == calls[::-1][:20]
    assert f'href="/app/sales/activities/{calls[-1]}"' in page
    older = re.search(r'href="(\?tab=contacts\.timeline&amp;before=[^"]+)" rel="next"', page)
    assert older, "an Older link"
    page = text(client.get(f"/app/contacts/persons/{person}" + older.group(1).replace(
        "&amp;", "&")))
    keys = re.findall(r'data-key="sales\.activity:(\d+)"', page)
    assert [int(k) for k in keys] == calls[::-1][20:]
    assert "data-older" not in page and "Newest" in page
    # A cursor that is not one of ours shows the first page.
    page = text(client.get(f"/app/contacts/persons/{person}?tab=contacts.timeline&before=x"))
    assert len(re.findall(r'data-key="sales\.activity:', page)) == 20


def test_the_timeline_shows_only_what_the_viewer_may_read(app):
    reza = make_user(app, "reza", roles=("salesperson",))
    seller = log_in(app.test_client(), "reza")
    person = _person(app)
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        from peyvand_contacts.models import Person

        Person.update(owner_id=reza.id).where(Person.id == person).execute()
    [theirs] = _calls(app, person, 1)                     # the admin's call
    [mine] = _calls(app, person, 1, owner=reza.id)
    page = text(seller.get(f"/app/contacts/persons/{person}?tab=contacts.timeline"))
    assert f'data-key="sales.activity:{mine}"' in page
    assert f'data-key="sales.activity:{theirs}"' not in page


def test_an_organisation_has_the_timeline_tab_with_its_creation(app):
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        org = kernel.service("contacts.organization", "default").create({"name": "نوین"}).id
    client = web_client(app, "boss")
    page = text(client.get(f"/app/contacts/organizations/{org}?tab=contacts.timeline"))
    assert 'data-tab-body="contacts.timeline"' in page
    # Never empty: the contacts plugin puts the record's creation on it.
    assert f'data-key="contacts.organization:{org}:created"' in page
    assert "به مخاطبین افزوده شد" in page


# -- notes ----------------------------------------------------------------------------------------

def _notes(app, **where):
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        from peyvand_contacts.models import Note

        query = Note.select().where(Note.deleted_at.is_null())
        for name, value in where.items():
            query = query.where(getattr(Note, name) == value)
        return [(n.body, n.mood, n.owner_id) for n in query.order_by(Note.id)]


def test_a_note_with_a_mood_is_added_from_the_notes_tab_and_shown_on_the_timeline(app):
    person = _person(app)
    boss = make_user(app, "boss")
    client = log_in(app.test_client(), "boss")
    url = f"/app/contacts/persons/{person}"
    page = text(client.get(url + "?tab=contacts.notes"))
    assert 'class="panel stack note-form"' in page and "هنوز یادداشتی نیست" in page
    assert '<option value="satisfied">راضی</option>' in page
    answer = client.post(url + "/notes", data={
        "csrf_token": csrf(client.get(url)), "body": "تماس گرفتم؛\nپیش‌فاکتور می‌خواهد",
        "mood": "satisfied"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(
        "?tab=contacts.notes")
    assert _notes(app, person=person) == [("تماس گرفتم؛\nپیش‌فاکتور می‌خواهد", "satisfied",
                                           boss.id)]
    page = text(client.get(answer.headers["Location"]))
    assert "یادداشت افزوده شد" in page
    assert re.search(r'data-mood="satisfied">.*?<bdi>boss</bdi>.*?راضی.*?پیش‌فاکتور', page,
                     re.S)
    timeline = text(client.get(url + "?tab=contacts.timeline"))
    assert 'data-kind="note"' in timeline and "پیش‌فاکتور می‌خواهد" in timeline

    # An empty note is refused with a message; nothing is written.
    answer = client.post(url + "/notes", data={"csrf_token": csrf(client.get(url)),
                                                "body": "  "})
    assert "ابتدا متن یادداشت را بنویسید" in text(client.get(answer.headers["Location"]))
    assert len(_notes(app, person=person)) == 1
    # An organisation has notes too.
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        org = kernel.service("contacts.organization", "default").create({"name": "نوین"}).id
    client.post(f"/app/contacts/organizations/{org}/notes", data={
        "csrf_token": csrf(client.get(url)), "body": "جلسه هفته بعد"})
    assert _notes(app, organization=org) == [("جلسه هفته بعد", None, boss.id)]


def test_notes_follow_the_users_rights(app):
    reza = make_user(app, "reza", roles=("salesperson",))
    seller = log_in(app.test_client(), "reza")
    own, other = _person(app), _person(app)
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        from peyvand_contacts.models import Person

        Person.update(owner_id=reza.id).where(Person.id == own).execute()
    admin = web_client(app, "boss")
    admin.post(f"/app/contacts/persons/{own}/notes", data={
        "csrf_token": csrf(admin.get("/")), "body": "یادداشت مدیر"})
    # The salesperson's own person: they add notes and see their own, not the admin's.
    seller.post(f"/app/contacts/persons/{own}/notes", data={
        "csrf_token": csrf(seller.get("/")), "body": "یادداشت من"})
    page = text(seller.get(f"/app/contacts/persons/{own}?tab=contacts.notes"))
    assert "یادداشت من" in page and "یادداشت مدیر" not in page
    # Someone else's person: not found, and nothing written.
    answer = seller.post(f"/app/contacts/persons/{other}/notes", data={
        "csrf_token": csrf(seller.get("/")), "body": "x"})
    assert answer.status_code == 404 and _notes(app, person=other) == []
    # A read-only role sees notes but no form, and is refused.
    reader = web_client(app, "nima", roles=("readonly",))
    page = text(reader.get(f"/app/contacts/persons/{own}?tab=contacts.notes"))
    assert "یادداشت مدیر" in page and "note-form" not in page
    assert reader.post(f"/app/contacts/persons/{own}/notes", data={
        "csrf_token": csrf(reader.get("/")), "body": "x"}).status_code == 403


def test_a_persons_vcard_is_a_link_tab_and_downloads(app):
    person = _person(app, first_name="علی", phones=[
        {"value": "09121234567", "type": "mobile", "primary": True}])
    client = web_client(app, "boss")
    page = text(client.get(f"/app/contacts/persons/{person}"))
    assert f'href="/app/contacts/persons/{person}/vcard" data-tab="contacts.vcard"' in page
    answer = client.get(f"/app/contacts/persons/{person}/vcard")
    assert answer.status_code == 200 and answer.mimetype == "text/vcard"
    card = answer.get_data(as_text=True)
    assert "BEGIN:VCARD" in card and "علی" in card and "+989121234567" in card
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        org = kernel.service("contacts.organization", "default").create({"name": "نوین"}).id
    assert 'data-tab="contacts.vcard"' not in text(client.get(
        f"/app/contacts/organizations/{org}"))                   # people only
    seller = web_client(app, "reza", roles=("salesperson",))
    assert seller.get(f"/app/contacts/persons/{person}/vcard").status_code == 404
