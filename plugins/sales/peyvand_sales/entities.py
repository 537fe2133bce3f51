"""Entity declarations of the sales plugin."""

from marshmallow import Schema, fields, validate

from peyvand_sdk import Entity

from .models import Deal, Pipeline


class PipelineSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    stages = fields.String(required=True)


class DealSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    pipeline_id = fields.Integer(required=True)
    stage = fields.String(required=True, validate=validate.Length(min=1, max=50))
    status = fields.String(validate=validate.OneOf(("open", "won", "lost")))
    amount = fields.Decimal(as_string=True, places=0)
    currency = fields.String(validate=validate.OneOf(("IRR", "IRT", "USD", "EUR", "AED")))
    expected_close = fields.Date(allow_none=True)
    person_id = fields.Integer(allow_none=True)


PIPELINE = Entity(
    name="pipeline", plural="pipelines", model=Pipeline, schema=PipelineSchema,
    label={"en": "Pipeline", "fa": "قیف فروش"}, title_field="name", default_sort="id",
    example={"name": "Renewals", "stages": "[]"},
)
DEAL = Entity(
    name="deal", plural="deals", model=Deal, schema=DealSchema,
    label={"en": "Deal", "fa": "معامله"}, label_plural={"en": "Deals", "fa": "معاملات"},
    title_field="title", searchable=("title",), default_sort="-id",
    # pipeline 1 is the default pipeline every tenant gets when sales is enabled
    example={"title": "۲۰ دستگاه کارتخوان", "pipeline_id": 1, "stage": "qualified",
             "amount": "1200000000", "currency": "IRR"},
)
