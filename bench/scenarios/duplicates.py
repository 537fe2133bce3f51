"""The duplicates list (issue #7): ``GET /api/v1/contacts/duplicates`` over ``ctx.rows``
contacts, of which 5 % repeat an earlier contact's e-mail or mobile (the data set's
``duplicates`` table, the ground truth).

``duplicates.first_page_ms``: the first page (50 groups, every exact rule) through the real
request path (test client, API token, permission scope, dismissals, the records' key fields).
Baseline, interleaved: raw ``sqlite3`` of what the page needs — the first 50 e-mails shared by
two or more live people (``GROUP BY email HAVING COUNT(*) > 1``) and those people's rows —
encoded with ``json.dumps``.

``duplicates.all_pages_s``: every page of every exact rule (e-mail, mobile, national id, name
in the same organisation), 200 groups a page, by cursor, until the list ends. Baseline: the
same four ``GROUP BY`` queries in raw ``sqlite3`` over the whole table plus the member rows of
every group, in one go.

``duplicates.fuzzy_all_s``: every page of the fuzzy rule (threshold 85) through the API.
Baseline: reading the same ``(organization_id, name_key, id)`` rows in index order with raw
``sqlite3`` (what the comparison walks; the comparisons themselves are the figure's cost).

Then, logged only: the e-mail/mobile walk once one person in ten has a secondary e-mail and
mobile (``contacts_detail``), one in ten of those shared with another person's primary value.

The ``duplicates.pg`` scenario measures the same three figures on PostgreSQL (``….pg``): the
contacts are loaded as for ``search.pg`` (then analysed, as autovacuum would after a load this
size) in a schema of their own, dropped afterwards, and the baselines run the same SQL with
``psycopg`` on the same tables.
"""

from __future__ import annotations

import json
import random
import time

from bench.harness import Context, measure_interleaved, scenario

PAGE = 50


def _walk(client, auth, **params) -> tuple[int, int]:
    groups = records = 0
    cursor = None
    while True:
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        response = client.get("/api/v1/contacts/duplicates", query_string=query, headers=auth)
        if response.status_code != 200:
            raise RuntimeError(f"duplicates answered {response.status_code}: {response.json}")
        body = response.json
        groups += len(body["data"])
        records += sum(len(g["records"]) for g in body["data"])
        cursor = body["next_cursor"]
        if cursor is None:
            return groups, records


FIGURES = ("duplicates.first_page_ms", "duplicates.all_pages_s", "duplicates.fuzzy_all_s")


@scenario("duplicates", figures=FIGURES)
def duplicates_sqlite(ctx: Context) -> None:
    _run(ctx, postgres=False)


@scenario("duplicates.pg", figures=tuple(f + ".pg" for f in FIGURES))
def duplicates_pg(ctx: Context) -> None:
    _run(ctx, postgres=True)


def _run(ctx: Context, postgres: bool) -> None:
    import sqlite3

    try:
        from peyvand_contacts.namekeys import fill_missing
    except ImportError as exc:
        ctx.missing(f"peyvand-contacts not installed: {exc}")
    from bench import datagen
    from bench.scenarios.search import _instance, _load, _rows

    suffix = ".pg" if postgres else ""
    url = prefix = dsn = None
    if postgres:
        import psycopg
        from psycopg.conninfo import conninfo_to_dict

        dsn = ctx.pg_dsn()
        params = conninfo_to_dict(dsn)
        prefix = f"bench{random.randrange(16**6):06x}_"
        url = (f"postgresql://{params.get('user', 'postgres')}@"
               f"{params.get('host', '127.0.0.1')}:{params.get('port', 5432)}/"
               f"{params.get('dbname', 'test')}?schema_prefix={prefix}")
    path = ctx.dataset()
    orgs, people, _ = _rows(path, ctx)
    kernel, app, auth = _instance(ctx, url)
    raw = None
    try:
        _load(ctx, kernel, orgs, people, postgres=postgres)
        del orgs, people
        db = kernel.storage.database_for("default")
        t0 = time.perf_counter()
        with kernel.storage.bound("default"), db.atomic():
            filled = fill_missing(db)
        with kernel.storage.bound("default"):
            db.execute_sql("ANALYZE")
        ctx.log(f"name keys of {filled:,} rows in {time.perf_counter() - t0:.1f} s")
        if postgres:
            raw = psycopg.connect(dsn, autocommit=True)
            raw.execute(f'SET search_path = "{kernel.storage.tenant_schema("default")}"')
        else:
            raw = sqlite3.connect(kernel.storage.tenant_path("default"))
        _measure(ctx, app, auth, raw, "%s" if postgres else "?", suffix, kernel, datagen, path)
    finally:
        kernel.storage.close()
        if raw is not None:
            raw.close()
        if postgres:
            with psycopg.connect(dsn, autocommit=True) as admin:
                for (schema,) in admin.execute(
                        "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
                        (prefix + "%",)).fetchall():
                    admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _measure(ctx, app, auth, raw, mark, suffix, kernel, datagen, path) -> None:
    client = app.test_client()

    truth = datagen.duplicates(path)
    started = time.perf_counter()
    groups, records = _walk(client, auth, limit=200, rule="email,phone")
    ctx.log(f"e-mail/mobile: {groups:,} groups, {records:,} records in "
            f"{time.perf_counter() - started:.2f} s; the data set has {len(truth):,} repeats")

    member_sql = ("SELECT id, first_name, last_name, email, phone, organization_id, owner_id, "
                  "team_id, created_at, updated_at FROM contacts_person WHERE deleted_at IS NULL "
                  "AND {column} IN ({marks}) ORDER BY id")

    def raw_groups(column: str, limit: int | None) -> list:
        sql = (f"SELECT {column}, COUNT(*) FROM contacts_person WHERE deleted_at IS NULL AND "
               f"{column} IS NOT NULL GROUP BY {column} HAVING COUNT(*) > 1 ORDER BY {column}")
        keys = [r[0] for r in raw.execute(sql + (f" LIMIT {limit}" if limit else ""))]
        rows = []
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ", ".join([mark] * len(chunk))
            rows += raw.execute(member_sql.format(column=column, marks=marks), chunk).fetchall()
        return rows

    def raw_first_page():
        return json.dumps({"data": raw_groups("email", PAGE)}, default=str,
                          ensure_ascii=False).encode()

    def api_first_page():
        response = client.get("/api/v1/contacts/duplicates", query_string={"limit": PAGE},
                              headers=auth)
        if response.status_code != 200 or len(response.json["data"]) != PAGE:
            raise RuntimeError(f"first page: {response.status_code}")
        return response.get_data()

    fw, base = measure_interleaved(api_first_page, raw_first_page, rounds=ctx.pick(20, 30))
    ctx.report_samples("duplicates.first_page_ms" + suffix, fw, "ms", base, rows=ctx.rows)

    def raw_all():
        out = []
        for column in ("email", "phone", "national_id"):
            out += raw_groups(column, None)
        sql = ("SELECT organization_id, name_key, COUNT(*) FROM contacts_person WHERE deleted_at "
               "IS NULL AND organization_id IS NOT NULL AND name_key IS NOT NULL AND name_key != "
               f"{mark} GROUP BY organization_id, name_key HAVING COUNT(*) > 1 "
               "ORDER BY organization_id, name_key")
        keys = [r[1] for r in raw.execute(sql, ("\x1f",))]
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            out += raw.execute(member_sql.format(column="name_key",
                                                 marks=", ".join([mark] * len(chunk))),
                               chunk).fetchall()
        return out

    fw, base = measure_interleaved(
        lambda: _walk(client, auth, limit=200, rule="email,phone,national_id,name"), raw_all,
        rounds=ctx.pick(3, 5), warmup=1)
    groups, records = _walk(client, auth, limit=200, rule="email,phone,national_id,name")
    ctx.report_samples("duplicates.all_pages_s" + suffix, fw, "s", base, rows=ctx.rows,
                       groups=groups, records=records)

    with kernel.storage.bound("default"):
        from peyvand.settings_store import set_setting

        set_setting(kernel, "default", "contacts.fuzzy_name_threshold", 85, via="cli")
    kernel.bump_generation()

    def raw_scan():
        return raw.execute("SELECT organization_id, name_key, id FROM contacts_person WHERE "
                           "deleted_at IS NULL AND organization_id IS NOT NULL AND name_key "
                           "IS NOT NULL ORDER BY organization_id, name_key, id").fetchall()

    fw, base = measure_interleaved(lambda: _walk(client, auth, limit=200, rule="fuzzy"),
                                   raw_scan, rounds=ctx.pick(3, 3), warmup=1)
    groups, _ = _walk(client, auth, limit=200, rule="fuzzy")
    ctx.report_samples("duplicates.fuzzy_all_s" + suffix, fw, "s", base, rows=ctx.rows,
                       pairs=groups)
    _secondary_walk(ctx, kernel, client, auth)


def _secondary_walk(ctx, kernel, client, auth) -> None:
    """Logged, not a figure: the e-mail/mobile walk again once one person in ten has a
    secondary e-mail and a secondary mobile (``contacts_detail`` rows), one in ten of those
    equal to the next person's primary value (new groups through the secondary values)."""
    db = kernel.storage.database_for("default")
    p = db.param
    with kernel.storage.bound("default"), db.atomic():
        people = db.execute_sql("SELECT id, email, phone FROM contacts_person WHERE deleted_at "
                                "IS NULL ORDER BY id").fetchall()
        rows = []
        for n in range(0, len(people) - 1, 10):
            pid = people[n][0]
            _, next_email, next_phone = people[n + 1]
            shared = n % 100 == 0
            rows.append((pid, "email", (next_email if shared and next_email else
                                        f"alt{pid}@example.org")))
            rows.append((pid, "phone", (next_phone if shared and next_phone else
                                        f"+98935{pid:07d}")))
        db.cursor().executemany(
            "INSERT INTO contacts_detail (entity, record_id, kind, position, type, value) "
            f"VALUES ('person', {p}, {p}, 1, 'other', {p})", rows)
    with kernel.storage.bound("default"):
        db.execute_sql("ANALYZE")
    kernel.bump_generation()
    started = time.perf_counter()
    groups, records = _walk(client, auth, limit=200, rule="email,phone")
    ctx.log(f"with {len(rows):,} secondary values: e-mail/mobile {groups:,} groups, "
            f"{records:,} records in {time.perf_counter() - started:.2f} s")
