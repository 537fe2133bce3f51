"""What happens to deals and leads, told two ways in the same transaction: the hooks this
plugin publishes (``peyvand_sales.hookspecs``, in-process, only plugins enabled for the tenant
hear them) and the events it declares (outbox → background handlers and webhooks)."""

from __future__ import annotations

from peyvand_sdk import EventType, current_kernel, current_tenant, emit_event

EVENT_TYPES = [
    EventType("deal-stage-changed", {"en": "A deal moved to another stage.",
                                     "fa": "معامله به مرحله دیگری رفت."},
              entity="sales.deal",
              payload={"id": "deal id", "old_stage": "stage key before",
                       "new_stage": "stage key after"}),
    EventType("deal-won", {"en": "A deal was marked won.", "fa": "معامله برنده شد."},
              entity="sales.deal",
              payload={"id": "deal id", "amount": "amount as a decimal string",
                       "currency": "ISO currency code"}),
    EventType("deal-lost", {"en": "A deal was marked lost.", "fa": "معامله از دست رفت."},
              entity="sales.deal", payload={"id": "deal id", "reason": "lost reason key"}),
    EventType("lead-converted", {"en": "A lead became a person (and possibly a deal).",
                                 "fa": "سرنخ به مخاطب (و شاید معامله) تبدیل شد."},
              entity="sales.lead",
              payload={"id": "lead id", "person_id": "the contacts.person id",
                       "deal_id": "the new deal's id, or null"}),
    EventType("lead-assigned", {"en": "A new lead was given to its owner by an assignment "
                                      "rule or a lead form.",
                                "fa": "سرنخ جدید با قاعده تخصیص یا فرم سرنخ به مسئولش سپرده شد."},
              entity="sales.lead",
              payload={"id": "lead id", "owner_id": "the user who got it",
                       "rule_id": "the assignment rule that chose them, or null",
                       "form_id": "the lead form it came from, or null",
                       "notify": "whether the owner is to be told (false: the rule or form "
                                 "switched notices off)"}),
]


def relay():
    return current_kernel().hooks(current_tenant())


def deal_stage_changed(deal, old_stage, new_stage) -> None:
    emit_event("deal-stage-changed", {"id": deal.id, "old_stage": old_stage,
                                      "new_stage": new_stage})
    relay().deal_stage_changed(deal=deal, old_stage=old_stage, new_stage=new_stage)


def deal_won(deal) -> None:
    emit_event("deal-won", {"id": deal.id, "amount": str(deal.amount),
                            "currency": deal.currency})
    relay().deal_won(deal=deal)


def deal_lost(deal, reason) -> None:
    emit_event("deal-lost", {"id": deal.id, "reason": reason})
    relay().deal_lost(deal=deal, reason=reason)


def lead_converted(lead, person, deal) -> None:
    emit_event("lead-converted", {"id": lead.id, "person_id": person.id,
                                  "deal_id": deal.id if deal is not None else None})
    relay().lead_converted(lead=lead, person=person, deal=deal)


def activity_reminder(activity) -> None:
    relay().activity_reminder(activity=activity)
