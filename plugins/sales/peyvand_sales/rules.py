"""What the plugin checks and maintains on every write of its entities, whatever the path
(REST API, board move, lead conversion, import): ``before_record_save`` validates and fills
server-maintained fields, ``after_record_save`` keeps the stage history and fires the
published hooks. Both run inside the write's transaction."""

from __future__ import annotations

import datetime
import json

from peyvand_sdk import Veto, current_actor, current_kernel, current_tenant, restrict

from . import events, options
from .access import in_system_write
from .entities import SERVER_FIELDS
from .models import Deal, DealStage
from .pipelines import live_pipeline, stage_keys


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def _set(record, changes: dict, name: str, value) -> None:
    """Set a field the server maintains and make the save write it."""
    old = getattr(record, name)
    if old == value and name not in changes:
        return
    setattr(record, name, value)
    changes[name] = (changes[name][0] if name in changes else old, value)


def _refuse_server_fields(entity_id: str, changes: dict, action: str) -> None:
    if in_system_write():
        return
    for name in sorted(SERVER_FIELDS.get(entity_id, ())):
        if name in changes and (action == "update" or changes[name][1] not in (None, [], 0,
                                                                              False)):
            raise Veto("set by the server; it cannot be written", field=name)


def _exists(model, record_id) -> bool:
    return (model.select(model.id)
            .where((model.id == record_id) & model.deleted_at.is_null()).exists())


def before_save(entity, record, changes: dict, action: str) -> None:
    handler = BEFORE.get(entity.id)
    if handler is not None:
        _refuse_server_fields(entity.id, changes, action)
        handler(record, changes, action)


def after_save(entity, record, changes: dict, action: str) -> None:
    handler = AFTER.get(entity.id)
    if handler is not None:
        handler(record, changes, action)


# -- pipelines ----------------------------------------------------------------------------------

def _pipeline_before(record, changes, action):
    if action != "update" or "stages" not in changes:
        return
    old, new = changes["stages"]
    removed = {s["key"] for s in _parse(old)} - {s["key"] for s in _parse(new)}
    if not removed:
        return
    rows = (Deal.select(Deal.stage).where(
        (Deal.pipeline == record.id) & (Deal.status == "open") & Deal.deleted_at.is_null()
        & Deal.stage.in_(sorted(removed))).distinct().tuples())
    used = sorted(stage for (stage,) in rows)
    if used:
        raise Veto(f"open deals are still in stage(s) {', '.join(used)}; move them to another "
                   "stage before removing it", field="stages")


def _parse(text):
    try:
        return [s for s in json.loads(text or "[]") if isinstance(s, dict) and "key" in s]
    except ValueError:
        return []


# -- deals --------------------------------------------------------------------------------------

def _deal_before(record, changes, action):
    creating = action == "create"
    moved = creating or "stage" in changes or "pipeline_id" in changes
    if moved:
        pipeline = live_pipeline(record.pipeline_id)
        if pipeline is None:
            raise Veto(f"pipeline {record.pipeline_id} does not exist", field="pipeline_id")
        keys = stage_keys(pipeline)
        if record.stage not in keys:
            raise Veto(f"{record.stage!r} is not a stage of pipeline {pipeline.name!r}; use one "
                       f"of: {', '.join(keys)}", field="stage")
        if not creating and record.status != "open":
            raise Veto(f"the deal is {record.status}; reopen it (status open) before moving it "
                       "between stages", field="stage")
        _set(record, changes, "stage_entered_at", utcnow())
    for name in ("person_id", "organization_id"):
        value = getattr(record, name)
        if name in changes and value is not None:
            from peyvand_contacts.models import Organization, Person

            model = Person if name == "person_id" else Organization
            if not _exists(model, value):
                raise Veto(f"{model.__name__.lower()} {value} does not exist", field=name)
    if creating:
        old_status = None
    else:
        old_status = changes["status"][0] if "status" in changes else record.status
    if record.status == "won":
        _set(record, changes, "lost_reason", None)
    elif record.status == "lost":
        _set(record, changes, "won_reason", None)
        if not record.lost_reason:
            raise Veto("say why the deal was lost: give a lost_reason (GET "
                       "/api/v1/sales/options/lost_reason lists them)", field="lost_reason")
    else:
        _set(record, changes, "won_reason", None)
        _set(record, changes, "lost_reason", None)
    for kind in ("won_reason", "lost_reason"):
        value = getattr(record, kind)
        if kind in changes and value is not None and not options.is_active(kind, value):
            raise Veto(f"{value!r} is not in the {kind} list (GET /api/v1/sales/options/{kind})",
                       field=kind)
    if record.status != old_status:
        if record.status in ("won", "lost"):
            _set(record, changes, "closed_at", utcnow())
        elif record.status == "open":
            _set(record, changes, "closed_at", None)
            if not moved:
                _set(record, changes, "stage_entered_at", utcnow())
    if not creating:
        from .products import check_amount

        check_amount(record, changes, _set)


def _open_stay(deal, at):
    actor = current_actor()
    DealStage.create(deal=deal.id, pipeline_id=deal.pipeline_id, stage=deal.stage,
                     entered_at=at, user_id=getattr(actor, "id", None))


def _close_stays(deal, at):
    for stay in DealStage.select().where((DealStage.deal == deal.id)
                                         & DealStage.left_at.is_null()):
        seconds = max(0, int((at - stay.entered_at).total_seconds()))
        (DealStage.update(left_at=at, seconds=seconds)
         .where(DealStage.id == stay.id).execute())


def _deal_after(record, changes, action):
    now = record.stage_entered_at or utcnow()
    if action == "create":
        if record.status == "open":
            _open_stay(record, now)
        elif record.status == "won":
            events.deal_won(record)
        elif record.status == "lost":
            events.deal_lost(record, record.lost_reason)
        return
    if action != "update":
        return
    moved = "stage" in changes or "pipeline_id" in changes
    status_changed = "status" in changes
    at = utcnow()
    if moved or (status_changed and record.status != "open"):
        _close_stays(record, at)
    if record.status == "open" and (moved or status_changed):
        _open_stay(record, record.stage_entered_at or at)
    if moved:
        old_stage = changes["stage"][0] if "stage" in changes else record.stage
        events.deal_stage_changed(record, old_stage, record.stage)
    if status_changed:
        if record.status == "won":
            events.deal_won(record)
        elif record.status == "lost":
            events.deal_lost(record, record.lost_reason)


# -- leads --------------------------------------------------------------------------------------

def _lead_before(record, changes, action):
    from peyvand_contacts.emails import InvalidEmail, normalize_email
    from peyvand_contacts.phones import InvalidPhone, normalize_phone

    from .scoring import rescore

    creating = action == "create"
    for name, normalise, error in (("email", normalize_email, InvalidEmail),
                                   ("phone", normalize_phone, InvalidPhone)):
        if name not in changes:
            continue
        value = getattr(record, name)
        if value in (None, ""):
            _set(record, changes, name, None)
            continue
        try:
            _set(record, changes, name, normalise(value))
        except (error, ValueError) as exc:
            raise Veto(str(exc), field=name) from None
    if not any(getattr(record, n) for n in ("last_name", "company", "email", "phone")):
        raise Veto("a lead needs at least a last name, a company, an e-mail or a phone",
                   field="last_name")
    if (creating or "source" in changes) and not options.is_active("lead_source",
                                                                   record.source):
        raise Veto(f"{record.source!r} is not in the lead_source list (GET "
                   "/api/v1/sales/options/lead_source)", field="source")
    old_status = None if creating else changes.get("status", (record.status,))[0]
    if record.status != old_status or creating:
        if record.status == "converted" and not in_system_write():
            raise Veto("convert a lead with POST /api/v1/sales/leads/<id>/convert",
                       field="status")
        if old_status == "converted":
            raise Veto("a converted lead stays converted", field="status")
        if record.status == "converted":
            _set(record, changes, "converted_at", utcnow())
    if record.status == "disqualified":
        reason = record.disqualify_reason
        if not reason:
            raise Veto("say why: give a disqualify_reason (GET "
                       "/api/v1/sales/options/disqualify_reason)", field="disqualify_reason")
        if "disqualify_reason" in changes and not options.is_active("disqualify_reason",
                                                                    reason):
            raise Veto(f"{reason!r} is not in the disqualify_reason list",
                       field="disqualify_reason")
    else:
        _set(record, changes, "disqualify_reason", None)
    if creating:
        from .assignment import assign_new_lead, current_intake

        handed = current_intake()
        if handed is not None:
            _link_existing_person(record, changes)
            if handed["form"] is not None:
                _set(record, changes, "form_id", handed["form"].id)
    rescore(record, changes, _set)
    if creating:
        assign_new_lead(record, changes, _set)


def _link_existing_person(record, changes):
    """A lead handed over (a form, the capture endpoint) from someone already in the contacts
    is linked to that person (same normalised e-mail, else phone) and their organisation, so
    converting it later reuses them rather than creating a duplicate."""
    from .leads import matching_people

    if record.person_id is not None:
        return
    found = matching_people(record)
    if found:
        _set(record, changes, "person_id", found[0].id)
        if record.organization_id is None and found[0].organization_id is not None:
            _set(record, changes, "organization_id", found[0].organization_id)


def _lead_after(record, changes, action):
    if action == "create":
        from .assignment import after_create

        after_create(record)


# -- activities ---------------------------------------------------------------------------------

def _activity_before(record, changes, action):
    creating = action == "create"
    actor = current_actor()
    if record.assignee_id is None and actor is not None and actor.id is not None:
        _set(record, changes, "assignee_id", actor.id)
    if record.assignee_id is not None and record.owner_id != record.assignee_id:
        _set(record, changes, "owner_id", record.assignee_id)
    if creating or "entity" in changes or "record_id" in changes:
        _check_link(record)
    if record.status == "done" and (creating or "status" in changes):
        _set(record, changes, "done_at", utcnow())
    elif record.status != "done":
        _set(record, changes, "done_at", None)
    if "reminder_at" in changes:
        _set(record, changes, "reminder_sent_at", None)


def _check_link(record):
    if (record.entity is None) != (record.record_id is None):
        raise Veto("link a record with both entity and record_id, or neither",
                   field="entity" if record.entity is None else "record_id")
    if record.entity is None:
        return
    entity = current_kernel().entities(current_tenant()).get(record.entity)
    if entity is None:
        raise Veto(f"unknown entity {record.entity!r}", field="entity")
    model = entity.model
    query = model.select(model.id).where((model.id == record.record_id)
                                         & model.deleted_at.is_null())
    if not restrict(query, entity.id).exists():
        raise Veto(f"{entity.id} {record.record_id} does not exist", field="record_id")


def _activity_after(record, changes, action):
    if record.entity == "sales.lead" and record.record_id:
        from .scoring import rescore_lead_id, uses_activities

        if uses_activities():
            rescore_lead_id(record.record_id)


BEFORE = {
    "sales.pipeline": _pipeline_before,
    "sales.deal": _deal_before,
    "sales.lead": _lead_before,
    "sales.activity": _activity_before,
}
AFTER = {
    "sales.deal": _deal_after,
    "sales.lead": _lead_after,
    "sales.activity": _activity_after,
}
