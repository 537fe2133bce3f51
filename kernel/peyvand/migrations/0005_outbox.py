"""Background work: the event outbox, the job table, webhook subscriptions and their delivery
log."""
from peewee import (
    AutoField,
    BigAutoField,
    BigIntegerField,
    BooleanField,
    CharField,
    DateTimeField,
    IntegerField,
    Model,
    TextField,
)


def up(migrator, db):
    class Outbox(Model):
        id = BigAutoField()
        event_id = CharField(max_length=36, unique=True)
        name = CharField(max_length=100)
        entity = CharField(max_length=100, null=True)
        record_id = BigIntegerField(null=True)
        payload = TextField()
        created_at = DateTimeField()
        relayed_at = DateTimeField(null=True, index=True)

        class Meta:
            database = db
            table_name = "peyvand_outbox"

    class Job(Model):
        id = BigAutoField()
        key = CharField(max_length=255, unique=True)
        task = CharField(max_length=150)
        payload = TextField()
        event_id = CharField(max_length=36, null=True, index=True)
        state = CharField(max_length=16)
        attempts = IntegerField(default=0)
        max_attempts = IntegerField()
        created_at = DateTimeField()
        run_after = DateTimeField(null=True)
        enqueued_at = DateTimeField(null=True)
        started_at = DateTimeField(null=True)
        finished_at = DateTimeField(null=True)
        lease_until = DateTimeField(null=True)
        claim = CharField(max_length=32, null=True)
        last_error = TextField(null=True)

        class Meta:
            database = db
            table_name = "peyvand_job"
            indexes = (
                (("state", "enqueued_at"), False),
                (("state", "run_after"), False),
                (("state", "lease_until"), False),
            )

    class Webhook(Model):
        id = AutoField()
        url = CharField(max_length=2000)
        events = TextField()
        entities = TextField()
        secret = CharField(max_length=100)
        owner_id = IntegerField()
        description = CharField(max_length=200, null=True)
        active = BooleanField(default=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "peyvand_webhook"

    class WebhookDelivery(Model):
        id = BigAutoField()
        webhook_id = IntegerField()
        event_id = CharField(max_length=36, index=True)
        event = CharField(max_length=100)
        job_id = BigIntegerField(null=True)
        attempt = IntegerField()
        outcome = CharField(max_length=16)
        status_code = IntegerField(null=True)
        error = TextField(null=True)
        duration_ms = IntegerField(null=True)
        at = DateTimeField(index=True)

        class Meta:
            database = db
            table_name = "peyvand_webhook_delivery"
            indexes = ((("webhook_id", "id"), False),)

    db.create_tables([Outbox, Job, Webhook, WebhookDelivery])


def down(migrator, db):
    for table in ("peyvand_webhook_delivery", "peyvand_webhook", "peyvand_job",
                  "peyvand_outbox"):
        db.execute_sql(f'DROP TABLE "{table}"')
