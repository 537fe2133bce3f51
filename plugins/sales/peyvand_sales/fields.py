"""Marshmallow fields the sales schemas share."""

from __future__ import annotations

import datetime
import json

from marshmallow import Schema, ValidationError, fields, validate

MAX_STAGES = 30


class StageSchema(Schema):
    key = fields.String(required=True, validate=[
        validate.Length(min=1, max=50),
        validate.Regexp(r"^[a-z0-9_]+$", error="use lower-case letters, digits and _")])
    label = fields.Dict(keys=fields.String(), values=fields.String())
    probability = fields.Integer(required=True, validate=validate.Range(min=0, max=100))


class Stages(fields.List):
    """A pipeline's ordered stages: sent and shown as a JSON array, stored as JSON text.

    Each stage is ``{"key", "label": {"en", "fa"}, "probability"}`` (a default win probability
    in percent). Keys are unique within the pipeline; 1 to 30 stages. A JSON string holding
    the array is accepted too (the column's original form).
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {"description": (
            "Ordered stages, 1 to 30, each {key, label: {en, fa}, probability 0-100}; "
            "keys are unique lower-case words.")})
        super().__init__(fields.Nested(StageSchema), **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if isinstance(value, str):
            value = json.loads(value) if value else []
        return value

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise ValidationError("not a JSON array of stages") from None
        stages = super()._deserialize(value, attr, data, **kwargs)
        if not 1 <= len(stages) <= MAX_STAGES:
            raise ValidationError(f"give 1 to {MAX_STAGES} stages")
        keys = [s["key"] for s in stages]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise ValidationError(f"stage keys must be unique: {', '.join(twice)}")
        plain = [{"key": s["key"], "label": dict(s.get("label") or {}),
                  "probability": s["probability"]} for s in stages]
        return json.dumps(plain, ensure_ascii=False)


class JSONList(fields.List):
    """A list stored as JSON text (e.g. why a lead has its score)."""

    def __init__(self, inner=None, **kwargs):
        super().__init__(inner or fields.Dict(), **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return []
        if isinstance(value, str):
            return json.loads(value) if value else []
        return value


class UTCDateTime(fields.DateTime):
    """An ISO 8601 date-time; one with an offset is converted to UTC, one without is taken as
    UTC. Stored as naive UTC, shown with a trailing ``Z`` like the kernel's timestamps."""

    def _deserialize(self, value, attr, data, **kwargs):
        result = super()._deserialize(value, attr, data, **kwargs)
        if result.tzinfo is not None:
            result = result.astimezone(datetime.UTC).replace(tzinfo=None)
        return result

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if isinstance(value, str):  # SQLite's text form
            return value.replace(" ", "T") + "Z"
        return value.replace(tzinfo=None).isoformat() + "Z"
