"""The audit trail viewer: every row of ``peyvand_audit``, newest first, filtered by user,
entity, record, action and a date range (in the admin's calendar and time zone), by keyset
pages (next and previous) over the row id, so the thousandth page costs what the first does.
Changes to fields the admin's roles hide are left out, as everywhere else."""

from __future__ import annotations

import datetime
import json

from flask import flash, g, request, url_for

from ..audit import Audit
from ..identity import User
from . import blueprint, forms, i18n
from .admin import kernel, render, require_admin
from .i18n import _

PAGE_SIZE = 50
VALUE_CHARS = 120
#: The kernel's own audited things, besides the plugins' entities.
KERNEL_ENTITIES = ("peyvand.user", "peyvand.team", "peyvand.role", "peyvand.plugin",
                   "peyvand.custom_field", "peyvand.setting", "peyvand.superuser",
                   "peyvand.saved_view")
ACTIONS = ("create", "update", "delete", "restore", "reassign", "export", "import", "print",
           "merge", "enable", "disable", "purge", "password", "bypass")


def _short(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= VALUE_CHARS else text[:VALUE_CHARS - 1] + "…"


def _changes(entity_id: str, raw: str) -> list[tuple[str, object, object]]:
    from .pages import entity_view

    try:
        changes = json.loads(raw or "{}")
    except ValueError:
        return [("?", raw, "")]
    view = entity_view(entity_id) if entity_id in kernel().entities(g.tenant) else None
    hidden = view.service.field_rules()[0] if view else frozenset()
    out = []
    for name, pair in changes.items():
        if name in hidden:
            continue
        old, new = (pair if isinstance(pair, list) and len(pair) == 2 else (None, pair))
        meta = view.by_name.get(name) if view else None
        if view is not None:
            label = meta.title() if meta else forms.system_label(name)
            out.append((label, forms.display(meta, name, old, {}, mode="inline"),
                        forms.display(meta, name, new, {}, mode="inline")))
        else:
            out.append((name, _short(old) if old is not None else forms.DASH,
                        _short(new) if new is not None else forms.DASH))
    return out


def _filters() -> tuple[list, dict, list[str]]:
    args = request.args
    state = {k: (args.get(k) or "").strip() for k in ("user", "entity", "record", "action",
                                                      "from", "to")}
    where, problems = [], []
    if state["user"].isdigit():
        where.append(Audit.user_id == int(state["user"]))
    if state["entity"]:
        where.append(Audit.entity == state["entity"])
    if state["record"]:
        number = i18n.ascii_digits(state["record"])
        if number.isdigit():
            where.append(Audit.record_id == int(number))
        else:
            problems.append(_("A record number is made of digits."))
    if state["action"]:
        where.append(Audit.action == state["action"])
    for key in ("from", "to"):
        if not state[key]:
            continue
        try:
            day = i18n.parse_date(state[key])
        except i18n.DateInputError:
            problems.append(_("Enter a date like %(example)s.", example=i18n.date_example()))
            continue
        if key == "from":
            where.append(Audit.at >= i18n.day_start_utc(day))
        else:
            where.append(Audit.at < i18n.day_start_utc(day + datetime.timedelta(days=1)))
    return where, state, problems


@blueprint.get("/admin/audit")
def admin_audit():
    require_admin()
    where, state, problems = _filters()
    for problem in problems:
        flash(problem, "error")
    after = request.args.get("cursor", "")
    before = request.args.get("before", "") if not after else ""
    query = Audit.select()
    for clause in where:
        query = query.where(clause)
    if after.isdigit():
        query = query.where(Audit.id < int(after)).order_by(Audit.id.desc())
    elif before.isdigit():
        query = query.where(Audit.id > int(before)).order_by(Audit.id.asc())
    else:
        query = query.order_by(Audit.id.desc())
    rows = list(query.limit(PAGE_SIZE + 1))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    if before.isdigit():
        rows.reverse()
        next_id = rows[-1].id if rows else None
        prev_id = rows[0].id if more and rows else None
    else:
        next_id = rows[-1].id if more else None
        prev_id = rows[0].id if after.isdigit() and rows else None
    entities = kernel().entities(g.tenant)
    from .pages import entity_view

    def link(row):
        if row.entity in entities and row.record_id:
            return entity_view(row.entity).url("record_page", record_id=row.record_id)
        if row.entity == "peyvand.user" and row.record_id:
            return url_for("peyvand_web.admin_user_edit", user_id=row.record_id)
        return None

    shown = [{"row": r, "at": i18n.datetime_text(r.at), "changes": _changes(r.entity, r.changes),
              "entity": entity_label(r.entity), "link": link(r)} for r in rows]
    base = {k: v for k, v in state.items() if v}

    def page(**extra):
        return url_for("peyvand_web.admin_audit", **base, **extra)

    users = list(User.select(User.id, User.name).order_by(User.name).tuples())
    return render("audit.html", rows=shown, state=state, users=users,
                  entities=[(e, entity_label(e)) for e in [*sorted(entities), *KERNEL_ENTITIES]],
                  actions=ACTIONS, date_example=i18n.date_example(),
                  next_link=page(cursor=next_id) if next_id else None,
                  prev_link=page(before=prev_id) if prev_id else None,
                  first_link=page() if (after or before) else None)


def entity_label(entity_id: str) -> str:
    from .pages import entity_view

    if entity_id in kernel().entities(g.tenant):
        return entity_view(entity_id).label()
    return {"peyvand.user": _("User"), "peyvand.team": _("Team"), "peyvand.role": _("Role"),
            "peyvand.plugin": _("Plugin"), "peyvand.custom_field": _("Custom field"),
            "peyvand.setting": _("Setting"), "peyvand.superuser": _("Superuser bypass"),
            "peyvand.saved_view": _("Saved view")}.get(entity_id, entity_id)
