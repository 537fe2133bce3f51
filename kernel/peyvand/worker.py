"""``peyvand worker``: the process that runs background work.

Three kinds of threads:

* the **dispatcher** goes over the tenants it serves: relays outbox events to jobs, creates
  the jobs of periodic tasks, brings retries whose backoff has passed back, hands queued jobs
  to the queue, extends the leases of the jobs running here, recovers the jobs of workers that
  died (their lease expired) and, hourly, forgets old finished work;
* the **fetcher** takes messages from the tenants' queues while an executor is free;
* ``concurrency`` **executors** run jobs (:func:`peyvand.jobs.execute`).

Any number of workers may serve the same tenants, on one machine (embedded SQLite queue) or
several (Redis): every step is safe to run twice.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from . import jobs
from .queue import Queue

log = logging.getLogger("peyvand.worker")


class Worker:
    """Serve ``tenants`` (``None``: every tenant of the instance, re-read now and then)."""

    def __init__(self, kernel, *, tenants: list[str] | None = None, concurrency: int = 4,
                 settings: jobs.JobSettings | None = None, queue: Queue | None = None):
        self.kernel = kernel
        self.settings = settings or jobs.job_settings()
        self.fixed_tenants = list(tenants) if tenants else None
        self.concurrency = max(1, concurrency)
        self.queue = queue or Queue(self.settings.queue_url, kernel.settings.home)
        self.queue.handler = self._execute
        self.outcomes: dict[str, int] = {}
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._slots = threading.Semaphore(self.concurrency)
        self._lock = threading.Lock()
        self._running: dict[tuple[str, int], str] = {}
        self._threads: list[threading.Thread] = []
        self._pool: ThreadPoolExecutor | None = None
        self._tenants: list[str] = []
        self._tenants_read = 0.0
        self._active: dict[str, float] = {}
        self._last_poll: dict[str, float] = {}
        self._last_sweep: dict[str, float] = {}
        self._last_purge: dict[str, float] = {}
        self._last_heartbeat = 0.0
        self._periodic_memo: dict = {}
        self.errors: list[str] = []

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> Worker:
        self.queue.check()
        self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="peyvand-job")
        for name, target in (("peyvand-dispatch", self._dispatch_loop),
                             ("peyvand-fetch", self._fetch_loop)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Stop taking work, let running jobs finish (up to ``timeout``), then return."""
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self.queue.close()

    def run_forever(self) -> None:
        """Run until SIGTERM or SIGINT (Ctrl+C), then stop gracefully."""

        def on_signal(signum, frame):
            log.info("signal %s: stopping after the running jobs", signum)
            self._stop.set()
            self._wake.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        self.start()
        while not self._stop.is_set():
            self._stop.wait(1.0)
        self.stop()

    # -- tenants -------------------------------------------------------------------------------
    def tenants(self) -> list[str]:
        if self.fixed_tenants is not None:
            return self.fixed_tenants
        now = time.monotonic()
        if now - self._tenants_read > 10 or not self._tenants:
            try:
                self._tenants = self.kernel.tenants()
            except Exception as exc:  # keep serving the tenants known so far
                self._error(f"cannot list tenants: {exc}")
            self._tenants_read = now
        return self._tenants

    # -- the dispatcher ------------------------------------------------------------------------
    def _dispatch_loop(self) -> None:
        while not self._stop.is_set():
            now = time.monotonic()
            for tenant in self.tenants():
                if self._stop.is_set():
                    break
                busy = now - self._active.get(tenant, -1e9) < 30
                interval = self.settings.poll_s if busy else self.settings.idle_poll_s
                if now - self._last_poll.get(tenant, -1e9) < interval * 0.9:
                    continue
                self._last_poll[tenant] = now
                try:
                    if self.dispatch(tenant, now):
                        self._active[tenant] = now
                except Exception as exc:  # one tenant's trouble must not stop the others
                    self._error(f"tenant {tenant}: {type(exc).__name__}: {exc}")
            if now - self._last_heartbeat >= self.settings.lease_s / 3:
                self._last_heartbeat = now
                self._heartbeat()
            spent = time.monotonic() - now
            self._stop.wait(max(0.002, min(self.settings.poll_s, self.settings.idle_poll_s)
                                - spent))
        self.kernel.storage.close()

    def dispatch(self, tenant: str, now: float | None = None) -> int:
        """One pass over ``tenant``; returns how much it moved (0: nothing to do)."""
        now = time.monotonic() if now is None else now
        settings = self.settings
        moved = 0
        with self.kernel.storage.bound(tenant):
            self.kernel.refresh()
            moved += jobs.relay_events(self.kernel, tenant, settings)
            moved += jobs.schedule_periodic(self.kernel, tenant, self._periodic_memo,
                                            time.time())
            moved += jobs.promote_scheduled()
            sweep_every = max(0.5, min(settings.lease_s, settings.requeue_s) / 4)
            if now - self._last_sweep.get(tenant, -1e9) >= sweep_every:
                self._last_sweep[tenant] = now
                moved += jobs.sweep(settings)
            if now - self._last_purge.get(tenant, -1e9) >= 3600:
                self._last_purge[tenant] = now
                jobs.purge_finished(settings)
            ready = jobs.pending()
            if ready:
                self.queue.send(tenant, ready)
                jobs.mark_enqueued(ready)
                self._wake.set()
                moved += len(ready)
        return moved

    def _heartbeat(self) -> None:
        with self._lock:
            running = dict(self._running)
        by_tenant: dict[str, list[int]] = {}
        for (tenant, job_id) in running:
            by_tenant.setdefault(tenant, []).append(job_id)
        for tenant, ids in by_tenant.items():
            try:
                with self.kernel.storage.bound(tenant):
                    jobs.extend_leases(ids, self.settings)
            except Exception as exc:
                self._error(f"tenant {tenant}: cannot extend leases: {exc}")

    # -- fetching and executing ----------------------------------------------------------------
    def _fetch_loop(self) -> None:
        idle = 0.005
        cursor = 0
        while not self._stop.is_set():
            if not self._slots.acquire(timeout=0.5):
                continue
            message = tenant = None
            tenants = self.tenants()
            try:
                for i in range(len(tenants)):
                    candidate = tenants[(cursor + i) % len(tenants)]
                    message = self.queue.receive(candidate)
                    if message is not None:
                        tenant = candidate
                        cursor = (cursor + i + 1) % max(len(tenants), 1)
                        break
            except Exception as exc:
                self._error(f"cannot read the queue: {exc}")
            if message is None:
                self._slots.release()
                self._wake.wait(idle)
                self._wake.clear()
                idle = min(idle * 2, 0.1)
                continue
            idle = 0.005
            self._pool.submit(self._run_message, tenant, message)

    def _run_message(self, tenant: str, message) -> None:
        try:
            self.queue.run(tenant, message)
        except Exception as exc:
            self._error(f"tenant {tenant}: {type(exc).__name__}: {exc}")
        finally:
            self._slots.release()

    def _execute(self, tenant: str, job_id: int) -> None:
        outcome = jobs.execute(self.kernel, tenant, int(job_id), self.settings, tracker=self)
        with self._lock:
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        if outcome != "not-claimed":
            log.info("tenant %s: job %s %s", tenant, job_id, outcome)

    # the tracker protocol of jobs.execute
    def started(self, tenant: str, job_id: int, claim: str) -> None:
        with self._lock:
            self._running[(tenant, job_id)] = claim

    def finished(self, tenant: str, job_id: int) -> None:
        with self._lock:
            self._running.pop((tenant, job_id), None)

    def _error(self, message: str) -> None:
        log.error(message)
        with self._lock:
            self.errors.append(message)
            del self.errors[:-100]
