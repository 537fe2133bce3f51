"""Report definitions sales offers a reports plugin (``register_reports``), runnable today
through ``GET /api/v1/sales/reports/<key>?period=…``.

The contract (docs/plugin-guide.md, "Report definitions"): a definition is a plain dict —
sales imports nothing of a reports plugin, which need not be installed — with a ``run(start,
end, params)`` that returns the rows for the half-open period ``[start, end)`` (Gregorian
dates; the reports plugin turns Jalali periods into them) as the acting user may see them:
every query goes through ``restrict`` and the fields the user's roles hide are left out.
"""

from __future__ import annotations

import datetime
import decimal

from peewee import Case, fn

from peyvand_sdk import current_language, find_users, hidden_fields, restrict

from .models import Activity, Deal, Lead, Option, Pipeline
from .pipelines import stages_of

ZERO = decimal.Decimal(0)


def _money(value) -> str:
    return str(decimal.Decimal(value or 0).quantize(decimal.Decimal(1)))


def _moment(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time())


def _label(mapping: dict, fallback: str) -> str:
    return (mapping or {}).get(current_language()) or (mapping or {}).get("en") or fallback


def _options(kind: str) -> dict[str, str]:
    fa = current_language() == "fa"
    return {o.key: (o.label_fa if fa else o.label_en)
            for o in Option.select().where(Option.kind == kind)}


def _int_param(params: dict, name: str):
    value = params.get(name)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a whole number, not {value!r}") from None


# -- pipeline by stage ------------------------------------------------------------------------

def pipeline_by_stage(start: datetime.date, end: datetime.date, params: dict) -> list[dict]:
    """Open deals expected to close in the period, per pipeline, stage and currency: how many,
    their amount and weighted amount (amount × the deal's or the stage's probability)."""
    hidden = hidden_fields("sales.deal")
    pipeline_id = _int_param(params, "pipeline_id")
    query = (Deal.select(Deal.pipeline, Deal.stage, Deal.currency, Deal.probability,
                         fn.COUNT(Deal.id), fn.SUM(Deal.amount))
             .where((Deal.status == "open") & Deal.deleted_at.is_null()
                    & (Deal.expected_close >= start) & (Deal.expected_close < end)))
    if pipeline_id is not None:
        query = query.where(Deal.pipeline == pipeline_id)
    query = restrict(query, "sales.deal").group_by(Deal.pipeline, Deal.stage, Deal.currency,
                                                   Deal.probability)
    pipelines = {p.id: p for p in Pipeline.select()}
    rows: dict[tuple, dict] = {}
    for pipeline, stage, currency, override, count, amount in query.tuples():
        info = pipelines.get(pipeline)
        stages = stages_of(info) if info else []
        order = next((i for i, s in enumerate(stages) if s["key"] == stage), len(stages))
        found = stages[order] if order < len(stages) else {}
        probability = override if override is not None else int(found.get("probability") or 0)
        row = rows.setdefault((pipeline, order, stage, currency), {
            "pipeline_id": pipeline, "pipeline": info.name if info else str(pipeline),
            "stage": stage, "stage_label": _label(found.get("label"), stage),
            "currency": currency, "deals": 0, "amount": ZERO, "weighted": ZERO})
        amount = decimal.Decimal(amount or 0)
        row["deals"] += count
        row["amount"] += amount
        row["weighted"] += amount * probability / 100
    out = []
    for key in sorted(rows):
        row = rows[key]
        if "amount" in hidden:
            del row["amount"], row["weighted"]
        else:
            row["amount"], row["weighted"] = _money(row["amount"]), _money(row["weighted"])
        out.append(row)
    return out


# -- won and lost by reason -------------------------------------------------------------------

def won_lost_by_reason(start: datetime.date, end: datetime.date, params: dict) -> list[dict]:
    """Deals won or lost in the period (by closing time), per outcome, reason and currency."""
    hidden = hidden_fields("sales.deal")
    query = restrict(Deal.select(Deal.status, Deal.won_reason, Deal.lost_reason, Deal.currency,
                                 fn.COUNT(Deal.id), fn.SUM(Deal.amount))
                     .where(Deal.status.in_(("won", "lost")) & Deal.deleted_at.is_null()
                            & (Deal.closed_at >= _moment(start))
                            & (Deal.closed_at < _moment(end))), "sales.deal")
    labels = {"won": _options("won_reason"), "lost": _options("lost_reason")}
    rows: dict[tuple, dict] = {}
    for status, won, lost, currency, count, amount in (
            query.group_by(Deal.status, Deal.won_reason, Deal.lost_reason, Deal.currency)
            .tuples()):
        key = won if status == "won" else lost
        row = rows.setdefault((status, key, currency), {
            "status": status, "reason": key,
            "reason_label": labels[status].get(key, key) if key else None,
            "currency": currency, "deals": 0, "amount": ZERO})
        row["deals"] += count
        row["amount"] += decimal.Decimal(amount or 0)
    out = []
    for row in rows.values():
        if "amount" in hidden:
            del row["amount"]
        else:
            row["amount"] = _money(row["amount"])
        out.append(row)
    out.sort(key=lambda r: (r["status"] != "won", -r["deals"], r["reason"] or ""))
    return out


# -- activities by owner ----------------------------------------------------------------------

def activities_by_owner(start: datetime.date, end: datetime.date, params: dict) -> list[dict]:
    """Activities due in the period, per assignee: how many, done, still open, overdue (open
    and due before now), and by kind."""
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    kinds = ("task", "call", "meeting", "follow_up")

    def count_if(condition):
        return fn.SUM(Case(None, [(condition, 1)], 0))

    columns = [Activity.owner_id, fn.COUNT(Activity.id),
               count_if(Activity.status == "done"), count_if(Activity.status == "open"),
               count_if((Activity.status == "open") & (Activity.due_at < now))]
    columns += [count_if(Activity.kind == kind) for kind in kinds]
    query = restrict(Activity.select(*columns).where(
        Activity.deleted_at.is_null() & (Activity.status != "cancelled")
        & (Activity.due_at >= _moment(start)) & (Activity.due_at < _moment(end))),
        "sales.activity").group_by(Activity.owner_id)
    found = list(query.tuples())
    names = {u["id"]: u["display_name"]
             for u in find_users([r[0] for r in found if r[0] is not None],
                                 active_only=False)}
    out = []
    for owner, total, done, open_, overdue, *by_kind in found:
        out.append({"owner_id": owner, "owner": names.get(owner), "activities": total,
                    "done": int(done or 0), "open": int(open_ or 0),
                    "overdue": int(overdue or 0),
                    **{kind: int(n or 0) for kind, n in zip(kinds, by_kind, strict=True)}})
    out.sort(key=lambda r: (-r["activities"], r["owner_id"] or 0))
    return out


# -- lead sources and conversion --------------------------------------------------------------

def lead_sources(start: datetime.date, end: datetime.date, params: dict) -> list[dict]:
    """Leads created in the period, per source: how many, and how many are qualified,
    converted or disqualified by now, with the conversion rate (converted ÷ leads)."""

    def count_if(condition):
        return fn.SUM(Case(None, [(condition, 1)], 0))

    query = restrict(Lead.select(Lead.source, fn.COUNT(Lead.id),
                                 count_if(Lead.status == "qualified"),
                                 count_if(Lead.status == "converted"),
                                 count_if(Lead.status == "disqualified"))
                     .where(Lead.deleted_at.is_null() & (Lead.created_at >= _moment(start))
                            & (Lead.created_at < _moment(end))), "sales.lead")
    labels = _options("lead_source")
    out = []
    for source, total, qualified, converted, disqualified in (query.group_by(Lead.source)
                                                              .tuples()):
        converted = int(converted or 0)
        out.append({"source": source, "source_label": labels.get(source, source),
                    "leads": total, "qualified": int(qualified or 0), "converted": converted,
                    "disqualified": int(disqualified or 0),
                    "conversion_rate": round(converted / total, 4) if total else None})
    out.sort(key=lambda r: (-r["leads"], r["source"]))
    return out


def _text(en: str, fa: str) -> dict:
    return {"en": en, "fa": fa}


PERIOD = "Rows for the half-open period [start, end)."
DEFINITIONS = [
    {"key": "sales.pipeline_by_stage",
     "label": _text("Pipeline by stage", "قیف فروش به تفکیک مرحله"),
     "description": _text("Open deals expected to close in the period, per pipeline and "
                          "stage: count, amount and weighted amount.",
                          "معاملات باز با تاریخ بستن در این دوره، به تفکیک قیف و مرحله: "
                          "تعداد، مبلغ و مبلغ وزنی."),
     "permission": "sales.deal.read",
     "params": [{"name": "pipeline_id", "type": "integer",
                 "label": _text("Pipeline", "قیف فروش"), "required": False}],
     "columns": [
         {"key": "pipeline", "type": "text", "label": _text("Pipeline", "قیف فروش")},
         {"key": "stage_label", "type": "text", "label": _text("Stage", "مرحله")},
         {"key": "currency", "type": "text", "label": _text("Currency", "واحد پول")},
         {"key": "deals", "type": "integer", "label": _text("Deals", "معاملات")},
         {"key": "amount", "type": "money", "label": _text("Amount", "مبلغ")},
         {"key": "weighted", "type": "money", "label": _text("Weighted", "مبلغ وزنی")}],
     "run": pipeline_by_stage},
    {"key": "sales.won_lost_by_reason",
     "label": _text("Won and lost by reason", "برد و باخت به تفکیک دلیل"),
     "description": _text("Deals won or lost in the period, per reason.",
                          "معاملات برنده یا از دست رفته در این دوره، به تفکیک دلیل."),
     "permission": "sales.deal.read", "params": [],
     "columns": [
         {"key": "status", "type": "text", "label": _text("Outcome", "نتیجه")},
         {"key": "reason_label", "type": "text", "label": _text("Reason", "دلیل")},
         {"key": "currency", "type": "text", "label": _text("Currency", "واحد پول")},
         {"key": "deals", "type": "integer", "label": _text("Deals", "معاملات")},
         {"key": "amount", "type": "money", "label": _text("Amount", "مبلغ")}],
     "run": won_lost_by_reason},
    {"key": "sales.activities_by_owner",
     "label": _text("Activities by owner", "فعالیت‌ها به تفکیک مسئول"),
     "description": _text("Activities due in the period, per assignee: done, open, overdue "
                          "and by kind.",
                          "فعالیت‌های با موعد در این دوره، به تفکیک مسئول: انجام‌شده، باز، "
                          "عقب‌افتاده و به تفکیک نوع."),
     "permission": "sales.activity.read", "params": [],
     "columns": [
         {"key": "owner", "type": "text", "label": _text("Owner", "مسئول")},
         {"key": "activities", "type": "integer", "label": _text("Activities", "فعالیت‌ها")},
         {"key": "done", "type": "integer", "label": _text("Done", "انجام شده")},
         {"key": "open", "type": "integer", "label": _text("Open", "باز")},
         {"key": "overdue", "type": "integer", "label": _text("Overdue", "عقب‌افتاده")},
         {"key": "call", "type": "integer", "label": _text("Calls", "تماس‌ها")},
         {"key": "meeting", "type": "integer", "label": _text("Meetings", "جلسه‌ها")},
         {"key": "task", "type": "integer", "label": _text("Tasks", "کارها")},
         {"key": "follow_up", "type": "integer", "label": _text("Follow-ups", "پیگیری‌ها")}],
     "run": activities_by_owner},
    {"key": "sales.lead_sources",
     "label": _text("Lead sources and conversion", "منابع سرنخ و نرخ تبدیل"),
     "description": _text("Leads created in the period, per source, and how many were "
                          "qualified, converted or disqualified.",
                          "سرنخ‌های ثبت‌شده در این دوره به تفکیک منبع، و تعداد واجد شرایط، "
                          "تبدیل‌شده و ردشده."),
     "permission": "sales.lead.read", "params": [],
     "columns": [
         {"key": "source_label", "type": "text", "label": _text("Source", "منبع")},
         {"key": "leads", "type": "integer", "label": _text("Leads", "سرنخ‌ها")},
         {"key": "qualified", "type": "integer", "label": _text("Qualified", "واجد شرایط")},
         {"key": "converted", "type": "integer", "label": _text("Converted", "تبدیل شده")},
         {"key": "disqualified", "type": "integer",
          "label": _text("Disqualified", "رد صلاحیت شده")},
         {"key": "conversion_rate", "type": "ratio", "label": _text("Conversion rate",
                                                                    "نرخ تبدیل")}],
     "run": lead_sources},
]


def definitions() -> list[dict]:
    """Fresh copies (a caller may annotate them)."""
    return [dict(d) for d in DEFINITIONS]


def by_key(key: str) -> dict | None:
    return next((dict(d) for d in DEFINITIONS if d["key"] == key), None)
