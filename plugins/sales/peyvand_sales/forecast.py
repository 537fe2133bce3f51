"""The forecast of a period, and targets with attainment.

For the deals the caller may read (``peyvand_sdk.restrict``), in one currency:

* ``won`` — deals won with ``closed_at`` in the period;
* open deals expected to close in the period, by the salesperson's ``forecast_category``:
  ``commit``, ``best_case``, ``pipeline`` (``omitted`` ones are left out of every figure);
* ``weighted`` — Σ amount × probability over those open deals, the probability being the
  deal's own or else its stage's default;
* ``forecast_commit`` = won + commit, ``forecast_best`` = won + commit + best_case;
* per row (salesperson, or team with ``by=team``): the same, its ``target`` for the period
  and ``attainment`` = won ÷ target.

Two grouped queries do the work (open deals by row, category, pipeline, stage and probability
override; won deals by row), so the cost is one pass over the period's deals on the
``(status, expected_close)`` and ``(status, closed_at)`` indexes; amounts are summed in SQL
and weighted in Python with exact decimals.
"""

from __future__ import annotations

import datetime
import decimal

from peewee import fn

from peyvand_sdk import current_actor, restrict

from .access import require, scope
from .models import Deal, Target
from .periods import Period
from .pipelines import probabilities

CATEGORIES = ("commit", "best_case", "pipeline")
ZERO = decimal.Decimal(0)


def _row() -> dict:
    return {"won": {"count": 0, "amount": ZERO},
            **{c: {"count": 0, "amount": ZERO} for c in CATEGORIES}, "weighted": ZERO}


def _plain(row: dict) -> dict:
    out = {}
    for key, value in row.items():
        if isinstance(value, dict):
            out[key] = {"count": value["count"], "amount": str(value["amount"])}
        elif isinstance(value, decimal.Decimal):
            out[key] = str(value.quantize(decimal.Decimal(1)))
        else:
            out[key] = value
    return out


def _finish(row: dict) -> dict:
    won = row["won"]["amount"]
    row["forecast_commit"] = won + row["commit"]["amount"]
    row["forecast_best"] = row["forecast_commit"] + row["best_case"]["amount"]
    return row


def forecast(period: Period, *, currency: str = "IRR", by: str = "owner",
             pipeline_id: int | None = None) -> dict:
    require("sales.deal.read", "read deals")
    group = Deal.owner_id if by == "owner" else Deal.team_id
    start = datetime.datetime.combine(period.start, datetime.time())
    end = datetime.datetime.combine(period.end, datetime.time())

    def base(*columns):
        query = Deal.select(group, *columns).where(Deal.deleted_at.is_null()
                                                   & (Deal.currency == currency))
        if pipeline_id is not None:
            query = query.where(Deal.pipeline == pipeline_id)
        return query

    default = probabilities()
    rows: dict = {}
    open_deals = restrict(base(Deal.forecast_category, Deal.pipeline, Deal.stage,
                               Deal.probability, fn.COUNT(Deal.id), fn.SUM(Deal.amount))
                          .where((Deal.status == "open")
                                 & (Deal.expected_close >= period.start)
                                 & (Deal.expected_close < period.end)
                                 & (Deal.forecast_category != "omitted")), "sales.deal")
    for key, category, pipeline, stage, override, count, amount in (
            open_deals.group_by(group, Deal.forecast_category, Deal.pipeline, Deal.stage,
                                Deal.probability).tuples()):
        row = rows.setdefault(key, _row())
        amount = decimal.Decimal(amount or 0)
        row[category]["count"] += count
        row[category]["amount"] += amount
        probability = override if override is not None else default.get((pipeline, stage), 0)
        row["weighted"] += amount * probability / 100
    won = restrict(base(fn.COUNT(Deal.id), fn.SUM(Deal.amount))
                   .where((Deal.status == "won") & (Deal.closed_at >= start)
                          & (Deal.closed_at < end)), "sales.deal")
    for key, count, amount in won.group_by(group).tuples():
        row = rows.setdefault(key, _row())
        row["won"] = {"count": count, "amount": decimal.Decimal(amount or 0)}

    targets = _targets_for(period, currency, by, set(rows))
    totals = _row()
    out_rows = []
    for key in sorted(rows, key=lambda k: (k is None, k or 0)):
        row = _finish(rows[key])
        for name in ("won", *CATEGORIES):
            totals[name]["count"] += row[name]["count"]
            totals[name]["amount"] += row[name]["amount"]
        totals["weighted"] += row["weighted"]
        target = targets.get(key)
        row["target"] = target
        row["attainment"] = (round(float(row["won"]["amount"] / target), 4)
                             if target else None)
        out_rows.append({f"{by}_id": key, **_plain(row)})
    _finish(totals)
    return {"period": period.as_dict(), "currency": currency, "by": by,
            "totals": _plain(totals), "rows": out_rows}


# -- targets ------------------------------------------------------------------------------------

def _readable_targets(query):
    """Targets the actor may see: ``all``; ``team``: their teams' and those of the people
    whose deals they may read; ``own``: their own (and their teams')."""
    found = scope("sales.target.read")
    actor = current_actor()
    if found == "all":
        return query
    if found == "none":
        return query.where(Target.id.is_null())
    teams = sorted(actor.teams)
    clause = (Target.user_id == actor.id)
    if teams:
        clause |= Target.team_id.in_(teams)
    if found == "team":
        owners = restrict(Deal.select(Deal.owner_id).distinct(), "sales.deal")
        clause |= Target.user_id.in_(owners)
    return query.where(clause)


def _targets_for(period: Period, currency: str, by: str, keys: set) -> dict:
    column = Target.user_id if by == "owner" else Target.team_id
    query = _readable_targets(Target.select(column, Target.amount).where(
        (Target.period == period.key) & (Target.currency == currency)
        & column.is_null(False)))
    return {key: decimal.Decimal(amount) for key, amount in query.tuples()}


def list_targets(period: Period | None, currency: str | None) -> list[dict]:
    query = Target.select()
    if period is not None:
        query = query.where(Target.period == period.key)
    if currency:
        query = query.where(Target.currency == currency)
    query = _readable_targets(query).order_by(Target.period, Target.team_id, Target.user_id)
    return [target_dict(t) for t in query]


def target_dict(t: Target) -> dict:
    return {"id": t.id, "user_id": t.user_id, "team_id": t.team_id, "period": t.period,
            "start": t.start.isoformat(), "end": (t.end - datetime.timedelta(days=1))
            .isoformat(), "amount": str(t.amount), "currency": t.currency,
            "updated_at": t.updated_at.isoformat() + "Z", "updated_by": t.updated_by}
