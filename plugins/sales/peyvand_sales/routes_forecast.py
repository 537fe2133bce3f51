"""``GET /forecast`` and the targets it measures attainment against."""

from __future__ import annotations

from flask import jsonify, request
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from peyvand_sdk import Forbidden, current_actor, record_audit

from .access import require
from .api import Invalid, body, write
from .entities import CURRENCIES
from .periods import BadPeriod, current, parse


class TargetSchema(Schema):
    user_id = fields.Integer(allow_none=True)
    team_id = fields.Integer(allow_none=True)
    amount = fields.Decimal(as_string=True, places=0, allow_none=True,
                            validate=validate.Range(min=0))

    @validates_schema
    def _one_subject(self, data, **kwargs):
        if (data.get("user_id") is None) == (data.get("team_id") is None):
            raise ValidationError("give either user_id or team_id")


class TargetsSchema(Schema):
    period = fields.String(required=True)
    calendar = fields.String(validate=validate.OneOf(("jalali", "gregorian")))
    currency = fields.String(load_default="IRR", validate=validate.OneOf(CURRENCIES))
    targets = fields.List(fields.Nested(TargetSchema), required=True,
                          validate=validate.Length(min=1, max=1000))


def _period():
    """``?period=`` (and ``calendar=``) as a Period; this Jalali quarter by default."""
    text = request.args.get("period")
    calendar = request.args.get("calendar")
    if calendar not in (None, "jalali", "gregorian"):
        raise Invalid({"calendar": ["jalali or gregorian"]})
    if not text:
        return current("quarter", calendar or "jalali")
    try:
        return parse(text, calendar)
    except BadPeriod as exc:
        raise Invalid({"period": [str(exc)]}) from None


def _currency():
    currency = request.args.get("currency", "IRR")
    if currency not in CURRENCIES:
        raise Invalid({"currency": [f"one of {', '.join(CURRENCIES)}"]})
    return currency


def register(bp):
    @bp.get("/forecast")
    def get_forecast():
        """``?period=1403-Q2`` (default: this Jalali quarter; ``calendar=gregorian`` for
        Gregorian periods), ``currency``, ``by=owner|team``, ``pipeline_id``."""
        from .forecast import forecast

        by = request.args.get("by", "owner")
        if by not in ("owner", "team"):
            raise Invalid({"by": ["owner or team"]})
        pipeline = request.args.get("pipeline_id")
        try:
            pipeline_id = int(pipeline) if pipeline else None
        except ValueError:
            raise Invalid({"pipeline_id": ["a pipeline id"]}) from None
        return jsonify(forecast(_period(), currency=_currency(), by=by,
                                pipeline_id=pipeline_id))

    @bp.get("/targets")
    def get_targets():
        from .forecast import list_targets

        require("sales.target.read", "see sales targets")
        period = _period() if request.args.get("period") else None
        return jsonify({"data": list_targets(period, request.args.get("currency"))})

    @bp.put("/targets")
    def put_targets():
        """Set (or, with ``amount: null``, remove) targets of users and teams for a period.
        Scope ``team`` of ``sales.target.set`` covers the caller's teams only."""
        from .forecast import target_dict
        from .models import Target
        from .rules import utcnow

        scope = require("sales.target.set", "set sales targets")
        try:
            doc = TargetsSchema().load(body())
            period = parse(doc["period"], doc.get("calendar"))
        except ValidationError as exc:
            raise Invalid(exc.messages) from None
        except BadPeriod as exc:
            raise Invalid({"period": [str(exc)]}) from None
        actor = current_actor()
        if scope != "all":
            for item in doc["targets"]:
                if item.get("team_id") is None or item["team_id"] not in actor.teams:
                    raise Forbidden("your scope for sales.target.set is your teams': set "
                                    "targets of your teams (an admin sets people's)")

        def save():
            out = []
            for item in doc["targets"]:
                where = ((Target.period == period.key) & (Target.currency == doc["currency"])
                         & ((Target.user_id == item["user_id"]) if item.get("user_id")
                            is not None else (Target.team_id == item["team_id"])))
                existing = Target.get_or_none(where)
                before = str(existing.amount) if existing else None
                if item.get("amount") is None:
                    if existing:
                        existing.delete_instance()
                else:
                    values = {"amount": item["amount"], "start": period.start,
                              "end": period.end, "updated_at": utcnow(),
                              "updated_by": getattr(actor, "id", None)}
                    if existing:
                        Target.update(**values).where(Target.id == existing.id).execute()
                        existing = Target.get_by_id(existing.id)
                    else:
                        existing = Target.create(period=period.key, currency=doc["currency"],
                                                 user_id=item.get("user_id"),
                                                 team_id=item.get("team_id"), **values)
                    out.append(target_dict(existing))
                after = str(item["amount"]) if item.get("amount") is not None else None
                if before != after:
                    subject = (f"user {item['user_id']}" if item.get("user_id") is not None
                               else f"team {item['team_id']}")
                    record_audit("sales.target", existing.id if existing else 0, "update",
                                 {f"{subject} {period.key} {doc['currency']}": (before, after)},
                                 via="api", user_id=getattr(actor, "id", None),
                                 user_name=getattr(actor, "name", None))
            return out

        return jsonify({"period": period.as_dict(), "data": write(save)})


