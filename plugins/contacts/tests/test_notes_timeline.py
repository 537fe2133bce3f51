"""Notes on contacts and the contact timeline: every plugin's items through the
contact_timeline hook, newest first, paged without repeats or gaps, filtered by permissions."""

import datetime

import pytest

from peyvand_sdk import Manifest, hookimpl, permission_scope

PEOPLE = "/api/v1/contacts/persons"
NOTES = "/api/v1/contacts/notes"
BASE = datetime.datetime(2025, 3, 1, 9, 0)


class Calls:
    """A throwaway telephony plugin: 30 calls of person 1, the odd ones confidential (only
    for users whose roles may read every person)."""

    manifest = Manifest(label={"en": "Calls"}, requires={"contacts": ">=0.1"})

    def __init__(self):
        self.asked = []

    @hookimpl(optionalhook=True)
    def contact_timeline(self, entity, record_id, before, limit):
        self.asked.append((entity, record_id, before, limit))
        if entity != "contacts.person":
            return []
        everyone = permission_scope("contacts.person", "read") == "all"
        items = [{"at": BASE + datetime.timedelta(minutes=i // 2), "key": f"calls:{i:03d}",
                  "kind": "call", "entity": None, "id": None, "title": f"Call {i}",
                  "summary": None} for i in range(30) if everyone or i % 2 == 0]
        if before is not None:
            items = [i for i in items if i["at"] <= before[0]]
        return sorted(items, key=lambda i: (i["at"], i["key"]), reverse=True)[:limit]


@pytest.fixture
def calls():
    return Calls()


@pytest.fixture
def app(peyvand_app_factory, calls):
    return peyvand_app_factory(plugins=["contacts"], extra_plugins=[("calls", calls, "1.0")])


@pytest.fixture
def client(app):
    from peyvand_sdk.testing import make_user_client

    return make_user_client(app, "admin2", ("admin",))


def _all_pages(client, url, limit):
    keys, cursor, pages = [], None, 0
    while True:
        answer = client.get(url, query_string={"limit": limit,
                                               **({"cursor": cursor} if cursor else {})})
        assert answer.status_code == 200, answer.json
        keys += [i["key"] for i in answer.json["data"]]
        pages += 1
        cursor = answer.json["next_cursor"]
        if cursor is None:
            return keys, pages


def test_notes_need_a_contact_the_author_may_read_and_carry_a_mood(client, app):
    from peyvand_sdk.testing import make_user_client

    person = client.post(PEOPLE, json={"last_name": "کریمی"}).json["id"]
    note = client.post(NOTES, json={"person_id": person, "body": "تماس گرفت", "mood": "happy"})
    assert note.status_code == 201, note.json
    assert note.json["mood"] == "happy" and note.json["owner_id"] is not None
    bad = client.post(NOTES, json={"person_id": person, "body": "x", "mood": "sleepy"})
    assert list(bad.json["errors"]) == ["mood"]
    neither = client.post(NOTES, json={"body": "about nobody"})
    assert neither.status_code == 422 and "person_id" in neither.json["errors"]
    both = client.post(NOTES, json={"body": "x", "person_id": person, "organization_id": 1})
    assert both.status_code == 422
    ghost = client.post(NOTES, json={"body": "x", "person_id": 999})
    assert ghost.status_code == 422 and "999" in ghost.json["errors"]["person_id"][0]
    seller = make_user_client(app, "reza", ("salesperson",))
    outside = seller.post(NOTES, json={"body": "x", "person_id": person})
    assert outside.status_code == 422              # not theirs: as if it did not exist
    listed = client.get(NOTES, query_string={"person_id": person}).json["data"]
    assert [n["body"] for n in listed] == ["تماس گرفت"]
    assert seller.get(NOTES).json["data"] == []    # the admin's note is not the seller's


def test_the_timeline_merges_every_plugin_newest_first_without_repeats_or_gaps(client, app,
                                                                               calls):
    person = client.post(PEOPLE, json={"last_name": "کریمی"}).json["id"]
    assert person == 1
    note = client.post(NOTES, json={"person_id": person, "body": "پیگیری", "mood": "angry"})
    url = f"{PEOPLE}/{person}/timeline"
    first = client.get(url).json
    assert first["data"][0]["key"] == f"contacts.note:{note.json['id']}"
    title = first["data"][0]["title"]
    assert ("Angry" in title or "عصبانی" in title) and first["data"][0]["mood"] == "angry"
    for limit in (1, 4, 7, 25, 100):
        keys, pages = _all_pages(client, url, limit)
        assert len(keys) == len(set(keys)) == 32             # 30 calls, the note, created
        assert pages >= -(-32 // limit)
    everything = client.get(url, query_string={"limit": 100}).json["data"]
    moments = [(i["at"], i["key"]) for i in everything]
    assert moments == sorted(moments, reverse=True)
    assert calls.asked[-1][:2] == ("contacts.person", person)
    assert client.get(url, query_string={"limit": 0}).status_code == 422
    assert client.get(url, query_string={"limit": 101}).status_code == 422
    assert client.get(url, query_string={"cursor": "nonsense"}).status_code == 422


def test_the_timeline_is_filtered_by_the_viewers_permissions(client, app):
    from peyvand_sdk.testing import make_user_client

    seller = make_user_client(app, "reza", ("salesperson",))
    person = seller.post(PEOPLE, json={"last_name": "کریمی"}).json["id"]
    assert person == 1                                   # the one the calls plugin knows
    seller.post(NOTES, json={"person_id": person, "body": "my note"})
    client.post(NOTES, json={"person_id": person, "body": "admin's note"})
    url = f"{PEOPLE}/{person}/timeline?limit=100"
    theirs = seller.get(url).json["data"]
    assert [i["summary"] for i in theirs if i["kind"] == "note"] == ["my note"]
    assert len([i for i in theirs if i["kind"] == "call"]) == 15     # the plugin filtered
    everything = client.get(url).json["data"]
    assert len([i for i in everything if i["kind"] == "note"]) == 2
    assert len([i for i in everything if i["kind"] == "call"]) == 30
    manager = make_user_client(app, "mina", ("manager",), ("sales",))
    assert manager.get(url).status_code == 404           # a contact outside their scope
    assert client.get(f"{PEOPLE}/999/timeline").status_code == 404


def test_the_python_function_pages_like_the_api(client, app):
    from peyvand_contacts.timeline import items

    person = client.post(PEOPLE, json={"last_name": "کریمی"}).json["id"]
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        shown, cursor = items("contacts.person", person, limit=10)
        more, _ = items("contacts.person", person, limit=10, cursor=cursor)
    api = [i["key"] for i in client.get(f"{PEOPLE}/{person}/timeline",
                                        query_string={"limit": 20}).json["data"]]
    assert [i["key"] for i in shown + more] == api


def test_an_organisation_timeline_has_its_notes(client):
    org = client.post("/api/v1/contacts/organizations", json={"name": "نوین"}).json["id"]
    client.post(NOTES, json={"organization_id": org, "body": "قرارداد تمدید شد",
                             "mood": "satisfied"})
    data = client.get(f"/api/v1/contacts/organizations/{org}/timeline").json["data"]
    assert [i["kind"] for i in data] == ["note", "created"]
    assert data[0]["summary"] == "قرارداد تمدید شد"
