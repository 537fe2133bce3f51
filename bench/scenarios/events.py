"""Events from commit to webhook delivery, through a real `peyvand worker` process.

A fresh SQLite instance with the contacts plugin, one admin and one webhook subscription
(``record-created``) to an HTTP receiver on 127.0.0.1 in this process, which checks every
signature. A ``peyvand worker --concurrency 4`` subprocess does the work, as in production
(the writer is this process, as the web server would be).

* ``events.latency_p50_ms`` / ``events.latency_p99_ms``: commit → handler start, per event:
  one person created per transaction, the next only after the previous was delivered (an
  unloaded pipeline); "handler start" is the job's ``started_at`` (its claim), the commit time
  is taken right after the commit returned. Dominated by the worker's polling interval
  (``PEYVAND_WORKER_POLL_S``, 0.05 s). Embedded queue.
* ``events.delivery_per_s`` (embedded SQLite queue) and ``events.delivery_per_s.redis``:
  persons created as fast as one writer can, one transaction each, while the worker delivers;
  events / (last delivery − first commit). One writer is usually the bound: see the extra
  keys ``writer_per_s`` (commits per second meanwhile) and ``lag_ms`` (last delivery − last
  commit). Baseline: the same number of signed POSTs sent straight to the receiver by 4
  threads (the HTTP ceiling); ratio = value / baseline.

Bounded: 150 (quick) / 500 (full) latency samples and 1,000 / 5,000 events, each phase at most
120 s; loopback only. The Redis figure needs Redis on 127.0.0.1:6379 (missing otherwise).
"""

from __future__ import annotations

import datetime
import os
import random
import shutil
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from bench.harness import Context, percentile, scenario

PHASE_LIMIT_S = 120.0
REDIS_HINT = ('start it with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 '
              '--save "" --appendonly no')


class _Receiver:
    """A webhook receiver: verifies signatures, records when each event id arrived."""

    def __init__(self):
        import hashlib
        import hmac
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.secret = ""
        self.arrived: dict[str, float] = {}
        self.bad = 0
        self.changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                now = time.time()
                parts = dict(p.split("=", 1)
                             for p in self.headers.get("X-Peyvand-Signature", "").split(",")
                             if "=" in p)
                expected = hmac.new(receiver.secret.encode(),
                                    f"{parts.get('t', '')}.".encode() + body,
                                    hashlib.sha256).hexdigest()
                ok = hmac.compare_digest(expected, parts.get("v1", ""))
                self.send_response(200 if ok else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()
                with receiver.changed:
                    if ok:
                        receiver.arrived.setdefault(self.headers["X-Peyvand-Event-Id"], now)
                    else:
                        receiver.bad += 1
                    receiver.changed.notify_all()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_count(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(self.arrived) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.changed.wait(left)
        return True

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _instance(ctx: Context, receiver: _Receiver):
    from peyvand.config import load_settings
    from peyvand.identity import create_user
    from peyvand.kernel import Kernel
    from peyvand.webhooks import create_webhook

    home = ctx.tmpdir("peyvand-bench-events-")
    settings = load_settings(home=home, database_url=f"sqlite:///{home}/control.sqlite3")
    kernel = Kernel(settings, only=["contacts"])
    kernel.ensure_tenant("default")
    kernel.enable("contacts")
    with kernel.storage.bound("default"):
        admin = create_user("bench-admin", roles=("admin",))
        _, receiver.secret = create_webhook(kernel, "default", url=receiver.url,
                                            events=["record-created"], owner_id=admin.id)
    return kernel, home


def _start_worker(ctx: Context, home: Path, queue_url: str) -> subprocess.Popen:
    peyvand = shutil.which("peyvand", path=str(Path(sys.executable).parent))
    if not peyvand:
        ctx.missing("the peyvand command is not installed next to this Python")
    env = dict(os.environ)
    env.update({"PEYVAND_HOME": str(home),
                "PEYVAND_DATABASE_URL": f"sqlite:///{home}/control.sqlite3",
                "PEYVAND_QUEUE_URL": queue_url, "PEYVAND_STRICT_PLUGINS": "0"})
    log = open(Path(home) / "worker.log", "ab")  # noqa: SIM115 - the process owns it
    return subprocess.Popen([peyvand, "worker", "--tenant", "default", "--concurrency", "4",
                             "--log-level", "WARNING"], env=env, stdout=log,
                            stderr=subprocess.STDOUT)


def _stop_worker(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def _writer(kernel):
    service = kernel.service("contacts.person", "default")
    db = kernel.storage.database_for("default")

    def create(i: int) -> tuple[int, float]:
        with kernel.storage.bound("default"), db.atomic():
            record = service.create({"first_name": "رضا", "last_name": f"بنچ {i}"}, via="api")
        return record.id, time.time()

    return create


def _event_ids(kernel) -> dict[int, str]:
    from peyvand.events import Outbox

    with kernel.storage.bound("default"):
        return {r: e for r, e in Outbox.select(Outbox.record_id, Outbox.event_id)
                .where(Outbox.name == "record-created").tuples()}


def _started(kernel) -> dict[str, float]:
    from peyvand.jobs import WEBHOOK_TASK, Job

    with kernel.storage.bound("default"):
        rows = Job.select(Job.event_id, Job.started_at).where(
            (Job.task == WEBHOOK_TASK) & Job.started_at.is_null(False)).tuples()
        return {e: s.replace(tzinfo=datetime.UTC).timestamp() for e, s in rows}


def _raw_posts(receiver: _Receiver, count: int) -> float:
    """Signed POSTs straight to the receiver, 4 threads: requests per second."""
    import json
    import urllib.request

    from peyvand.webhooks import signature

    per_thread = count // 4

    def send():
        for _ in range(per_thread):
            body = json.dumps({"id": str(uuid.uuid4()), "type": "record-created"}).encode()
            event_id = json.loads(body)["id"]
            request = urllib.request.Request(
                receiver.url, data=body, method="POST",
                headers={"Content-Type": "application/json", "X-Peyvand-Event-Id": event_id,
                         "X-Peyvand-Signature": signature(receiver.secret, int(time.time()),
                                                          body)})
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()

    threads = [threading.Thread(target=send) for _ in range(4)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return per_thread * 4 / (time.perf_counter() - started)


def _throughput(ctx: Context, kernel, receiver: _Receiver, create, count: int) -> dict:
    already = len(receiver.arrived)
    first_commit = time.time()
    for i in range(count):
        create(i)
    commits_done = time.time()
    complete = receiver.wait_count(already + count, PHASE_LIMIT_S)
    ids = set(_event_ids(kernel).values())
    arrived = [t for e, t in receiver.arrived.items() if e in ids and t >= first_commit]
    delivered = len(arrived)
    last = max(arrived) if arrived else time.time()
    return {"rate": delivered / (last - first_commit), "complete": complete,
            "delivered": delivered, "writer_per_s": count / (commits_done - first_commit),
            "seconds": last - first_commit, "lag_ms": (last - commits_done) * 1000}


def _run(ctx: Context, queue_url: str, *, latency: bool) -> dict:
    try:
        import peyvand  # noqa: F401
    except ImportError as exc:
        ctx.missing(f"peyvand not installed: {exc}")
    receiver = _Receiver()
    kernel, home = _instance(ctx, receiver)
    create = _writer(kernel)
    worker = _start_worker(ctx, home, queue_url)
    out: dict = {}
    try:
        create(-1)  # warm-up: the worker is up once this arrives
        if not receiver.wait_count(1, 60):
            raise RuntimeError("the worker delivered nothing within 60 s:\n"
                               + (Path(home) / "worker.log").read_text(errors="replace"))
        if latency:
            samples = ctx.pick(150, 500)
            commits: dict[int, float] = {}
            deadline = time.monotonic() + PHASE_LIMIT_S
            for i in range(samples):
                record_id, committed = create(i)
                commits[record_id] = committed
                if not receiver.wait_count(len(receiver.arrived) + 1, 10):
                    break
                time.sleep(random.uniform(0, 0.05))  # decorrelate from the polling phase
                if time.monotonic() > deadline:
                    break
            events, started = _event_ids(kernel), _started(kernel)
            out["latency"] = [started[events[r]] - t for r, t in commits.items()
                              if events.get(r) in started]
        count = ctx.pick(1000, 5000)
        out["throughput"] = _throughput(ctx, kernel, receiver, create, count)
        out["count"] = count
        out["bad_signatures"] = receiver.bad
        out["baseline"] = _raw_posts(receiver, count)
    finally:
        _stop_worker(worker)
        receiver.close()
        kernel.storage.close()
    return out


def _report_rate(ctx: Context, figure: str, result: dict, queue: str, **extra) -> None:
    t = result["throughput"]
    ctx.report(figure, t["rate"], "events/s", rows=result["count"], db="sqlite",
               baseline=result["baseline"], queue=queue, complete=t["complete"],
               delivered=t["delivered"], writer_per_s=t["writer_per_s"],
               seconds=t["seconds"], lag_ms=t["lag_ms"],
               bad_signatures=result["bad_signatures"], **extra)


@scenario("events", figures=("events.delivery_per_s", "events.latency_p50_ms",
                             "events.latency_p99_ms"))
def events_embedded(ctx: Context) -> None:
    result = _run(ctx, "", latency=True)
    latency = [s * 1000 for s in result["latency"]]
    extra = {"n": len(latency), "min": min(latency), "max": max(latency), "better": "lower",
             "poll_s": 0.05}
    ctx.report("events.latency_p50_ms", percentile(latency, 50), "ms", db="sqlite", **extra)
    ctx.report("events.latency_p99_ms", percentile(latency, 99), "ms", db="sqlite", **extra)
    _report_rate(ctx, "events.delivery_per_s", result, "sqlite")


@scenario("events.redis", figures=("events.delivery_per_s.redis",))
def events_redis(ctx: Context) -> None:
    try:
        import redis

        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except Exception as exc:
        ctx.missing(f"Redis is not reachable on 127.0.0.1:6379 ({exc}); {REDIS_HINT}")
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    try:
        result = _run(ctx, f"redis://127.0.0.1:6379/0?prefix={prefix}", latency=False)
    finally:
        client = redis.Redis(host="127.0.0.1", port=6379)
        for key in client.scan_iter(f"huey.*.{prefix}_*"):
            client.delete(key)
    _report_rate(ctx, "events.delivery_per_s.redis", result, "redis")
