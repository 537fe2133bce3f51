"""The default pipeline every tenant starts with."""

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
