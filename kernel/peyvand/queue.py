"""The message queue between the dispatcher and the executors: huey.

``PEYVAND_QUEUE_URL`` chooses the storage:

* unset (the default): huey's SQLite storage in ``<instance>/queue.sqlite3``, which needs no
  server; workers on the same machine share it;
* ``redis://host:6379/0``: Redis, for workers on several machines;
* ``sqlite:///path/queue.sqlite3``: a SQLite file elsewhere.

A ``?prefix=NAME`` query parameter namespaces the queues (default ``peyvand``), so several
instances can share one Redis. Each tenant has its own queue (``<prefix>_<tenant>``), so a
worker started with ``--tenant T`` takes only T's jobs.

Messages carry only ``(tenant, job id)``, as JSON rather than huey's default pickle, so whoever
can write to the queue can at worst make a worker look at a job, never run code. They are not
the source of truth (the tenant's job table is), so the SQLite queue file is written without
fsync: a message lost in a power cut is sent again by the dispatcher's sweep.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse, urlunparse

from .errors import PeyvandError

DEFAULT_PREFIX = "peyvand"


class QueueError(PeyvandError):
    pass


def _serializer():
    from huey.registry import Message
    from huey.serializer import Serializer

    class JsonSerializer(Serializer):
        """Our messages as JSON: ``[id, task name, args]``; nothing else is ever sent."""

        def _serialize(self, data):
            if not isinstance(data, Message):
                raise TypeError("only task messages go through the Peyvand queue")
            return json.dumps([data.id, data.name, list(data.args)]).encode()

        def _deserialize(self, data):
            task_id, name, args = json.loads(bytes(data))
            return Message(task_id, name, args=tuple(args), kwargs={})

    return JsonSerializer()


def describe(url: str) -> str:
    """The queue's kind and place, for people (no password)."""
    if not url:
        return "SQLite (embedded)"
    parsed = urlparse(url)
    host = parsed.hostname or ""
    return f"{parsed.scheme} at {host}:{parsed.port or ''}{parsed.path}"


class Queue:
    """One huey instance per tenant, over one storage, carrying ``run_job(tenant, job_id)``.

    ``handler(tenant, job_id)`` is what a dequeued message runs (the worker's executor).
    """

    def __init__(self, url: str, home: Path, handler=None):
        self.handler = handler
        self.url = url or ""
        self._lock = threading.Lock()
        self._hueys: dict = {}
        self._tasks: dict = {}
        parsed = urlparse(self.url)
        query = parse_qs(parsed.query)
        self.prefix = query.pop("prefix", [DEFAULT_PREFIX])[0]
        if not self.prefix.replace("_", "").isalnum():
            raise QueueError(f"queue prefix {self.prefix!r}: use letters, digits and '_'")
        clean = urlunparse(parsed._replace(query=urlencode(query, doseq=True)))
        if not self.url:
            self.kind, self.target = "sqlite", str(Path(home) / "queue.sqlite3")
        elif parsed.scheme == "sqlite":
            self.kind, self.target = "sqlite", parsed.path
        elif parsed.scheme in ("redis", "rediss", "unix"):
            self.kind, self.target = "redis", clean
            from redis import ConnectionPool

            self._pool = ConnectionPool.from_url(clean)
        else:
            raise QueueError(f"PEYVAND_QUEUE_URL={self.url!r}: use redis://host:port/db, "
                             "sqlite:///path, or leave it unset for the embedded queue")
        if self.kind == "sqlite":
            Path(self.target).parent.mkdir(parents=True, exist_ok=True)

    def _huey(self, tenant: str):
        huey = self._hueys.get(tenant)
        if huey is not None:
            return huey
        with self._lock:
            huey = self._hueys.get(tenant)
            if huey is None:
                huey = self._hueys[tenant] = self._make(tenant)
        return huey

    def _make(self, tenant: str):
        from huey import RedisHuey, SqliteHuey

        name = f"{self.prefix}_{tenant}"
        options = {"results": False, "utc": True, "serializer": _serializer()}
        if self.kind == "sqlite":
            huey = SqliteHuey(name, filename=self.target, fsync=False, timeout=10, **options)
        else:
            # Non-blocking reads: one worker polls the queues of many tenants.
            huey = RedisHuey(name, connection_pool=self._pool, blocking=False, **options)

        def run_job(tenant, job_id):
            if self.handler is not None:
                self.handler(tenant, job_id)

        self._tasks[tenant] = huey.task(name="run_job")(run_job)
        return huey

    def check(self) -> None:
        """Raise :class:`QueueError` with a hint when the queue cannot be reached."""
        if self.kind != "redis":
            return
        from redis import Redis
        from redis.exceptions import RedisError

        try:
            Redis(connection_pool=self._pool).ping()
        except RedisError as exc:
            raise QueueError(
                f"cannot reach the queue at {describe(self.url)} ({exc}). Start Redis, e.g. "
                "`redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save \"\" "
                "--appendonly no`, or unset PEYVAND_QUEUE_URL for the embedded queue") from None

    def send(self, tenant: str, job_ids: list[int]) -> None:
        huey = self._huey(tenant)
        run_job = self._tasks[tenant]
        for job_id in job_ids:
            huey.enqueue(run_job.s(tenant, job_id))

    def receive(self, tenant: str):
        """The next message of ``tenant``'s queue (a huey task), or ``None``."""
        return self._huey(tenant).dequeue()

    def run(self, tenant: str, message) -> None:
        """Run a received message through huey (its signals and error handling)."""
        self._huey(tenant).execute(message)

    def size(self, tenant: str) -> int:
        return self._huey(tenant).pending_count()

    def flush(self, tenant: str) -> None:
        self._huey(tenant).flush()

    def close(self) -> None:
        for huey in self._hueys.values():
            close = getattr(huey.storage, "close", None)
            if close is not None:
                close()
        self._hueys.clear()
