"""Telling a salesperson about a lead handed to them (by an assignment rule or a lead form).

Two channels, both in the transaction that created the lead: the ``lead-assigned`` event
(outbox → the email plugin's handler and webhooks) and, unless the rule or form switched it
off, a high-priority follow-up activity assigned to the owner, due now, linked to the lead:
it shows in their "my work" inbox and calendar like any activity.
"""

from __future__ import annotations

from contextlib import contextmanager

from peyvand_sdk import (
    acting_as,
    current_kernel,
    current_tenant,
    emit_event,
    find_users,
    gettext,
    record_audit,
)

from .rules import utcnow


@contextmanager
def in_language(lang: str | None):
    """Messages of this block in ``lang`` (a request's language is put back afterwards)."""
    from flask import g, has_request_context

    if not has_request_context() or lang not in ("fa", "en"):
        yield
        return
    previous = getattr(g, "lang", None)
    g.lang = lang
    try:
        yield
    finally:
        g.lang = previous


def lead_name(lead) -> str:
    name = " ".join(p for p in (lead.first_name, lead.last_name) if p)
    return name or lead.company or lead.email or lead.phone or f"#{lead.id}"


def lead_assigned(lead, rule=None, form=None, notify: bool = True) -> None:
    how = {"owner_id": (None, lead.owner_id), "team_id": (None, lead.team_id)}
    if rule is not None:
        how["assignment_rule"] = (None, f"{rule.id}: {rule.name}")
    if form is not None:
        how["lead_form"] = (None, f"{form.id}: {form.slug}")
    record_audit("sales.lead", lead.id, "assign", how, via="system")
    emit_event("lead-assigned", {"id": lead.id, "owner_id": lead.owner_id,
                                 "rule_id": rule.id if rule is not None else None,
                                 "form_id": form.id if form is not None else None,
                                 "notify": notify})
    if not notify:
        return
    owner = find_users([lead.owner_id])
    with in_language(owner[0]["language"] if owner else None):
        if form is not None:
            via = gettext("from the form “%(form)s”", form=form.title_in(owner[0]["language"]
                                                                       if owner else "fa"))
        elif rule is not None:
            via = gettext("by the rule “%(rule)s”", rule=rule.name)
        else:
            via = ""
        subject = gettext("New lead to contact: %(name)s", name=lead_name(lead))
        notes = gettext("This lead was assigned to you %(via)s.", via=via) if via else None
    service = current_kernel().service("sales.activity", current_tenant())
    with acting_as(None):   # the system gives the task, whoever submitted the lead
        service.create({"kind": "follow_up", "subject": subject[:200], "notes": notes,
                        "entity": "sales.lead", "record_id": lead.id,
                        "assignee_id": lead.owner_id,
                        "due_at": utcnow().isoformat() + "Z",
                        "priority": "high"}, via="system")
