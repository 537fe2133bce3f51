"""The trash of a list: records deleted from it, restored with one button.

``/app/<plugin>/<plural>/trash``                  the deleted records the user may delete
                                                  (and so restore), newest deletion first,
                                                  with the days left before they go for good
``/app/<plugin>/<plural>/<id>/restore`` (POST)    back to the list, as ``POST …/restore`` in
                                                  the API does (audited, ``via: web``)

Records stay in the trash for ``PEYVAND_TRASH_DAYS`` days (the periodic task
``peyvand.purge_trash`` removes older ones); restoring is not destructive, so it asks nothing.
"""

from __future__ import annotations

import datetime
import math

from flask import flash, redirect, render_template, request

from ..records import RecordNotFound
from ..storage import utcnow
from . import blueprint
from .i18n import _

PAGE_SIZE = 50


@blueprint.get("/app/<plugin>/<plural>/trash")
def trash_page(plugin, plural):
    from .pages import _kernel, _require, _view, record_title

    view = _view(plugin, plural)
    _require(view.id, "delete")
    keep = _kernel().settings.trash_days
    page = view.service.list(trash=True, action="delete", sort="-id", limit=PAGE_SIZE,
                             cursor=request.args.get("cursor") or None)
    ids = [row["id"] for row in page.rows]
    model = view.service.model
    deleted = dict(model.select(model.id, model.deleted_at).where(model.id.in_(ids)).tuples()
                   ) if ids else {}
    now = utcnow()
    rows = []
    for row in page.rows:
        when = deleted.get(row["id"])
        left = None
        if when is not None:
            seconds = (when + datetime.timedelta(days=keep) - now).total_seconds()
            left = max(0, math.ceil(seconds / 86400))
        rows.append({"id": row["id"], "title": record_title(view, row), "deleted_at": when,
                     "days_left": left})
    rows.sort(key=lambda r: r["deleted_at"] or now, reverse=True)
    return render_template("peyvand/trash.html", view=view, rows=rows, keep=keep,
                           next_cursor=page.next_cursor)


@blueprint.post("/app/<plugin>/<plural>/<int:record_id>/restore")
def restore_record(plugin, plural, record_id):
    from .pages import _kernel, _require, _view, _write, record_title

    view = _view(plugin, plural)
    _require(view.id, "delete")
    try:
        record = _write(lambda: view.service.restore(
            record_id, keep_days=_kernel().settings.trash_days, via="web"))
    except RecordNotFound:
        flash(_("This record can no longer be restored: it was deleted more than %(days)s days "
                "ago, or it does not exist.", days=_kernel().settings.trash_days), "error")
        return redirect(view.url("trash_page"))
    flash(_("“%(title)s” is back.", title=record_title(view, view.service.to_dict(record))),
          "success")
    return redirect(view.url("record_page", record_id=record.id))
