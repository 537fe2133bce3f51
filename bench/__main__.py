"""``python -m bench``: run the benchmark scenarios, or compare two result files.

    python -m bench [--quick | --full] [--json FILE] [--only PREFIX ...] [--rows N]
    python -m bench compare OLD.json NEW.json
    python -m bench --meta          # print run metadata (date, commit, python, ...) as JSON

See bench/README.md.  Only light modules are imported at the top so ``--help`` is fast.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from bench import harness

QUICK_BUDGET_S = 180


# --------------------------------------------------------------------------- metadata

def _git_commit(root: Path) -> tuple[str | None, str | None]:
    """(commit, branch) read from .git without running git."""
    git = root / ".git"
    try:
        if git.is_file():  # a worktree: "gitdir: <path>"
            git = (root / git.read_text().split(":", 1)[1].strip()).resolve()
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref:"):
            return head, None
        ref = head.split(":", 1)[1].strip()
        branch = ref.removeprefix("refs/heads/")
        for base in (git, _common_dir(git)):
            ref_file = base / ref
            if ref_file.is_file():
                return ref_file.read_text().strip(), branch
            packed = base / "packed-refs"
            if packed.is_file():
                for line in packed.read_text().splitlines():
                    if line.endswith(" " + ref):
                        return line.split()[0], branch
        return None, branch
    except OSError:
        return None, None


def _common_dir(git: Path) -> Path:
    common = git / "commondir"
    return (git / common.read_text().strip()).resolve() if common.is_file() else git


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def collect_meta(mode: str, rows: int, seed: int | None) -> dict:
    import platform
    from datetime import UTC, datetime
    from importlib import metadata

    from bench import datagen

    commit, branch = _git_commit(harness.REPO_ROOT)
    versions = {}
    for dist in ("peyvand", "flask", "werkzeug", "peewee", "pluggy", "marshmallow",
                 "blinker", "psycopg"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": commit,
        "git_branch": branch,
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "executable": sys.executable,
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "mode": mode,
        "rows": rows,
        "seed": datagen.DEFAULT_SEED if seed is None else seed,
        "generator_version": datagen.GENERATOR_VERSION,
        "packages": versions,
    }


# --------------------------------------------------------------------------- writers

def write_json(path: str, figures: dict) -> None:
    """ONE object mapping figure ids (sorted) to their figure dicts; nothing else."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(json.dumps({k: figures[k] for k in sorted(figures)}, indent=2,
                              ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, target)


def write_markdown(path: str, meta: dict, figures: dict, statuses: list[dict]) -> None:
    """A RESULTS.md-style page: the run's metadata, then one table row per figure."""
    f = harness.fmt_num
    lines = ["# Peyvand benchmark results", ""]
    for key in ("date", "git_commit", "git_branch", "mode", "rows", "seed",
                "generator_version", "python", "platform", "cpu", "cpu_count"):
        lines.append(f"- {key}: `{meta.get(key)}`")
    pkgs = ", ".join(f"{k} {v}" for k, v in meta.get("packages", {}).items() if v)
    lines += [f"- packages: {pkgs}", "",
              "Times are medians; `ratio` is framework / raw baseline measured interleaved "
              "in the same process (compare ratios across runs, not absolute values).", "",
              "| figure | value | unit | baseline | ratio | p99 | min-max | rows | db |",
              "|---|---:|---|---:|---:|---:|---|---:|---|"]
    for fid in sorted(figures):
        fig = figures[fid]
        if fig.get("value") is None:
            lines.append(f"| `{fid}` | {fig.get('status', 'missing')} | | | | | | | |")
            continue
        ratio = f"{fig['ratio']:.2f}x" if fig.get("ratio") is not None else "-"
        minmax = f"{f(fig['min'])}-{f(fig['max'])}" if "min" in fig else "-"
        lines.append(f"| `{fid}` | {f(fig['value'])} | {fig['unit']} | {f(fig['baseline'])} | "
                     f"{ratio} | {f(fig.get('p99'))} | {minmax} | {f(fig['rows'])} | "
                     f"{fig.get('db') or '-'} |")
    bad = [s for s in statuses if s["status"] != "ok"]
    if bad:
        lines += ["", "Scenarios not ok:", ""]
        lines += [f"- `{s['name']}`: {s['status']} - {s['error']}" for s in bad]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- compare

def compare(old_path: str, new_path: str, threshold: float = 0.10) -> int:
    """Print, per figure, the change of the ratio (or of the value where no ratio)."""
    old = json.loads(Path(old_path).read_text(encoding="utf-8"))
    new = json.loads(Path(new_path).read_text(encoding="utf-8"))
    f = harness.fmt_num
    print(f"{'figure':<42} {'old':>10} {'new':>10} {'old ratio':>10} {'new ratio':>10} "
          f"{'change':>8}  verdict")
    counts = {"better": 0, "worse": 0, "same": 0}
    for fid in sorted(set(old) | set(new)):
        a, b = old.get(fid), new.get(fid)
        if a is None or b is None:
            print(f"{fid:<42} {'only in ' + ('new' if a is None else 'old'):>43}")
            continue
        if a.get("value") is None or b.get("value") is None:
            side, fig = ("old", a) if a.get("value") is None else ("new", b)
            print(f"{fid:<42} {f(a.get('value')):>10} {f(b.get('value')):>10} "
                  f"{'':>30}  no value in {side} ({fig.get('status', 'missing')})")
            continue
        use_ratio = a.get("ratio") is not None and b.get("ratio") is not None
        x, y = (a["ratio"], b["ratio"]) if use_ratio else (a["value"], b["value"])
        change = (y / x - 1.0) if x else float("nan")
        better = b.get("better") or harness.better_direction(b.get("unit") or "")
        if change != change or abs(change) < threshold:
            verdict = "same"
        elif (change < 0) == (better == "lower"):
            verdict = "better"
        else:
            verdict = "worse"
        counts[verdict] += 1
        if not use_ratio:
            verdict += " (value; no baseline)"
        ra = f"{a['ratio']:.2f}x" if a.get("ratio") is not None else "-"
        rb = f"{b['ratio']:.2f}x" if b.get("ratio") is not None else "-"
        print(f"{fid:<42} {f(a['value']):>10} {f(b['value']):>10} {ra:>10} {rb:>10} "
              f"{change:>+8.1%}  {verdict}")
    print(f"\n{counts['better']} better, {counts['worse']} worse, {counts['same']} within "
          f"{threshold:.0%}.  'change' is of the ratio to the raw baseline where both runs "
          "have one\n(robust to machine speed drift), else of the absolute value (which "
          "drifts 1.6-1.8x between phases).")
    return 0


# --------------------------------------------------------------------------- running

def _run_in_worker(sc: harness.Scenario, args, rows: int, cache: Path,
                   results: harness.Results) -> tuple[str, str]:
    import signal
    import subprocess
    import tempfile

    fd, out = tempfile.mkstemp(prefix="bench-worker-", suffix=".json")
    os.close(fd)
    cmd = [sys.executable, "-m", "bench", "_worker", "--scenario", sc.name,
           "--module", sc.module, "--mode", args.mode, "--rows", str(rows),
           "--cache-dir", str(cache), "--out", out]
    if args.seed is not None:
        cmd += ["--seed", str(args.seed)]
    proc = subprocess.Popen(cmd, cwd=harness.REPO_ROOT, start_new_session=True)
    try:
        try:
            rc = proc.wait(timeout=args.timeout)
            status, error = "failed", f"worker exited with status {rc} and no result"
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            status, error = "failed", f"timed out after {args.timeout:.0f} s"
        except KeyboardInterrupt:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
        try:
            data = json.loads(Path(out).read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            data = {}
        results.figures.update(data.get("figures", {}))
        if data.get("status") and not error.startswith("timed out"):
            status, error = data["status"], data.get("error", "")
        return status, error
    finally:
        Path(out).unlink(missing_ok=True)


def _worker(argv: list[str]) -> int:
    """Internal: run one scenario in this (fresh) process, results into --out."""
    import importlib

    ap = argparse.ArgumentParser(prog="python -m bench _worker")
    for opt in ("--scenario", "--module", "--mode", "--cache-dir", "--out"):
        ap.add_argument(opt, required=True)
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--seed", type=int)
    a = ap.parse_args(argv)
    out = Path(a.out)

    def save(status: str | None = None, error: str = "") -> None:
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(json.dumps({"status": status, "error": error,
                                   "figures": results.figures}, ensure_ascii=False),
                       encoding="utf-8")
        os.replace(tmp, out)

    results = harness.Results(on_report=lambda fid, fig: save())
    try:
        importlib.import_module(a.module)
        sc = harness.REGISTRY[a.scenario]
    except Exception as exc:
        import traceback

        traceback.print_exc(file=sys.stdout)
        save("failed", f"import {a.module}: {type(exc).__name__}: {exc}")
        return 0
    ctx = harness.Context(mode=a.mode, rows=a.rows, cache_dir=Path(a.cache_dir),
                          results=results, seed=a.seed)
    status, error = harness.run_scenario(sc, ctx)
    save(status, error)
    return 0


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m bench",
        description="Peyvand benchmarks: report figures (never assert). "
                    "Also: 'python -m bench compare OLD.json NEW.json'.")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--quick", dest="mode", action="store_const", const="quick",
                      help="every figure at 100,000 rows, under 3 minutes (default)")
    mode.add_argument("--full", dest="mode", action="store_const", const="full",
                      help="every figure at 1,000,000 rows")
    ap.set_defaults(mode="quick")
    ap.add_argument("--json", metavar="FILE", help="write the figures as one JSON object")
    ap.add_argument("--markdown", metavar="FILE",
                    help="write a RESULTS.md-style page (metadata + table)")
    ap.add_argument("--only", metavar="PREFIX", nargs="+", action="extend", default=[],
                    help="run only scenarios whose name or figure ids start with PREFIX")
    ap.add_argument("--rows", type=int, help="row count (default 100,000 quick / 1,000,000 "
                    "full)")
    ap.add_argument("--seed", type=int, help="data generator seed (default "
                    "bench.datagen.DEFAULT_SEED)")
    ap.add_argument("--no-pg", action="store_true", help="skip scenarios that need PostgreSQL")
    ap.add_argument("--list", action="store_true", help="list the scenarios and exit")
    ap.add_argument("--meta", action="store_true",
                    help="print the run metadata (date, commit, python, mode...) and exit")
    ap.add_argument("--inline", action="store_true",
                    help="run scenarios in this process instead of one fresh process each "
                         "(for debugging/profiling; no isolation, no timeout)")
    ap.add_argument("--timeout", type=float,
                    help="seconds allowed per scenario (default 600 quick / 3600 full)")
    ap.add_argument("--strict", action="store_true",
                    help="exit non-zero also when a scenario is missing a prerequisite")
    return ap


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["compare"]:
        ap = argparse.ArgumentParser(prog="python -m bench compare",
                                     description="Compare two JSON result files.")
        ap.add_argument("old")
        ap.add_argument("new")
        ap.add_argument("--threshold", type=float, default=0.10,
                        help="relative change below which a figure counts as the same")
        a = ap.parse_args(argv[1:])
        return compare(a.old, a.new, a.threshold)
    if argv[:1] == ["_worker"]:
        return _worker(argv[1:])

    args = _parser().parse_args(argv)
    rows = args.rows or harness.DEFAULT_ROWS[args.mode]
    if args.timeout is None:
        args.timeout = 600.0 if args.mode == "quick" else 3600.0
    meta = collect_meta(args.mode, rows, args.seed)
    if args.meta:
        print(json.dumps(meta, indent=2, ensure_ascii=False))
        return 0

    t_start = time.perf_counter()
    if not args.list:
        print(f"peyvand bench: mode {args.mode}, {rows:,} rows, python {meta['python']}, "
              f"commit {(meta['git_commit'] or '?')[:12]}, {meta['date']}", flush=True)
    import_failures = harness.discover()
    for module, _exc, tb in import_failures:
        print(f"!! scenario module {module} failed to import:\n{tb}", flush=True)

    if args.list:
        for sc in harness.REGISTRY.values():
            pg = "yes" if sc.needs_pg else "no"
            print(f"{sc.name:<24} modes={','.join(sc.modes):<11} pg={pg:<3} "
                  f"figures={', '.join(sc.figures) or '-'}")
        return 1 if import_failures else 0

    cache = Path(os.environ.get("PEYVAND_BENCH_CACHE") or harness.BENCH_DIR / ".cache")
    cache.mkdir(parents=True, exist_ok=True)

    results = harness.Results()
    statuses: list[dict] = [
        {"name": m, "status": "failed", "error": f"import: {type(e).__name__}: {e}",
         "seconds": 0.0} for m, e, _ in import_failures]
    interrupted = False
    for sc in list(harness.REGISTRY.values()):
        if args.only and not sc.selected_by(args.only):
            continue
        if args.mode not in sc.modes:
            print(f"-- {sc.name}: skipped (runs in {'/'.join(sc.modes)} mode only)")
            continue
        if args.no_pg and sc.needs_pg:
            print(f"-- {sc.name}: skipped (--no-pg)")
            continue
        print(f"== {sc.name}", flush=True)
        t0 = time.perf_counter()
        try:
            if args.inline:
                ctx = harness.Context(mode=args.mode, rows=rows, cache_dir=cache,
                                      results=results, seed=args.seed)
                status, error = harness.run_scenario(sc, ctx)
            else:
                status, error = _run_in_worker(sc, args, rows, cache, results)
        except KeyboardInterrupt:
            status, error, interrupted = "failed", "interrupted", True
        seconds = time.perf_counter() - t0
        if status != "ok":
            print(f"!! {sc.name}: {status.upper()}: {error}", flush=True)
            for fid in sc.figures:
                results.placeholder(fid, status, error)
        statuses.append({"name": sc.name, "status": status, "error": error,
                         "seconds": seconds})
        if interrupted:
            break

    if args.only and not any(s["name"] in harness.REGISTRY for s in statuses):
        print(f"-- no scenario matches --only {' '.join(args.only)} (see --list)")
    total = time.perf_counter() - t_start
    print("\nsummary:")
    for s in statuses:
        print(f"  {s['name']:<32} {s['status']:<8} {s['seconds']:7.1f} s"
              + (f"  {s['error']}" if s["status"] != "ok" else ""))
    print(f"  {len(results.figures)} figure(s), total {total:.1f} s")
    if args.mode == "quick" and total > QUICK_BUDGET_S and not args.rows:
        print(f"  WARNING: quick mode took longer than its {QUICK_BUDGET_S} s budget")
    if args.json:
        write_json(args.json, results.figures)
        print(f"  wrote {args.json}")
    if args.markdown:
        write_markdown(args.markdown, meta, results.figures, statuses)
        print(f"  wrote {args.markdown}")

    if interrupted:
        return 130
    bad = {"failed"} | ({"missing"} if args.strict else set())
    return 1 if any(s["status"] in bad for s in statuses) else 0


if __name__ == "__main__":
    raise SystemExit(main())
