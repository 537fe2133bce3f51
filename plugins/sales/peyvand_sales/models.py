"""Tables of the sales plugin (prefixed ``sales_``).

Entities (generic REST API, permissions, audit): :class:`Pipeline`, :class:`Deal`,
:class:`Lead`, :class:`Activity`. The rest are tables the plugin's own endpoints maintain:
stage history, the admin-editable lists, scoring criteria, calendar feeds and targets.
"""

import peewee

from peyvand_contacts.models import Organization, Person
from peyvand_sdk import Model, RecordModel


class Pipeline(RecordModel):
    name = peewee.CharField(max_length=100)
    #: JSON list of {"key", "label": {"en", "fa"}, "probability"} in board order.
    stages = peewee.TextField()

    class Meta:
        table_name = "sales_pipeline"


FORECAST_OPEN = ("status", "expected_close", "currency", "deleted_at", "forecast_category",
                 "pipeline", "stage", "probability", "owner_id", "team_id", "amount")
FORECAST_WON = ("status", "closed_at", "currency", "deleted_at", "pipeline", "owner_id",
                "team_id", "amount")
BOARD = ("pipeline", "status", "deleted_at", "stage", "currency", "probability", "owner_id",
         "team_id", "amount")


class Deal(RecordModel):
    title = peewee.CharField(max_length=200)
    pipeline = peewee.ForeignKeyField(Pipeline, backref="deals")
    stage = peewee.CharField(max_length=50)
    status = peewee.CharField(max_length=10, default="open")
    amount = peewee.DecimalField(max_digits=20, decimal_places=0, default=0)
    currency = peewee.CharField(max_length=3, default="IRR")
    expected_close = peewee.DateField(null=True)
    person = peewee.ForeignKeyField(Person, null=True, on_delete="SET NULL")
    organization = peewee.ForeignKeyField(Organization, null=True, on_delete="SET NULL")
    #: Win probability in percent; ``None`` follows the stage's default.
    probability = peewee.IntegerField(null=True)
    #: pipeline | best_case | commit | omitted (the salesperson's call, for the forecast)
    forecast_category = peewee.CharField(max_length=12, default="pipeline")
    won_reason = peewee.CharField(max_length=50, null=True)
    lost_reason = peewee.CharField(max_length=50, null=True)
    closed_at = peewee.DateTimeField(null=True)
    stage_entered_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "sales_deal"
        indexes = (
            (("pipeline", "stage", "status"), False),
            # Covering indexes of the forecast's two aggregates (open deals by expected close,
            # won deals by closing time): index-only scans, 4-10x faster at 1M deals than
            # fetching each row, for some extra space and write cost.
            (FORECAST_OPEN, False),
            (FORECAST_WON, False),
            # ...and of the board's column totals (a pipeline's open deals).
            (BOARD, False),
        )


class DealStage(Model):
    """One stay of a deal in a stage: opened when it enters, closed when it leaves (or the
    deal is won or lost). ``seconds`` is the time spent there once closed."""

    id = peewee.AutoField()
    deal = peewee.ForeignKeyField(Deal, on_delete="CASCADE", backref="stage_history")
    pipeline_id = peewee.IntegerField()
    stage = peewee.CharField(max_length=50)
    entered_at = peewee.DateTimeField()
    left_at = peewee.DateTimeField(null=True)
    seconds = peewee.IntegerField(null=True)
    user_id = peewee.IntegerField(null=True)

    class Meta:
        table_name = "sales_deal_stage"


class Option(Model):
    """An entry of an admin-editable list (lead sources, won/lost/disqualify reasons)."""

    id = peewee.AutoField()
    kind = peewee.CharField(max_length=30)
    key = peewee.CharField(max_length=50)
    label_en = peewee.CharField(max_length=100)
    label_fa = peewee.CharField(max_length=100)
    position = peewee.IntegerField(default=0)
    active = peewee.BooleanField(default=True)

    class Meta:
        table_name = "sales_option"
        indexes = ((("kind", "key"), True),)


class Setting(Model):
    """Plugin-wide settings of the tenant (``lead_score_threshold``…), JSON values."""

    key = peewee.CharField(max_length=50, primary_key=True)
    value = peewee.TextField()

    class Meta:
        table_name = "sales_setting"


class Lead(RecordModel):
    """Someone who may buy: captured from a channel, scored, qualified, then converted into a
    person (and organisation) plus a deal, or disqualified with a reason."""

    title = peewee.CharField(max_length=200, null=True)
    first_name = peewee.CharField(max_length=100, null=True)
    last_name = peewee.CharField(max_length=100, null=True)
    company = peewee.CharField(max_length=200, null=True)
    job_title = peewee.CharField(max_length=100, null=True)
    email = peewee.CharField(max_length=254, null=True, index=True)
    phone = peewee.CharField(max_length=20, null=True, index=True)
    city = peewee.CharField(max_length=100, null=True)
    #: Province or sales region (استان / منطقه), for assignment rules.
    region = peewee.CharField(max_length=100, null=True)
    industry = peewee.CharField(max_length=100, null=True)
    #: What the lead asked about (a product or service name or code), for assignment rules.
    product_interest = peewee.CharField(max_length=100, null=True)
    source = peewee.CharField(max_length=50)
    type = peewee.CharField(max_length=20, default="sales")
    status = peewee.CharField(max_length=20, default="new", index=True)
    disqualify_reason = peewee.CharField(max_length=50, null=True)
    budget = peewee.DecimalField(max_digits=20, decimal_places=0, null=True)
    currency = peewee.CharField(max_length=3, default="IRR")
    purchase_timing = peewee.CharField(max_length=20, null=True)
    notes = peewee.TextField(null=True)
    score = peewee.IntegerField(default=0)
    score_details = peewee.TextField(null=True)
    score_met = peewee.BooleanField(default=False)
    person = peewee.ForeignKeyField(Person, null=True, on_delete="SET NULL")
    organization = peewee.ForeignKeyField(Organization, null=True, on_delete="SET NULL")
    deal = peewee.ForeignKeyField(Deal, null=True, on_delete="SET NULL")
    converted_at = peewee.DateTimeField(null=True)
    #: The lead form it was submitted through (``sales_lead_form.id``), if any.
    form_id = peewee.IntegerField(null=True, index=True)

    class Meta:
        table_name = "sales_lead"


class ScoreRule(Model):
    """One scoring criterion: when ``field`` ``operator`` ``value`` holds, add ``points``."""

    id = peewee.AutoField()
    position = peewee.IntegerField(default=0)
    label = peewee.CharField(max_length=200)
    field = peewee.CharField(max_length=30)
    operator = peewee.CharField(max_length=10)
    value = peewee.TextField(null=True)          # JSON
    points = peewee.IntegerField()

    class Meta:
        table_name = "sales_score_rule"


class Activity(RecordModel):
    """A task, call, meeting or follow-up, optionally linked to any record.

    The assignee owns it (``owner_id`` follows ``assignee_id``), so record scopes, the "my
    work" inbox and the calendar feed all mean the same person.
    """

    kind = peewee.CharField(max_length=12, default="task")
    subject = peewee.CharField(max_length=200)
    notes = peewee.TextField(null=True)
    entity = peewee.CharField(max_length=100, null=True)
    record_id = peewee.IntegerField(null=True)
    assignee_id = peewee.IntegerField(null=True)
    due_at = peewee.DateTimeField(null=True)
    duration_minutes = peewee.IntegerField(null=True)
    reminder_at = peewee.DateTimeField(null=True, index=True)
    reminder_sent_at = peewee.DateTimeField(null=True)
    priority = peewee.CharField(max_length=8, default="normal")
    status = peewee.CharField(max_length=10, default="open")
    outcome = peewee.CharField(max_length=500, null=True)
    done_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "sales_activity"
        indexes = (
            (("entity", "record_id"), False),
            (("owner_id", "status", "due_at"), False),
        )


class CalendarFeed(Model):
    """A user's private iCalendar feed: only the SHA-256 of its secret is kept."""

    id = peewee.AutoField()
    user_id = peewee.IntegerField(unique=True)
    token_hash = peewee.CharField(max_length=64, unique=True)
    created_at = peewee.DateTimeField()
    revoked_at = peewee.DateTimeField(null=True)
    last_used_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "sales_calendar_feed"


class Target(Model):
    """A sales target of a user or a team for one period (``1403-Q2``, ``2025-07``…)."""

    id = peewee.AutoField()
    user_id = peewee.IntegerField(null=True)
    team_id = peewee.IntegerField(null=True)
    period = peewee.CharField(max_length=10)
    start = peewee.DateField()
    end = peewee.DateField()
    amount = peewee.DecimalField(max_digits=20, decimal_places=0)
    currency = peewee.CharField(max_length=3, default="IRR")
    updated_at = peewee.DateTimeField()
    updated_by = peewee.IntegerField(null=True)

    class Meta:
        table_name = "sales_target"
        indexes = (
            (("period", "currency", "user_id"), False),
            (("period", "currency", "team_id"), False),
        )


class AssignmentRule(Model):
    """Who gets a new lead that has no owner: the first active rule (by ``position``) whose
    conditions all hold gives it to the next of its users in turn (round robin).

    ``conditions`` is JSON ``{field: [accepted values]}`` over ``source``, ``type``,
    ``city``, ``region`` and ``product_interest``; ``user_ids`` a JSON list in turn order, or
    empty to take the members of ``team_id``. ``last_user_id`` and ``turns`` are the
    round-robin state, advanced under the row's lock.
    """

    id = peewee.AutoField()
    position = peewee.IntegerField(default=0)
    name = peewee.CharField(max_length=100)
    active = peewee.BooleanField(default=True)
    conditions = peewee.TextField(default="{}")
    user_ids = peewee.TextField(default="[]")
    team_id = peewee.IntegerField(null=True)
    #: Give the new owner a follow-up activity (the in-app notice) and emit lead-assigned.
    notify = peewee.BooleanField(default=True)
    last_user_id = peewee.IntegerField(null=True)
    turns = peewee.IntegerField(default=0)
    created_at = peewee.DateTimeField()
    updated_at = peewee.DateTimeField()

    class Meta:
        table_name = "sales_assignment_rule"


class LeadForm(Model):
    """A public lead capture form an admin defines: which lead fields it asks for, the lead's
    defaults, and the thank-you message. Served at ``/f/<slug>`` without login."""

    id = peewee.AutoField()
    slug = peewee.CharField(max_length=64, unique=True)
    #: JSON {"en", "fa"}
    title = peewee.TextField()
    #: the language the public page is shown in: "fa" (right to left) or "en"
    language = peewee.CharField(max_length=2, default="fa")
    #: JSON list of {"name", "required", "label": {"en", "fa"}} in display order
    fields = peewee.TextField()
    source = peewee.CharField(max_length=50, default="web_form")
    lead_type = peewee.CharField(max_length=20, default="marketing")
    owner_id = peewee.IntegerField(null=True)
    team_id = peewee.IntegerField(null=True)
    #: JSON {"en", "fa"}
    thank_you = peewee.TextField(default="{}")
    redirect_url = peewee.CharField(max_length=500, null=True)
    enabled = peewee.BooleanField(default=True)
    notify_owner = peewee.BooleanField(default=True)
    submissions = peewee.IntegerField(default=0)
    spam = peewee.IntegerField(default=0)
    last_submission_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField()
    updated_at = peewee.DateTimeField()
    created_by = peewee.IntegerField(null=True)

    class Meta:
        table_name = "sales_lead_form"

    def title_in(self, lang: str) -> str:
        import json

        titles = json.loads(self.title or "{}")
        return titles.get(lang) or titles.get(self.language) or titles.get("en") or self.slug


class FormHit(Model):
    """One accepted submission attempt from a client address, kept for the rate-limit
    window (``sales.lead_form_rate_window_minutes``) and then deleted."""

    id = peewee.AutoField()
    address = peewee.CharField(max_length=64)
    at = peewee.DateTimeField(index=True)

    class Meta:
        table_name = "sales_form_hit"
        indexes = ((("address", "at"), False),)
