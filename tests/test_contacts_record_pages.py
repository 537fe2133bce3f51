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
    # Their own note has Edit and Delete (the generic note pages), which work.
    [mine] = re.findall(r'<li data-note="(\d+)"', page)
    assert f'href="/app/contacts/notes/{mine}/edit"' in page
    assert f'href="/app/contacts/notes/{mine}/delete"' in page
    assert seller.get(f"/app/contacts/notes/{mine}/edit").status_code == 200
    # A read-only role sees the admin's note without them.
    reader_page = text(web_client(app, "mina", roles=("readonly",)).get(
        f"/app/contacts/persons/{own}?tab=contacts.notes"))
    assert "یادداشت مدیر" in reader_page and "/edit" not in reader_page.split("note-list")[1]
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


# -- the kind of each timeline item ----------------------------------------------------------

class Calls:
    """A throwaway telephony plugin: one call that names its kind (``label``) and one that
    gives only ``kind``."""

    from peyvand_sdk import Manifest

    manifest = Manifest(label={"en": "Calls"}, requires={"contacts": ">=0.1"})

    from peyvand_sdk import hookimpl

    @hookimpl(optionalhook=True)
    def contact_timeline(self, entity, record_id, before, limit):
        import datetime

        from peyvand_sdk import current_language

        at = datetime.datetime(2020, 1, 1, 9, 0)
        return [{"at": at, "key": "calls:1", "kind": "call", "entity": None, "id": None,
                 "label": "تماس" if current_language() == "fa" else "Call",
                 "title": "Answered", "summary": None},
                {"at": at, "key": "calls:2", "kind": "voicemail_left", "entity": None,
                 "id": None, "title": "No answer", "summary": None}][:limit]


def _kinds(page: str) -> dict[str, str]:
    """``{item key: the kind's label shown}`` of a timeline page."""
    return dict(re.findall(r'data-key="([^"]+)">\s*<p><span class="badge timeline-kind" '
                           r'data-kind-label>([^<]*)</span>', page))


def test_every_timeline_item_shows_its_kind_in_the_viewers_language(peyvand_app_factory):
    app = peyvand_app_factory(plugins=["contacts", "sales"],
                              extra_plugins=[("calls", Calls(), "1.0")])
    api = app.test_client()                       # the admin, through the API
    person = api.post("/api/v1/contacts/persons", json={"last_name": "رضایی",
                                                        "email": "reza@example.ir"}).json["id"]
    twin = api.post("/api/v1/contacts/persons", json={"last_name": "رضایی",
                                                      "email": "reza@example.ir"}).json["id"]
    deal = api.post("/api/v1/sales/deals", json={
        "title": "کارتخوان", "pipeline_id": 1, "stage": "qualified", "person_id": person,
        "amount": "1000"}).json["id"]
    assert api.post(f"/api/v1/sales/deals/{deal}/move",
                    json={"stage": "proposal"}).status_code == 200
    assert api.post(f"/api/v1/sales/deals/{deal}/move",
                    json={"status": "won"}).status_code == 200
    lead = api.post("/api/v1/sales/leads", json={
        "last_name": "رضایی", "email": "reza@example.ir", "source": "event"}).json["id"]
    assert api.post(f"/api/v1/sales/leads/{lead}/convert",
                    json={"create_deal": False}).json["person"]["id"] == person
    api.post("/api/v1/sales/activities", json={
        "subject": "پیگیری", "entity": "contacts.person", "record_id": person})
    api.post("/api/v1/contacts/notes", json={"person_id": person, "body": "تماس گرفتم"})
    merged = api.post("/api/v1/contacts/persons/merge", json={"survivor": person,
                                                              "merged": [twin]})
    assert merged.status_code == 201, merged.json
    assert api.post(f"/api/v1/contacts/merges/{merged.json['id']}/undo").status_code == 200

    client = web_client(app, "boss")                               # Persian
    page = text(client.get(f"/app/contacts/persons/{person}?tab=contacts.timeline"))
    kinds = _kinds(page)
    stage = next(k for k in kinds if ":stage:" in k)
    shown = {key: kinds.get(key) for key in (
        f"contacts.person:{person}:created", f"sales.deal:{deal}:created", stage,
        f"sales.deal:{deal}:won", f"sales.lead:{lead}:created",
        f"sales.lead:{lead}:converted", f"contacts.merge:{merged.json['id']}",
        f"contacts.merge:{merged.json['id']}:undone", "calls:1", "calls:2")}
    assert shown == {
        f"contacts.person:{person}:created": "مخاطب جدید",
        f"sales.deal:{deal}:created": "معامله", stage: "تغییر مرحله",
        f"sales.deal:{deal}:won": "معامله برنده شد", f"sales.lead:{lead}:created": "سرنخ",
        f"sales.lead:{lead}:converted": "سرنخ تبدیل شد",
        f"contacts.merge:{merged.json['id']}": "ادغام شد",
        f"contacts.merge:{merged.json['id']}:undone": "واگردانی ادغام",
        "calls:1": "تماس", "calls:2": "رویداد"}          # no label: never the raw kind
    assert {kinds[k] for k in kinds if k.startswith("sales.activity:")} == {"فعالیت"}
    assert {kinds[k] for k in kinds if k.startswith("contacts.note:")} == {"یادداشت"}
    assert "voicemail_left" not in re.sub(r"<[^>]*>", "", page)       # not in the text shown
    # The merge links to its page.
    assert f'href="/app/contacts/merges/{merged.json["id"]}"' in page

    english = web_client(app, "sara", language="en")
    kinds = _kinds(text(english.get(f"/app/contacts/persons/{person}?tab=contacts.timeline")))
    assert (kinds[f"sales.deal:{deal}:created"], kinds[stage], kinds["calls:1"],
            kinds["calls:2"], kinds[f"contacts.merge:{merged.json['id']}"]) == (
        "Deal", "Stage change", "Call", "Event", "Merged")
