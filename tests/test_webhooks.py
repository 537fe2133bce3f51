"""Outgoing webhooks, received by a real HTTP server on 127.0.0.1 that checks the signature."""

import json
import time
from pathlib import Path

import pytest
from events_kit import Receiver, drain, jobs_of, queue_url  # noqa: F401

from peyvand.worker import Worker

PEOPLE = "/api/v1/contacts/persons"


@pytest.fixture(autouse=True)
def fast(monkeypatch):
    monkeypatch.setenv("PEYVAND_JOB_BACKOFF_S", "0.02")
    monkeypatch.setenv("PEYVAND_WEBHOOK_TIMEOUT_S", "5")


@pytest.fixture
def receivers():
    made = []

    def make(**kwargs):
        receiver = Receiver(**kwargs)
        made.append(receiver)
        return receiver

    yield make
    for receiver in made:
        receiver.close()


@pytest.fixture
def app(peyvand_app_factory):
    return peyvand_app_factory(plugins=["contacts"])


def subscribe(client, url, events=("record-created",), **extra):
    response = client.post("/api/v1/webhooks", json={"url": url, "events": list(events),
                                                     **extra})
    assert response.status_code == 201, response.json
    return response.json


def test_subscribe_receive_and_verify_on_a_real_server(app, receivers, queue_url):  # noqa: F811
    kernel = app.extensions["peyvand"]
    client = app.test_client()
    receiver = receivers()
    hook = subscribe(client, receiver.url, ["record-created", "record-updated"],
                     description="ERP")
    receiver.secret = hook["secret"]
    assert hook["secret"].startswith("whsec_") and hook["owner"]["name"] == "admin"
    assert hook["events"] == ["record-created", "record-updated"]
    listed = client.get("/api/v1/webhooks").json["data"]
    assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]
    assert "secret" not in client.get(f"/api/v1/webhooks/{hook['id']}").json

    created = client.post(PEOPLE, json={"first_name": "علی", "last_name": "رضایی"}).json
    client.patch(f"{PEOPLE}/{created['id']}", json={"city": "اصفهان"})
    client.delete(f"{PEOPLE}/{created['id']}")  # not subscribed

    worker = Worker(kernel, concurrency=2).start()
    try:
        receiver.wait_for(2)
        time.sleep(0.3)
    finally:
        worker.stop()
    assert worker.errors == []
    assert len(receiver.requests) == 2
    assert all(r["verified"] for r in receiver.requests)
    by_type = {e["type"]: e for e in receiver.events()}
    assert set(by_type) == {"record-created", "record-updated"}
    assert by_type["record-updated"]["data"] == {"entity": "contacts.person",
                                                 "id": created["id"],
                                                 "changes": {"city": [None, "اصفهان"]}}
    assert by_type["record-created"]["actor"]["name"] == "admin"
    for request in receiver.requests:
        headers = request["headers"]
        assert headers["x-peyvand-event-id"] == json.loads(request["body"])["id"]
        assert headers["content-type"].startswith("application/json")
        assert headers["x-peyvand-event"] in by_type
    log = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json["data"]
    assert sorted((d["outcome"], d["status_code"], d["attempt"]) for d in log) == [
        ("delivered", 200, 1), ("delivered", 200, 1)]


def test_a_tampered_body_or_an_old_signature_fails_verification(app, receivers):
    client = app.test_client()
    receiver = receivers()
    receiver.secret = subscribe(client, receiver.url)["secret"]
    client.post(PEOPLE, json={"last_name": "x"})
    drain(app.extensions["peyvand"])
    [request] = receiver.requests
    assert receiver.verify(request["headers"], request["body"])
    assert not receiver.verify(request["headers"], request["body"].replace(b"x", b"y"))
    receiver.tolerance = -1
    assert not receiver.verify(request["headers"], request["body"])
    wrong = Receiver(secret="whsec_wrong")
    try:
        assert not wrong.verify(request["headers"], request["body"])
    finally:
        wrong.close()

    from peyvand.webhooks import verify

    header = request["headers"]["x-peyvand-signature"]
    assert verify(receiver.secret, header, request["body"])
    assert not verify(receiver.secret, header, request["body"] + b" ")

    # The README's verification snippet, as an admin would paste it.
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Background jobs and webhooks", 1)[1].split("\n## ", 1)[0]
    snippet = next(block for block in section.split("```python\n")[1:]
                   if "def verify" in block).split("```", 1)[0]
    scope = {}
    exec(snippet, scope)  # noqa: S102 - our own documentation
    assert scope["verify"](receiver.secret, header, request["body"])
    assert not scope["verify"](receiver.secret, header, request["body"][:-1])
    assert not scope["verify"]("whsec_other", header, request["body"])


def test_failures_are_retried_with_their_status_codes_logged(app, receivers):
    kernel = app.extensions["peyvand"]
    client = app.test_client()
    receiver = receivers(statuses=[500, 503, 302])
    hook = subscribe(client, receiver.url)
    receiver.secret = hook["secret"]
    client.post(PEOPLE, json={"last_name": "x"})
    drain(kernel)
    assert len(receiver.requests) == 4
    assert len({r["headers"]["x-peyvand-event-id"] for r in receiver.requests}) == 1
    assert [r["headers"]["x-peyvand-delivery-attempt"] for r in receiver.requests] == [
        "1", "2", "3", "4"]
    assert all(r["verified"] for r in receiver.requests)
    log = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json["data"]
    assert [(d["attempt"], d["outcome"], d["status_code"]) for d in reversed(log)] == [
        (1, "failed", 500), (2, "failed", 503), (3, "failed", 302), (4, "delivered", 200)]
    assert "HTTP 500" in log[-1]["error"]
    [job] = jobs_of(kernel, task="peyvand.webhook")
    assert job.state == "done" and job.attempts == 4


def test_a_receiver_that_keeps_failing_goes_to_the_dead_letters_and_can_be_replayed(
        app, receivers, monkeypatch):
    monkeypatch.setenv("PEYVAND_WEBHOOK_RETRIES", "1")
    kernel = app.extensions["peyvand"]
    client = app.test_client()
    receiver = receivers(statuses=[500, 500])
    hook = subscribe(client, receiver.url)
    receiver.secret = hook["secret"]
    person = client.post(PEOPLE, json={"last_name": "x"}).json
    drain(kernel)
    [dead] = client.get("/api/v1/jobs/dead").json["data"]
    assert dead["task"] == "peyvand.webhook" and dead["attempts"] == 2
    assert dead["payload"]["event"]["data"]["id"] == person["id"]

    assert client.post(f"/api/v1/jobs/dead/{dead['id']}/replay").status_code == 200
    drain(kernel)
    assert len(receiver.requests) == 3
    event_id = receiver.requests[-1]["headers"]["x-peyvand-event-id"]

    # A manual replay of a delivered event sends it again, under the same event id.
    replay = client.post(f"/api/v1/webhooks/{hook['id']}/replay", json={"event_id": event_id})
    assert replay.status_code == 200, replay.json
    drain(kernel)
    assert len(receiver.requests) == 4
    assert receiver.requests[-1]["headers"]["x-peyvand-event-id"] == event_id
    assert receiver.requests[-1]["verified"]
    assert client.post(f"/api/v1/webhooks/{hook['id']}/replay",
                       json={"event_id": "nope"}).status_code == 404


def test_payloads_follow_the_permissions_of_the_owner(peyvand_app_factory, receivers):
    """A subscription owned by a salesperson (say an integration user): records they may not
    read are not delivered, fields hidden from their role are left out."""
    from peyvand.identity import FieldRule, get_role
    from peyvand.webhooks import create_webhook
    from peyvand_sdk.testing import make_user_client

    app = peyvand_app_factory(plugins=["contacts"])
    kernel = app.extensions["peyvand"]
    reza = make_user_client(app, "reza", ("salesperson",))
    sara = make_user_client(app, "sara", ("salesperson",))
    receiver = receivers()
    with kernel.storage.bound("default"):
        FieldRule.create(role=get_role("salesperson"), entity="contacts.person",
                         field="national_id", rule="hidden")
        hook, receiver.secret = create_webhook(kernel, "default", url=receiver.url,
                                               events=["*"], owner_id=reza.peyvand_user.id)
    kernel.bump_generation()

    mine = reza.post(PEOPLE, json={"last_name": "mine"}).json
    theirs = sara.post(PEOPLE, json={"last_name": "theirs"}).json
    admin = app.test_client()
    assert admin.patch(f"{PEOPLE}/{mine['id']}",
                       json={"national_id": "0499370899"}).status_code == 200
    assert admin.patch(f"{PEOPLE}/{mine['id']}", json={"city": "قم",
                                                       "national_id": "0084575948"}).json
    drain(kernel)
    events = sorted(receiver.events(), key=lambda e: e["occurred_at"])
    assert [(e["type"], e["data"]["id"]) for e in events] == [
        ("record-created", mine["id"]), ("record-updated", mine["id"])]
    assert events[0]["data"]["changes"]["last_name"] == [None, "mine"]
    assert events[1]["data"]["changes"] == {"city": [None, "قم"]}  # national_id hidden
    assert all(r["verified"] for r in receiver.requests)
    log = admin.get(f"/api/v1/webhooks/{hook.id}/deliveries").json["data"]
    filtered = sorted(d["error"] for d in log if d["outcome"] == "filtered")
    assert filtered == ["only fields hidden from the owner changed",
                        f"the owner (reza) may not read contacts.person {theirs['id']}"]


def test_delete_stops_deliveries_and_validation_names_the_field(app, receivers):
    kernel = app.extensions["peyvand"]
    client = app.test_client()
    receiver = receivers()
    hook = subscribe(client, receiver.url, ["*"], entities=["contacts.person"])
    bad = client.post("/api/v1/webhooks", json={"url": "ftp://x", "events": ["record-created"]})
    assert bad.status_code == 422 and "url" in bad.json["errors"]
    bad = client.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["deal-wonn"]})
    assert bad.status_code == 422 and "deal-wonn" in bad.json["errors"]["events"][0]
    bad = client.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["*"],
                                                "entities": ["sales.deal"]})
    assert bad.status_code == 422 and "entities" in bad.json["errors"]
    assert client.delete(f"/api/v1/webhooks/{hook['id']}").status_code == 204
    assert client.delete(f"/api/v1/webhooks/{hook['id']}").status_code == 404
    client.post(PEOPLE, json={"last_name": "x"})
    drain(kernel)
    assert receiver.requests == []


def test_the_cli_subscribes_lists_and_shows_deliveries(app, receivers):
    from click.testing import CliRunner

    from peyvand.cli import main

    kernel = app.extensions["peyvand"]
    receiver = receivers()

    def run(*args):
        result = CliRunner().invoke(main, list(args), obj={"kernel": kernel},
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    added = run("webhooks", "add", receiver.url, "--event", "record-created",
                "--entity", "contacts.person")
    receiver.secret = added.split("signing secret (shown once, keep it): ")[1].strip()
    assert "owner admin" in added
    assert receiver.url in run("webhooks", "list") and "whsec_" not in run("webhooks", "list")
    app.test_client().post(PEOPLE, json={"last_name": "x"})
    drain(kernel)
    [request] = receiver.requests
    assert request["verified"]
    log = run("webhooks", "deliveries", "1")
    assert "delivered 200" in log and request["headers"]["x-peyvand-event-id"] in log
    assert "queued for webhook 1" in run("webhooks", "replay", "1",
                                         request["headers"]["x-peyvand-event-id"])
    assert "webhook 1 removed" in run("webhooks", "remove", "1")
