"""Helpers for the event, job and webhook tests: a real HTTP receiver on 127.0.0.1, a
synchronous "drain" of a tenant's background work, throwaway plugins, and Redis."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import peewee
import pytest

from peyvand_sdk import EventType, Manifest, Model, Task, emit_event, hookimpl

REDIS_HINT = ('start it with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 '
              '--save "" --appendonly no')


# -- a webhook receiver -------------------------------------------------------------------------

class Receiver:
    """An HTTP server on 127.0.0.1 that verifies Peyvand's signature on every POST.

    ``statuses`` are answered in turn (then 200). ``hold`` (an Event), when set, makes the
    first request wait until it is set.
    """

    def __init__(self, secret: str | None = None, statuses=(), hold: threading.Event | None = None,
                 tolerance: int = 300):
        self.secret = secret
        self.statuses = list(statuses)
        self.hold = hold
        self.tolerance = tolerance
        self.requests: list[dict] = []
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                entry = {"headers": {k.lower(): v for k, v in self.headers.items()},
                         "body": body, "path": self.path, "at": time.time()}
                entry["verified"] = receiver.verify(entry["headers"], body)
                receiver.requests.append(entry)
                receiver.arrived.set()
                if receiver.hold is not None and len(receiver.requests) == 1:
                    receiver.hold.wait(30)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                if status in (301, 302, 307):
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def verify(self, headers: dict, body: bytes) -> bool:
        """What a receiver does, written from the README's description, not Peyvand's code."""
        if self.secret is None:
            return False
        try:
            parts = dict(p.split("=", 1) for p in headers["x-peyvand-signature"].split(","))
            timestamp = int(parts["t"])
        except (KeyError, ValueError):
            return False
        if abs(time.time() - timestamp) > self.tolerance:
            return False
        expected = hmac.new(self.secret.encode(), f"{timestamp}.".encode() + body,
                            hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, parts.get("v1", ""))

    def events(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests]

    def wait_for(self, count: int, timeout: float = 15.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(self.requests) >= count, f"got {len(self.requests)} of {count} requests"
        return self.requests

    def close(self) -> None:
        if self.hold is not None:
            self.hold.set()
        self.server.shutdown()
        self.server.server_close()


# -- running background work synchronously ------------------------------------------------------

def drain(kernel, tenant: str = "default", timeout: float = 15.0, settings=None) -> dict:
    """Dispatch and run ``tenant``'s background work in this thread until nothing is queued,
    scheduled or running; return the outcomes. Deterministic: no worker threads."""
    from peyvand import jobs
    from peyvand.worker import Worker

    worker = Worker(kernel, tenants=[tenant], settings=settings or jobs.job_settings())
    deadline = time.monotonic() + timeout
    try:
        while True:
            worker.dispatch(tenant)
            ran = False
            while (message := worker.queue.receive(tenant)) is not None:
                worker.queue.run(tenant, message)
                ran = True
            with kernel.storage.bound(tenant):
                waiting = (jobs.Job.select()
                           .where(jobs.Job.state.in_([jobs.QUEUED, jobs.SCHEDULED,
                                                      jobs.RUNNING])).count())
                unrelayed = (_outbox().select().where(_outbox().relayed_at.is_null()).count())
            if not waiting and not unrelayed and not ran:
                return worker.outcomes
            assert time.monotonic() < deadline, f"work left after {timeout}s: {waiting} jobs"
            if not ran:
                time.sleep(0.01)
    finally:
        worker.queue.close()


def _outbox():
    from peyvand.events import Outbox

    return Outbox


def jobs_of(kernel, tenant: str = "default", task: str | None = None) -> list:
    from peyvand import jobs

    with kernel.storage.bound(tenant):
        query = jobs.Job.select().order_by(jobs.Job.id)
        if task:
            query = query.where(jobs.Job.task == task)
        return list(query)


def outbox(kernel, tenant: str = "default") -> list[dict]:
    with kernel.storage.bound(tenant):
        return [json.loads(row.payload) for row in _outbox().select().order_by(_outbox().id)]


# -- throwaway plugins ------------------------------------------------------------------------

class Effect(Model):
    """The side effect of the spy's handler: one row per run that committed."""

    id = peewee.AutoField()
    event_id = peewee.CharField(max_length=36)
    note = peewee.CharField(max_length=100, null=True)

    class Meta:
        table_name = "spy_effect"


class Spy:
    """Declares ``spy-pinged`` (about a contacts.person), handles ``record-created`` with a
    task that writes an :class:`Effect` row, and offers ``spy.flaky`` (fails ``fail`` times)
    and ``spy.tick`` (periodic)."""

    manifest = Manifest(label={"en": "Spy"}, requires={"contacts": ">=0.1"})

    def __init__(self, fail: int = 0, retries: int = 2):
        self.fail = fail
        self.retries = retries
        self.calls: list[dict] = []
        self.ticks: list[str] = []

    @hookimpl
    def tenant_enabled(self):
        from peyvand.storage import current_database

        current_database().create_tables([Effect])

    @hookimpl
    def register_models(self):
        return [Effect]

    @hookimpl
    def register_events(self):
        return [EventType("spy-pinged", {"en": "The spy pinged a person.", "fa": "پینگ"},
                          entity="contacts.person", payload={"id": "person id"}),
                EventType("spy-woke", {"en": "The spy woke up."})]

    @hookimpl
    def register_tasks(self):
        return [Task("spy.on_created", self.on_created, retries=self.retries),
                Task("spy.flaky", self.flaky, retries=self.retries),
                Task("spy.tick", self.tick, every=3600)]

    @hookimpl
    def register_event_handlers(self):
        return [("record-created", "spy.on_created")]

    def on_created(self, tenant, payload):
        self.calls.append(payload)
        Effect.create(event_id=payload["id"], note=payload["type"])

    def flaky(self, tenant, payload):
        self.calls.append(payload)
        Effect.create(event_id=str(uuid.uuid4()), note="flaky")
        if len(self.calls) <= self.fail:
            raise RuntimeError(f"flaky failure {len(self.calls)}")

    def tick(self, tenant, payload):
        self.ticks.append(payload["period_start"])


def ping(person_id: int) -> str:
    return emit_event("spy-pinged", {"id": person_id, "why": "test"})


# -- Redis ----------------------------------------------------------------------------------------

def redis_queue_url() -> str:
    """A queue URL on the local Redis with a prefix of its own; fails with how to start it."""
    try:
        import redis

        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except Exception as exc:
        pytest.fail(f"Redis is not reachable on 127.0.0.1:6379 ({exc}); {REDIS_HINT}")
    return f"redis://127.0.0.1:6379/0?prefix=pt{uuid.uuid4().hex[:10]}"


def forget_redis(url: str) -> None:
    import redis

    prefix = url.rsplit("prefix=", 1)[1]
    client = redis.Redis(host="127.0.0.1", port=6379)
    for key in client.scan_iter(f"huey.*.{prefix}_*"):
        client.delete(key)


@pytest.fixture(params=["embedded", "redis"])
def queue_url(request, monkeypatch):
    """Run the test on the embedded SQLite queue and on Redis."""
    if request.param == "embedded":
        monkeypatch.delenv("PEYVAND_QUEUE_URL", raising=False)
        yield ""
        return
    url = redis_queue_url()
    monkeypatch.setenv("PEYVAND_QUEUE_URL", url)
    yield url
    forget_redis(url)
