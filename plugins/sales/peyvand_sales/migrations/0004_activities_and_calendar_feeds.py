"""Activities (tasks, calls, meetings, follow-ups) and private calendar feeds (frozen copies
of the models as they were at this step)."""
import datetime

from peewee import *


def up(migrator, db):
    class Activity(Model):
        id = AutoField()
        version = IntegerField(default=1)
        created_at = DateTimeField(default=datetime.datetime.utcnow)
        updated_at = DateTimeField(default=datetime.datetime.utcnow)
        deleted_at = DateTimeField(null=True, index=True)
        owner_id = IntegerField(null=True, index=True)
        team_id = IntegerField(null=True, index=True)
        kind = CharField(max_length=12, default="task")
        subject = CharField(max_length=200)
        notes = TextField(null=True)
        entity = CharField(max_length=100, null=True)
        record_id = IntegerField(null=True)
        assignee_id = IntegerField(null=True)
        due_at = DateTimeField(null=True)
        duration_minutes = IntegerField(null=True)
        reminder_at = DateTimeField(null=True, index=True)
        reminder_sent_at = DateTimeField(null=True)
        priority = CharField(max_length=8, default="normal")
        status = CharField(max_length=10, default="open")
        outcome = CharField(max_length=500, null=True)
        done_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "sales_activity"
            indexes = (
                (("entity", "record_id"), False),
                (("owner_id", "status", "due_at"), False),
            )

    class CalendarFeed(Model):
        id = AutoField()
        user_id = IntegerField(unique=True)
        token_hash = CharField(max_length=64, unique=True)
        created_at = DateTimeField()
        revoked_at = DateTimeField(null=True)
        last_used_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "sales_calendar_feed"

    db.create_tables([Activity, CalendarFeed])


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS "sales_calendar_feed"')
    db.execute_sql('DROP TABLE IF EXISTS "sales_activity"')
