"""Lead scoring: admin-defined criteria with points, and a qualifying threshold.

A criterion is ``{"label", "field", "operator", "value", "points"}``: when the lead's
``field`` satisfies ``operator value`` the lead earns ``points`` (negative points are allowed:
"free e-mail address: -10"). A lead's score is the sum over the criteria it meets; it is
recomputed on every write of the lead, when an activity linked to it changes (for
``activity_count`` criteria) and for every lead when the criteria change. ``score_details``
lists the criteria met, so each lead shows why it has its score; ``score_met`` says whether the
score reaches the threshold.
"""

from __future__ import annotations

import decimal
import json

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .models import Activity, Lead, ScoreRule, Setting

#: Lead fields a criterion may look at, and how their values compare.
FIELDS = {
    "source": "text", "type": "text", "purchase_timing": "text", "industry": "text",
    "job_title": "text", "city": "text", "company": "text", "email": "text", "phone": "text",
    "budget": "number", "activity_count": "number",
}
OPERATORS = ("eq", "in", "gte", "lte", "contains", "present")
THRESHOLD_KEY = "lead_score_threshold"
DEFAULT_THRESHOLD = 50


class RuleSchema(Schema):
    label = fields.String(required=True, validate=validate.Length(min=1, max=200))
    field = fields.String(required=True, validate=validate.OneOf(tuple(FIELDS)))
    operator = fields.String(required=True, validate=validate.OneOf(OPERATORS))
    value = fields.Raw(allow_none=True)
    points = fields.Integer(required=True, validate=validate.Range(min=-1000, max=1000))

    @validates_schema
    def _value_fits(self, data, **kwargs):
        kind, op, value = FIELDS[data["field"]], data["operator"], data.get("value")
        if op == "present":
            if not isinstance(value, bool):
                raise ValidationError("present takes true or false", "value")
        elif op == "in":
            if not isinstance(value, list) or not value or not all(
                    isinstance(v, (str, int)) for v in value):
                raise ValidationError("in takes a non-empty list of values", "value")
        elif op in ("gte", "lte"):
            if kind != "number":
                raise ValidationError(f"{op} compares numbers; {data['field']} is text",
                                      "operator")
            if not _number(value):
                raise ValidationError(f"{op} takes a number", "value")
        elif op == "contains":
            if kind != "text" or not isinstance(value, str) or not value:
                raise ValidationError("contains takes some text, on a text field", "value")
        elif not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise ValidationError("eq takes a text or a number", "value")


class ScoringSchema(Schema):
    threshold = fields.Integer(required=True, validate=validate.Range(min=-100000,
                                                                      max=100000))
    criteria = fields.List(fields.Nested(RuleSchema), required=True,
                           validate=validate.Length(max=200))


def _number(value) -> bool:
    if isinstance(value, bool):
        return False
    try:
        decimal.Decimal(str(value))
    except (decimal.InvalidOperation, ValueError):
        return False
    return True


def threshold() -> int:
    row = Setting.get_or_none(Setting.key == THRESHOLD_KEY)
    return json.loads(row.value) if row else DEFAULT_THRESHOLD


def rules() -> list[ScoreRule]:
    return list(ScoreRule.select().order_by(ScoreRule.position, ScoreRule.id))


def describe() -> dict:
    return {"threshold": threshold(),
            "criteria": [{"id": r.id, "label": r.label, "field": r.field,
                          "operator": r.operator, "value": json.loads(r.value)
                          if r.value is not None else None, "points": r.points}
                         for r in rules()]}


def replace(document: dict) -> None:
    """Store a validated ``ScoringSchema`` document (criteria in the order given)."""
    (Setting.insert(key=THRESHOLD_KEY, value=json.dumps(document["threshold"]))
     .on_conflict(conflict_target=[Setting.key],
                  update={Setting.value: json.dumps(document["threshold"])}).execute())
    ScoreRule.delete().execute()
    for position, rule in enumerate(document["criteria"]):
        ScoreRule.create(position=position, label=rule["label"], field=rule["field"],
                         operator=rule["operator"], points=rule["points"],
                         value=json.dumps(rule.get("value"), ensure_ascii=False))


def uses_activities() -> bool:
    return ScoreRule.select().where(ScoreRule.field == "activity_count").exists()


def _activity_count(lead_id) -> int:
    if lead_id is None:
        return 0
    return (Activity.select().where((Activity.entity == "sales.lead")
                                    & (Activity.record_id == lead_id)
                                    & Activity.deleted_at.is_null()
                                    & (Activity.status != "cancelled")).count())


def _fold(value) -> str:
    return str(value).strip().casefold()


def _meets(rule: ScoreRule, actual, wanted) -> bool:
    op = rule.operator
    if op == "present":
        return (actual not in (None, "")) == bool(wanted)
    if actual in (None, ""):
        return False
    if FIELDS[rule.field] == "number":
        try:
            actual = decimal.Decimal(str(actual))
            if op == "in":
                return any(actual == decimal.Decimal(str(v)) for v in wanted)
            wanted = decimal.Decimal(str(wanted))
        except (decimal.InvalidOperation, ValueError):
            return False
        return {"eq": actual == wanted, "gte": actual >= wanted,
                "lte": actual <= wanted}.get(op, False)
    text = _fold(actual)
    if op == "eq":
        return text == _fold(wanted)
    if op == "in":
        return text in {_fold(v) for v in wanted}
    if op == "contains":
        return _fold(wanted) in text
    return False


def evaluate(lead, criteria: list[ScoreRule]) -> tuple[int, list[dict]]:
    """``(score, details)`` of ``lead`` under ``criteria``."""
    score, details, count = 0, [], None
    for rule in criteria:
        if rule.field == "activity_count":
            if count is None:
                count = _activity_count(lead.id)
            actual = count
        else:
            actual = getattr(lead, rule.field)
        wanted = json.loads(rule.value) if rule.value is not None else None
        if _meets(rule, actual, wanted):
            score += rule.points
            details.append({"criterion": rule.id, "label": rule.label, "points": rule.points})
    return score, details


def _values(lead, criteria, limit):
    score, details = evaluate(lead, criteria)
    return score, json.dumps(details, ensure_ascii=False), score >= limit


def rescore(record, changes: dict, setter) -> None:
    """Recompute ``record``'s score inside a save (``setter`` marks the fields written)."""
    score, details, met = _values(record, rules(), threshold())
    setter(record, changes, "score", score)
    setter(record, changes, "score_details", details)
    setter(record, changes, "score_met", met)


def rescore_lead_id(lead_id: int) -> None:
    lead = Lead.get_or_none(Lead.id == lead_id)
    if lead is not None:
        _store(lead, rules(), threshold())


def _store(lead, criteria, limit) -> bool:
    score, details, met = _values(lead, criteria, limit)
    if (score, details, met) == (lead.score, lead.score_details, lead.score_met):
        return False
    Lead.update(score=score, score_details=details, score_met=met).where(
        Lead.id == lead.id).execute()
    return True


def rescore_all() -> int:
    """Recompute every lead (after the criteria changed); returns how many changed."""
    criteria, limit = rules(), threshold()
    changed = 0
    for lead in Lead.select().order_by(Lead.id).iterator():
        changed += _store(lead, criteria, limit)
    return changed
