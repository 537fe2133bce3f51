"""Record and plugin events land in the outbox in the transaction of the change."""

import pytest
from events_kit import Spy, outbox, ping

from peyvand.errors import PluginError
from peyvand.events import EventError, event_types
from peyvand_sdk import EventType, Manifest, acting_as, emit_event, hookimpl

PEOPLE = "/api/v1/contacts/persons"


@pytest.fixture
def kernel(peyvand_kernel_factory):
    return peyvand_kernel_factory(plugins=["contacts"], extra_plugins=[("spy", Spy(), "1.0")])


def test_every_record_write_through_the_api_leaves_one_event(peyvand_app_factory):
    app = peyvand_app_factory(plugins=["contacts"])
    kernel = app.extensions["peyvand"]
    client = app.test_client()
    created = client.post(PEOPLE, json={"first_name": "نسرین", "last_name": "کریمی",
                                        "national_id": "0499370899"})
    assert created.status_code == 201, created.json
    url = created.headers["Location"]
    person = created.json["id"]
    assert client.patch(url, json={"city": "تهران"}).status_code == 200
    assert client.patch(url, json={"city": "تهران"}).status_code == 200  # no change, no event
    assert client.delete(url).status_code == 204
    assert client.post(url + "/restore").status_code == 200

    events = outbox(kernel)
    assert [e["type"] for e in events] == ["record-created", "record-updated", "record-deleted",
                                          "record-restored"]
    assert len({e["id"] for e in events}) == 4
    for event in events:
        assert event["tenant"] == "default" and event["entity"] == "contacts.person"
        assert event["data"]["entity"] == "contacts.person" and event["data"]["id"] == person
        assert event["actor"]["name"] == "admin" and event["actor"]["via"] == "api"
        assert event["occurred_at"].endswith("Z")
    created_changes = events[0]["data"]["changes"]
    assert created_changes["last_name"] == [None, "کریمی"]
    assert created_changes["national_id"] == [None, "0499370899"]
    assert "search_text" not in created_changes  # server-internal columns stay out
    assert events[1]["data"]["changes"] == {"city": [None, "تهران"]}
    assert events[2]["data"]["changes"] == {} and events[3]["data"]["changes"] == {}


def test_an_event_exists_if_and_only_if_the_change_committed(kernel):
    service = kernel.service("contacts.person", "default")
    db = kernel.storage.database_for("default")
    with kernel.storage.bound("default"):
        with pytest.raises(RuntimeError), db.atomic():
            service.create({"last_name": "rolled back"})
            raise RuntimeError("the request failed after the write")
        with db.atomic():
            person = service.create({"last_name": "kept"})
            ping(person.id)
        with pytest.raises(RuntimeError), db.atomic():
            ping(person.id)
            raise RuntimeError("no")
    events = outbox(kernel)
    assert [e["type"] for e in events] == ["record-created", "spy-pinged"]
    assert events[0]["data"]["changes"]["last_name"] == [None, "kept"]
    assert events[1] == {**events[1], "entity": "contacts.person",
                         "data": {"id": person.id, "why": "test"}}


def test_a_rejected_write_leaves_no_event(peyvand_app_factory):
    app = peyvand_app_factory(plugins=["contacts"])
    client = app.test_client()
    assert client.post(PEOPLE, json={"last_name": "", "shoe_size": 1}).status_code == 422
    assert outbox(app.extensions["peyvand"]) == []


def test_emit_event_checks_the_declarations(kernel):
    with kernel.storage.bound("default"):
        with pytest.raises(EventError, match="no plugin enabled for tenant 'default' declares"):
            emit_event("deal-won", {"id": 1})
        with pytest.raises(EventError, match="written by the kernel"):
            emit_event("record-created", {"id": 1})
        with pytest.raises(EventError, match="integer 'id'"):
            emit_event("spy-pinged", {"why": "no id"})
        with pytest.raises(EventError, match="not JSON"):
            emit_event("spy-woke", {"thing": object()})
        with acting_as(kernel.actor_for(_admin(), "default", via="cli")):
            event_id = emit_event("spy-woke", {"at": "dawn"})
    woke = outbox(kernel)[-1]
    assert woke["id"] == event_id and woke["entity"] is None
    assert woke["actor"] == {"id": woke["actor"]["id"], "name": "boss", "via": "cli"}
    with pytest.raises(EventError, match="tenant's context"):
        emit_event("spy-woke", {})


def _admin():
    from peyvand.identity import create_user

    return create_user("boss", roles=("admin",))


def test_a_disabled_plugin_cannot_emit_and_its_events_are_not_offered(kernel):
    assert {"spy-pinged", "spy-woke", "record-created"} <= set(event_types(kernel, "default"))
    kernel.disable("spy")
    assert "spy-pinged" not in event_types(kernel, "default")
    with kernel.storage.bound("default"), pytest.raises(EventError, match="declares"):
        emit_event("spy-woke", {})


class Clash:
    manifest = Manifest(label={"en": "Clash"})

    def __init__(self, name):
        self.name = name

    @hookimpl
    def register_events(self):
        return [EventType(self.name, {"en": "x"})]


@pytest.mark.parametrize("name, error", [
    ("spy-woke", "declared by both"),
    ("record-moved", "belong to the kernel"),
    ("Deal_Won", "kebab-case"),
])
def test_bad_declarations_are_refused_with_the_plugin_named(name, error,
                                                             peyvand_kernel_factory):
    kernel = peyvand_kernel_factory(plugins=["contacts"],
                                    extra_plugins=[("spy", Spy(), "1.0"),
                                                   ("clash", Clash(name), "1.0")])
    with pytest.raises(PluginError, match=error):
        event_types(kernel, "default")


def test_import_writes_one_event_per_person(kernel, tmp_path):
    from peyvand_contacts.importing.pipeline import import_people

    source = tmp_path / "people.csv"
    source.write_text("first name,last name,mobile\nعلی,رضایی,09121234567\n"
                      "Sara,Ahmadi,09351234567\n", encoding="utf-8")
    db = kernel.storage.database_for("default")
    with kernel.storage.bound("default"), db.atomic():
        result = import_people(source, hooks=kernel.hooks("default"))
    assert not result.errors
    created = [e for e in outbox(kernel) if e["type"] == "record-created"]
    assert sorted(e["data"]["changes"]["last_name"][1] for e in created) == ["Ahmadi", "رضایی"]
