"""Benchmark harness: scenario registry, interleaved timing, statistics, reporting.

A scenario is a function registered with ``@scenario(name)``; it receives a ``Context``
and calls ``ctx.report(...)`` once per figure.  Benchmarks report, they never assert.

The machine's speed drifts between phases, so a framework figure and its raw baseline are
always measured in the same process, interleaved (A B A B ...), and compared as ratios:
use ``measure_interleaved`` and ``Context.report_samples``.

This module imports only the standard library (and nothing heavy) so ``--help`` is fast.
"""

from __future__ import annotations

import math
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
MODES = ("quick", "full")
DEFAULT_ROWS = {"quick": 100_000, "full": 1_000_000}
PG_START_HINT = "pg_ctlcluster --skip-systemctl-redirect 15 main start"

_FIGURE_ID = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
_INFER = object()  # default of report(db=...): "postgresql" for *.pg ids, else "sqlite"


# --------------------------------------------------------------------------- exceptions

class Missing(Exception):
    """A prerequisite (PostgreSQL, the peyvand package, ...) is absent: not a failure."""


# --------------------------------------------------------------------------- registry

@dataclass(frozen=True)
class Scenario:
    name: str
    fn: Callable[[Context], None]
    modes: tuple[str, ...]
    figures: tuple[str, ...]
    module: str
    needs_pg: bool

    def selected_by(self, prefixes: Sequence[str]) -> bool:
        """Whether any of ``prefixes`` selects this scenario (``--only``)."""
        for p in prefixes:
            if self.name.startswith(p) or any(f.startswith(p) for f in self.figures):
                return True
            if not self.figures and p.startswith(self.name + "."):
                return True
        return False


REGISTRY: dict[str, Scenario] = {}


def scenario(name: str, *, modes: Sequence[str] = MODES, figures: Sequence[str] = (),
             needs_pg: bool | None = None):
    """Register ``fn(ctx)`` as scenario ``name``.

    ``modes``: the modes it runs in (``quick``, ``full``).  ``figures``: the figure ids it
    reports, optional but recommended: ``--only`` can then select by figure id, and a
    scenario that fails or is missing leaves ``null`` entries for them in the JSON.
    ``needs_pg`` defaults to ``name.endswith(".pg")``; such a scenario is reported as
    missing, with a hint how to start PostgreSQL, when the server is not reachable.
    """
    bad = [m for m in modes if m not in MODES]
    if bad:
        raise ValueError(f"unknown mode(s) {bad} for scenario {name!r}")
    for fid in figures:
        _check_figure_id(fid)

    def register(fn):
        if name in REGISTRY and REGISTRY[name].fn is not fn:
            raise ValueError(f"scenario {name!r} registered twice")
        REGISTRY[name] = Scenario(
            name=name, fn=fn, modes=tuple(modes), figures=tuple(figures),
            module=fn.__module__,
            needs_pg=name.endswith(".pg") if needs_pg is None else needs_pg)
        return fn

    return register


def _check_figure_id(fid: str) -> None:
    if not _FIGURE_ID.match(fid):
        raise ValueError(f"figure id {fid!r}: use lower-case dotted words like "
                         "'api.list_last_page_ms' or 'api.list_last_page_ms.pg'")


# --------------------------------------------------------------------------- measuring

def _timed(fn: Callable[[], object], inner: int) -> float:
    clock = time.perf_counter
    if inner == 1:
        t0 = clock()
        fn()
        return clock() - t0
    loop = range(inner)
    t0 = clock()
    for _ in loop:
        fn()
    return (clock() - t0) / inner


def measure_interleaved(framework_fn: Callable[[], object], baseline_fn: Callable[[], object],
                        *, rounds: int, inner: int = 1,
                        warmup: int = 1) -> tuple[list[float], list[float]]:
    """Time ``framework_fn`` (A) and ``baseline_fn`` (B) alternately: A B A B ...

    ``warmup`` untimed rounds of A B come first.  Returns two lists of ``rounds`` samples,
    in seconds per call; with ``inner > 1`` each sample times a loop of ``inner`` calls
    and divides.  Sample i of both lists comes from the same round, so the per-round ratio
    ``A[i] / B[i]`` cancels most of the machine's drift (see ``paired_ratio``).
    """
    if rounds < 1 or inner < 1:
        raise ValueError("rounds and inner must be >= 1")
    for _ in range(warmup):
        _timed(framework_fn, inner)
        _timed(baseline_fn, inner)
    fw: list[float] = []
    base: list[float] = []
    for _ in range(rounds):
        fw.append(_timed(framework_fn, inner))
        base.append(_timed(baseline_fn, inner))
    return fw, base


def measure(fn: Callable[[], object], *, rounds: int, inner: int = 1,
            warmup: int = 1) -> list[float]:
    """Like ``measure_interleaved`` for a figure that has no raw baseline."""
    for _ in range(warmup):
        _timed(fn, inner)
    return [_timed(fn, inner) for _ in range(rounds)]


# --------------------------------------------------------------------------- statistics

def percentile(samples: Sequence[float], q: float) -> float:
    """``q`` in [0, 100], linear interpolation between closest ranks."""
    if not samples:
        raise ValueError("no samples")
    xs = sorted(samples)
    pos = (len(xs) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def median(samples: Sequence[float]) -> float:
    return percentile(samples, 50)


def summarize(samples: Sequence[float]) -> dict[str, float]:
    """``{"median", "p99", "min", "max", "n"}`` of ``samples``."""
    return {"median": median(samples), "p99": percentile(samples, 99),
            "min": min(samples), "max": max(samples), "n": len(samples)}


def paired_ratio(framework: Sequence[float], baseline: Sequence[float]) -> float:
    """Median over rounds of ``framework[i] / baseline[i]`` (needs interleaved samples)."""
    if len(framework) != len(baseline) or not framework:
        raise ValueError("paired_ratio needs two sample lists of the same non-zero length")
    return median([a / b for a, b in zip(framework, baseline, strict=True) if b > 0])


TIME_UNITS = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}


def better_direction(unit: str) -> str:
    """``"lower"`` for times and ratios, ``"higher"`` for rates (units ending in ``/s``)."""
    return "higher" if unit.endswith("/s") or unit.endswith("_per_s") else "lower"


# --------------------------------------------------------------------------- formatting

def fmt_num(x: float | int | None) -> str:
    if x is None:
        return "-"
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) >= 1000):
        return f"{int(x):,}"
    ax = abs(x)
    if ax >= 1000:
        return f"{x:,.0f}"
    if ax >= 100:
        return f"{x:.1f}"
    if ax >= 10:
        return f"{x:.2f}"
    if ax >= 1:
        return f"{x:.3f}"
    if ax == 0:
        return "0"
    return f"{x:.3g}"


def format_figure(fid: str, fig: dict) -> str:
    """One human line: id, value unit, median, p99, min-max, baseline, ratio, rows, db."""
    if fig.get("value") is None:
        why = fig.get("error") or "no value"
        return f"{fid:<42} {fig.get('status', 'missing').upper()}: {why}"
    unit = fig.get("unit", "")
    parts = [f"{fid:<42} {fmt_num(fig['value']):>10} {unit:<7}"]
    if "median" in fig and fig["median"] != fig["value"]:
        parts.append(f"median {fmt_num(fig['median'])}")
    if "p99" in fig:
        parts.append(f"p99 {fmt_num(fig['p99'])}")
    if "min" in fig and "max" in fig:
        parts.append(f"min-max {fmt_num(fig['min'])}-{fmt_num(fig['max'])}")
    if fig.get("baseline") is not None:
        parts.append(f"baseline {fmt_num(fig['baseline'])} {unit}")
    if fig.get("ratio") is not None:
        parts.append(f"ratio {fig['ratio']:.2f}x")
    tail = []
    if fig.get("rows") is not None:
        tail.append(f"rows {fig['rows']:,}")
    if fig.get("db"):
        tail.append(f"db {fig['db']}")
    if "n" in fig:
        tail.append(f"n={fig['n']}")
    if tail:
        parts.append("(" + ", ".join(tail) + ")")
    return "  ".join(parts)


def _round(x):
    if isinstance(x, float) and math.isfinite(x) and x != 0:
        return round(x, max(0, 5 - int(math.floor(math.log10(abs(x))))))
    return x


# --------------------------------------------------------------------------- results

@dataclass
class Results:
    """Figures of one run: ``{figure id: {"value", "unit", "rows", "db", "baseline",
    "ratio", ...extra}}``.  ``on_report`` is called after every new figure."""

    figures: dict[str, dict] = field(default_factory=dict)
    on_report: Callable[[str, dict], None] | None = None
    echo: bool = True

    def report(self, figure_id: str, value, unit: str, rows: int | None = None,
               db=_INFER, baseline=None, ratio=None, **extra) -> dict:
        """Record one figure.  ``ratio`` defaults to ``value / baseline`` when a baseline
        is given; ``db`` defaults to ``"postgresql"`` for ids ending in ``.pg`` and to
        ``"sqlite"`` otherwise (pass ``db=None`` for figures that touch no database)."""
        _check_figure_id(figure_id)
        if figure_id in self.figures:
            raise ValueError(f"figure {figure_id!r} reported twice")
        if db is _INFER:
            db = "postgresql" if figure_id.endswith(".pg") else "sqlite"
        if ratio is None and baseline:
            ratio = value / baseline
        fig = {"value": _round(value), "unit": unit, "rows": rows, "db": db,
               "baseline": _round(baseline), "ratio": _round(ratio)}
        extra.setdefault("better", better_direction(unit))
        fig.update({k: _round(v) for k, v in extra.items()})
        self.figures[figure_id] = fig
        if self.echo:
            print(format_figure(figure_id, fig), flush=True)
        if self.on_report:
            self.on_report(figure_id, fig)
        return fig

    def placeholder(self, figure_id: str, status: str, error: str) -> None:
        """A ``null`` entry for a declared figure whose scenario failed or is missing."""
        if figure_id not in self.figures:
            self.figures[figure_id] = {"value": None, "unit": None, "rows": None, "db": None,
                                       "baseline": None, "ratio": None, "status": status,
                                       "error": error}


# --------------------------------------------------------------------------- context

@dataclass
class Context:
    """What a scenario receives.  Call ``ctx.report(...)`` once per figure."""

    mode: str
    rows: int
    cache_dir: Path
    results: Results
    scenario: str = ""
    seed: int | None = None
    _tmpdirs: list[Path] = field(default_factory=list)

    @property
    def quick(self) -> bool:
        return self.mode == "quick"

    def report(self, figure_id: str, value, unit: str, rows: int | None = None, db=_INFER,
               baseline=None, ratio=None, **extra) -> dict:
        return self.results.report(figure_id, value, unit, rows=rows, db=db,
                                   baseline=baseline, ratio=ratio, **extra)

    def report_samples(self, figure_id: str, samples: Sequence[float], unit: str = "ms",
                       baseline_samples: Sequence[float] | None = None, *,
                       rows: int | None = None, db=_INFER, **extra) -> dict:
        """Report timing samples (seconds per call) as their median in ``unit``.

        Adds p99/min/max/n; with ``baseline_samples`` (interleaved, same length) the
        baseline is their median and the ratio is the paired ratio (median over rounds of
        framework/baseline), which is robust to the machine's drift.
        """
        scale = TIME_UNITS[unit]
        st = summarize(samples)
        baseline = ratio = None
        if baseline_samples is not None:
            baseline = median(baseline_samples) * scale
            ratio = paired_ratio(samples, baseline_samples)
            extra.setdefault("baseline_min", min(baseline_samples) * scale)
            extra.setdefault("baseline_max", max(baseline_samples) * scale)
        return self.report(figure_id, st["median"] * scale, unit, rows=rows, db=db,
                           baseline=baseline, ratio=ratio, p99=st["p99"] * scale,
                           min=st["min"] * scale, max=st["max"] * scale, n=st["n"], **extra)

    def pick(self, quick, full):
        """``quick`` in quick mode, ``full`` in full mode (e.g. round counts)."""
        return quick if self.quick else full

    def log(self, message: str) -> None:
        print(f"  [{self.scenario}] {message}", flush=True)

    def missing(self, reason: str):
        """Stop the scenario and report it as missing (not failed)."""
        raise Missing(reason)

    def dataset(self, rows: int | None = None) -> Path:
        """The cached generated tenant (SQLite) with ``rows`` (default ``ctx.rows``)."""
        from bench import datagen

        kw = {} if self.seed is None else {"seed": self.seed}
        return datagen.dataset(rows or self.rows, cache=self.cache_dir, log=self.log, **kw)

    def tmpdir(self, prefix: str = "peyvand-bench-") -> Path:
        """A fresh temporary folder, removed when the scenario ends."""
        path = Path(tempfile.mkdtemp(prefix=prefix))
        self._tmpdirs.append(path)
        return path

    def pg_dsn(self) -> str:
        """A working PostgreSQL DSN, or ``Missing`` with a hint how to start the server."""
        return pg_dsn()

    def cleanup(self) -> None:
        for path in self._tmpdirs:
            shutil.rmtree(path, ignore_errors=True)
        self._tmpdirs.clear()


# --------------------------------------------------------------------------- postgres

_PG_CACHE: dict[str, str | Exception] = {}


def pg_dsn() -> str:
    """``$PEYVAND_BENCH_PG_DSN`` or the first of user postgres/root on 127.0.0.1:5432/test
    that accepts a connection; raises ``Missing`` (with how to start it) otherwise."""
    import os

    if "dsn" in _PG_CACHE:
        cached = _PG_CACHE["dsn"]
        if isinstance(cached, Exception):
            raise cached
        return cached
    try:
        import psycopg
    except ImportError:
        err = Missing("psycopg is not installed (pip install 'psycopg[binary]')")
        _PG_CACHE["dsn"] = err
        raise err from None
    env = os.environ.get("PEYVAND_BENCH_PG_DSN")
    candidates = [env] if env else [
        "host=127.0.0.1 port=5432 dbname=test user=postgres connect_timeout=3",
        "host=127.0.0.1 port=5432 dbname=test user=root connect_timeout=3",
    ]
    errors = []
    for dsn in candidates:
        try:
            with psycopg.connect(dsn) as con:
                con.execute("SELECT 1")
            _PG_CACHE["dsn"] = dsn
            return dsn
        except Exception as exc:  # any failure means "not reachable"
            errors.append(f"{dsn}: {str(exc).strip().splitlines()[0]}")
    err = Missing("PostgreSQL is not reachable (" + "; ".join(errors) + "). Start it with:  "
                  + PG_START_HINT)
    _PG_CACHE["dsn"] = err
    raise err


# --------------------------------------------------------------------------- discovery

def discover(package: str = "bench.scenarios") -> list[tuple[str, BaseException, str]]:
    """Import every ``bench/scenarios/*.py`` (not ``_*``), registering their scenarios.

    Returns ``(module, exception, traceback text)`` for each module that failed to import;
    the others are imported regardless.
    """
    import importlib
    import traceback

    folder = BENCH_DIR / "scenarios"
    failures = []
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        module = f"{package}.{path.stem}"
        try:
            importlib.import_module(module)
        except Exception as exc:  # one broken module must not hide others
            failures.append((module, exc, traceback.format_exc()))
    return failures


def run_scenario(sc: Scenario, ctx: Context) -> tuple[str, str]:
    """Run one scenario in this process: ``(status, error)``, status ok/missing/failed."""
    import traceback

    ctx.scenario = sc.name
    try:
        if sc.needs_pg:
            ctx.pg_dsn()
        sc.fn(ctx)
        return "ok", ""
    except Missing as exc:
        return "missing", str(exc)
    except Exception as exc:  # report and go on with the next scenario
        traceback.print_exc(file=sys.stdout)
        return "failed", f"{type(exc).__name__}: {exc}"
    finally:
        ctx.cleanup()
        sys.stdout.flush()
