"""Baseline-only sanity figure: raw ``sqlite3`` bulk insert of generated contacts.

``raw.sqlite_insert_rows_per_s``: contacts inserted per second by one ``executemany`` in one
transaction into a fresh SQLite file (WAL, synchronous=NORMAL), ``ctx.rows`` contacts, median
of a few repetitions.  It has no framework counterpart (baseline and ratio are null); it shows
what the hardware and SQLite can do at all and exercises the data generator.
"""

from __future__ import annotations

import sqlite3
import time

from bench import datagen
from bench.harness import Context, scenario, summarize

_DDL = """CREATE TABLE contact (
    id INTEGER PRIMARY KEY, first_name TEXT NOT NULL, last_name TEXT NOT NULL, email TEXT,
    phone TEXT, organisation TEXT, owner_id INTEGER NOT NULL, team_id INTEGER NOT NULL,
    created_at TEXT NOT NULL)"""


@scenario("raw.sqlite", figures=("raw.sqlite_insert_rows_per_s",))
def raw_sqlite_insert(ctx: Context) -> None:
    path = ctx.dataset()
    rows = list(datagen.iter_contacts(path, as_tuples=True))
    folder = ctx.tmpdir()
    placeholders = ",".join("?" * len(datagen.CONTACT_COLUMNS))

    def once(i: int) -> float:
        db = folder / f"raw-{i}.sqlite"
        t0 = time.perf_counter()
        con = sqlite3.connect(db, isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        con.execute(_DDL)
        con.execute("BEGIN")
        con.executemany(f"INSERT INTO contact VALUES ({placeholders})", rows)
        con.execute("COMMIT")
        con.close()
        elapsed = time.perf_counter() - t0
        db.unlink()
        return elapsed

    once(0)  # warm-up (page cache, allocator)
    samples = [once(i) for i in range(1, ctx.pick(3, 3) + 1)]
    st = summarize(samples)
    n = len(rows)
    ctx.report("raw.sqlite_insert_rows_per_s", n / st["median"], "rows/s", rows=n,
               db="sqlite", min=n / st["max"], max=n / st["min"], n=st["n"],
               seconds=st["median"])
