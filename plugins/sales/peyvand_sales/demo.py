"""Demo deals, leads, scoring and activities, linked to the contacts plugin's demo people."""

import datetime
import json

from peyvand_contacts.models import Person

from .models import Activity, Deal, DealStage, Lead, ScoreRule
from .options import ensure_defaults
from .pipelines import ensure_default_pipeline
from .rules import utcnow
from .scoring import rescore_all

DEALS = [
    ("قرارداد پشتیبانی سالانه", "proposal", 450_000_000, "commit"),
    ("خرید ۲۰ دستگاه کارتخوان", "negotiation", 1_200_000_000, "best_case"),
    ("Freight contract Q3", "qualified", 300_000_000, "pipeline"),
    ("لایسنس نرم‌افزار حسابداری", "closing", 95_000_000, "commit"),
]
LEADS = [
    ("پرستو", "نوری", "کلینیک آوا", "parastoo@ava-clinic.ir", "+989125550101", "web_form",
     "marketing", 800_000_000, "this_quarter", "مدیر داخلی"),
    ("Kian", "Farahani", "Farahani Trading", "kian@farahani.co", "+989355550202", "event",
     "sales", 2_500_000_000, "now", "CEO"),
    ("حمید", "صالحی", None, "hamid.salehi@gmail.com", None, "phone_call", "product_trial",
     None, "later", None),
]
CRITERIA = [
    ("بودجه یک میلیارد ریال یا بیشتر / Budget ≥ 1 billion", "budget", "gte", 1_000_000_000,
     30),
    ("خرید در این فصل / Buying this quarter", "purchase_timing", "in", ["now", "this_quarter"],
     25),
    ("تصمیم‌گیرنده / Decision maker", "job_title", "contains", "مدیر", 15),
    ("معرفی یا رویداد / Referral or event", "source", "in", ["referral", "event"], 10),
    ("بدون شماره تماس / No phone", "phone", "present", False, -10),
]


def load() -> str | None:
    if Deal.select().exists():
        return None
    ensure_defaults()
    pipeline = ensure_default_pipeline()
    people = list(Person.select().order_by(Person.id).limit(len(DEALS)))
    today = datetime.date.today()
    now = utcnow()
    for i, (title, stage, amount, category) in enumerate(DEALS):
        entered = now - datetime.timedelta(days=3 * (i + 1))
        deal = Deal.create(title=title, pipeline=pipeline, stage=stage, amount=amount,
                           forecast_category=category, stage_entered_at=entered,
                           expected_close=today + datetime.timedelta(days=15 * (i + 1)),
                           person=people[i] if i < len(people) else None)
        DealStage.create(deal=deal, pipeline_id=pipeline.id, stage=stage, entered_at=entered)
    if not ScoreRule.select().exists():
        for position, (label, field, op, value, points) in enumerate(CRITERIA):
            ScoreRule.create(position=position, label=label, field=field, operator=op,
                             value=json.dumps(value, ensure_ascii=False), points=points)
    for first, last, company, email, phone, source, kind, budget, timing, job in LEADS:
        Lead.create(first_name=first, last_name=last, company=company, email=email,
                    phone=phone, source=source, type=kind, budget=budget,
                    purchase_timing=timing, job_title=job)
    rescore_all()
    deals = list(Deal.select().order_by(Deal.id))
    for i, (kind, subject, hours) in enumerate([
            ("call", "تماس پیگیری پیش‌فاکتور", -20), ("meeting", "جلسه دمو با مشتری", 26),
            ("task", "ارسال قرارداد برای امضا", 3)]):
        due = now + datetime.timedelta(hours=hours)
        Activity.create(kind=kind, subject=subject, entity="sales.deal",
                        record_id=deals[i].id, due_at=due,
                        reminder_at=due - datetime.timedelta(minutes=30))
    form = _demo_form(now)
    return (f"{len(DEALS)} deals in pipeline {pipeline.name!r}, {len(LEADS)} scored leads, "
            f"3 activities, lead form /f/{form.slug}")


def _demo_form(now):
    from . import forms
    from .models import LeadForm

    existing = LeadForm.get_or_none(LeadForm.slug == "contact-us")
    if existing is not None:
        return existing
    document = forms.FormSchema().load({
        "title": {"fa": "تماس با ما", "en": "Contact us"}, "slug": "contact-us",
        "fields": [{"name": "first_name"}, {"name": "last_name", "required": True},
                   {"name": "phone", "required": True, "label": {"fa": "تلفن همراه",
                                                                 "en": "Mobile"}},
                   {"name": "email"}, {"name": "company"}, {"name": "city"},
                   {"name": "notes", "label": {"fa": "پیام شما", "en": "Your message"}}],
        "thank_you": {"fa": "ممنون! همکاران ما به‌زودی با شما تماس می‌گیرند.",
                      "en": "Thank you! We will call you soon."}})
    return forms.create(document, now, None)
