"""Saved views of the generic list pages.

A saved view is a named set of a list's query (search, dates, field filters, sort, columns) for
one entity, private to its owner or shared with the owner's team (and its sub-teams) or, for
administrators, with everyone. Each user may pick one view per entity as their default: the list
opens with it (``?view=`` with no number shows the plain list). Views live in the tenant's
database (``peyvand_saved_view``, ``peyvand_default_view``); creating, changing and deleting a
shared view is audited as ``peyvand.saved_view``.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import peewee
from flask import abort, flash, g, redirect, request

from .. import audit
from ..access import current_actor
from ..storage import utcnow
from ..web_views import DefaultView, SavedView
from . import blueprint
from .i18n import N_, _

VISIBILITIES = ("private", "team", "all")
VISIBILITY_LABELS = {"private": N_("Only me"), "team": N_("My team"), "all": N_("Everyone")}
#: Query-string keys a view does not keep (paging, printing, the view itself).
NOT_STORED = frozenset({"cursor", "before", "view", "print", "format", "csrf_token"})
MAX_VIEWS = 200




def _visible_clause(actor, entity_id: str):
    clause = (SavedView.entity == entity_id) & (
        (SavedView.user == actor.id) | (SavedView.visibility == "all"))
    if actor.teams:
        clause |= ((SavedView.entity == entity_id) & (SavedView.visibility == "team")
                   & SavedView.team_id.in_(sorted(actor.teams)))
    return clause


def visible(entity_id: str) -> tuple[list[SavedView], SavedView | None]:
    """``(views, default)``: the views of ``entity_id`` the acting user may use (their own,
    their teams', everyone's) and which of them is their default, in one query (the list page
    asks on every visit)."""
    actor = current_actor()
    if actor is None or actor.id is None:
        return [], None
    on = ((DefaultView.view == SavedView.id) & (DefaultView.user == actor.id)
          & (DefaultView.entity == entity_id))
    rows = list(SavedView.select(SavedView, DefaultView.id.alias("default_mark"))
                .join(DefaultView, peewee.JOIN.LEFT_OUTER, on=on)
                .where(_visible_clause(actor, entity_id))
                .order_by(SavedView.name, SavedView.id).limit(MAX_VIEWS).objects())
    return rows, next((v for v in rows if v.default_mark is not None), None)


def find(entity_id: str, view_id) -> SavedView | None:
    actor = current_actor()
    if actor is None or not str(view_id).isdigit():
        return None
    return (SavedView.select().where(_visible_clause(actor, entity_id)
                                     & (SavedView.id == int(view_id))).first())





def stored_args(args) -> dict[str, str]:
    """The part of a list's query string a view keeps (columns as one comma-separated value)."""
    out = {}
    for key in args:
        if key in NOT_STORED:
            continue
        values = [v for v in args.getlist(key) if v != ""]
        if values:
            out[key] = ",".join(values) if key == "columns" else values[0]
    return out


def can_manage(view: SavedView) -> bool:
    user = g.web_user
    return view.user_id == user.id or (view.visibility != "private" and user.is_admin)


def _audit(view: SavedView, action: str, changes: dict) -> None:
    if view.visibility == "private" and action != "update":
        return
    user = g.web_user
    audit.record("peyvand.saved_view", view.id, action, changes, via="web", user_id=user.id,
                 user_name=user.name)


def _set_default(view: SavedView | None, entity_id: str) -> None:
    user = g.web_user
    DefaultView.delete().where((DefaultView.user == user.id)
                               & (DefaultView.entity == entity_id)).execute()
    if view is not None:
        DefaultView.create(user=user.id, entity=entity_id, view=view)


def _list_view(plugin: str, plural: str):
    from .pages import _view

    return _view(plugin, plural)


def _write(fn):
    from .pages import _write as write

    return write(fn)


def _form_args() -> dict[str, str]:
    """The list query the form was sent from (its ``query`` field, a query string)."""
    from werkzeug.datastructures import MultiDict

    return stored_args(MultiDict(parse_qsl(request.form.get("query") or "",
                                           keep_blank_values=False)))


@blueprint.post("/app/<plugin>/<plural>/views")
def save_view(plugin, plural):
    """Save the list's current query as a new view."""
    view = _list_view(plugin, plural)
    from .pages import _require

    _require(view.id, "read")
    user = g.web_user
    name = " ".join((request.form.get("name") or "").split())[:100]
    visibility = request.form.get("visibility") or "private"
    if visibility not in VISIBILITIES or (visibility == "all" and not user.is_admin):
        abort(400)
    team = user.actor.primary_team
    if visibility == "team" and team is None:
        flash(_("You are in no team: the view is saved for you only."), "error")
        visibility = "private"
    if not name:
        flash(_("Name the view to save it."), "error")
        return redirect(view.url(**_form_args()))
    args = _form_args()

    def run():
        saved = SavedView.create(user=user.id, entity=view.id, name=name, visibility=visibility,
                                 team_id=team if visibility == "team" else None,
                                 query=json.dumps(args, ensure_ascii=False, sort_keys=True))
        if request.form.get("default") == "1":
            _set_default(saved, view.id)
        _audit(saved, "create", {"name": (None, name), "visibility": (None, visibility)})
        return saved

    saved = _write(run)
    flash(_("The view “%(name)s” is saved.", name=name), "success")
    return redirect(view.url(**args, view=saved.id))


@blueprint.post("/app/<plugin>/<plural>/views/<int:view_id>")
def change_view(plugin, plural, view_id):
    """``action``: ``default`` / ``undefault`` (anyone who sees it), ``update`` (the current
    query replaces the stored one) or ``delete`` (its owner; an admin for shared views)."""
    view = _list_view(plugin, plural)
    saved = find(view.id, view_id)
    if saved is None:
        abort(404)
    action = request.form.get("action")
    if action == "default":
        _write(lambda: _set_default(saved, view.id))
        flash(_("“%(name)s” opens first from now on.", name=saved.name), "success")
        return redirect(view.url(**saved.args, view=saved.id))
    if action == "undefault":
        _write(lambda: _set_default(None, view.id))
        flash(_("The list opens without a view from now on."), "success")
        return redirect(view.url(**saved.args, view=saved.id))
    if not can_manage(saved):
        from ..permissions import Forbidden

        raise Forbidden("only the owner of a view (or an admin, for a shared one) changes it")
    if action == "update":
        args = _form_args()

        def run():
            old = saved.args
            saved.query = json.dumps(args, ensure_ascii=False, sort_keys=True)
            saved.updated_at = utcnow()
            saved.save(only=[SavedView.query, SavedView.updated_at])
            _audit(saved, "update", {"query": (old, args)})

        _write(run)
        flash(_("The view “%(name)s” is updated.", name=saved.name), "success")
        return redirect(view.url(**args, view=saved.id))
    if action == "delete" and request.form.get("confirmed") != "1":
        # Ask first, on a page of its own (works without JavaScript).
        from flask import render_template

        return render_template(
            "peyvand/admin/confirm.html",
            title=_("Delete the view “%(name)s”?", name=saved.name),
            message=_("The saved view is deleted for everyone who sees it; the records in the "
                      "list stay as they are."),
            action=view.url("change_view", view_id=saved.id),
            items=[_("List: %(name)s", name=view.label(plural=True))],
            fields={"action": "delete", "confirmed": "1"}, button=_("Delete the view"),
            cancel=view.url(**saved.args, view=saved.id), typed=None, extra=None)
    if action == "delete":
        def run():
            _audit(saved, "delete", {"name": (saved.name, None)})
            DefaultView.delete().where(DefaultView.view == saved).execute()
            saved.delete_instance()

        _write(run)
        flash(_("The view “%(name)s” is deleted.", name=saved.name), "success")
        return redirect(view.url(view=""))
    abort(400)
