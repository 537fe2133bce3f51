"""The sales plugin's board and forecast through the real request path, beside raw SQL.

A real instance (``bench.instance.prepare`` with contacts and sales) gets ``ctx.rows`` deals,
generated deterministically: 10,000 open deals in the default pipeline (4 stages) for the
board, the rest in a 6-stage pipeline; about 60% open, 25% won, 15% lost; amounts from 10
million to 50 billion Rial (log-uniform, multiples of 10,000); expected close and closing
dates spread over three years (1402-01-01 to 1404-12-29); owners 100–149, teams 1–200; a
forecast category and, for one deal in ten, a probability of its own.

``sales.kanban_ms``: ``GET /api/v1/sales/pipelines/1/board`` (four columns: count, sums and
weighted sums per currency, the first 20 cards each) for the admin, through Flask, token
authentication, the permission filter and serialisation (target: p50 under 100 ms).
Baseline: the same grouped query and four ``LIMIT 20`` card queries with ``sqlite3``,
encoded with ``json.dumps``. ``sales.kanban_team_ms``: the same board for a manager (scope
``team``), beside the admin's.

``sales.forecast_ms``: ``GET /api/v1/sales/forecast?period=1403-Q3`` (weighted pipeline,
best/commit categories, won deals and targets per salesperson) over all ``ctx.rows`` deals
(target: under 500 ms at 1,000,000). Baseline: the two raw aggregates it needs (open deals
of the quarter by owner and category, won deals by owner) with ``sqlite3``.

The ``sales.pg`` scenario measures the same three figures on PostgreSQL (``….pg``): the deals
are loaded with ``COPY`` and then vacuumed and analysed (what autovacuum does after a bulk
load), and the baselines use ``psycopg`` on the same tables.
"""

from __future__ import annotations

import datetime
import json
import math
import random

from bench.harness import Context, measure_interleaved, scenario

BOARD_DEALS = 10_000
CARDS = 20
PERIOD = "1403-Q3"                          # 2024-09-22 .. 2024-12-20
SPAN_START = datetime.date(2023, 3, 21)     # 1402-01-01
SPAN_DAYS = 1095
BULK_STAGES = [("lead", 5), ("qualified", 10), ("meeting", 25), ("proposal", 40),
               ("negotiation", 70), ("closing", 90)]
BOARD_STAGES = ("qualified", "proposal", "negotiation", "closing")
CATEGORIES = ("pipeline", "pipeline", "best_case", "commit", "omitted")
COLUMNS = ("title", "pipeline_id", "stage", "status", "amount", "currency", "expected_close",
           "probability", "forecast_category", "won_reason", "lost_reason", "closed_at",
           "stage_entered_at", "version", "created_at", "updated_at", "owner_id", "team_id")


def _deals(rows: int, seed: int, bulk_pipeline: int, manager_id: int):
    rnd = random.Random(seed)
    low, high = math.log(10_000_000), math.log(50_000_000_000)
    for i in range(rows):
        board = i < BOARD_DEALS
        if board:
            stage, status = BOARD_STAGES[i % 4], "open"
        else:
            stage = BULK_STAGES[rnd.randrange(len(BULK_STAGES))][0]
            roll = rnd.random()
            status = "open" if roll < 0.6 else ("won" if roll < 0.85 else "lost")
        amount = int(math.exp(rnd.uniform(low, high))) // 10_000 * 10_000
        day = SPAN_START + datetime.timedelta(days=rnd.randrange(SPAN_DAYS))
        created = f"{day - datetime.timedelta(days=rnd.randrange(1, 90))} 09:00:00"
        closed = f"{day} 12:00:00" if status != "open" else None
        owner = manager_id if i % 50 == 0 else 100 + rnd.randrange(50)
        yield (f"Deal {i}", 1 if board else bulk_pipeline, stage, status, amount,
               "IRR" if rnd.random() < 0.97 else "USD", day.isoformat(),
               rnd.randrange(5, 96, 5) if rnd.random() < 0.1 else None,
               CATEGORIES[rnd.randrange(len(CATEGORIES))],
               "price" if status == "won" else None, "competitor" if status == "lost" else None,
               closed, created, 1, created, created, owner, 1 + rnd.randrange(200))


def _load(inst, ctx: Context) -> None:
    from peyvand_sales.models import Pipeline

    kernel = inst.kernel
    db = kernel.storage.database_for("default")
    with kernel.storage.bound("default"):
        bulk = Pipeline.create(name="Bulk", stages=json.dumps(
            [{"key": k, "label": {"en": k}, "probability": p} for k, p in BULK_STAGES]))
        manager_id = db.execute_sql(
            "SELECT id FROM peyvand_user WHERE name = 'bench-manager'").fetchone()[0]
        rows = _deals(ctx.rows, ctx.seed or 1404, bulk.id, manager_id)
        if inst.db == "pg":
            conn = db.connection()
            with conn.cursor() as cur:
                with cur.copy(f"COPY sales_deal ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            conn.commit()
            # What autovacuum does soon after a bulk load: statistics and the visibility map
            # (without it PostgreSQL cannot use the covering indexes for index-only scans).
            inst.raw.execute("VACUUM ANALYZE sales_deal")
            return
        marks = ", ".join("?" for _ in COLUMNS)
        with db.atomic():
            db.cursor().executemany(
                f"INSERT INTO sales_deal ({', '.join(COLUMNS)}) VALUES ({marks})", rows)
        db.execute_sql("ANALYZE")


DEFAULT_PROBABILITY = {"qualified": 10, "proposal": 40, "negotiation": 70, "closing": 90}


def _raw_board(raw, mark: str = "?", team_clause: str = ""):
    stages = {}
    for stage, currency, probability, count, amount in raw.execute(
            "SELECT stage, currency, probability, COUNT(id), SUM(amount) FROM sales_deal "
            "WHERE pipeline_id = 1 AND status = 'open' AND deleted_at IS NULL " + team_clause +
            "GROUP BY stage, currency, probability"):
        column = stages.setdefault(stage, {"count": 0, "amount": {}, "weighted": {}})
        column["count"] += count
        column["amount"][currency] = column["amount"].get(currency, 0) + amount
        share = DEFAULT_PROBABILITY[stage] if probability is None else probability
        column["weighted"][currency] = (column["weighted"].get(currency, 0)
                                        + amount * share // 100)
    for stage in BOARD_STAGES:
        cur = raw.execute(
            "SELECT id, version, owner_id, team_id, created_at, updated_at, title, pipeline_id, "
            "stage, status, amount, currency, expected_close, person_id, organization_id, "
            "probability, forecast_category, won_reason, lost_reason, closed_at, "
            "stage_entered_at FROM sales_deal WHERE deleted_at IS NULL AND pipeline_id = 1 "
            f"AND stage = {mark} AND status = 'open' " + team_clause +
            f"ORDER BY id DESC LIMIT {CARDS + 1}", (stage,))
        names = [d[0] for d in cur.description]
        stages.setdefault(stage, {})["deals"] = [dict(zip(names, r, strict=True))
                                                 for r in cur.fetchall()[:CARDS]]
    return json.dumps({"columns": stages}, default=str, ensure_ascii=False).encode()


def _raw_forecast(raw, start: str, end: str, mark: str = "?"):
    rows = raw.execute(
        "SELECT owner_id, forecast_category, COUNT(id), SUM(amount) FROM sales_deal "
        "WHERE deleted_at IS NULL AND currency = 'IRR' AND status = 'open' "
        f"AND expected_close >= {mark} AND expected_close < {mark} "
        "AND forecast_category <> 'omitted' "
        "GROUP BY owner_id, forecast_category", (start, end)).fetchall()
    won = raw.execute(
        "SELECT owner_id, COUNT(id), SUM(amount) FROM sales_deal WHERE deleted_at IS NULL "
        f"AND currency = 'IRR' AND status = 'won' AND closed_at >= {mark} "
        f"AND closed_at < {mark} "
        "GROUP BY owner_id", (start + " 00:00:00", end + " 00:00:00")).fetchall()
    return json.dumps({"open": rows, "won": won}, default=str).encode()


def _run(ctx: Context, db: str, suffix: str) -> None:
    try:
        from bench import instance as fixture
        from peyvand_sales.periods import parse
    except ImportError as exc:
        ctx.missing(f"peyvand or peyvand-sales not installed: {exc}")
    if ctx.rows < BOARD_DEALS:
        ctx.missing(f"needs at least {BOARD_DEALS:,} rows")
    inst = fixture.prepare(ctx, db, plugins=("contacts", "sales"))
    mark = "?" if db == "sqlite" else "%s"
    try:
        ctx.log(f"loading {ctx.rows:,} deals")
        _load(inst, ctx)
        client = inst.app.test_client()
        admin = {"Authorization": f"Bearer {inst.admin_token}"}
        manager = {"Authorization": f"Bearer {inst.manager_token}"}

        def get(url, headers):
            response = client.get(url, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"{url} -> {response.status_code} {response.get_data()[:300]}")
            return response

        board_url = f"/api/v1/sales/pipelines/1/board?limit={CARDS}"
        board = get(board_url, admin).json
        assert sum(c["count"] for c in board["columns"]) == BOARD_DEALS
        assert all(len(c["deals"]) == CARDS for c in board["columns"])
        fw, base = measure_interleaved(lambda: get(board_url, admin),
                                       lambda: _raw_board(inst.raw, mark),
                                       rounds=ctx.pick(60, 120), warmup=5)
        ctx.report_samples(f"sales.kanban_ms{suffix}", fw, "ms", base, rows=BOARD_DEALS,
                           target_ms=100, db=db)
        fw, base = measure_interleaved(lambda: get(board_url, manager),
                                       lambda: get(board_url, admin),
                                       rounds=ctx.pick(40, 80), warmup=5)
        ctx.report_samples(f"sales.kanban_team_ms{suffix}", fw, "ms", base,
                           rows=BOARD_DEALS, db=db)

        period = parse(PERIOD)
        url = f"/api/v1/sales/forecast?period={PERIOD}"
        forecast = get(url, admin).json
        counted = sum(forecast["totals"][k]["count"]
                      for k in ("won", "commit", "best_case", "pipeline"))
        ctx.log(f"forecast {PERIOD}: {counted:,} deals in the quarter")
        fw, base = measure_interleaved(
            lambda: get(url, admin),
            lambda: _raw_forecast(inst.raw, period.start.isoformat(), period.end.isoformat(),
                                  mark),
            rounds=ctx.pick(15, 25), warmup=2)
        ctx.report_samples(f"sales.forecast_ms{suffix}", fw, "ms", base, rows=ctx.rows,
                           target_ms=500, quarter_deals=counted, db=db)
    finally:
        fixture.drop(inst)


FIGURES = ("sales.kanban_ms", "sales.kanban_team_ms", "sales.forecast_ms")


@scenario("sales", figures=FIGURES)
def sales(ctx: Context) -> None:
    _run(ctx, "sqlite", "")


@scenario("sales.pg", figures=tuple(f + ".pg" for f in FIGURES))
def sales_pg(ctx: Context) -> None:
    _run(ctx, "pg", ".pg")
