"""Demo deals linked to the contacts plugin's demo people."""

import datetime

from peyvand_contacts.models import Person

from .models import Deal
from .pipelines import ensure_default_pipeline

DEALS = [
    ("قرارداد پشتیبانی سالانه", "proposal", 450_000_000),
    ("خرید ۲۰ دستگاه کارتخوان", "negotiation", 1_200_000_000),
    ("Freight contract Q3", "qualified", 300_000_000),
    ("لایسنس نرم‌افزار حسابداری", "closing", 95_000_000),
]


def load() -> str | None:
    if Deal.select().exists():
        return None
    pipeline = ensure_default_pipeline()
    people = list(Person.select().order_by(Person.id).limit(len(DEALS)))
    today = datetime.date.today()
    for i, (title, stage, amount) in enumerate(DEALS):
        Deal.create(title=title, pipeline=pipeline, stage=stage, amount=amount,
                    expected_close=today + datetime.timedelta(days=15 * (i + 1)),
                    person=people[i] if i < len(people) else None)
    return f"{len(DEALS)} deals in pipeline {pipeline.name!r}"
