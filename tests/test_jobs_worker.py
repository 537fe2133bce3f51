"""A real `peyvand worker` process killed (SIGKILL) in the middle of a task: after a restart the
side effect has happened exactly once."""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import evspy
import pytest
from events_kit import Receiver, jobs_of, queue_url  # noqa: F401

TESTS = Path(__file__).resolve().parent


def worker_env(tmp_path: Path, **extra) -> dict:
    """Environment of a worker subprocess that has the evspy plugin installed (an entry point
    in a folder of its own, as pip would leave it)."""
    site = tmp_path / "site"
    dist = site / "evspy-1.0.dist-info"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: evspy\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[peyvand.plugins]\nevspy = evspy\n")
    env = dict(os.environ)
    env.update({
        "PYTHONPATH": os.pathsep.join([str(site), str(TESTS)]),
        "PEYVAND_STRICT_PLUGINS": "0",  # another installed plugin's trouble is not ours here
        "PEYVAND_JOB_LEASE_S": "2",
        "PEYVAND_WORKER_POLL_S": "0.05",
        "PEYVAND_JOB_BACKOFF_S": "0.05",
        **extra,
    })
    return env


class WorkerProcess:
    def __init__(self, env: dict, log: Path):
        peyvand = shutil.which("peyvand", path=str(Path(sys.executable).parent))
        assert peyvand, "the peyvand command is not installed next to this Python"
        self.log = log
        self._out = open(log, "ab")  # closed in kill() or stop()
        self.proc = subprocess.Popen(
            [peyvand, "worker", "--tenant", "default", "--concurrency", "1"],
            env=env, stdout=self._out, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self._out.close()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._out.close()
        return self.proc.returncode

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def wait_until(condition, timeout: float, what: str, worker: WorkerProcess | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if worker is not None and worker.proc.poll() is not None:
            break
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}"
                         + (f"; worker output:\n{worker.output()}" if worker else ""))


def create_people(kernel, *names):
    db = kernel.storage.database_for("default")
    service = kernel.service("contacts.person", "default")
    with kernel.storage.bound("default"), db.atomic():
        return [service.create({"last_name": name}) for name in names]


def effects(kernel):
    with kernel.storage.bound("default"):
        return list(evspy.Effect.select().order_by(evspy.Effect.id))


@pytest.fixture
def kernel(peyvand_kernel_factory):
    return peyvand_kernel_factory(plugins=["contacts"], extra_plugins=[("evspy", evspy, "1.0")])


def test_a_worker_killed_mid_task_leaves_the_side_effect_exactly_once(
        kernel, tmp_path, queue_url):  # noqa: F811
    hold = tmp_path / "hold"
    hold.mkdir()
    env = worker_env(tmp_path, EVSPY_HOLD_DIR=str(hold))
    [first] = create_people(kernel, "first")

    victim = WorkerProcess(env, tmp_path / "worker-1.log")
    try:
        wait_until(lambda: any(hold.glob("started-*")), 60, "the handler to start", victim)
        # The handler wrote its row but has not committed: nothing is visible.
        assert effects(kernel) == []
    finally:
        victim.kill()
    [job] = jobs_of(kernel, task="evspy.on_created")
    assert job.state == "running" and job.attempts == 1  # as the dead worker left it

    (hold / "release").write_text("")
    later = create_people(kernel, "second", "third")
    survivor = WorkerProcess(env, tmp_path / "worker-2.log")
    try:
        wait_until(lambda: [j.state for j in jobs_of(kernel, task="evspy.on_created")]
                   == ["done"] * 3, 60, "every handler job to finish", survivor)
    finally:
        assert survivor.stop() == 0, survivor.output()

    rows = effects(kernel)
    assert sorted(r.record_id for r in rows) == sorted([first.id, *(p.id for p in later)])
    assert len({r.event_id for r in rows}) == 3  # exactly one effect per event
    done = {j.event_id: j for j in jobs_of(kernel, task="evspy.on_created")}
    assert done[job.event_id].attempts == 2
    assert {r.pid for r in rows} == {survivor.proc.pid}
    assert "job" in survivor.output()


def test_a_webhook_interrupted_by_a_crash_is_sent_again_under_the_same_event_id(
        kernel, tmp_path):
    from peyvand.identity import create_user
    from peyvand.webhooks import create_webhook

    hold = threading.Event()
    receiver = Receiver(hold=hold)
    try:
        with kernel.storage.bound("default"):
            admin = create_user("admin", roles=("admin",))
            _, receiver.secret = create_webhook(kernel, "default", url=receiver.url,
                                                events=["record-created"], owner_id=admin.id)
        (tmp_path / "hold").mkdir()
        (tmp_path / "hold" / "release").write_text("")  # evspy's handler does not wait here
        env = worker_env(tmp_path, EVSPY_HOLD_DIR=str(tmp_path / "hold"))
        create_people(kernel, "a", "b")

        victim = WorkerProcess(env, tmp_path / "worker-1.log")
        try:
            wait_until(receiver.arrived.is_set, 60, "the first delivery", victim)
        finally:
            victim.kill()  # while the receiver still holds the first request
        hold.set()
        survivor = WorkerProcess(env, tmp_path / "worker-2.log")
        try:
            wait_until(lambda: [j.state for j in jobs_of(kernel, task="peyvand.webhook")]
                       == ["done"] * 2, 60, "both deliveries", survivor)
        finally:
            assert survivor.stop() == 0, survivor.output()
        ids = [r["headers"]["x-peyvand-event-id"] for r in receiver.requests]
        assert all(r["verified"] for r in receiver.requests)
        # At least once: the interrupted one came twice, under its event id, so a receiver
        # that de-duplicates on X-Peyvand-Event-Id processes each event exactly once.
        assert len(set(ids)) == 2 and len(ids) == 3 and ids.count(ids[0]) == 2
        assert len(effects(kernel)) == 2
    finally:
        receiver.close()


def test_the_worker_refuses_to_start_with_pending_migrations(kernel, tmp_path):
    from click.testing import CliRunner

    from peyvand.cli import main

    with kernel.storage.bound("default"):
        kernel.storage.database_for("default").execute_sql(
            'DELETE FROM "evspy_migrations"')
    result = CliRunner().invoke(main, ["worker", "--tenant", "default"],
                                obj={"kernel": kernel})
    assert result.exit_code != 0 and "peyvand db upgrade" in result.output
