"""API list pages through the real request path versus the raw query plus ``json.dumps``.

``api.list_first_page_ms`` / ``api.list_last_page_ms``: ``GET /api/v1/contacts/persons`` with
50 rows per page, sorted by id, through Flask, token authentication, the permission filter and
serialization (the WSGI test client, in-process); the last page is reached by its keyset
cursor. Baseline: the same page selected with the DB driver (sqlite3 / psycopg) and encoded
with ``json.dumps``. ``api.list_last_page_ratio`` is the ratio alone (target: at most 5).
``perm.team_scope_ratio``: the same last page for a manager (scope ``team``) against the
admin's unscoped page (target: at most 2). ``api.create_records_per_s``: sequential POSTs.
"""

from __future__ import annotations

import base64
import json

from bench.harness import Context, measure_interleaved, scenario

PAGE = 50
COLUMNS = ("id", "version", "owner_id", "team_id", "created_at", "updated_at", "first_name",
           "last_name", "email", "phone", "organization_id", "job_title", "national_id", "city",
           "source", "lifecycle_stage", "consent_email", "consent_sms")


def _cursor_after(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([None, last_id]).encode()).decode()


def _run(ctx: Context, db: str, suffix: str) -> None:
    try:
        from bench import instance as fixture
    except ImportError as exc:
        ctx.missing(f"peyvand not installed: {exc}")
    inst = fixture.prepare(ctx, db)
    try:
        client = inst.app.test_client()
        admin = {"Authorization": f"Bearer {inst.admin_token}"}
        manager = {"Authorization": f"Bearer {inst.manager_token}"}
        max_id = inst.raw.execute("SELECT max(id) FROM contacts_person").fetchone()[0]
        last_cursor = _cursor_after(max_id - PAGE)
        first_url = f"/api/v1/contacts/persons?limit={PAGE}&sort=id"
        last_url = f"{first_url}&cursor={last_cursor}"
        mark = "?" if db == "sqlite" else "%s"
        sql = (f"SELECT {', '.join(COLUMNS)} FROM contacts_person WHERE deleted_at IS NULL "
               f"AND id > {mark} ORDER BY id LIMIT {PAGE + 1}")

        def raw_page(after):
            cur = inst.raw.execute(sql, (after,))
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()[:PAGE]]
            return json.dumps({"data": rows, "next_cursor": None}, default=str,
                              ensure_ascii=False).encode()

        def api(url, headers):
            response = client.get(url, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"{url} -> {response.status_code} {response.get_data()[:300]}")
            return response

        assert len(api(last_url, admin).json["data"]) == PAGE
        rounds = ctx.pick(200, 400)
        for label, url, after in (("first", first_url, 0), ("last", last_url, max_id - PAGE)):
            fw, base = measure_interleaved(lambda u=url: api(u, admin),
                                           lambda a=after: raw_page(a), rounds=rounds, warmup=20)
            figure = ctx.report_samples(f"api.list_{label}_page_ms{suffix}", fw, "ms", base,
                                        rows=inst.rows, db=db)
            if label == "last":
                ctx.report(f"api.list_last_page_ratio{suffix}", figure["ratio"], "x",
                           rows=inst.rows, db=db, ratio=figure["ratio"])
        # The manager's own last page: the 50 newest records of their team (or their own).
        visible = (f"SELECT id FROM contacts_person WHERE team_id = {inst.manager_team} OR "
                   f"owner_id = (SELECT id FROM peyvand_user WHERE name = 'bench-manager') "
                   f"ORDER BY id DESC LIMIT 1 OFFSET {PAGE}")
        team_after = inst.raw.execute(visible).fetchone()[0]
        team_url = f"{first_url}&cursor={_cursor_after(team_after)}"
        team_rows = api(team_url, manager).json["data"]
        assert len(team_rows) == PAGE, len(team_rows)
        fw, base = measure_interleaved(lambda: api(team_url, manager),
                                       lambda: api(last_url, admin), rounds=rounds, warmup=20)
        figure = ctx.report_samples(f"perm.team_scope_ms{suffix}", fw, "ms", base,
                                    rows=inst.rows, db=db)
        ctx.report(f"perm.team_scope_ratio{suffix}", figure["ratio"], "x", rows=inst.rows, db=db,
                   ratio=figure["ratio"])
        _creates(ctx, inst, client, admin, suffix, db)
    finally:
        fixture.drop(inst)


def _creates(ctx, inst, client, headers, suffix, db):
    import time

    count = ctx.pick(2000, 10000)
    mark = "?" if db == "sqlite" else "%s"
    insert = (f"INSERT INTO contacts_person (first_name, last_name, email, version, "
              f"lifecycle_stage, consent_email, consent_sms, created_at, updated_at) VALUES "
              f"({mark}, {mark}, {mark}, 1, 'lead', false, false, {mark}, {mark})")
    start = time.perf_counter()
    for i in range(count):
        response = client.post("/api/v1/contacts/persons", headers=headers,
                               json={"first_name": "Bench", "last_name": f"Create {i}",
                                     "email": f"create{i}@bench.example"})
        if response.status_code != 201:
            raise RuntimeError(response.get_data()[:300])
    framework = count / (time.perf_counter() - start)
    start = time.perf_counter()
    for i in range(count):  # raw: one durable insert per record, as each request commits
        inst.raw.execute(insert, ("Bench", f"Raw {i}", f"raw{i}@bench.example",
                                  "2026-01-01 00:00:00", "2026-01-01 00:00:00"))
        if db == "sqlite":
            inst.raw.commit()
    raw = count / (time.perf_counter() - start)
    ctx.report(f"api.create_records_per_s{suffix}", framework, "records/s", rows=count, db=db,
               baseline=raw, ratio=framework / raw)


FIGURES = ("api.list_first_page_ms", "api.list_last_page_ms", "api.list_last_page_ratio",
           "perm.team_scope_ms", "perm.team_scope_ratio", "api.create_records_per_s")


@scenario("api", figures=FIGURES)
def api_sqlite(ctx: Context) -> None:
    _run(ctx, "sqlite", "")


@scenario("api.pg", figures=tuple(f + ".pg" for f in FIGURES))
def api_pg(ctx: Context) -> None:
    _run(ctx, "pg", ".pg")
