"""The kanban board of a pipeline: one column per stage with its open deals.

Counts and sums come from one grouped query over the deals the actor may read
(``peyvand_sdk.restrict``); each column's first cards come from the kernel's list service for
``sales.deal`` (the same scope, field rules and custom fields as ``GET /api/v1/sales/deals``),
so ``next_cursor`` of a column continues with ``GET /api/v1/sales/deals?pipeline_id=…&stage=…
&status=open&sort=…&cursor=…``.
"""

from __future__ import annotations

import decimal

import peewee
from peewee import fn
from werkzeug.exceptions import NotFound

from peyvand_sdk import current_kernel, current_tenant, restrict

from .access import require
from .api import Invalid, service
from .models import Deal
from .pipelines import live_pipeline, stages_of

SORTS = ("-id", "id", "expected_close", "-expected_close", "amount", "-amount",
         "stage_entered_at", "-stage_entered_at", "-updated_at")


def _money(value) -> str:
    return str(decimal.Decimal(value or 0).quantize(decimal.Decimal(1)))


def board(pipeline_id: int, *, limit: int = 20, filters: dict | None = None,
          sort: str = "-id") -> dict:
    require("sales.deal.read", "read deals")
    if sort not in SORTS:
        raise Invalid({"sort": [f"one of {', '.join(SORTS)}"]})
    pipeline = live_pipeline(pipeline_id)
    if pipeline is None:
        raise NotFound(f"sales.pipeline {pipeline_id} does not exist")
    filters = dict(filters or {})
    svc = service("sales.deal")
    hidden = svc.field_rules()[0]
    stages = stages_of(pipeline)
    totals = column_totals(pipeline, filters)

    columns = []
    for stage in stages:
        key = stage["key"]
        page = svc.list(filters={"pipeline_id": str(pipeline.id), "stage": key,
                                 "status": "open", **filters}, sort=sort, limit=limit)
        column = {"key": key, "label": stage.get("label") or {},
                  "probability": int(stage.get("probability") or 0),
                  "count": totals[key]["count"]}
        if "amount" not in hidden:
            column["amount"] = {c: _money(v) for c, v in sorted(totals[key]["amount"].items())}
            column["weighted"] = {c: _money(v)
                                  for c, v in sorted(totals[key]["weighted"].items())}
        column["deals"] = page.rows
        column["next_cursor"] = page.next_cursor
        columns.append(column)
    return {"pipeline": {"id": pipeline.id, "name": pipeline.name}, "columns": columns}


def column_totals(pipeline, filters: dict | None = None) -> dict[str, dict]:
    """``{stage key: {"count", "amount": {currency: Decimal}, "weighted": {…}}}`` of the
    pipeline's open deals the actor may read (one grouped query)."""
    stages = stages_of(pipeline)
    in_pipeline = Deal.pipeline == pipeline.id
    if isinstance(current_kernel().storage.database_for(current_tenant()),
                  peewee.SqliteDatabase):
        # SQLite's statistics assume deals are spread evenly over pipelines; tell it a
        # pipeline is a small share, or for a team-scoped user it scans the team's and the
        # user's deals of every pipeline instead (10x slower at 1M deals).
        in_pipeline = fn.likelihood(in_pipeline, peewee.SQL("0.05"))
    query = (Deal.select(Deal.stage, Deal.currency, Deal.probability, fn.COUNT(Deal.id),
                         fn.SUM(Deal.amount))
             .where(in_pipeline & (Deal.status == "open") & Deal.deleted_at.is_null()))
    for name, raw in (filters or {}).items():
        column = getattr(Deal, name)
        try:
            query = query.where(column == column.db_value(raw))
        except (TypeError, ValueError):
            raise Invalid({name: ["not a valid value"]}) from None
    query = restrict(query, "sales.deal").group_by(Deal.stage, Deal.currency, Deal.probability)
    default = {s["key"]: int(s.get("probability") or 0) for s in stages}
    totals: dict[str, dict] = {s["key"]: {"count": 0, "amount": {}, "weighted": {}}
                               for s in stages}
    for stage, currency, override, count, amount in query.tuples():
        column = totals.get(stage)
        if column is None:      # a stage removed from the pipeline (deals are refused there)
            continue
        amount = decimal.Decimal(amount or 0)
        probability = default[stage] if override is None else override
        column["count"] += count
        column["amount"][currency] = column["amount"].get(currency, 0) + amount
        column["weighted"][currency] = (column["weighted"].get(currency, 0)
                                        + amount * probability / 100)
    return totals
