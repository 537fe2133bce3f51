"""What sales contributes to a contact: its timeline items (``contact_timeline``) and the
re-pointing of sales records when contacts are merged (``contacts_merged``), the two hooks the
contacts plugin publishes (``peyvand_contacts.hookspecs``).

Timeline items, newest first, only from records the viewer may read (``restrict``), without
the fields their roles hide:

* a deal of the contact: ``sales.deal:<id>:created``, one ``…:stage:<stay id>`` per later
  stage it entered (``sales_deal_stage``), and ``…:won`` / ``…:lost`` at its closing time;
* a lead linked to the contact (a converted lead): ``sales.lead:<id>:created`` and
  ``…:converted``;
* an activity linked to the contact, or to one of those deals or leads: ``sales.activity:<id>``
  at its completion time when done, else at its creation.

For an organisation the items are those of the organisation itself (deals and leads whose
``organization_id`` it is, activities linked to it), not its people's.

Each item carries its ``label`` in the viewer's language (from this plugin's catalogue): "Deal",
"Stage change", "Deal won", "Deal lost", "Lead", "Lead converted", "Activity".
"""

from __future__ import annotations

import datetime
import decimal

from peewee import fn

from peyvand_sdk import current_language, gettext, hidden_fields, record_audit_many, restrict

from .models import Activity, Deal, DealStage, Lead, Pipeline
from .pipelines import stages_of

ENTITIES = {"contacts.person": "person_id", "contacts.organization": "organization_id"}
_ = gettext


def _column(model, entity: str):
    return getattr(model, ENTITIES[entity])


def _stage_label(labels: dict, pipeline_id, key) -> str:
    label = labels.get((pipeline_id, key)) or {}
    return label.get(current_language()) or label.get("en") or key or ""


def _stage_labels() -> dict:
    out = {}
    for pipeline in Pipeline.select(Pipeline.id, Pipeline.stages):
        for stage in stages_of(pipeline):
            out[(pipeline.id, stage["key"])] = stage.get("label") or {}
    return out


def _amount(deal, hidden) -> str | None:
    if "amount" in hidden or deal.amount is None:
        return None
    value = decimal.Decimal(deal.amount).quantize(decimal.Decimal(1))
    from flask import current_app, has_request_context

    if has_request_context():        # the workspace's format: digits, grouping, currency name
        return current_app.jinja_env.filters["amount"](value, deal.currency)
    return f"{value:,} {deal.currency}"


def _before(column, before):
    return True if before is None else (column <= before[0])


def _newest(items: list[dict], limit: int) -> list[dict]:
    items.sort(key=lambda i: (i["at"], i["key"]), reverse=True)
    return items[:limit]


def timeline(entity: str, record_id: int, before, limit: int) -> list[dict]:
    """The hook's body: at most ``limit`` items, newest first (see the module docstring)."""
    if entity not in ENTITIES:
        return []
    items: list[dict] = []
    items += _deal_items(entity, record_id, before, limit)
    items += _lead_items(entity, record_id, before, limit)
    items += _activity_items(entity, record_id, before, limit)
    return _newest(items, limit)


def _deals_of(entity, record_id):
    """Ids of the contact's deals the viewer may read (a sub-select)."""
    return restrict(Deal.select(Deal.id).where((_column(Deal, entity) == record_id)
                                               & Deal.deleted_at.is_null()), "sales.deal")


def _leads_of(entity, record_id):
    return restrict(Lead.select(Lead.id).where((_column(Lead, entity) == record_id)
                                               & Lead.deleted_at.is_null()), "sales.lead")


def _deal_items(entity, record_id, before, limit) -> list[dict]:
    hidden = hidden_fields("sales.deal")
    mine = _deals_of(entity, record_id)
    deals = {d.id: d for d in Deal.select().where(Deal.id.in_(mine))}
    if not deals:
        return []
    labels = _stage_labels()

    def title(deal):
        if "title" in hidden:
            return _("Deal #%(id)s", id=deal.id)
        return deal.title

    items = []
    for deal in sorted(deals.values(), key=lambda d: d.created_at, reverse=True):
        if before is not None and deal.created_at > before[0]:
            continue
        amount = _amount(deal, hidden)
        items.append({"at": deal.created_at, "key": f"sales.deal:{deal.id}:created",
                      "kind": "deal", "label": _("Deal"), "entity": "sales.deal", "id": deal.id,
                      "title": title(deal),
                      "summary": (_("Deal created (%(amount)s)", amount=amount) if amount
                                  else _("Deal created"))})
        if len(items) >= limit:
            break
    closed = [d for d in deals.values() if d.status in ("won", "lost") and d.closed_at
              and (before is None or d.closed_at <= before[0])]
    for deal in closed:
        amount = _amount(deal, hidden)
        if deal.status == "won":
            summary = (_("Deal won (%(amount)s)", amount=amount) if amount
                       else _("Deal won"))
        else:
            summary = _("Deal lost")
            if deal.lost_reason and "lost_reason" not in hidden:
                summary = _("Deal lost: %(reason)s", reason=_reason("lost_reason",
                                                                    deal.lost_reason))
        items.append({"at": deal.closed_at, "key": f"sales.deal:{deal.id}:{deal.status}",
                      "kind": "deal", "entity": "sales.deal", "id": deal.id,
                      "label": _("Deal won") if deal.status == "won" else _("Deal lost"),
                      "title": title(deal), "summary": summary})
    if "stage" not in hidden:
        # Every stage a deal entered after the one it was created in.
        firsts = dict(DealStage.select(DealStage.deal, fn.MIN(DealStage.id))
                      .where(DealStage.deal.in_(list(deals)))
                      .group_by(DealStage.deal).tuples())
        stays = (DealStage.select().where(DealStage.deal.in_(list(deals))
                                          & DealStage.id.not_in(list(firsts.values()) or [0])
                                          & _before(DealStage.entered_at, before))
                 .order_by(DealStage.entered_at.desc(), DealStage.id.desc()).limit(limit))
        for stay in stays:
            deal = deals[stay.deal_id]
            items.append({"at": stay.entered_at,
                          "key": f"sales.deal:{deal.id}:stage:{stay.id}",
                          "kind": "deal", "label": _("Stage change"),
                          "entity": "sales.deal", "id": deal.id, "title": title(deal),
                          "summary": _("Moved to stage “%(stage)s”",
                                       stage=_stage_label(labels, stay.pipeline_id,
                                                          stay.stage))})
    return _newest(items, limit)


def _reason(kind: str, key: str) -> str:
    from .models import Option

    row = Option.get_or_none((Option.kind == kind) & (Option.key == key))
    if row is None:
        return key
    return row.label_fa if current_language() == "fa" else row.label_en


def _lead_items(entity, record_id, before, limit) -> list[dict]:
    hidden = hidden_fields("sales.lead")
    leads = list(Lead.select().where(Lead.id.in_(_leads_of(entity, record_id))))
    items = []
    for lead in leads:
        name = " ".join(p for p in (lead.first_name if "first_name" not in hidden else None,
                                    lead.last_name if "last_name" not in hidden else None,
                                    ) if p) or lead.company or _("Lead #%(id)s", id=lead.id)
        source = None if "source" in hidden else _reason("lead_source", lead.source)
        events = [(lead.created_at, "created",
                   _("Lead captured from %(source)s", source=source) if source
                   else _("Lead captured"))]
        if lead.converted_at is not None:
            events.append((lead.converted_at, "converted", _("Lead converted")))
        for at, what, summary in events:
            if before is None or at <= before[0]:
                items.append({"at": at, "key": f"sales.lead:{lead.id}:{what}", "kind": "lead",
                              "label": _("Lead converted") if what == "converted"
                              else _("Lead"),
                              "entity": "sales.lead", "id": lead.id, "title": name,
                              "summary": summary})
    return _newest(items, limit)


def _choice(value: str) -> str:
    """A choice as the generic pages name it (``follow_up`` → "Follow up"), translated."""
    text = (value or "").replace("_", " ").strip()
    return _(text[:1].upper() + text[1:])


def _activity_items(entity, record_id, before, limit) -> list[dict]:
    hidden = hidden_fields("sales.activity")
    linked = ((Activity.entity == entity) & (Activity.record_id == record_id))
    deal_ids = [d.id for d in _deals_of(entity, record_id)]
    lead_ids = [lead.id for lead in _leads_of(entity, record_id)]
    if deal_ids:
        linked |= (Activity.entity == "sales.deal") & Activity.record_id.in_(deal_ids)
    if lead_ids:
        linked |= (Activity.entity == "sales.lead") & Activity.record_id.in_(lead_ids)
    at = fn.COALESCE(Activity.done_at, Activity.created_at)
    query = restrict(Activity.select(Activity, at.alias("at")).where(
        linked & Activity.deleted_at.is_null() & _before(at, before)), "sales.activity")
    items = []
    for activity in query.order_by(at.desc(), Activity.id.desc()).limit(limit):
        moment = activity.done_at or activity.created_at
        parts = [_choice(activity.kind), _choice(activity.status)]
        if activity.outcome and "outcome" not in hidden:
            parts.append(activity.outcome)
        items.append({"at": moment, "key": f"sales.activity:{activity.id}",
                      "kind": "activity", "label": _("Activity"), "entity": "sales.activity",
                      "id": activity.id,
                      "title": (activity.subject if "subject" not in hidden
                                else _("Activity #%(id)s", id=activity.id)),
                      "summary": " · ".join(parts)})
    return items


# -- merging ------------------------------------------------------------------------------------

def merged(entity: str, survivor_id: int, merged_ids) -> list[dict]:
    """Point deals, leads and activities of ``merged_ids`` at ``survivor_id``; one
    ``{table, column, id, old}`` per changed row (each row's version moves and the change is
    in its audit trail, ``via: merge``)."""
    if entity not in ENTITIES or not merged_ids:
        return []
    merged_ids = sorted({int(i) for i in merged_ids} - {int(survivor_id)})
    if not merged_ids:
        return []
    column = ENTITIES[entity]
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    changes: list[dict] = []
    audits = []
    for model, entity_id in ((Deal, "sales.deal"), (Lead, "sales.lead")):
        field = getattr(model, column)
        rows = list(model.select(model.id, field).where(field.in_(merged_ids))
                    .order_by(model.id).tuples())
        if not rows:
            continue
        (model.update({field: survivor_id, model.version: model.version + 1,
                       model.updated_at: now})
         .where(model.id.in_([r[0] for r in rows])).execute())
        for row_id, old in rows:
            changes.append({"table": model._meta.table_name, "column": field.column_name,
                            "id": row_id, "old": old})
            audits.append((entity_id, row_id, {column: (old, survivor_id)}))
    rows = list(Activity.select(Activity.id, Activity.record_id)
                .where((Activity.entity == entity) & Activity.record_id.in_(merged_ids))
                .order_by(Activity.id).tuples())
    if rows:
        (Activity.update({Activity.record_id: survivor_id,
                          Activity.version: Activity.version + 1, Activity.updated_at: now})
         .where(Activity.id.in_([r[0] for r in rows])).execute())
        for row_id, old in rows:
            changes.append({"table": Activity._meta.table_name, "column": "record_id",
                            "id": row_id, "old": old})
            audits.append(("sales.activity", row_id, {"record_id": (old, survivor_id)}))
    _audit(audits)
    return changes


def _audit(audits) -> None:
    from peyvand_sdk import current_actor

    actor = current_actor()
    by_entity: dict[str, list] = {}
    for entity_id, row_id, change in audits:
        by_entity.setdefault(entity_id, []).append((row_id, change))
    for entity_id, rows in by_entity.items():
        record_audit_many(entity_id, [(row_id, "update", change) for row_id, change in rows],
                          via="merge",
                          user_id=getattr(actor, "id", None),
                          user_name=getattr(actor, "name", None))
