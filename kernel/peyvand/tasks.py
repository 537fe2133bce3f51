"""What a background task is, as plugins declare it (the queue that runs them lives in
:mod:`peyvand.jobs`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Task:
    """A unit of background work a plugin offers.

    :param name: ``"<plugin>.<what>"`` (``"sales.send_reminders"``), unique.
    :param run: the function to call; it receives keyword arguments ``tenant`` and ``payload``
        (a JSON-able dict) and runs with the tenant's database bound. It must be idempotent:
        delivery is at least once, so a task can run again after a crash.
    :param every: seconds between periodic runs, or ``None`` for a task only run on demand
        (enqueued with a payload).
    :param retries: how many times a failed run is retried (with backoff) before it goes to
        the dead-letter list.
    :param own_transactions: ``False`` (the default): the task runs in one transaction with
        the job's completion (its writes commit exactly once). ``True``: it runs outside any
        transaction and opens its own (``with tenant_db.atomic():``), for long work that must
        show progress to other connections or must not hold SQLite's write lock throughout;
        a run interrupted by a crash runs again, so each of its transactions must be safe to
        repeat.
    """

    name: str
    run: Callable[..., object]
    every: int | None = None
    retries: int = 5
    own_transactions: bool = False
