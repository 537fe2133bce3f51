"""Admin-editable lists, the kanban board, moving deals and their stage history."""

from __future__ import annotations

from flask import jsonify, request
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.exceptions import NotFound

from peyvand_sdk import Forbidden, record_audit

from . import options
from .access import require, scope
from .api import Invalid, body, if_match, int_arg, service, with_etag, write
from .board import board
from .models import DealStage
from .rules import utcnow

MOVE_FIELDS = ("stage", "pipeline_id", "status", "won_reason", "lost_reason")


class OptionSchema(Schema):
    key = fields.String(required=True, validate=[
        validate.Length(min=1, max=50),
        validate.Regexp(r"^[a-z0-9_]+$", error="use lower-case letters, digits and _")])
    label = fields.Dict(keys=fields.String(), values=fields.String(
        validate=validate.Length(min=1, max=100)))
    active = fields.Boolean()


def _kind(kind: str) -> str:
    if kind not in options.KINDS:
        raise NotFound(f"no list {kind!r}; the lists are: {', '.join(options.KINDS)}")
    return kind


def _may_use_lists():
    """Anyone who works with deals or leads may read the lists."""
    if scope("sales.deal.read") == "none" and scope("sales.lead.read") == "none":
        require("sales.settings.manage", "read the sales lists")


def register(bp):
    @bp.get("/options")
    def list_options():
        _may_use_lists()
        return jsonify({"data": {kind: options.entries(kind) for kind in options.KINDS}})

    @bp.get("/options/<kind>")
    def get_options(kind):
        _may_use_lists()
        return jsonify({"data": options.entries(_kind(kind))})

    @bp.put("/options/<kind>")
    def put_options(kind):
        """Replace a list: entries in display order; keys left out are deactivated (records
        keep them), so history stays readable."""
        _kind(kind)
        require("sales.settings.manage", "edit the sales lists")
        data = body().get("data")
        try:
            entries = OptionSchema(many=True).load(data if isinstance(data, list) else None)
        except ValidationError as exc:
            raise Invalid({"data": exc.messages}) from None
        keys = [e["key"] for e in entries]
        if len(keys) != len(set(keys)):
            raise Invalid({"data": ["keys must be unique"]})

        def save():
            changes = options.replace(kind, entries)
            if changes:
                _audit_settings(f"options.{kind}", changes)
            return options.entries(kind)

        return jsonify({"data": write(save)})

    @bp.get("/pipelines/<int:pipeline_id>/board")
    def pipeline_board(pipeline_id):
        """Columns per stage: count, amount and weighted amount per currency, and the first
        ``limit`` open deals (``next_cursor`` continues a column through the list API)."""
        limit = int_arg("limit", 20, 1, 200)
        filters = {}
        for name in ("owner_id", "team_id", "currency"):
            if request.args.get(name):
                filters[name] = request.args[name]
        return jsonify(board(pipeline_id, limit=limit, filters=filters,
                             sort=request.args.get("sort") or "-id"))

    @bp.post("/deals/<int:deal_id>/move")
    def move_deal(deal_id):
        """Move a deal to another stage (or pipeline), or mark it won or lost: the kanban
        drop. The server checks the stage against the pipeline and the actor's right to
        update the deal; the stage history and the published hooks follow."""
        data = body()
        unknown = sorted(set(data) - set(MOVE_FIELDS) - {"version"})
        if unknown:
            raise Invalid({name: ["not something a move changes"] for name in unknown})
        if not {"stage", "status", "pipeline_id"} & set(data):
            raise Invalid({"stage": ["give the stage to move to (or a status)"]})
        version = data.get("version", if_match())
        if version is not None and not isinstance(version, int):
            raise Invalid({"version": ["the deal's version, a whole number"]})
        svc = service("sales.deal")
        changes = {k: v for k, v in data.items() if k in MOVE_FIELDS}
        record = write(lambda: svc.update(deal_id, changes, if_match=version, via="api"))
        return with_etag(jsonify(svc.to_dict(record)), record)

    @bp.get("/deals/<int:deal_id>/lines")
    def deal_lines(deal_id):
        """The deal's product lines from the plugins that sell products (finance…), their
        totals, and the amount they give the deal."""
        from .products import describe

        deal = service("sales.deal").get(deal_id)      # 404 outside the actor's scope
        if "amount" in service("sales.deal").field_rules()[0]:
            raise Forbidden("your roles hide deal amounts, so its product lines are not shown")
        return jsonify(describe(deal))

    @bp.get("/deals/<int:deal_id>/stages")
    def deal_stages(deal_id):
        """The deal's stage history, oldest first, and the time spent in each stage."""
        service("sales.deal").get(deal_id)   # 404 outside the actor's scope
        now = utcnow()
        stays, totals = [], {}
        for stay in (DealStage.select().where(DealStage.deal == deal_id)
                     .order_by(DealStage.entered_at, DealStage.id)):
            seconds = stay.seconds if stay.left_at is not None else max(
                0, int((now - stay.entered_at).total_seconds()))
            stays.append({"pipeline_id": stay.pipeline_id, "stage": stay.stage,
                          "entered_at": stay.entered_at.isoformat() + "Z",
                          "left_at": stay.left_at.isoformat() + "Z" if stay.left_at else None,
                          "seconds": seconds, "current": stay.left_at is None,
                          "user_id": stay.user_id})
            totals[stay.stage] = totals.get(stay.stage, 0) + seconds
        return jsonify({"data": stays, "seconds_per_stage": totals})


def _audit_settings(what: str, changes: dict) -> None:
    from peyvand_sdk import current_actor

    actor = current_actor()
    record_audit(f"sales.{what}", 0, "update", changes, via="api",
                 user_id=getattr(actor, "id", None), user_name=getattr(actor, "name", None))

