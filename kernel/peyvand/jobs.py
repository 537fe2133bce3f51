"""Background jobs: at-least-once delivery with exactly-once database effects.

The job table (``peyvand_job``, one per tenant) is the source of truth; the queue (huey, see
:mod:`peyvand.queue`) only carries "run job 17 of tenant acme" messages between the
dispatcher and the executors of ``peyvand worker`` processes. A lost message, a worker killed
mid-task or a queue that forgot everything delays a job, never loses or doubles it:

* every job has a **key** (``<task>:<event id>``, ``<task>@<period>``, or one the caller
  chose), unique per tenant, so relaying an event or scheduling a period twice makes one job;
* an executor **claims** a job with a compare-and-set (``queued`` → ``running`` with a random
  claim and a lease), so a duplicate message finds nothing to do;
* the task runs **in one transaction with the job's completion**, which is again a
  compare-and-set on the claim: its database writes commit exactly once, or roll back with it
  (a worker killed mid-task commits nothing, and the job runs again when its lease expires);
* a failure is retried with exponential backoff until ``Task.retries`` is used up, then the
  job is **dead**: listed for admins (``peyvand jobs dead``, ``GET /api/v1/jobs/dead``) and
  replayable.

Job states: ``queued`` (waiting for, or in, the queue), ``scheduled`` (waiting for
``run_after``: a retry's backoff or a delayed start), ``running``, ``done``, ``dead`` and
``skipped`` (its plugin is not enabled for the tenant).
"""

from __future__ import annotations

import contextvars
import datetime
import json
import os
import random
import sqlite3
import traceback
import uuid
from dataclasses import dataclass, field

import peewee

from .access import acting_as
from .entities import Model
from .errors import PeyvandError, PluginError
from .storage import current_database, current_tenant, utcnow

QUEUED, SCHEDULED, RUNNING, DONE, DEAD, SKIPPED = (
    "queued", "scheduled", "running", "done", "dead", "skipped")
STATES = (QUEUED, SCHEDULED, RUNNING, DONE, DEAD, SKIPPED)
WEBHOOK_TASK = "peyvand.webhook"
LOST = "the worker running it stopped (its lease expired); run again"


class JobError(PeyvandError):
    pass


class JobNotFound(JobError):
    pass


class LostClaim(Exception):
    """Another executor took the job over (our lease expired): our work must not commit."""


class Job(Model):
    id = peewee.BigAutoField()
    key = peewee.CharField(max_length=255, unique=True)
    task = peewee.CharField(max_length=150)
    payload = peewee.TextField()
    event_id = peewee.CharField(max_length=36, null=True, index=True)
    state = peewee.CharField(max_length=16)
    attempts = peewee.IntegerField(default=0)
    max_attempts = peewee.IntegerField()
    created_at = peewee.DateTimeField()
    run_after = peewee.DateTimeField(null=True)
    enqueued_at = peewee.DateTimeField(null=True)
    started_at = peewee.DateTimeField(null=True)
    finished_at = peewee.DateTimeField(null=True)
    lease_until = peewee.DateTimeField(null=True)
    claim = peewee.CharField(max_length=32, null=True)
    last_error = peewee.TextField(null=True)

    class Meta:
        table_name = "peyvand_job"
        indexes = (
            (("state", "enqueued_at"), False),
            (("state", "run_after"), False),
            (("state", "lease_until"), False),
        )


# -- configuration -----------------------------------------------------------------------------

@dataclass(frozen=True)
class JobSettings:
    """How background work behaves; every value has a ``PEYVAND_*`` environment variable."""

    queue_url: str = ""             # PEYVAND_QUEUE_URL: "" = SQLite file in the instance
    backoff_s: float = 10.0         # PEYVAND_JOB_BACKOFF_S: first retry after ~this
    backoff_max_s: float = 3600.0   # PEYVAND_JOB_BACKOFF_MAX_S: retries wait at most this
    lease_s: float = 300.0          # PEYVAND_JOB_LEASE_S: a silent worker's job runs again after
    requeue_s: float = 300.0        # PEYVAND_JOB_REQUEUE_S: a queued job not started is re-sent
    poll_s: float = 0.05            # PEYVAND_WORKER_POLL_S: outbox/job polling of busy tenants
    idle_poll_s: float = 1.0        # PEYVAND_WORKER_IDLE_POLL_S: ... of tenants idle for 30 s
    keep_days: int = 14             # PEYVAND_JOB_KEEP_DAYS: finished jobs, relayed events, logs
    webhook_timeout_s: float = 10.0  # PEYVAND_WEBHOOK_TIMEOUT_S
    webhook_retries: int = 10       # PEYVAND_WEBHOOK_RETRIES

    def backoff(self, attempt: int) -> float:
        """Seconds before retry number ``attempt`` (1, 2, …): doubling, capped, ±10 %."""
        delay = min(self.backoff_max_s, self.backoff_s * 2 ** max(attempt - 1, 0))
        return delay * random.uniform(0.9, 1.1)


_ENV = {
    "queue_url": ("PEYVAND_QUEUE_URL", str),
    "backoff_s": ("PEYVAND_JOB_BACKOFF_S", float),
    "backoff_max_s": ("PEYVAND_JOB_BACKOFF_MAX_S", float),
    "lease_s": ("PEYVAND_JOB_LEASE_S", float),
    "requeue_s": ("PEYVAND_JOB_REQUEUE_S", float),
    "poll_s": ("PEYVAND_WORKER_POLL_S", float),
    "idle_poll_s": ("PEYVAND_WORKER_IDLE_POLL_S", float),
    "keep_days": ("PEYVAND_JOB_KEEP_DAYS", int),
    "webhook_timeout_s": ("PEYVAND_WEBHOOK_TIMEOUT_S", float),
    "webhook_retries": ("PEYVAND_WEBHOOK_RETRIES", int),
}


def job_settings(**overrides) -> JobSettings:
    """Settings from the environment; keyword overrides win."""
    values = {}
    for name, (variable, kind) in _ENV.items():
        raw = os.environ.get(variable)
        if raw not in (None, ""):
            try:
                values[name] = kind(raw)
            except ValueError:
                raise JobError(f"{variable}={raw!r} is not a valid {kind.__name__}") from None
    values.update(overrides)
    return JobSettings(**values)


# -- what can run ------------------------------------------------------------------------------

def task_registry(kernel) -> dict:
    """``{task name: (plugin, Task)}`` of every loaded plugin."""

    def build():
        out = {}
        for plugin, task in kernel.collect("register_tasks"):
            if not task.name.startswith(f"{plugin}."):
                raise PluginError(f"plugin {plugin!r} offers task {task.name!r}; its task names "
                                  f"must start with '{plugin}.'")
            if task.name in out:
                raise PluginError(f"task {task.name!r} is offered twice")
            out[task.name] = (plugin, task)
        return out

    return kernel.cache("tasks", build)


def handler_registry(kernel, tenant: str) -> dict[str, list[tuple[str, int]]]:
    """``{event name or "*": [(task name, max attempts), ...]}`` for ``tenant``."""

    def build():
        tasks = task_registry(kernel)
        out: dict[str, list[tuple[str, int]]] = {}
        for plugin, pair in kernel.collect("register_event_handlers", kernel.enabled(tenant)):
            try:
                event, task_name = pair
            except (TypeError, ValueError):
                raise PluginError(f"plugin {plugin!r}: register_event_handlers returns "
                                  f"(event, task) pairs, not {pair!r}") from None
            owner = tasks.get(task_name, (None,))[0]
            if owner != plugin:
                raise PluginError(f"plugin {plugin!r} subscribes task {task_name!r} to "
                                  f"{event!r}, but it offers no such task")
            out.setdefault(event, []).append((task_name, tasks[task_name][1].retries + 1))
        return out

    return kernel.cache(f"handlers:{tenant}", build)


def write_transaction(db: peewee.Database):
    """A transaction that may write. On SQLite it takes the write lock at once (``BEGIN
    IMMEDIATE``), so a transaction that reads before it writes cannot fail when another
    connection committed in between."""
    if isinstance(db, peewee.SqliteDatabase):
        return db.atomic(lock_type="IMMEDIATE")
    return db.atomic()


# -- enqueueing --------------------------------------------------------------------------------

def _job_row(key: str, task: str, payload: str, max_attempts: int, now, *, event_id=None,
             state=QUEUED, run_after=None) -> dict:
    return {"key": key[:255], "task": task, "payload": payload, "event_id": event_id,
            "state": state, "attempts": 0, "max_attempts": max_attempts, "created_at": now,
            "run_after": run_after}


def insert_jobs(rows: list[dict]) -> None:
    """Insert job rows; a row whose key exists already is left out (that is the dedupe)."""
    for start in range(0, len(rows), 100):
        Job.insert_many(rows[start:start + 100]).on_conflict_ignore().execute()


def enqueue_task(name: str, payload: dict | None = None, *, key: str | None = None,
                 delay: float | None = None) -> int:
    """Queue task ``name`` of an enabled plugin for the bound tenant; return the job's id.

    The job row is written in the current transaction, so it runs only if that commits (and
    then at least once). ``key`` makes the call idempotent: a second call with the same key
    returns the first job. ``delay`` (seconds) postpones the first run.
    """
    from .events import _kernel, dumps

    tenant = current_tenant()
    if tenant is None:
        raise JobError("enqueue_task needs a tenant's context; bind one with "
                       "`with kernel.storage.bound(tenant):`")
    kernel = _kernel()
    entry = task_registry(kernel).get(name)
    if entry is None:
        raise JobError(f"no installed plugin offers task {name!r}")
    plugin, task = entry
    if plugin not in kernel.enabled(tenant):
        raise PluginError(f"task {name!r} belongs to plugin {plugin!r}, which is not enabled "
                          f"for tenant {tenant!r}")
    try:
        body = dumps(payload or {})
    except (TypeError, ValueError) as exc:
        raise JobError(f"task {name!r}: the payload is not JSON: {exc}") from None
    now = utcnow()
    job_key = f"{name}:{key}" if key is not None else f"{name}:{uuid.uuid4().hex}"
    later = now + datetime.timedelta(seconds=delay) if delay else None
    insert_jobs([_job_row(job_key, name, body, task.retries + 1, now,
                          state=SCHEDULED if later else QUEUED, run_after=later)])
    return Job.select(Job.id).where(Job.key == job_key[:255]).scalar()


# -- running -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class JobContext:
    """The job a task is running as (``current_job()``)."""

    id: int
    task: str
    key: str
    tenant: str
    attempt: int
    max_attempts: int
    claim: str
    kernel: object = field(default=None, compare=False, repr=False)
    #: Writes of a task with its own transactions (``peyvand_own_transactions``) to make in
    #: the transaction that records the job's outcome, success or failure.
    finish: list = field(default_factory=list, compare=False, repr=False)
    settings: JobSettings | None = field(default=None, compare=False, repr=False)


_current_job: contextvars.ContextVar[JobContext | None] = contextvars.ContextVar(
    "peyvand_job", default=None)


def current_job() -> JobContext | None:
    return _current_job.get()


def _sql_time(db, value: datetime.datetime):
    """A timestamp as the driver should get it (peewee's own text form on SQLite)."""
    return value.isoformat(" ") if isinstance(db, peewee.SqliteDatabase) else value


_CLOSE = ('UPDATE "peyvand_job" SET "state" = {0}, "finished_at" = {0}, "claim" = NULL, '
          '"lease_until" = NULL, "last_error" = {0} WHERE "id" = {0} AND "claim" = {0}')


def _close(job_id: int, claim: str, state: str, error: str | None = None) -> None:
    """Finish our claim on the job; :class:`LostClaim` if the claim is no longer ours."""
    db = current_database()
    cursor = db.execute_sql(_CLOSE.format(db.param),
                            (state, _sql_time(db, utcnow()), error, job_id, claim))
    if cursor.rowcount != 1:
        raise LostClaim(job_id)


def _error_text(exc: BaseException) -> str:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=6))
    return f"{type(exc).__name__}: {exc}"[:500] + "\n" + text[-3500:]


def execute(kernel, tenant: str, job_id: int, settings: JobSettings, tracker=None) -> str:
    """Claim and run one job; return what became of it (``done``, ``scheduled``, ``dead``,
    ``skipped``, ``lost``, or ``not-claimed`` when it was not ours to run)."""
    with kernel.storage.bound(tenant):
        kernel.refresh()
        job = _claim(kernel.storage.database_for(tenant), job_id, settings)
        if job is None:
            return "not-claimed"
        claim = job.claim
        if tracker is not None:
            tracker.started(tenant, job_id, claim)
        try:
            return _run(kernel, tenant, job, claim, settings)
        except LostClaim:
            return "lost"
        finally:
            if tracker is not None:
                tracker.finished(tenant, job_id)


_CLAIM = ('UPDATE "peyvand_job" SET "state" = {0}, "attempts" = "attempts" + 1, '
          '"claim" = {0}, "started_at" = {0}, "finished_at" = NULL, "lease_until" = {0} '
          'WHERE "id" = {0} AND "state" = {0}')
_CLAIMED = ' RETURNING "task", "key", "payload", "attempts", "max_attempts"'
_LOAD = ('SELECT "task", "key", "payload", "attempts", "max_attempts" FROM "peyvand_job" '
         'WHERE "id" = {0}')
_RETURNING = sqlite3.sqlite_version_info >= (3, 35)


@dataclass
class Claimed:
    """A job this executor claimed: what it needs to run it."""

    id: int
    task: str
    key: str
    payload: str
    attempts: int
    max_attempts: int
    claim: str


def _claim(db, job_id: int, settings: JobSettings) -> Claimed | None:
    """The compare-and-set ``queued`` → ``running``; ``None`` when the job was not ours."""
    claim = uuid.uuid4().hex
    now = utcnow()
    lease = now + datetime.timedelta(seconds=settings.lease_s)
    params = (RUNNING, claim, _sql_time(db, now), _sql_time(db, lease), job_id, QUEUED)
    sql = _CLAIM.format(db.param)
    if _RETURNING or not isinstance(db, peewee.SqliteDatabase):
        row = db.execute_sql(sql + _CLAIMED, params).fetchone()
    else:
        cursor = db.execute_sql(sql, params)
        row = (db.execute_sql(_LOAD.format(db.param), (job_id,)).fetchone()
               if cursor.rowcount == 1 else None)
    if row is None:
        return None
    return Claimed(job_id, *row, claim)


def _run(kernel, tenant: str, job: Claimed, claim: str, settings: JobSettings) -> str:
    entry = task_registry(kernel).get(job.task)
    if entry is None:
        _close(job.id, claim, DEAD, f"no installed plugin offers task {job.task!r}")
        return DEAD
    plugin, task = entry
    if plugin not in kernel.enabled(tenant):
        _close(job.id, claim, SKIPPED, f"plugin {plugin!r} is not enabled for tenant {tenant!r}")
        return SKIPPED
    db = kernel.storage.database_for(tenant)
    context = JobContext(job.id, job.task, job.key, tenant, job.attempts, job.max_attempts,
                         claim, kernel, settings=settings)
    token = _current_job.set(context)
    try:
        payload = json.loads(job.payload)
        if task.own_transactions or getattr(task.run, "peyvand_own_transactions", False):
            # Work with side effects outside the database (webhooks): no transaction may be
            # held open across a network call. Its log rows commit with the outcome.
            with acting_as(None):
                task.run(tenant=tenant, payload=payload)
            with write_transaction(db):
                for write in context.finish:
                    write()
                _close(job.id, claim, DONE)
        else:
            with write_transaction(db), acting_as(None):
                task.run(tenant=tenant, payload=payload)
                _close(job.id, claim, DONE)  # LostClaim here rolls the task's writes back
        return DONE
    except LostClaim:
        raise
    except Exception as exc:
        with write_transaction(db):
            for write in context.finish:
                write()
            return _failed(job, claim, exc, settings)
    finally:
        _current_job.reset(token)


def _failed(job: Claimed, claim: str, exc: BaseException, settings: JobSettings) -> str:
    error = _error_text(exc)
    if job.attempts >= job.max_attempts:
        _close(job.id, claim, DEAD, error)
        return DEAD
    run_after = utcnow() + datetime.timedelta(seconds=settings.backoff(job.attempts))
    updated = (Job.update(state=SCHEDULED, run_after=run_after, claim=None, lease_until=None,
                          last_error=error)
               .where((Job.id == job.id) & (Job.claim == claim)).execute())
    if updated != 1:
        raise LostClaim(job.id)
    return SCHEDULED


# -- the dispatcher's steps (each runs with the tenant bound) ----------------------------------

_PENDING_OUTBOX = 'SELECT 1 FROM "peyvand_outbox" WHERE "relayed_at" IS NULL LIMIT 1'


def relay_events(kernel, tenant: str, settings: JobSettings, limit: int = 500) -> int:
    """Move up to ``limit`` outbox events to the jobs of their handlers and webhooks, in one
    transaction with marking them relayed; return how many events moved."""
    from .events import Outbox
    from .webhooks import active_subscriptions

    db = kernel.storage.database_for(tenant)
    if db.execute_sql(_PENDING_OUTBOX).fetchone() is None:
        return 0
    handlers = handler_registry(kernel, tenant)
    with write_transaction(db):
        query = (Outbox.select(Outbox.id, Outbox.event_id, Outbox.name, Outbox.entity,
                               Outbox.payload)
                 .where(Outbox.relayed_at.is_null()).order_by(Outbox.id).limit(limit))
        if not isinstance(db, peewee.SqliteDatabase):
            query = query.for_update(skip_locked=True)
        rows = list(query.tuples())
        if not rows:
            return 0
        subscriptions = active_subscriptions(kernel)
        now = utcnow()
        jobs = []
        for _, event_id, name, entity, payload in rows:
            for task_name, attempts in handlers.get(name, []) + handlers.get("*", []):
                jobs.append(_job_row(f"{task_name}:{event_id}", task_name, payload, attempts,
                                     now, event_id=event_id))
            for sub in subscriptions:
                if sub.matches(name, entity):
                    body = f'{{"webhook_id":{sub.id},"event":{payload}}}'
                    jobs.append(_job_row(f"{WEBHOOK_TASK}:{sub.id}:{event_id}", WEBHOOK_TASK,
                                         body, settings.webhook_retries + 1, now,
                                         event_id=event_id))
        insert_jobs(jobs)
        ids = [row[0] for row in rows]
        for start in range(0, len(ids), 500):
            (Outbox.update(relayed_at=now)
             .where(Outbox.id.in_(ids[start:start + 500])).execute())
    return len(rows)


def schedule_periodic(kernel, tenant: str, memo: dict, now: float) -> int:
    """Create the job of the current period of every periodic task enabled for ``tenant``
    (once per period, whichever worker gets there first: the period is in the job's key);
    return how many periods began. ``memo`` remembers the periods this worker saw."""
    enabled = kernel.enabled(tenant)
    rows, seen = [], {}
    stamp = utcnow()
    for name, (plugin, task) in task_registry(kernel).items():
        if not task.every or plugin not in enabled:
            continue
        slot = int(now // task.every)
        if memo.get((tenant, name)) == slot:
            continue
        seen[(tenant, name)] = slot
        period = datetime.datetime.fromtimestamp(slot * task.every, datetime.UTC)
        rows.append(_job_row(f"{name}@{task.every}:{slot}", name,
                             json.dumps({"period_start": period.isoformat()}),
                             task.retries + 1, stamp))
    if rows:
        insert_jobs(rows)
        memo.update(seen)
    return len(rows)


def _any(condition) -> bool:
    """A read before a write: an UPDATE matching nothing still takes SQLite's write lock."""
    return Job.select(Job.id).where(condition).limit(1).exists()


def promote_scheduled() -> int:
    """Jobs whose ``run_after`` has come go back to ``queued``."""
    due = (Job.state == SCHEDULED) & (Job.run_after <= utcnow())
    if not _any(due):
        return 0
    return Job.update(state=QUEUED, enqueued_at=None, run_after=None).where(due).execute()


def pending(limit: int = 1000) -> list[int]:
    """Queued jobs not yet handed to the queue."""
    return [i for (i,) in Job.select(Job.id)
            .where((Job.state == QUEUED) & Job.enqueued_at.is_null())
            .order_by(Job.id).limit(limit).tuples()]


def mark_enqueued(ids: list[int]) -> None:
    now = utcnow()
    for start in range(0, len(ids), 500):
        (Job.update(enqueued_at=now)
         .where(Job.id.in_(ids[start:start + 500]) & Job.enqueued_at.is_null()).execute())


def sweep(settings: JobSettings) -> int:
    """Recover from lost workers and lost messages; return how many jobs were recovered."""
    now = utcnow()
    stale = (Job.state == RUNNING) & (Job.lease_until < now)
    lost = (Job.state == QUEUED) & (
        Job.enqueued_at < now - datetime.timedelta(seconds=settings.requeue_s))
    done = 0
    if _any(stale):
        done += (Job.update(state=DEAD, finished_at=now, claim=None, lease_until=None,
                            last_error=LOST)
                 .where(stale & (Job.attempts >= Job.max_attempts)).execute())
        done += (Job.update(state=QUEUED, enqueued_at=None, claim=None, lease_until=None,
                            last_error=LOST)
                 .where(stale).execute())
    if _any(lost):
        done += Job.update(enqueued_at=None).where(lost).execute()
    return done


def unserved(settings: JobSettings, grace_s: float = 30.0) -> bool:
    """Whether the tenant's background work waits with no worker serving it.

    No heartbeat is needed: a running worker hands each queued job to the queue within about
    a second (``enqueued_at``), sends again those not started after ``requeue_s`` and takes
    back those whose lease expired. So a job queued ``grace_s`` ago and never handed over, one
    handed over long ago and not started, or a running one whose lease expired long ago, each
    means that no worker has served this tenant lately."""
    now = utcnow()
    recent = now - datetime.timedelta(seconds=grace_s)
    late = now - datetime.timedelta(seconds=settings.requeue_s + 4 * grace_s)
    waiting = (Job.state == QUEUED) & (
        (Job.enqueued_at.is_null() & (Job.created_at < recent)) | (Job.enqueued_at < late))
    orphaned = (Job.state == RUNNING) & (Job.lease_until < now - datetime.timedelta(
        seconds=4 * grace_s))
    return _any(waiting | orphaned)


def extend_leases(job_ids: list[int], settings: JobSettings) -> None:
    until = utcnow() + datetime.timedelta(seconds=settings.lease_s)
    Job.update(lease_until=until).where(Job.id.in_(job_ids) & (Job.state == RUNNING)).execute()


def purge_finished(settings: JobSettings) -> int:
    """Forget finished jobs, relayed events and delivery logs older than ``keep_days``."""
    from .events import Outbox
    from .webhooks import WebhookDelivery

    cutoff = utcnow() - datetime.timedelta(days=settings.keep_days)
    gone = (Job.delete().where(Job.state.in_([DONE, SKIPPED]) & (Job.finished_at < cutoff))
            .execute())
    gone += Outbox.delete().where(Outbox.relayed_at < cutoff).execute()
    gone += WebhookDelivery.delete().where(WebhookDelivery.at < cutoff).execute()
    return gone


# -- admin: listing and replaying ---------------------------------------------------------------

def _stamp(value):
    return value.isoformat() + "Z" if value else None


def job_dict(job: Job, with_payload: bool = True) -> dict:
    out = {"id": job.id, "task": job.task, "key": job.key, "state": job.state,
           "attempts": job.attempts, "max_attempts": job.max_attempts,
           "event_id": job.event_id, "created_at": _stamp(job.created_at),
           "started_at": _stamp(job.started_at), "finished_at": _stamp(job.finished_at),
           "run_after": _stamp(job.run_after), "last_error": job.last_error}
    if with_payload:
        out["payload"] = json.loads(job.payload)
    return out


def list_jobs(state: str | None = None, limit: int = 100) -> list[Job]:
    query = Job.select().order_by(Job.id.desc()).limit(limit)
    if state:
        if state not in STATES:
            raise JobError(f"unknown state {state!r}; use one of {', '.join(STATES)}")
        query = query.where(Job.state == state)
    return list(query)


def replay(job_id: int, *, dead_only: bool = True) -> Job:
    """Send a dead job (or, with ``dead_only=False``, any job not running) back to the queue
    with its attempts reset."""
    allowed = [DEAD] if dead_only else [DEAD, DONE, SKIPPED, SCHEDULED, QUEUED]
    updated = (Job.update(state=QUEUED, attempts=0, enqueued_at=None, run_after=None,
                          claim=None, lease_until=None, finished_at=None)
               .where((Job.id == job_id) & Job.state.in_(allowed)).execute())
    if updated != 1:
        what = "dead job" if dead_only else "job that is not running"
        raise JobNotFound(f"there is no {what} with id {job_id}")
    return Job.get_by_id(job_id)
