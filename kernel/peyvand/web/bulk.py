"""Bulk actions on the generic list pages.

The user ticks rows (or "all matching the filter", up to :data:`BULK_LIMIT`), picks an action,
confirms on a page of its own, and reads the outcome as "N done, M refused because …". The
kernel offers *move to the trash* and *change the owner*; plugins add theirs through the
``register_bulk_actions`` hook (:mod:`.contrib`). Every record is checked on its own: it must be
one the user may act on with the action's permission, and each runs in a savepoint, so one
refused record never undoes the others.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from urllib.parse import parse_qsl

from flask import abort, current_app, flash, g, redirect, render_template, request
from werkzeug.datastructures import MultiDict

from .. import audit
from ..access import current_actor
from ..errors import PeyvandError
from ..identity import User, user_teams
from ..permissions import Forbidden, scope_of
from ..records import InvalidRecord, RecordNotFound
from ..storage import utcnow
from . import blueprint, contrib, forms, i18n, menu
from .i18n import _

BULK_LIMIT = 1000


@dataclass
class Action:
    id: str
    label: str
    permission: str           # an action of the entity, or a full permission key
    params: list
    run: object
    danger: bool = False

    @property
    def record_action(self) -> str:
        """The entity action each record is read with (``read`` for a permission key)."""
        return self.permission if "." not in self.permission else "read"


def _kernel():
    return current_app.extensions["peyvand"]


def _owner_choices() -> list[tuple[str, str]]:
    return [(str(uid), f"{display or name} ({name})") for uid, name, display in
            User.select(User.id, User.name, User.display_name).where(User.is_active)
            .order_by(User.name).tuples()]


def _change_owner(view):
    def run(record, params):
        target = User.get_or_none((User.id == int(params["owner"])) & User.is_active)
        if target is None:
            raise PeyvandError(_("the new owner is not an active user"))
        if record.owner_id == target.id:
            return
        team = user_teams(target)[1]
        changes = {"owner_id": (record.owner_id, target.id), "team_id": (record.team_id, team)}
        record.owner_id, record.team_id = target.id, team
        record.version += 1
        record.updated_at = utcnow()
        model = view.service.model
        record.save(only=[model.owner_id, model.team_id, model.version, model.updated_at])
        actor = current_actor()
        audit.record(view.id, record.id, "update", changes, via="web", user_id=actor.id,
                     user_name=actor.name)
        view.service.hooks.after_record_save(entity=view.entity, record=record, changes=changes,
                                             action="update")

    return run


def actions(view) -> list[Action]:
    """The bulk actions the user may use on ``view``'s list (at least on some records)."""
    actor = current_actor()
    if actor is None:
        return []
    out = []
    if scope_of(actor, view.id, "delete") != "none":
        out.append(Action("delete", _("Move to the trash"), "delete", [],
                          lambda record, params: view.service.delete(record.id, via="web"),
                          danger=True))
    if scope_of(actor, view.id, "update") != "none":
        out.append(Action("owner", _("Change the owner"), "update",
                          [{"name": "owner", "label": _("New owner"), "type": "select",
                            "choices": _owner_choices, "required": True}],
                          _change_owner(view)))
    for action in contrib.bulk_actions(_kernel(), g.tenant, view.id):
        key = action.permission
        allowed = (scope_of(actor, view.id, key) != "none" if "." not in key
                   else menu.allowed(actor, key))
        if not allowed:
            continue
        params = [{**p, "label": i18n.label(p["label"], p["name"]),
                   "choices": [(str(v), i18n.label(lab, str(v))) for v, lab in p["choices"]]}
                  for p in action.params]
        out.append(Action(action.id, i18n.label(action.label, action.id), key, params,
                          _plugin_runner(view, action)))
    return out


def _plugin_runner(view, action):
    def run(record, params):
        contrib.call_with(action.run, entity=view.id, record=record, params=params,
                          actor=current_actor())

    return run


def _matching(view, query: MultiDict) -> list[int]:
    """Ids of the records the list shows for ``query``, up to ``BULK_LIMIT + 1``."""
    from .pages import _list_query, _search_ids

    filters, state, problems = _list_query(view, query)
    if problems:
        abort(400)
    if state["q"]:
        ids = _search_ids(view, state["q"])
        if not ids:
            return []
        filters["id__in"] = ",".join(map(str, ids))
    try:
        page = view.service.list(filters=filters, sort=state["sort"], limit=BULK_LIMIT + 1,
                                 fields=["id"])
    except InvalidRecord:
        abort(400)
    return [row["id"] for row in page.rows]


def _refusal(exc: Exception) -> str:
    if isinstance(exc, RecordNotFound):
        return _("it is outside your rights, or no longer there")
    if isinstance(exc, Forbidden):
        return _("your role may not do this")
    if isinstance(exc, InvalidRecord):
        messages = forms.translated_errors(exc.errors)
        return " ".join(m for ms in messages.values() for m in ms)
    return str(exc)


@blueprint.post("/app/<plugin>/<plural>/bulk")
def bulk(plugin, plural):
    from .pages import _require, _view, _write

    view = _view(plugin, plural)
    _require(view.id, "read")
    form = request.form
    query_text = form.get("query") or ""
    query = MultiDict(parse_qsl(query_text, keep_blank_values=False))
    back = view.url(**{k: v for k, v in query.items() if k not in ("cursor", "before")})
    chosen = next((a for a in actions(view) if a.id == form.get("action")), None)
    if chosen is None:
        flash(_("Choose an action first."), "error")
        return redirect(back)
    capped = False
    if form.get("all_matching") == "1":
        ids = _matching(view, query)
    else:
        ids = list(dict.fromkeys(int(i) for i in form.getlist("ids") if i.isdigit()))
    if len(ids) > BULK_LIMIT:
        ids, capped = ids[:BULK_LIMIT], True
    if not ids:
        flash(_("Tick the records to act on first (or “all matching the filter”)."), "error")
        return redirect(back)
    # Choices are read only now, for the confirmation (the list page needs none of them).
    chosen.params = [{**p, "choices": p["choices"]() if callable(p["choices"]) else p["choices"]}
                     for p in chosen.params]
    values, errors = {}, {}
    for p in chosen.params:
        value = (form.get(f"p:{p['name']}") or "").strip()
        if p["type"] == "select" and value and value not in {v for v, _l in p["choices"]}:
            value = ""
        if p["required"] and not value:
            errors[p["name"]] = _("This field is required.")
        values[p["name"]] = value
    if form.get("step") != "run" or errors:
        return render_template(
            "peyvand/bulk_confirm.html", view=view, action=chosen, ids=ids, capped=capped,
            limit=BULK_LIMIT, query=query_text, back=back, values=values,
            errors=errors if form.get("step") == "run" else {}), \
            (400 if errors and form.get("step") == "run" else 200)
    done, refused = 0, Counter()
    db = _kernel().storage.database_for(g.tenant)

    def run_all():
        nonlocal done
        for record_id in ids:
            try:
                with db.atomic():  # a savepoint: a refused record leaves no trace
                    record = view.service.get(record_id, action=chosen.record_action)
                    chosen.run(record, values)
            except (PeyvandError, Forbidden) as exc:
                refused[_refusal(exc)] += 1
            else:
                done += 1

    _write(run_all)
    message = _("%(action)s: %(done)s done.", action=chosen.label, done=done)
    if refused:
        message += " " + " ".join(
            _("%(count)s refused because %(reason)s.", count=count, reason=reason)
            for reason, count in refused.most_common())
    flash(message, "error" if refused and not done else "success")
    return redirect(back)
