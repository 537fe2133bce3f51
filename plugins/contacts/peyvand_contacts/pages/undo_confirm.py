"""The confirmation pages of the two undos (an import's, a merge's): each undo asks first, on a
page of its own, so it works without JavaScript. ``GET …/undo`` and a ``POST …/undo`` without
``confirmed=1`` show them; the page's form posts again with ``confirmed=1`` (and ``force=1``
for "Undo anyway")."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for

from peyvand_sdk import current_language, require_permission

from . import ENTITIES, _, service


def _force() -> bool:
    return (request.form.get("force") or request.args.get("force")) == "1"


def _fields(force: bool) -> dict:
    return {"confirmed": "1", **({"force": "1"} if force else {})}


def import_undo_page(job):
    """Ask before undoing import ``job`` (visible to the user: the caller checked)."""
    from ..importing.jobs import describe

    info = describe(job)
    back = url_for("contacts_web.import_status", import_id=job.id)
    if not info.get("batch_id") or info.get("undone"):
        return redirect(back)
    force = _force()
    items = []
    if info.get("created"):
        items.append(_("%(n)s people it created go to the trash.", n=info["created"]))
    if info.get("updated"):
        items.append(_("%(n)s people it updated get their previous values back.",
                       n=info["updated"]))
    if force:
        items.append(_("Changes made to these people since the import are lost."))
    return render_template(
        "peyvand/confirm.html",
        title=_("Undo import %(n)s?", n=job.id),
        message=_("Undoing moves the people this import created to the trash and gives the "
                  "people it updated their previous values back."),
        items=items, action=url_for("contacts_web.import_undo", import_id=job.id),
        fields=_fields(force), button=_("Undo anyway") if force else _("Undo this import"),
        cancel=back)


def merge_undo_page(merge_id: int):
    """Ask before undoing merge ``merge_id``."""
    from ..dedupe_models import Merge
    from ..merging import list_merges
    from .dedupe import _merge_rows

    log = Merge.get_or_none(Merge.id == merge_id)
    if log is None or log.entity not in ENTITIES:
        abort(404)
    entity_id = ENTITIES[log.entity]
    require_permission(entity_id, "update")
    require_permission(entity_id, "delete")
    service(entity_id).get(log.survivor_id, action="update")   # 404 outside the user's scope
    back = url_for("contacts_web.merge_detail", merge_id=merge_id)
    items, _next = list_merges(log.entity, 1, merge_id + 1)
    if log.status != "done" or not items or items[0]["id"] != merge_id:
        return redirect(back)
    merge = _merge_rows(items)[0]
    force = _force()
    names = ("، " if current_language() == "fa" else ", ").join(
        title for _id, title in merge["merged"])
    consequences = [_("Back as records of their own: %(names)s", names=names),
                    _("“%(name)s” gets its previous values back, and the linked records move "
                      "back.", name=merge["survivor_title"])]
    if force:
        consequences.append(_("What was changed since the merge stays as it is now."))
    return render_template(
        "peyvand/confirm.html", title=_("Undo the merge into “%(name)s”?",
                                        name=merge["survivor_title"]),
        message=None, items=consequences,
        action=url_for("contacts_web.merge_undo", merge_id=merge_id), fields=_fields(force),
        button=_("Undo anyway") if force else _("Undo the merge"), cancel=back)
