"""The one-command start runs background work too: scripts/start.sh starts `peyvand serve
--worker`, which runs a worker inside the server's process, so a contacts import queued on the
web finishes; Ctrl+C stops everything and leaves no process behind. And the import page warns
when queued work waits with no worker serving it."""

from __future__ import annotations

import datetime
import io
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from events_kit import drain
from web_kit import web_client

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app(peyvand_app_factory):
    return peyvand_app_factory(plugins=["contacts"])


def _queue_import(client) -> int:
    data = "first_name,last_name,email\r\nAli,Karimi,ali@x.ir\r\nSara,Amini,sara@x.ir\r\n"
    answer = client.post("/api/v1/contacts/imports",
                         data={"file": (io.BytesIO(data.encode()), "people.csv")},
                         content_type="multipart/form-data")
    assert answer.status_code in (200, 201, 202), answer.get_json()
    return answer.get_json()["id"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_start_sh_runs_queued_imports_and_ctrl_c_stops_everything(app, tmp_path):
    client = web_client(app, "boss", language="en", calendar="gregorian")
    import_id = _queue_import(client)
    status = f"/api/v1/contacts/imports/{import_id}"
    assert client.get(status).get_json()["state"] == "queued"
    port = _free_port()
    env = {**os.environ, "PEYVAND_SKIP_SETUP": "1", "PEYVAND_PORT": str(port),
           "PEYVAND_HOST": "127.0.0.1"}   # PEYVAND_HOME and the database: this test's
    log = tmp_path / "start.log"
    with open(log, "wb") as out:
        # A session of its own, as a terminal's foreground job; SIGINT as a terminal sends it
        # (a runner started in the background may have it ignored).
        proc = subprocess.Popen(["bash", str(ROOT / "scripts" / "start.sh")], env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 180
        served = state = None
        while time.monotonic() < deadline and proc.poll() is None:
            state = client.get(status).get_json()["state"]
            if served is None:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as r:
                        served = r.status
                except OSError:
                    pass
            if served and state in ("done", "failed"):
                break
            time.sleep(0.3)
        output = log.read_text(errors="replace")
        assert served == 200, output
        assert state == "done", (state, output)
        assert "Background work runs in this process" in output
        assert client.get(status).get_json()["created"] == 2
        # Ctrl+C: the server and its worker stop; nothing is left running.
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(60) == 0, log.read_text(errors="replace")
        deadline = time.monotonic() + 10
        while _group_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _group_alive(proc.pid), "a process of the start was left running"
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0       # the port is closed
    finally:
        if proc.poll() is None or _group_alive(proc.pid):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(10)


def _age_jobs(app, **changes):
    from peyvand.jobs import Job

    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        Job.update(**changes).execute()


def test_the_import_page_warns_when_no_worker_serves_the_queued_work(app):
    from peyvand.storage import utcnow

    kernel = app.extensions["peyvand"]
    client = web_client(app, "boss", language="en", calendar="gregorian")
    import_id = _queue_import(client)
    page_url = f"/app/contacts/imports/{import_id}"
    # Just queued: a worker would take it within a second or two; no alarm yet.
    page = client.get(page_url).get_data(as_text=True)
    assert "data-no-worker" not in page and "waits for the background worker" in page
    # Queued a minute ago and never handed to the queue: no worker is running.
    minute_ago = utcnow() - datetime.timedelta(minutes=1)
    _age_jobs(app, created_at=minute_ago)
    page = client.get(page_url).get_data(as_text=True)
    assert "data-no-worker" in page and "peyvand serve --worker" in page
    persian = web_client(app, "parisa")
    assert "هیچ کارگر پس‌زمینه‌ای" in persian.get(page_url).get_data(as_text=True)
    # A worker's dispatcher hands it over: it is served, the warning goes.
    from peyvand import jobs
    from peyvand.worker import Worker

    Worker(kernel, tenants=["default"], settings=jobs.job_settings()).dispatch("default")
    page = client.get(page_url).get_data(as_text=True)
    assert "data-no-worker" not in page and 'id="import-progress"' in page
    # Handed over long ago and never started: the worker that took it is gone.
    _age_jobs(app, enqueued_at=utcnow() - datetime.timedelta(hours=1))
    assert "data-no-worker" in client.get(page_url).get_data(as_text=True)
    # Run: nothing waits any more.
    drain(kernel)
    page = client.get(page_url).get_data(as_text=True)
    assert "data-no-worker" not in page and 'data-outcome="done"' in page


def test_serve_refuses_a_port_in_use_before_starting_a_worker(app):
    import shutil
    import sys

    peyvand = shutil.which("peyvand", path=str(Path(sys.executable).parent))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        answer = subprocess.run([peyvand, "serve", "--worker", "--port", str(port)],
                                capture_output=True, text=True, timeout=120)
    assert answer.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in answer.stderr
    assert "Background work runs" not in answer.stdout
