"""Tables of the sales plugin (prefixed ``sales_``)."""

import peewee

from peyvand_contacts.models import Person
from peyvand_sdk import RecordModel


class Pipeline(RecordModel):
    name = peewee.CharField(max_length=100)
    #: JSON list of {"key", "label": {"en", "fa"}, "probability"} in board order.
    stages = peewee.TextField()

    class Meta:
        table_name = "sales_pipeline"


class Deal(RecordModel):
    title = peewee.CharField(max_length=200)
    pipeline = peewee.ForeignKeyField(Pipeline, backref="deals")
    stage = peewee.CharField(max_length=50)
    status = peewee.CharField(max_length=10, default="open")
    amount = peewee.DecimalField(max_digits=20, decimal_places=0, default=0)
    currency = peewee.CharField(max_length=3, default="IRR")
    expected_close = peewee.DateField(null=True)
    person = peewee.ForeignKeyField(Person, null=True, on_delete="SET NULL")

    class Meta:
        table_name = "sales_deal"
        indexes = ((("pipeline", "stage", "status"), False),)
