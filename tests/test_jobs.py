"""Jobs: transactional enqueue, dedupe keys, claims, retries with backoff, dead letters, replay,
periodic tasks, lease recovery and per-tenant enablement (run synchronously with `drain`)."""

import datetime
import json
import time

import pytest
from events_kit import Effect, Spy, drain, jobs_of

from peyvand import jobs
from peyvand.errors import PluginError
from peyvand.storage import utcnow
from peyvand.worker import Worker
from peyvand_sdk import enqueue_task


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    monkeypatch.setenv("PEYVAND_JOB_BACKOFF_S", "0.02")
    monkeypatch.delenv("PEYVAND_QUEUE_URL", raising=False)


def make(peyvand_kernel_factory, spy=None):
    spy = spy or Spy()
    kernel = peyvand_kernel_factory(plugins=["contacts"], extra_plugins=[("spy", spy, "1.0")])
    return kernel, spy


def effects(kernel, note=None):
    with kernel.storage.bound("default"):
        query = Effect.select()
        if note:
            query = query.where(Effect.note == note)
        return list(query)


def create_person(kernel, name="x"):
    db = kernel.storage.database_for("default")
    with kernel.storage.bound("default"), db.atomic():
        return kernel.service("contacts.person", "default").create({"last_name": name})


def test_a_handler_runs_once_per_event_in_the_transaction_of_its_completion(
        peyvand_kernel_factory):
    kernel, spy = make(peyvand_kernel_factory)
    people = [create_person(kernel, f"p{i}") for i in range(3)]
    drain(kernel)
    handled = jobs_of(kernel, task="spy.on_created")
    assert [j.state for j in handled] == ["done"] * 3
    assert sorted(e.event_id for e in effects(kernel)) == sorted(j.event_id for j in handled)
    assert sorted(p["data"]["id"] for p in spy.calls) == sorted(p.id for p in people)
    # Relaying again or a second worker finds nothing new: one job per (handler, event).
    drain(kernel)
    assert len(effects(kernel)) == 3


def test_enqueue_is_transactional_and_keys_make_it_idempotent(peyvand_kernel_factory):
    kernel, spy = make(peyvand_kernel_factory)
    db = kernel.storage.database_for("default")
    with kernel.storage.bound("default"):
        with pytest.raises(RuntimeError), db.atomic():
            enqueue_task("spy.flaky", {"n": 0})
            raise RuntimeError("rolled back")
        with db.atomic():
            first = enqueue_task("spy.flaky", {"n": 1}, key="invoice-17")
            again = enqueue_task("spy.flaky", {"n": 2}, key="invoice-17")
        assert first == again
        with pytest.raises(jobs.JobError, match="no installed plugin offers"):
            enqueue_task("spy.nothing")
    drain(kernel)
    assert [c["n"] for c in spy.calls] == [1]


def test_a_duplicate_message_does_not_run_a_job_twice(peyvand_kernel_factory):
    kernel, spy = make(peyvand_kernel_factory)
    with kernel.storage.bound("default"):
        job_id = enqueue_task("spy.flaky", {"n": 1})
    worker = Worker(kernel, tenants=["default"])
    worker.dispatch("default")
    worker.queue.send("default", [job_id, job_id])  # the message arrives three times
    while (message := worker.queue.receive("default")) is not None:
        worker.queue.run("default", message)
    worker.queue.close()
    assert worker.outcomes["not-claimed"] == 2
    assert len(effects(kernel, "flaky")) == 1


def test_failures_retry_with_backoff_then_the_job_is_dead_and_replayable(
        peyvand_kernel_factory):
    kernel, spy = make(peyvand_kernel_factory, Spy(fail=10, retries=2))
    with kernel.storage.bound("default"):
        job_id = enqueue_task("spy.flaky", {"n": 1})
    worker = Worker(kernel, tenants=["default"])
    worker.dispatch("default")
    before = utcnow()
    worker.queue.run("default", worker.queue.receive("default"))
    after = utcnow()
    [job] = jobs_of(kernel, task="spy.flaky")
    assert job.state == "scheduled" and job.attempts == 1
    assert "flaky failure 1" in job.last_error
    # The first retry comes PEYVAND_JOB_BACKOFF_S (±10 %) after the failure.
    assert before + datetime.timedelta(seconds=0.018) <= job.run_after
    assert job.run_after <= after + datetime.timedelta(seconds=0.022)
    worker.queue.close()

    settings = jobs.job_settings(backoff_s=0.01)
    assert settings.backoff(1) < settings.backoff(2) < settings.backoff(3)
    assert jobs.job_settings(backoff_s=10, backoff_max_s=60).backoff(10) <= 66

    drain(kernel)
    [job] = jobs_of(kernel, task="spy.flaky")
    assert job.state == "dead" and job.attempts == 3 and len(spy.calls) == 3
    assert effects(kernel, "flaky") == []  # each failed run rolled its writes back

    with kernel.storage.bound("default"):
        assert [j.id for j in jobs.list_jobs(jobs.DEAD)] == [job_id]
        spy.fail = 0
        jobs.replay(job_id)
        with pytest.raises(jobs.JobNotFound):
            jobs.replay(job_id)  # only dead jobs
    drain(kernel)
    [job] = jobs_of(kernel, task="spy.flaky")
    assert job.state == "done" and job.attempts == 1
    assert len(effects(kernel, "flaky")) == 1


def test_a_job_whose_claim_was_taken_over_commits_nothing(peyvand_kernel_factory):
    kernel, spy = make(peyvand_kernel_factory)

    def steal(tenant, payload):
        Effect.create(event_id="x", note="stolen")
        # Meanwhile our lease expired and another worker claimed the job.
        jobs.Job.update(claim="someone-else").where(jobs.Job.id == job_id).execute()

    spy.flaky = steal
    with kernel.storage.bound("default"):
        job_id = enqueue_task("spy.flaky", {})
    outcome = None
    worker = Worker(kernel, tenants=["default"])
    worker.dispatch("default")
    message = worker.queue.receive("default")
    worker.queue.run("default", message)
    worker.queue.close()
    outcome = worker.outcomes
    assert outcome == {"lost": 1}
    assert effects(kernel, "stolen") == []


def test_a_lost_worker_is_noticed_when_its_lease_expires(peyvand_kernel_factory):
    kernel, spy = make(peyvand_kernel_factory, Spy(retries=1))
    with kernel.storage.bound("default"):
        job_id = enqueue_task("spy.flaky", {})
        expired = utcnow() - datetime.timedelta(seconds=1)
        # As a worker leaves it when killed mid-run.
        jobs.Job.update(state="running", attempts=1, claim="dead-worker",
                        lease_until=expired).where(jobs.Job.id == job_id).execute()
        assert jobs.sweep(jobs.job_settings()) == 1
        job = jobs.Job.get_by_id(job_id)
        assert job.state == "queued" and "lease expired" in job.last_error
    drain(kernel)
    [job] = jobs_of(kernel, task="spy.flaky")
    assert job.state == "done" and job.attempts == 2
    with kernel.storage.bound("default"):
        # With no attempt left it is dead instead.
        jobs.Job.update(state="running", attempts=2, claim="x", lease_until=expired).execute()
        jobs.sweep(jobs.job_settings())
        assert jobs.Job.get_by_id(job_id).state == "dead"


def test_a_message_lost_before_its_job_started_is_sent_again(peyvand_kernel_factory):
    kernel, spy = make(peyvand_kernel_factory)
    with kernel.storage.bound("default"):
        enqueue_task("spy.flaky", {})
    worker = Worker(kernel, tenants=["default"], settings=jobs.job_settings(requeue_s=0))
    worker.dispatch("default")
    worker.queue.flush("default")  # the queue forgot it
    # The next sweep, well after the first (the clock is time.monotonic(): the machine's uptime,
    # so "later" must be relative to it, not a fixed number).
    worker.dispatch("default", now=time.monotonic() + 10_000)
    worker.queue.run("default", worker.queue.receive("default"))
    worker.queue.close()
    assert len(effects(kernel, "flaky")) == 1


def test_periodic_tasks_run_once_per_period_whatever_the_number_of_workers(
        peyvand_kernel_factory):
    kernel, spy = make(peyvand_kernel_factory)
    first, second = Worker(kernel, tenants=["default"]), Worker(kernel, tenants=["default"])
    first.dispatch("default")
    second.dispatch("default")
    first.dispatch("default")
    for worker in (first, second):
        worker.queue.close()
    ticks = jobs_of(kernel, task="spy.tick")
    assert len(ticks) == 1 and ticks[0].key.startswith("spy.tick@3600:")
    drain(kernel)
    assert len(spy.ticks) == 1
    assert len(jobs_of(kernel, task="peyvand.purge_trash")) == 1


def test_tasks_run_only_where_their_plugin_is_enabled(peyvand_kernel_factory):
    kernel, spy = make(peyvand_kernel_factory)
    with kernel.storage.bound("default"):
        enqueue_task("spy.flaky", {})
    kernel.disable("spy")
    create_person(kernel)  # its record-created has no spy handler any more
    drain(kernel)
    assert [j.state for j in jobs_of(kernel, task="spy.flaky")] == ["skipped"]
    assert jobs_of(kernel, task="spy.on_created") == []
    assert jobs_of(kernel, task="spy.tick") == []
    assert spy.calls == []
    with kernel.storage.bound("default"), pytest.raises(PluginError, match="not enabled"):
        enqueue_task("spy.flaky", {})


def test_finished_work_is_forgotten_after_keep_days(peyvand_kernel_factory):
    kernel, spy = make(peyvand_kernel_factory)
    create_person(kernel)
    drain(kernel)
    with kernel.storage.bound("default"):
        assert jobs.purge_finished(jobs.job_settings()) == 0
        assert jobs.purge_finished(jobs.job_settings(keep_days=-1)) >= 3
        assert jobs.Job.select().count() == 0


def test_dead_letters_through_the_cli_and_the_api(peyvand_app_factory, peyvand_cli):
    spy = Spy(fail=10, retries=0)
    app = peyvand_app_factory(plugins=["contacts"], extra_plugins=[("spy", spy, "1.0")])
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        job_id = enqueue_task("spy.flaky", {"invoice": 17})
    drain(kernel)
    client = app.test_client()
    dead = client.get("/api/v1/jobs/dead").json["data"]
    assert [(d["id"], d["task"], d["state"], d["attempts"]) for d in dead] == [
        (job_id, "spy.flaky", "dead", 1)]
    assert dead[0]["payload"] == {"invoice": 17} and "flaky failure" in dead[0]["last_error"]

    from peyvand.cli import main

    listed = _invoke(main, kernel, ["jobs", "dead"])
    assert f"{job_id}  spy.flaky" in listed and "flaky failure 1" in listed

    spy.fail = 0
    replayed = client.post(f"/api/v1/jobs/dead/{job_id}/replay")
    assert replayed.status_code == 200 and replayed.json["state"] == "queued"
    assert client.post(f"/api/v1/jobs/dead/{job_id}/replay").status_code == 404
    drain(kernel)
    assert client.get("/api/v1/jobs/dead").json["data"] == []
    assert job_id in [j["id"] for j in client.get("/api/v1/jobs?state=done").json["data"]]

    spy.fail = 10
    with kernel.storage.bound("default"):
        other = enqueue_task("spy.flaky", {})
    drain(kernel)
    assert f"job {other} (spy.flaky) queued again" in _invoke(main, kernel,
                                                              ["jobs", "replay", str(other)])
    with kernel.storage.bound("default"):
        audit = json.loads(json.dumps([a.action for a in _audit(kernel)]))
    assert audit.count("replay") == 2


def _audit(kernel):
    from peyvand.audit import Audit

    return list(Audit.select().where(Audit.entity == "peyvand.job"))


def _invoke(main, kernel, args):
    from click.testing import CliRunner

    result = CliRunner().invoke(main, args, obj={"kernel": kernel}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_only_admins_see_and_replay_jobs(peyvand_app, peyvand_login):
    manager = peyvand_login("manager")
    assert manager.get("/api/v1/jobs/dead").status_code == 403
    assert manager.post("/api/v1/jobs/dead/1/replay").status_code == 403
    assert manager.get("/api/v1/webhooks").status_code == 403
