"""Pipelines: the default one every tenant starts with, and reading their stages."""

from __future__ import annotations

import json

from .models import Pipeline

DEFAULT_STAGES = [
    {"key": "qualified", "label": {"en": "Qualified", "fa": "واجد شرایط"}, "probability": 10},
    {"key": "proposal", "label": {"en": "Proposal sent", "fa": "ارسال پیشنهاد"},
     "probability": 40},
    {"key": "negotiation", "label": {"en": "Negotiation", "fa": "مذاکره"}, "probability": 70},
    {"key": "closing", "label": {"en": "Closing", "fa": "در حال بستن"}, "probability": 90},
]


def ensure_default_pipeline() -> Pipeline:
    existing = Pipeline.select().order_by(Pipeline.id).first()
    if existing is not None:
        return existing
    return Pipeline.create(name="فروش / Sales", stages=json.dumps(DEFAULT_STAGES,
                                                                 ensure_ascii=False))


def stages_of(pipeline: Pipeline) -> list[dict]:
    """The pipeline's stages in board order (``[]`` if its JSON is unreadable)."""
    try:
        stages = json.loads(pipeline.stages or "[]")
    except ValueError:
        return []
    return [s for s in stages if isinstance(s, dict) and "key" in s]


def stage_keys(pipeline: Pipeline) -> list[str]:
    return [s["key"] for s in stages_of(pipeline)]


def live_pipeline(pipeline_id) -> Pipeline | None:
    """The pipeline (not in the trash), whatever the actor's scope: a pipeline is
    configuration every user of deals works with."""
    if pipeline_id is None:
        return None
    return (Pipeline.select()
            .where((Pipeline.id == pipeline_id) & Pipeline.deleted_at.is_null()).first())


def probabilities() -> dict[tuple[int, str], int]:
    """``{(pipeline id, stage key): default probability}`` over every pipeline."""
    out = {}
    for pipeline in Pipeline.select(Pipeline.id, Pipeline.stages):
        for stage in stages_of(pipeline):
            out[(pipeline.id, stage["key"])] = int(stage.get("probability") or 0)
    return out
