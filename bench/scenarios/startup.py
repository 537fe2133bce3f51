"""Cold start: a fresh interpreter builds the app and answers one request.

``startup.cold_s``: median wall time of ``python -c SNIPPET`` where SNIPPET imports
``peyvand.app``, calls ``create_app()`` and GETs ``/api/v1/plugins`` through the test client,
on an instance (``PEYVAND_HOME``) prepared once beforehand so migrations are already applied.
Baseline: the same subprocess importing Flask, defining one route and GETting it.
Interpreter start-up is part of both, so the ratio understates the framework's own share.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

from bench.harness import Context, measure_interleaved, scenario

PEYVAND_SNIPPET = """\
from peyvand.app import create_app
app = create_app()
r = app.test_client().get("/api/v1/plugins", headers={
    "Authorization": "Bearer " + __import__("os").environ["PEYVAND_BENCH_TOKEN"]})
if r.status_code != 200:
    raise SystemExit(f"GET /api/v1/plugins -> {r.status_code}: {r.get_data(as_text=True)[:500]}")
"""

FLASK_SNIPPET = """\
import flask
app = flask.Flask("x")
@app.get("/")
def index():
    return {"plugins": []}
r = app.test_client().get("/")
if r.status_code != 200:
    raise SystemExit(f"GET / -> {r.status_code}")
"""

PROBE = """\
import importlib.util, sys
sys.exit(0 if importlib.util.find_spec("peyvand") else 3)
"""


def _run(code: str, env: dict[str, str]) -> None:
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip()[-2000:]
        raise RuntimeError(f"subprocess exited with {proc.returncode}:\n{tail}")


@scenario("startup", figures=("startup.cold_s",))
def cold_start(ctx: Context) -> None:
    env = dict(os.environ)
    env.pop("PEYVAND_HOME", None)
    if subprocess.run([sys.executable, "-c", PROBE], env=env).returncode == 3:
        ctx.missing(f"peyvand not installed in {sys.executable} (pip install -e kernel)")

    home = ctx.tmpdir("peyvand-bench-home-")
    env["PEYVAND_HOME"] = str(home)
    ctx.log(f"preparing instance in {home}: `peyvand demo` enables every plugin, makes users")
    demo = subprocess.run([sys.executable, "-c", "from peyvand.cli import main; main(['demo'])"],
                          env=env, capture_output=True, text=True)
    token = re.search(r"\bpv_\d+_[\w-]+", demo.stdout)
    if demo.returncode != 0 or token is None:
        raise RuntimeError(f"peyvand demo failed:\n{(demo.stderr or demo.stdout)[-2000:]}")
    env["PEYVAND_BENCH_TOKEN"] = token.group(0)
    _run(PEYVAND_SNIPPET, env)  # a first run warms the file cache

    rounds = ctx.pick(7, 15)
    fw, base = measure_interleaved(lambda: _run(PEYVAND_SNIPPET, env),
                                   lambda: _run(FLASK_SNIPPET, env),
                                   rounds=rounds, warmup=1)
    ctx.report_samples("startup.cold_s", fw, "s", base, db="sqlite")
