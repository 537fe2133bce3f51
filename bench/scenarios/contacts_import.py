"""Contacts import: a generated file into a tenant that already holds as many contacts.

``import.csv_rows_per_s`` / ``import.xlsx_rows_per_s``: data rows per second through the real
import pipeline (``peyvand_contacts.importing.pipeline.import_people``: read, map headers,
normalise phones/e-mails, match by e-mail then mobile against the tenant and the file itself,
validate, write in one transaction with audit, search text and the undo batch), importing the
``ctx.rows`` contacts of the generated data set (``datagen.contacts_csv`` / ``contacts_xlsx``)
into a SQLite tenant that already holds ``ctx.rows`` contacts, bulk-loaded beforehand (untimed)
so that about half the file matches existing people: a quarter gets empty fields filled, a
quarter has nothing new, the rest (and the 5% in-file duplicates) is created or merged.
Baseline: the same file read with the plainest reader (``csv`` / ``python_calamine``) and its
rows inserted as they are with one ``sqlite3`` ``executemany`` in one transaction, into a copy
of the same tenant (same table, indexes and triggers). Framework and baseline run interleaved,
each round on a fresh copy of the tenant; ratio = framework rows/s / baseline rows/s, median
over rounds.

``mem.import_peak_mib``: peak RSS (``resource.getrusage(RUSAGE_SELF).ru_maxrss``) of a fresh
process running ``peyvand contacts import FILE`` on the CSV; baseline: a fresh process doing
the raw ``csv`` + ``executemany`` load.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench import datagen
from bench.harness import Context, scenario

FIGURES = ("import.csv_rows_per_s", "import.xlsx_rows_per_s", "mem.import_peak_mib")

# The file's columns (datagen.EXPORT_COLUMNS) as the baseline inserts them, raw.
_RAW_INSERT = ("INSERT INTO contacts_person (first_name, last_name, email, phone, owner_id, "
               "team_id, created_at, updated_at, version, lifecycle_stage, consent_email, "
               "consent_sms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, 'lead', 0, 0)")

MEM_IMPORT = """\
import resource, sys
from peyvand.cli import main
try:
    main(["contacts", "import", sys.argv[1]], standalone_mode=False)
finally:
    print("peak_kib", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, flush=True)
"""

MEM_RAW = """\
import csv, resource, sqlite3, sys
con = sqlite3.connect(sys.argv[2], isolation_level=None)
con.execute("BEGIN")
with open(sys.argv[1], encoding="utf-8", newline="") as fh:
    rows = csv.reader(fh)
    next(rows)
    con.executemany(sys.argv[3], ([r[0], r[1], r[2] or None, r[3] or None, r[5], r[6], r[7],
                                   r[7]] for r in rows))
con.execute("COMMIT")
print("peak_kib", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, flush=True)
"""


def _kw(ctx: Context) -> dict:
    return {"cache": ctx.cache_dir, "log": ctx.log,
            **({} if ctx.seed is None else {"seed": ctx.seed})}


def _prepare_tenant(ctx: Context, home: Path, dataset: Path) -> Path:
    """A fresh instance with contacts enabled and ``ctx.rows`` existing contacts; returns the
    tenant's SQLite file (closed, checkpointed: safe to copy)."""
    from peyvand.config import load_settings
    from peyvand.kernel import Kernel
    from peyvand_contacts.importing.pipeline import fast_email, fast_phone

    settings = load_settings(home=home, database_url=f"sqlite:///{home}/control.sqlite3")
    kernel = Kernel(settings, only=["contacts"])
    kernel.ensure_tenant("default")
    kernel.enable("contacts")
    from peyvand.identity import create_user

    with kernel.storage.bound("default"):
        create_user("bench-admin", roles=("admin",))  # `contacts import` acts as the first admin
    path = kernel.storage.tenant_path("default")
    kernel.storage.close()

    con = sqlite3.connect(path, isolation_level=None)
    columns = {r[1] for r in con.execute("PRAGMA table_info(contacts_person)")}
    search = None
    if "search_text" in columns:
        from peyvand_contacts.search import organization_search_text, person_search_text

        search = person_search_text
    con.execute("BEGIN")
    orgs: dict[str, int] = {}
    people = []
    stamp = "2025-01-01 00:00:00"
    for cid, first, last, email, phone, org, owner, team, created in datagen.iter_contacts(
            dataset, as_tuples=True):
        email = fast_email(email) if email else None
        phone = fast_phone(phone) if phone else None
        if cid % 2:
            # Odd contacts are other people in the tenant: their keys differ from the file's.
            email = f"old.{email}" if email else None
            phone = f"+98989{phone[-7:]}" if phone else None
        elif cid % 4 == 0:
            org = None          # the file fills it: "update empty fields"
        org_id = None
        if org:
            org_id = orgs.setdefault(org, len(orgs) + 1)
        row = [cid, 1, created, stamp, owner, team, first, last, email, phone, org_id, "lead",
               0, 0]
        if search is not None:
            row.append(search(first, last, email, phone, org))
        people.append(row)
    org_columns = "id, version, created_at, updated_at, name"
    org_rows = [(i, 1, stamp, stamp, name) for name, i in orgs.items()]
    if search is not None and "search_text" in {
            r[1] for r in con.execute("PRAGMA table_info(contacts_organization)")}:
        org_columns += ", search_text"
        org_rows = [(*r, organization_search_text(r[4], None, None)) for r in org_rows]
    con.executemany(f"INSERT INTO contacts_organization ({org_columns}) VALUES "
                    f"({', '.join('?' * len(org_rows[0]))})", org_rows)
    person_columns = ("id, version, created_at, updated_at, owner_id, team_id, first_name, "
                      "last_name, email, phone, organization_id, lifecycle_stage, "
                      "consent_email, consent_sms" + (", search_text" if search else ""))
    con.executemany(f"INSERT INTO contacts_person ({person_columns}) VALUES "
                    f"({', '.join('?' * len(people[0]))})", people)
    con.execute("COMMIT")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return path


def _restore(template: Path, target: Path) -> None:
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, target)


def _raw_csv_rows(path: Path):
    import csv

    with open(path, encoding="utf-8", newline="") as fh:
        rows = csv.reader(fh)
        next(rows)
        for r in rows:
            yield (r[0], r[1], r[2] or None, r[3] or None, r[5], r[6], r[7], r[7])


def _raw_xlsx_rows(path: Path):
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    rows = iter(sheet.iter_rows())
    next(rows)
    for r in rows:
        yield (r[0], r[1], r[2] or None, (str(r[3]) if r[3] != "" else None), r[5], r[6],
               str(r[7]), str(r[7]))


def _raw_load(db_path: Path, rows) -> None:
    con = sqlite3.connect(db_path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("BEGIN")
    con.executemany(_RAW_INSERT, rows)
    con.execute("COMMIT")
    con.close()


def _interleaved(ctx: Context, rounds: int, warmup: int, framework, baseline):
    """Run A (framework) and B (baseline) alternately, each after its untimed set-up; the
    first ``warmup`` rounds are not counted."""
    fw, base, results = [], [], []
    for i in range(warmup + rounds):
        prepare_a, run_a = framework
        prepare_b, run_b = baseline
        prepare_a()
        t0 = time.perf_counter()
        result = run_a()
        a = time.perf_counter() - t0
        prepare_b()
        t0 = time.perf_counter()
        run_b()
        b = time.perf_counter() - t0
        ctx.log(f"round {i}{' (warm-up)' if i < warmup else ''}: framework {a:.2f} s, "
                f"raw {b:.2f} s")
        if i >= warmup:
            fw.append(a)
            base.append(b)
            results.append(result)
    return fw, base, results


def _report_rate(ctx: Context, figure: str, rows: int, fw, base, result) -> None:
    rate = rows / statistics.median(fw)
    ctx.report(figure, rate, "rows/s", rows=rows, db="sqlite",
               baseline=rows / statistics.median(base),
               ratio=statistics.median(b / a for a, b in zip(fw, base, strict=True)),
               min=rows / max(fw), max=rows / min(fw), n=len(fw),
               seconds=statistics.median(fw), created=result.created, updated=result.updated,
               merged=result.merged, skipped=result.skipped, failed=result.failed)


@scenario("import", figures=FIGURES)
def contacts_import(ctx: Context) -> None:
    try:
        import peyvand  # noqa: F401
        from peyvand_contacts.importing.pipeline import ImportOptions, import_people
    except ImportError as exc:
        ctx.missing(f"peyvand or peyvand-contacts not installed: {exc}")

    dataset = ctx.dataset()
    csv_path = datagen.contacts_csv(ctx.rows, **_kw(ctx))
    xlsx_path = datagen.contacts_xlsx(ctx.rows, **_kw(ctx))
    rows = ctx.rows

    home = ctx.tmpdir("peyvand-bench-import-")
    ctx.log(f"loading {rows:,} existing contacts into a fresh tenant")
    tenant = _prepare_tenant(ctx, home, dataset)
    template = tenant.with_name("template.sqlite3")
    shutil.move(tenant, template)
    raw_db = home / "raw.sqlite3"

    from peyvand.config import load_settings
    from peyvand.kernel import Kernel

    settings = load_settings(home=home, database_url=f"sqlite:///{home}/control.sqlite3")
    kernel = Kernel(settings, only=["contacts"])
    hooks = kernel.hooks("default")

    def fresh_tenant():
        kernel.storage.close()
        _restore(template, tenant)

    def run_import(path):
        def run():
            with kernel.storage.bound("default"):
                result = import_people(path, options=ImportOptions(), hooks=hooks)
            if result.status != "done" or result.failed:
                raise RuntimeError(f"import {result.status}: {result.summary()}; "
                                   f"{result.errors[:3]}")
            return result
        return run

    # One import takes seconds, long enough that a warm-up round buys little in quick mode,
    # where all scenarios together have 3 minutes: 2 rounds of CSV and 1 of XLSX there.
    warmup = ctx.pick(0, 1)
    for figure, path, raw_rows, rounds in (
            ("import.csv_rows_per_s", csv_path, _raw_csv_rows, ctx.pick(2, 3)),
            ("import.xlsx_rows_per_s", xlsx_path, _raw_xlsx_rows, ctx.pick(1, 3))):
        fw, base, results = _interleaved(
            ctx, rounds, warmup, (fresh_tenant, run_import(path)),
            (lambda: _restore(template, raw_db), lambda p=path, f=raw_rows: _raw_load(raw_db,
                                                                                     f(p))))
        _report_rate(ctx, figure, rows, fw, base, results[-1])
        ctx.log(f"{figure}: {results[-1].summary()}")
    kernel.storage.close()

    # Peak memory of a fresh process importing the CSV through the CLI, against the raw load.
    env = {**os.environ, "PEYVAND_HOME": str(home),
           "PEYVAND_DATABASE_URL": f"sqlite:///{home}/control.sqlite3"}
    _restore(template, tenant)
    framework_kib = _peak([sys.executable, "-c", MEM_IMPORT, str(csv_path)], env)
    _restore(template, raw_db)
    raw_kib = _peak([sys.executable, "-c", MEM_RAW, str(csv_path), str(raw_db), _RAW_INSERT],
                    env)
    ctx.report("mem.import_peak_mib", framework_kib / 1024, "MiB", rows=rows, db="sqlite",
               baseline=raw_kib / 1024)


# Linux carries ru_maxrss over fork and exec: a process started straight from this worker
# (hundreds of MiB by now) would report the worker's peak, not its own.  A small launcher
# process in between starts the measured one from a small address space.
LAUNCHER = """\
import subprocess, sys
sys.exit(subprocess.run(sys.argv[1:]).returncode)
"""


def _peak(command: list[str], env: dict) -> int:
    proc = subprocess.run([sys.executable, "-c", LAUNCHER, *command], env=env,
                          capture_output=True, text=True)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("peak_kib ")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip()[-2000:]
        raise RuntimeError(f"subprocess exited with {proc.returncode}:\n{tail}")
    return int(lines[-1].split()[1])
