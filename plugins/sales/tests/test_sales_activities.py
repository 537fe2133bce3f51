"""Activities linked to any record, the "my work" inbox, reminders sent once by the periodic
task, and the private iCalendar feed (checked with the icalendar library)."""

import datetime
import time
import uuid

import icalendar
import pytest

from peyvand_sdk import Manifest, enqueue_task, hookimpl

pytestmark = pytest.mark.peyvand_plugins("contacts", "sales")

ACTIVITIES = "/api/v1/sales/activities"


def utcnow():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def at(**delta) -> str:
    return (utcnow() + datetime.timedelta(**delta)).replace(microsecond=0).isoformat() + "Z"


def activity(client, **values):
    response = client.post(ACTIVITIES, json={"subject": "پیگیری", **values})
    assert response.status_code == 201, response.json
    return response.json


def test_activities_link_to_any_record_the_user_may_read(peyvand_client, peyvand_login):
    person = peyvand_client.post("/api/v1/contacts/persons", json={"last_name": "احمدی"}).json
    deal = peyvand_client.post("/api/v1/sales/deals", json={
        "title": "x", "pipeline_id": 1, "stage": "qualified"}).json
    call = activity(peyvand_client, kind="call", entity="contacts.person",
                    record_id=person["id"], due_at="2030-01-01T12:00:00+03:30",
                    reminder_at="2030-01-01T08:00:00Z", priority="high", duration_minutes=15)
    assert call["due_at"] == "2030-01-01T08:30:00Z"          # stored and shown in UTC
    assert (call["entity"], call["record_id"], call["status"]) == ("contacts.person",
                                                                   person["id"], "open")
    activity(peyvand_client, kind="meeting", entity="sales.deal", record_id=deal["id"])
    listed = peyvand_client.get(f"{ACTIVITIES}?entity=sales.deal&record_id={deal['id']}")
    assert [a["kind"] for a in listed.json["data"]] == ["meeting"]
    for bad, field in (({"entity": "sales.deal"}, "record_id"),
                       ({"entity": "nope.thing", "record_id": 1}, "entity"),
                       ({"entity": "sales.deal", "record_id": 999}, "record_id")):
        refused = peyvand_client.post(ACTIVITIES, json={"subject": "x", **bad})
        assert refused.status_code == 422 and field in refused.json["errors"], bad
    seller = peyvand_login("salesperson")
    hidden = seller.post(ACTIVITIES, json={"subject": "x", "entity": "contacts.person",
                                           "record_id": person["id"]})
    assert hidden.status_code == 422 and "record_id" in hidden.json["errors"]


def test_outcome_and_done(peyvand_client):
    call = activity(peyvand_client, kind="call")
    done = peyvand_client.patch(f"{ACTIVITIES}/{call['id']}", json={
        "status": "done", "outcome": "قرار جلسه گذاشته شد"}).json
    assert done["done_at"] and done["outcome"] == "قرار جلسه گذاشته شد"
    assert peyvand_client.patch(f"{ACTIVITIES}/{call['id']}", json={"status": "open"}
                                ).json["done_at"] is None
    refused = peyvand_client.patch(f"{ACTIVITIES}/{call['id']}",
                                   json={"done_at": "2020-01-01T00:00:00Z"})
    assert refused.status_code == 422 and "done_at" in refused.json["errors"]


def test_assigning_to_a_colleague_gives_it_to_them(peyvand_login):
    boss = peyvand_login("manager", team="sales")
    seller = peyvand_login("salesperson", team="sales")
    task = activity(boss, assignee_id=seller.peyvand_user.id, due_at=at(hours=2))
    assert task["owner_id"] == seller.peyvand_user.id
    assert seller.get(f"{ACTIVITIES}/{task['id']}").status_code == 200
    mine = activity(seller)
    assert mine["assignee_id"] == mine["owner_id"] == seller.peyvand_user.id


def test_my_work_inbox_splits_overdue_today_and_upcoming(peyvand_client, peyvand_login):
    me = peyvand_login("salesperson")
    late = activity(me, subject="late", due_at=at(hours=-30))
    soon = activity(me, subject="soon", due_at=at(minutes=1))
    later = activity(me, subject="later", due_at=at(days=3))
    undated = activity(me, subject="someday")
    activity(me, subject="finished", due_at=at(hours=-1), status="done")
    activity(peyvand_client, subject="not mine", due_at=at(hours=-2))
    # ``today`` is "later today" in the caller's time zone: pick one where it is not yet
    # nearly midnight, so "soon" (a minute from now) is still today there.
    now = utcnow()
    tz = next(name for name, offset in (("UTC", 0), ("Asia/Tehran", 3.5),
                                        ("America/New_York", -5))
              if (now + datetime.timedelta(hours=offset)).hour < 23)
    inbox = me.get(f"/api/v1/sales/my-work?tz={tz}")
    assert inbox.status_code == 200, inbox.json
    body = inbox.json
    assert [a["id"] for a in body["overdue"]] == [late["id"]]
    assert [a["id"] for a in body["today"]] == [soon["id"]]
    assert [a["id"] for a in body["upcoming"]] == [later["id"]]
    assert [a["id"] for a in body["no_date"]] == [undated["id"]]
    assert body["counts"] == {"overdue": 1, "today": 1, "upcoming": 1, "no_date": 1,
                              "reminders": 0}
    assert me.get("/api/v1/sales/my-work?tz=Mars/Olympus").status_code == 422


def test_team_calendar_shows_what_the_caller_may_read(peyvand_login):
    boss = peyvand_login("manager", team="north")
    seller = peyvand_login("salesperson", team="north")
    stranger = peyvand_login("salesperson", team="south")
    activity(seller, subject="north meeting", due_at="2030-03-02T06:00:00Z", kind="meeting")
    activity(stranger, subject="south meeting", due_at="2030-03-02T07:00:00Z")
    week = "/api/v1/sales/calendar?start=2030-03-01&end=2030-03-08&tz=Asia/Tehran"
    assert [a["subject"] for a in boss.get(week).json["data"]] == ["north meeting"]
    assert [a["subject"] for a in stranger.get(week).json["data"]] == ["south meeting"]
    assert boss.get("/api/v1/sales/calendar?start=2030-03-08&end=2030-03-01"
                    ).status_code == 422


class Mailer:
    """Stands in for the email plugin; fails its first ``failures`` deliveries."""

    manifest = Manifest(label={"en": "Mailer"})

    def __init__(self):
        self.sent = []
        self.failures = 0

    @hookimpl(optionalhook=True)
    def activity_reminder(self, activity):
        if self.failures:
            self.failures -= 1
            raise ConnectionError("SMTP server down")
        self.sent.append(activity.subject)


def run_jobs(kernel, tenant="default"):
    """Run the tenant's queued jobs in this thread, as ``peyvand worker`` would, until none
    is queued, scheduled (a retry) or running."""
    from peyvand import jobs
    from peyvand.worker import Worker

    worker = Worker(kernel, tenants=[tenant], settings=jobs.job_settings())
    try:
        for _ in range(500):
            worker.dispatch(tenant)
            ran = False
            while (message := worker.queue.receive(tenant)) is not None:
                worker.queue.run(tenant, message)
                ran = True
            with kernel.storage.bound(tenant):
                waiting = jobs.Job.select().where(jobs.Job.state.in_(
                    [jobs.QUEUED, jobs.SCHEDULED, jobs.RUNNING])).count()
            if not waiting and not ran:
                return
            time.sleep(0.01)
        raise AssertionError("jobs still waiting")
    finally:
        worker.queue.close()


def test_reminders_are_sent_once_at_the_right_time_through_the_job_queue(
        peyvand_app_factory, monkeypatch):
    from peyvand import jobs
    from peyvand_sales.reminders import claim_due

    monkeypatch.setenv("PEYVAND_JOB_BACKOFF_S", "0.01")
    monkeypatch.delenv("PEYVAND_QUEUE_URL", raising=False)
    mailer = Mailer()
    app = peyvand_app_factory(plugins=["contacts", "sales"],
                              extra_plugins=[("mailer", mailer, "1.0")])
    client = app.test_client()
    kernel = app.extensions["peyvand"]
    tasks = {t.name: t for _, t in kernel.collect("register_tasks", kernel.enabled("default"))}
    assert tasks["sales.send_reminders"].every == 60
    assert tasks["sales.deliver_reminder"].every is None
    db = kernel.storage.database_for("default")

    def tick():   # a minute passes: the worker runs the periodic task, then what it queued
        with kernel.storage.bound("default"), db.atomic():
            enqueue_task("sales.send_reminders", key=uuid.uuid4().hex)
        run_jobs(kernel)

    def deliveries():
        with kernel.storage.bound("default"):
            return [(j.state, j.attempts) for j in jobs.Job.select().where(
                jobs.Job.task == "sales.deliver_reminder").order_by(jobs.Job.id)]

    due = activity(client, subject="due", due_at=at(hours=1), reminder_at=at(minutes=-1))
    activity(client, subject="not yet", due_at=at(hours=3), reminder_at=at(hours=2))
    activity(client, subject="done", reminder_at=at(minutes=-5), status="done")
    mailer.failures = 2                        # the mail server is down for a while
    tick()
    assert mailer.sent == ["due"]              # delivered on the third attempt, once
    assert deliveries() == [("done", 3)]
    tick()
    tick()
    assert mailer.sent == ["due"] and len(deliveries()) == 1       # never twice
    inbox = client.get("/api/v1/sales/my-work").json
    assert [a["subject"] for a in inbox["reminders"]] == ["due"]
    assert inbox["reminders"][0]["reminder_sent_at"]
    # Rescheduling reminds again, at the new time.
    client.patch(f"{ACTIVITIES}/{due['id']}", json={"reminder_at": at(seconds=-1)})
    tick()
    assert mailer.sent == ["due", "due"] and len(deliveries()) == 2
    # A reminder whose activity was done before its delivery ran is dropped quietly.
    late = activity(client, subject="late", reminder_at=at(minutes=-1))
    with kernel.storage.bound("default"), db.atomic():
        assert claim_due() == 1               # claimed and queued, not yet delivered
    client.patch(f"{ACTIVITIES}/{late['id']}", json={"status": "done"})
    run_jobs(kernel)
    assert mailer.sent == ["due", "due"]


def test_private_calendar_feed_is_valid_icalendar_and_revocable(peyvand_login):
    me = peyvand_login("salesperson")
    meeting = activity(me, kind="meeting", subject="جلسه دمو", due_at="2030-05-01T06:30:00Z",
                       duration_minutes=60, reminder_at="2030-05-01T06:15:00Z",
                       notes="دفتر مرکزی", priority="high")
    activity(me, subject="no date")
    assert me.get("/api/v1/sales/calendar-feed").json["active"] is False
    issued = me.post("/api/v1/sales/calendar-feed")
    assert issued.status_code == 201
    path = issued.json["path"]
    assert path.startswith("/api/v1/sales/calendar/") and path.endswith(".ics")
    assert issued.json["url"].endswith(path)

    feed = me.get(path, headers={"Authorization": ""})     # the URL alone opens it
    assert feed.status_code == 200
    assert feed.headers["Content-Type"] == "text/calendar; charset=utf-8"
    cal = icalendar.Calendar.from_ical(feed.data)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 1
    event = events[0]
    assert str(event["summary"]) == "جلسه دمو"
    assert str(event["description"]) == "دفتر مرکزی"
    assert event.decoded("dtstart") == datetime.datetime(2030, 5, 1, 6, 30,
                                                         tzinfo=datetime.UTC)
    assert event.decoded("dtend") - event.decoded("dtstart") == datetime.timedelta(hours=1)
    assert str(event["uid"]).startswith(f"sales-activity-{meeting['id']}@")
    assert int(event["priority"]) == 1
    alarms = list(event.walk("VALARM"))
    assert len(alarms) == 1 and alarms[0].decoded("trigger") == datetime.datetime(
        2030, 5, 1, 6, 15, tzinfo=datetime.UTC)
    assert me.get("/api/v1/sales/calendar-feed").json["last_used_at"]

    rotated = me.post("/api/v1/sales/calendar-feed").json["path"]
    assert me.get(path, headers={"Authorization": ""}).status_code == 404
    assert me.get(rotated, headers={"Authorization": ""}).status_code == 200
    assert me.delete("/api/v1/sales/calendar-feed").status_code == 204
    assert me.get(rotated, headers={"Authorization": ""}).status_code == 404
    assert me.get("/api/v1/sales/calendar/guess.ics").status_code == 404
