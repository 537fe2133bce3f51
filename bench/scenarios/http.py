"""HTTP throughput of the real app under gunicorn against a bare WSGI function.

A fresh SQLite instance (``bench.instance.prepare``: contacts enabled, ``ctx.rows`` contacts,
an admin token) is served by gunicorn on 127.0.0.1 exactly as in production:
``gunicorn 'peyvand.app:create_app()'`` with ``PEYVAND_HOME`` / ``PEYVAND_DATABASE_URL``
pointing at the instance (the same settings ``prepare`` used, so the server opens the same
SQLite files; checked by comparing the server's body with the in-process app's). The
baseline is a plain WSGI function (``baseline_app`` below, no framework) under the very same
gunicorn settings, returning the bytes and headers of the real response fetched once.

Gunicorn settings: 2 ``sync`` workers (one per CPU), the same for both servers. Sync rather
than gthread: with gthread, the 8 long-lived keep-alive connections are split between the two
workers by whichever accepts first, and the split stays for the whole run; in a trial run one
worker got none of the baseline's connections (0% CPU) and Peyvand's throughput swung from
1,040 to 1,950 req/s between rounds with the split. A sync worker accepts only when it is
free, so both workers always have work; what still varies between rounds is the machine's
load, which the paired ratio absorbs. The price: sync workers close the connection after
every answer, so each request also opens a TCP connection (both servers pay it, as behind a
proxy that does not keep upstream connections alive, nginx's default), and with 8 clients for
2 workers the latency includes the wait in the listen queue.

Load: 8 client threads in this process send ``GET /api/v1/contacts/persons?limit=50&sort=id``
with the admin token, each as soon as its previous answer arrived, for a fixed time per run
(4 s quick, 15 s full) and at most ``MAX_PER_CLIENT`` requests per client. The client is a
minimal HTTP/1.1 reader over a socket (the request bytes are built once; every answer's
status and length are checked) so that it takes as little as possible of the CPU the servers
share with it. Runs alternate Peyvand / baseline (A B A B), 3 rounds quick, 5 full, after one
1 s warm-up run of each.

* ``http.throughput_rps``: median requests/s of the Peyvand runs; baseline: median of the
  baseline runs; ratio: median over rounds of Peyvand/baseline (paired). Extra keys:
  ``client_cpu_share`` (CPU the load client used / wall time, median of the Peyvand runs).
* ``http.throughput_ratio_vs_wsgi``: that ratio alone (higher is better).
* ``http.p99_ms``: the 99th percentile of request latency under that load, per round, median
  over rounds (a request's time includes its TCP connect and its wait in the listen queue);
  baseline likewise; ``p50`` beside it.
* ``mem.server_peak_mib``: sum of the peak RSS (``VmHWM`` in ``/proc/<pid>/status``) of the
  gunicorn master and its workers after all Peyvand runs (so their peak during start-up and
  load); baseline: the same for the bare WSGI server. Shared pages count in every process, as
  in any per-process RSS sum.

The machine has 2 CPUs for the 2 server workers and the client together, so the bare server
is partly bound by the client (its CPU share is logged per round and kept in the figure as
``baseline_client_cpu_share``): the ratio understates Peyvand's own per-request cost somewhat.
Servers are stopped in ``finally`` (SIGTERM, then SIGKILL of the master and its workers).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.harness import REPO_ROOT, Context, median, percentile, scenario

URL = "/api/v1/contacts/persons?limit=50&sort=id"
WORKERS = 2
CLIENTS = 8
MAX_PER_CLIENT = 200_000        # a bound on every run besides its duration
START_TIMEOUT_S = 60.0
BODY_ENV = "PEYVAND_BENCH_HTTP_BODY"    # the baseline's response, as a JSON file
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "date", "server",
              "content-length"}
FIGURES = ("http.throughput_rps", "http.throughput_ratio_vs_wsgi", "http.p99_ms",
           "mem.server_peak_mib")


# --------------------------------------------------------------------------- baseline app

def baseline_app():
    """The baseline: gunicorn ``'bench.scenarios.http:baseline_app()'``. A plain WSGI
    function returning the recorded response (body and headers) of the real endpoint."""
    with open(os.environ[BODY_ENV], encoding="utf-8") as fh:
        recorded = json.load(fh)
    body = recorded["body"].encode("latin-1")
    headers = [(k, v) for k, v in recorded["headers"]]
    headers.append(("Content-Length", str(len(body))))
    status = recorded["status"]

    def app(environ, start_response):
        start_response(status, headers)
        return [body]

    return app


# --------------------------------------------------------------------------- servers

class Server:
    """One gunicorn master on a socket this process bound to 127.0.0.1 (port 0)."""

    def __init__(self, name: str, app_spec: str, env: dict[str, str], log_path: Path):
        self.name = name
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(256)
        self.port = self.sock.getsockname()[1]
        fd = self.sock.fileno()
        cmd = [sys.executable, "-m", "gunicorn", "--bind", f"fd://{fd}",
               "--worker-class", "sync", "--workers", str(WORKERS), "--timeout", "60",
               "--graceful-timeout", "5", "--chdir", str(REPO_ROOT), "--log-level", "warning",
               *_control_socket_off(), app_spec]
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT,
                                     pass_fds=(fd,), start_new_session=True)
        self.sock.close()  # the master holds its own copy
        self.workers: set[int] = set()

    def log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def wait_ready(self, headers: dict[str, str]) -> None:
        """Until every worker is up and the endpoint answers 200 (or fail with the log)."""
        import http.client

        deadline = time.monotonic() + START_TIMEOUT_S
        last = ""
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} server exited with {self.proc.returncode}:\n"
                                   f"{self.log_tail()}")
            if len(_children(self.proc.pid)) >= WORKERS:
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                    conn.request("GET", URL, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    conn.close()
                    if response.status == 200:
                        self.workers = _children(self.proc.pid)
                        return
                    last = f"HTTP {response.status}"
                except OSError as exc:
                    last = str(exc)
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} server not ready after {START_TIMEOUT_S:.0f} s "
                           f"({last}):\n{self.log_tail()}")

    def pids(self) -> list[int]:
        self.workers |= _children(self.proc.pid)
        return [self.proc.pid, *sorted(self.workers)]

    def peak_mib(self) -> tuple[float, list[float]]:
        """Sum of VmHWM over master and workers, and the per-process figures (MiB)."""
        each = [_vm_hwm_kib(pid) / 1024 for pid in self.pids()]
        return sum(each), each

    def stop(self) -> None:
        """SIGTERM the master (graceful, 5 s), SIGKILL it after 10 s, then SIGKILL any of
        its workers still alive."""
        if self.proc.poll() is None:
            self.workers |= _children(self.proc.pid)
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        for pid in sorted(self.workers):
            _kill_if_left(pid)
        self._log.close()


def _control_socket_off() -> list[str]:
    """Gunicorn 25.1+ opens a control socket under ~/.gunicorn by default: not for a bench."""
    import gunicorn

    return ["--no-control-socket"] if gunicorn.version_info >= (25, 1) else []


def _children(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # pid (comm) state ppid ...; comm may hold spaces, so split after the last ')'
        fields = stat[stat.rfind(b")") + 2:].split()
        if int(fields[1]) == pid:
            found.add(int(entry))
    return found


def _vm_hwm_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_ticks(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return 0
    fields = stat[stat.rfind(b")") + 2:].split()
    return int(fields[11]) + int(fields[12])    # utime + stime


def _kill_if_left(pid: int) -> None:
    """SIGKILL one of our server's workers if it outlived its master (checked by cmdline,
    since the pid was recorded as our master's child)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            cmdline = fh.read()
    except OSError:
        return      # already gone
    if b"gunicorn" in cmdline:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# --------------------------------------------------------------------------- load

class _Client:
    """One client: HTTP/1.1 over a socket, reading answers that carry a Content-Length.

    The sync workers close the connection after every answer (``Connection: close``); the
    client then reads to the end of the stream before closing its side, so the TIME_WAIT
    states stay on the server's side and thousands of connects per second do not exhaust
    the client's ephemeral ports. The next request opens a new connection, timed with it.
    """

    def __init__(self, port: int, request: bytes, expect_len: int):
        self.port = port
        self.sock: socket.socket | None = None
        self.request = request
        self.expect_len = expect_len
        self.buf = bytearray()
        self.connects = 0

    def _recv(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection before the answer's end")
        return chunk

    def get(self) -> None:
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.connects += 1
        self.sock.sendall(self.request)
        buf = self.buf
        while (end := buf.find(b"\r\n\r\n")) < 0:
            buf += self._recv()
        head = bytes(buf[:end]).split(b"\r\n")
        if head[0][9:12] != b"200":
            raise RuntimeError(f"HTTP answer {head[0]!r}")
        length, close = -1, head[0].startswith(b"HTTP/1.0")
        for line in head[1:]:
            name, _, value = line.partition(b":")
            lower = name.strip().lower()
            if lower == b"content-length":
                length = int(value)
            elif lower == b"connection":
                close = value.strip().lower() == b"close"
        if length != self.expect_len:
            raise RuntimeError(f"body of {length} bytes, expected {self.expect_len}")
        total = end + 4 + length
        while len(buf) < total:
            buf += self._recv()
        del buf[:total]
        if close:
            if buf or self.sock.recv(65536):
                raise RuntimeError("data after the answer on a closing connection")
            self.close()

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        self.buf.clear()


def run_load(server: Server, request: bytes, expect_len: int, seconds: float) -> dict:
    """``CLIENTS`` threads hammer ``server`` for ``seconds`` (and at most MAX_PER_CLIENT
    requests each); returns rps, latency percentiles and CPU shares."""
    clients = [_Client(server.port, request, expect_len) for _ in range(CLIENTS)]
    latencies: list[list[float]] = [[] for _ in clients]
    errors: list[BaseException] = []
    start_gate = threading.Barrier(CLIENTS + 1)
    stop_at = [0.0]

    def work(i: int) -> None:
        client, lat = clients[i], latencies[i]
        clock = time.perf_counter
        try:
            start_gate.wait()
            end = stop_at[0]
            for _ in range(MAX_PER_CLIENT):
                t0 = clock()
                client.get()
                t1 = clock()
                lat.append(t1 - t0)
                if t1 >= end:
                    break
        except BaseException as exc:  # reported by the caller
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    pids = server.pids()
    ticks0 = {pid: _cpu_ticks(pid) for pid in pids}
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    stop_at[0] = t0 + seconds
    start_gate.wait()
    for t in threads:
        t.join(timeout=seconds + 30)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    ticks = {pid: _cpu_ticks(pid) - ticks0[pid] for pid in pids}
    for c in clients:
        c.close()
    if any(t.is_alive() for t in threads):
        raise RuntimeError(f"{server.name}: load threads did not finish")
    if errors:
        raise RuntimeError(f"{server.name}: {type(errors[0]).__name__}: {errors[0]}")
    samples = [x for lat in latencies for x in lat]
    hz = os.sysconf("SC_CLK_TCK")
    worker_cpu = [ticks[pid] / hz / wall for pid in pids[1:]]
    return {"rps": len(samples) / wall, "n": len(samples),
            "connects": sum(c.connects for c in clients),
            "p50": percentile(samples, 50), "p99": percentile(samples, 99),
            "client_cpu": cpu / wall, "worker_cpu": worker_cpu}


# --------------------------------------------------------------------------- scenario

@scenario("http", figures=FIGURES)
def http_throughput(ctx: Context) -> None:
    import importlib.util

    if importlib.util.find_spec("gunicorn") is None:
        ctx.missing(f"gunicorn not installed in {sys.executable} (pip install gunicorn)")
    try:
        from bench import instance as fixture
    except ImportError as exc:
        ctx.missing(f"peyvand not installed: {exc}")

    inst = fixture.prepare(ctx, "sqlite")
    servers: list[Server] = []
    try:
        settings = inst.kernel.settings
        auth = {"Authorization": f"Bearer {inst.admin_token}"}
        reference = inst.app.test_client().get(URL, headers=auth)
        if reference.status_code != 200:
            raise RuntimeError(f"in-process {URL} -> {reference.status_code}")
        tmp = ctx.tmpdir("peyvand-bench-http-")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PEYVAND_")}
        env.update(PEYVAND_HOME=str(settings.home), PEYVAND_DATABASE_URL=settings.database_url,
                   PYTHONUNBUFFERED="1")

        ctx.log(f"starting Peyvand under gunicorn ({WORKERS} sync workers)")
        peyvand = Server("peyvand", "peyvand.app:create_app()", env, tmp / "peyvand.log")
        servers.append(peyvand)
        peyvand.wait_ready(auth)
        status, headers, body = _fetch(peyvand.port, auth)
        if body != reference.get_data():
            raise RuntimeError("the server's answer differs from the in-process app's: is it "
                               "serving another instance?")

        recorded = tmp / "response.json"
        recorded.write_text(json.dumps({
            "status": status,
            "headers": [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP],
            "body": body.decode("latin-1")}), encoding="utf-8")
        base_env = dict(env, **{BODY_ENV: str(recorded)})
        baseline = Server("baseline", "bench.scenarios.http:baseline_app()", base_env,
                          tmp / "baseline.log")
        servers.append(baseline)
        baseline.wait_ready(auth)
        b_status, b_headers, b_body = _fetch(baseline.port, auth)
        if b_body != body or b_status != status:
            raise RuntimeError("the baseline's answer differs from Peyvand's")

        request = (f"GET {URL} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   f"Authorization: Bearer {inst.admin_token}\r\n"
                   "Accept: */*\r\n\r\n").encode()
        seconds = ctx.pick(4.0, 15.0)
        rounds = ctx.pick(3, 5)
        ctx.log(f"load: {CLIENTS} clients, {rounds} rounds x {seconds:.0f} s per server, "
                f"{len(body):,}-byte answers")
        run_load(peyvand, request, len(body), 1.0)      # warm-up: every worker and thread
        run_load(baseline, request, len(body), 1.0)
        fw, base = [], []
        for i in range(rounds):
            fw.append(run_load(peyvand, request, len(body), seconds))
            base.append(run_load(baseline, request, len(body), seconds))
            ctx.log(f"round {i + 1}: peyvand {fw[-1]['rps']:,.0f} req/s "
                    f"(workers' CPU {_shares(fw[-1])}, client {fw[-1]['client_cpu']:.2f}), "
                    f"baseline {base[-1]['rps']:,.0f} req/s "
                    f"(workers' CPU {_shares(base[-1])}, client {base[-1]['client_cpu']:.2f})")

        ratio = median([a["rps"] / b["rps"] for a, b in zip(fw, base, strict=True)])
        ctx.report("http.throughput_rps", median([r["rps"] for r in fw]), "req/s",
                   rows=inst.rows, baseline=median([r["rps"] for r in base]), ratio=ratio,
                   min=min(r["rps"] for r in fw), max=max(r["rps"] for r in fw),
                   n=rounds, requests=sum(r["n"] for r in fw), clients=CLIENTS,
                   seconds=seconds, client_cpu_share=median([r["client_cpu"] for r in fw]),
                   baseline_client_cpu_share=median([r["client_cpu"] for r in base]))
        ctx.report("http.throughput_ratio_vs_wsgi", ratio, "x", rows=inst.rows, ratio=ratio,
                   better="higher")
        p99 = [r["p99"] * 1e3 for r in fw]
        b_p99 = [r["p99"] * 1e3 for r in base]
        ctx.report("http.p99_ms", median(p99), "ms", rows=inst.rows, baseline=median(b_p99),
                   ratio=median([a / b for a, b in zip(p99, b_p99, strict=True)]),
                   p50=median([r["p50"] * 1e3 for r in fw]),
                   baseline_p50=median([r["p50"] * 1e3 for r in base]),
                   min=min(p99), max=max(p99), n=rounds, clients=CLIENTS)
        mem, each = peyvand.peak_mib()
        b_mem, b_each = baseline.peak_mib()
        ctx.report("mem.server_peak_mib", mem, "MiB", rows=inst.rows, baseline=b_mem,
                   processes=len(each), master_mib=each[0], worker_max_mib=max(each[1:]),
                   baseline_worker_max_mib=max(b_each[1:]))
    finally:
        for server in servers:
            server.stop()
        fixture.drop(inst)


def _shares(run: dict) -> str:
    return "/".join(f"{x:.2f}" for x in run["worker_cpu"])


def _fetch(port: int, headers: dict[str, str]) -> tuple[str, list[tuple[str, str]], bytes]:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", URL, headers=headers)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {URL} on port {port} -> {response.status}: {body[:300]}")
        return f"{response.status} {response.reason}", response.getheaders(), body
    finally:
        conn.close()
