"""Entity declarations of the sales plugin.

Fields the server maintains (``closed_at``, a lead's ``score``…) are in the schemas so every
answer shows them, and listed in :data:`SERVER_FIELDS`: a write that sets one is refused with
422 by the plugin's ``before_record_save``.
"""

from marshmallow import Schema, fields, validate

from peyvand_sdk import Entity

from .fields import JSONList, Stages, UTCDateTime
from .models import Activity, Deal, Lead, Pipeline

CURRENCIES = ("IRR", "IRT", "USD", "EUR", "AED")
DEAL_STATUSES = ("open", "won", "lost")
FORECAST_CATEGORIES = ("pipeline", "best_case", "commit", "omitted")
LEAD_TYPES = ("marketing", "sales", "product_trial", "service_referral")
LEAD_STATUSES = ("new", "working", "qualified", "disqualified", "converted")
PURCHASE_TIMINGS = ("now", "this_quarter", "this_year", "later", "unknown")
ACTIVITY_KINDS = ("task", "call", "meeting", "follow_up")
ACTIVITY_STATUSES = ("open", "done", "cancelled")
PRIORITIES = ("low", "normal", "high")

SERVER = {"description": "Set by the server; a write that sets it is refused."}


def _text(max_length, **kwargs):
    return fields.String(allow_none=True, validate=validate.Length(max=max_length), **kwargs)


class PipelineSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    stages = Stages(required=True)


class DealSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    pipeline_id = fields.Integer(required=True)
    stage = fields.String(required=True, validate=validate.Length(min=1, max=50))
    status = fields.String(validate=validate.OneOf(DEAL_STATUSES))
    amount = fields.Decimal(as_string=True, places=0, validate=validate.Range(min=0))
    currency = fields.String(validate=validate.OneOf(CURRENCIES))
    expected_close = fields.Date(allow_none=True)
    person_id = fields.Integer(allow_none=True)
    organization_id = fields.Integer(allow_none=True)
    probability = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=100),
                                 metadata={"description": "Win probability in percent; null "
                                           "follows the stage's default."})
    forecast_category = fields.String(validate=validate.OneOf(FORECAST_CATEGORIES))
    won_reason = _text(50, metadata={"description": "A key of the won_reason list."})
    lost_reason = _text(50, metadata={"description": "A key of the lost_reason list; "
                                      "required to mark a deal lost."})
    closed_at = UTCDateTime(allow_none=True, metadata=SERVER)
    stage_entered_at = UTCDateTime(allow_none=True, metadata=SERVER)


class LeadSchema(Schema):
    title = _text(200)
    first_name = _text(100)
    last_name = _text(100)
    company = _text(200)
    job_title = _text(100)
    email = _text(254)
    phone = _text(20)
    city = _text(100)
    region = _text(100, metadata={"description": "Province or sales region, for assignment "
                                  "rules."})
    industry = _text(100)
    product_interest = _text(100, metadata={"description": "The product or service the lead "
                                            "asked about, for assignment rules."})
    source = fields.String(required=True, validate=validate.Length(min=1, max=50),
                           metadata={"description": "A key of the lead_source list."})
    type = fields.String(validate=validate.OneOf(LEAD_TYPES))
    status = fields.String(validate=validate.OneOf(LEAD_STATUSES))
    disqualify_reason = _text(50, metadata={"description": "A key of the disqualify_reason "
                                            "list; required to disqualify."})
    budget = fields.Integer(allow_none=True, validate=validate.Range(min=0), metadata={
        "description": "Estimated budget in whole units of the lead's currency."})
    currency = fields.String(validate=validate.OneOf(CURRENCIES))
    purchase_timing = fields.String(allow_none=True, validate=validate.OneOf(PURCHASE_TIMINGS))
    notes = fields.String(allow_none=True)
    score = fields.Integer(metadata=SERVER)
    score_details = JSONList(metadata={
        "description": "Why the lead has its score: the criteria it meets, with their points. "
                       + SERVER["description"]})
    score_met = fields.Boolean(metadata=SERVER)
    person_id = fields.Integer(allow_none=True, metadata=SERVER)
    organization_id = fields.Integer(allow_none=True, metadata=SERVER)
    deal_id = fields.Integer(allow_none=True, metadata=SERVER)
    converted_at = UTCDateTime(allow_none=True, metadata=SERVER)
    form_id = fields.Integer(allow_none=True, metadata={
        "description": "The lead form it came through. " + SERVER["description"]})


class ActivitySchema(Schema):
    kind = fields.String(validate=validate.OneOf(ACTIVITY_KINDS))
    subject = fields.String(required=True, validate=validate.Length(min=1, max=200))
    notes = fields.String(allow_none=True)
    entity = _text(100, metadata={"description": "The linked record's entity id, e.g. "
                                  "sales.deal or contacts.person (with record_id)."})
    record_id = fields.Integer(allow_none=True, metadata={
        "label": {"en": "Related record", "fa": "رکورد مرتبط"}})
    assignee_id = fields.Integer(allow_none=True, metadata={
        "description": "The user who does it (and owns it); the creator by default."})
    due_at = UTCDateTime(allow_none=True)
    duration_minutes = fields.Integer(allow_none=True,
                                      validate=validate.Range(min=0, max=7 * 24 * 60))
    reminder_at = UTCDateTime(allow_none=True)
    reminder_sent_at = UTCDateTime(allow_none=True, metadata=SERVER)
    priority = fields.String(validate=validate.OneOf(PRIORITIES))
    status = fields.String(validate=validate.OneOf(ACTIVITY_STATUSES))
    outcome = _text(500)
    done_at = UTCDateTime(allow_none=True, metadata=SERVER)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue; it is translated where shown."""
    return message


#: The keys of a lead's score_details items, as its record page names them.
SCORE_DETAIL_WORDS = (N_("Criterion"), N_("Points"))


def stage_labels(rows: list[dict]) -> list:
    """A deal's stage as its pipeline names it (``{"en", "fa"}``), for the web pages: one
    query for a whole list page. ``None`` (the key is shown) for a stage its pipeline lacks."""
    from .pipelines import stages_of

    ids = sorted({r["pipeline_id"] for r in rows if isinstance(r.get("pipeline_id"), int)})
    labels = {}
    if ids:
        for pipeline in Pipeline.select(Pipeline.id, Pipeline.stages).where(
                Pipeline.id.in_(ids)):
            for stage in stages_of(pipeline):
                labels[(pipeline.id, stage["key"])] = stage.get("label") or None
    return [labels.get((r.get("pipeline_id"), r.get("stage"))) for r in rows]


def entity_labels(rows: list[dict]) -> list:
    """An activity's linked entity (``sales.deal``) by the entity's label ("Deal")."""
    from peyvand_sdk import current_kernel, current_tenant

    entities = current_kernel().entities(current_tenant())
    return [dict(entities[r["entity"]].label) if r.get("entity") in entities else None
            for r in rows]


#: Fields only the server writes, per entity id.
SERVER_FIELDS = {
    "sales.deal": frozenset({"closed_at", "stage_entered_at"}),
    "sales.lead": frozenset({"score", "score_details", "score_met", "person_id",
                             "organization_id", "deal_id", "converted_at", "form_id"}),
    "sales.activity": frozenset({"reminder_sent_at", "done_at"}),
}

PIPELINE = Entity(
    name="pipeline", plural="pipelines", model=Pipeline, schema=PipelineSchema,
    label={"en": "Pipeline", "fa": "قیف فروش"}, title_field="name", default_sort="id",
    example={"name": "Renewals", "stages": [
        {"key": "due", "label": {"en": "Renewal due", "fa": "موعد تمدید"}, "probability": 60},
        {"key": "quoted", "label": {"en": "Quoted", "fa": "پیش‌فاکتور"}, "probability": 80}]},
)
DEAL = Entity(
    name="deal", plural="deals", model=Deal, schema=DealSchema,
    label={"en": "Deal", "fa": "معامله"}, label_plural={"en": "Deals", "fa": "معاملات"},
    title_field="title", searchable=("title",), default_sort="-id",
    audited=tuple(n for n in DealSchema().fields if n not in SERVER_FIELDS["sales.deal"]),
    # pipeline 1 is the default pipeline every tenant gets when sales is enabled
    example={"title": "۲۰ دستگاه کارتخوان", "pipeline_id": 1, "stage": "qualified",
             "amount": "1200000000", "currency": "IRR"},
    value_labels={"stage": {"labels": stage_labels, "uses": ("pipeline_id",)}},
)
LEAD = Entity(
    name="lead", plural="leads", model=Lead, schema=LeadSchema,
    label={"en": "Lead", "fa": "سرنخ"}, label_plural={"en": "Leads", "fa": "سرنخ‌ها"},
    title_field="last_name", searchable=("first_name", "last_name", "company", "email"),
    default_sort="-id",
    audited=tuple(n for n in LeadSchema().fields if n not in ("score_details",)),
    example={"first_name": "نگار", "last_name": "حسینی", "company": "نرم‌افزار آریا",
             "email": "negar@aryasoft.ir", "phone": "09301234321", "source": "web_form",
             "type": "marketing"},
)
ACTIVITY = Entity(
    name="activity", plural="activities", model=Activity, schema=ActivitySchema,
    label={"en": "Activity", "fa": "فعالیت"},
    label_plural={"en": "Activities", "fa": "فعالیت‌ها"},
    title_field="subject", searchable=("subject",), default_sort="-id",
    example={"kind": "call", "subject": "پیگیری پیش‌فاکتور", "due_at": "2030-01-05T09:30:00Z",
             "priority": "high"},
    value_labels={"entity": entity_labels},
    record_links={"record_id": "entity"},
)
