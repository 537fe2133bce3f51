"""The kanban board page and its moves."""

from __future__ import annotations

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for

from peyvand_sdk import (
    Forbidden,
    InvalidRecord,
    RecordNotFound,
    StaleVersion,
    current_kernel,
    current_tenant,
    gettext,
    require_permission,
    tenant_db,
)

from . import can, error_text, record_url, service, user_names

_ = gettext
CARDS = 30


def _pipelines():
    from ..models import Pipeline

    return list(Pipeline.select().where(Pipeline.deleted_at.is_null()).order_by(Pipeline.id))


def _has_lines() -> bool:
    """Whether an enabled plugin contributes product lines to deals."""
    return bool(current_kernel().hooks(current_tenant()).deal_lines.get_hookimpls())


def _int(name: str):
    raw = request.values.get(name)
    try:
        return int(raw) if raw not in (None, "") else None
    except ValueError:
        return None


def _totals_json(pipeline_id: int) -> dict:
    from ..board import _money, column_totals
    from ..pipelines import live_pipeline

    pipeline = live_pipeline(pipeline_id)
    if pipeline is None:
        return {}
    hidden = service("sales.deal").field_rules()[0]
    filters = current_app.jinja_env.filters       # the workspace's number and amount formats
    out = {}
    for key, column in column_totals(pipeline).items():
        item = {"count": column["count"], "count_text": filters["number"](column["count"])}
        if "amount" not in hidden:
            item["amount"] = {c: _money(v) for c, v in sorted(column["amount"].items())}
            item["amount_text"] = "، ".join(filters["amount"](v, c) for c, v in
                                            item["amount"].items()) or "—"
        out[key] = item
    return out


def register(bp):
    @bp.get("/board")
    def board_page():
        from ..board import board

        require_permission("sales.deal", "read")
        pipelines = _pipelines()
        if not pipelines:
            return render_template("sales/board.html", pipelines=[], data=None)
        chosen = _int("pipeline_id") or pipelines[0].id
        if chosen not in {p.id for p in pipelines}:
            chosen = pipelines[0].id
        filters = {}
        owner = _int("owner_id")
        if owner is not None:
            filters["owner_id"] = str(owner)
        data = board(chosen, limit=CARDS, filters=filters)
        owners = user_names(d.get("owner_id") for c in data["columns"] for d in c["deals"])
        hidden = service("sales.deal").field_rules()[0]
        return render_template(
            "sales/board.html", pipelines=pipelines, data=data, owners=owners,
            hidden=hidden, can_move=can("sales.deal", "update"),
            can_create=can("sales.deal", "create"), has_lines=_has_lines(),
            owner_filter=owner, deal_url=lambda i: record_url("sales.deal", i))

    @bp.post("/board/move")
    def board_move():
        """A card dropped on another column (JSON answer for the page's script) or the
        card's own form (a redirect back to the board with a message)."""
        wants_json = "application/json" in request.headers.get("Accept", "")
        deal_id, version = _int("deal_id"), _int("version")
        stage = (request.values.get("stage") or "").strip()
        pipeline_id = _int("pipeline_id")
        svc = service("sales.deal")
        status, message, record = 200, None, None
        if deal_id is None or not stage:
            status, message = 422, _("Choose a deal and the stage to move it to.")
        else:
            try:
                with tenant_db.atomic():
                    record = svc.update(deal_id, {"stage": stage}, if_match=version, via="web")
            except RecordNotFound:
                status, message = 404, _("This deal does not exist, or is not shared with "
                                         "you.")
            except Forbidden:
                status, message = 403, _("Your role may not move deals.")
            except StaleVersion:
                status, message = 409, _("Someone else changed this deal a moment ago. "
                                         "Reload the board and try again.")
            except InvalidRecord as exc:
                status, message = 422, error_text(exc.errors)
        if wants_json:
            if status != 200:
                return jsonify({"ok": False, "message": message}), status
            return jsonify({"ok": True, "deal": {"id": record.id, "stage": record.stage,
                                                  "version": record.version},
                            "columns": _totals_json(record.pipeline_id)})
        if status == 200:
            flash(_("“%(title)s” moved.", title=record.title), "success")
            pipeline_id = record.pipeline_id
        else:
            flash(message, "error")
        return redirect(url_for("sales_web.board_page", pipeline_id=pipeline_id))
