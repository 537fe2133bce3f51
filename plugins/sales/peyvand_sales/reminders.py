"""Activity reminders, sent through the job queue, once, at the right time.

``sales.send_reminders`` runs every minute (``peyvand worker`` schedules it). It *claims* each
due reminder — marks it sent with a compare-and-set on ``reminder_sent_at IS NULL`` — and, in
the same transaction, queues one ``sales.deliver_reminder`` job for it, keyed by the activity
and its reminder time. So a reminder is claimed once even when two workers run the task at
once, and a crash before the commit leaves it pending for the next run; a second claim of the
same reminder time finds the job already there.

``sales.deliver_reminder`` fires ``activity_reminder`` (the email plugin, when enabled, mails
it; the "my work" inbox shows claimed reminders in any case). A failure is retried with
backoff and, after the last retry, is listed with the dead jobs for an admin to replay; the
other reminders are not held up. Moving an activity's reminder time clears the mark, so the
new time is reminded too.
"""

from __future__ import annotations

from peyvand_sdk import Task, enqueue_task

BATCH = 500


def claim_due(now=None) -> int:
    """Claim the reminders due by ``now`` and queue their delivery; returns how many."""
    from .models import Activity
    from .rules import utcnow

    now = now or utcnow()
    due = (Activity.select(Activity.id, Activity.reminder_at)
           .where(Activity.reminder_sent_at.is_null() & (Activity.reminder_at <= now)
                  & (Activity.status == "open") & Activity.deleted_at.is_null())
           .order_by(Activity.reminder_at, Activity.id).limit(BATCH).tuples())
    claimed = 0
    for activity_id, reminder_at in list(due):
        won = (Activity.update(reminder_sent_at=now)
               .where((Activity.id == activity_id) & Activity.reminder_sent_at.is_null())
               .execute())
        if won != 1:
            continue                      # another worker claimed it
        stamp = str(reminder_at).replace(" ", "T")
        enqueue_task("sales.deliver_reminder", {"activity_id": activity_id},
                     key=f"{activity_id}@{stamp}")
        claimed += 1
    return claimed


def send_reminders(tenant, payload):
    """Periodic: the worker binds ``tenant`` and runs this in one transaction."""
    return claim_due()


def deliver_reminder(tenant, payload):
    """One reminder: tell the plugins that deliver them (``activity_reminder``)."""
    from . import events
    from .models import Activity

    activity = Activity.get_or_none(Activity.id == payload["activity_id"])
    if (activity is None or activity.deleted_at is not None or activity.status != "open"
            or activity.reminder_sent_at is None):
        return None                       # done, cancelled, deleted or rescheduled meanwhile
    events.activity_reminder(activity)
    return activity.id


TASKS = [
    Task(name="sales.send_reminders", run=send_reminders, every=60, retries=3),
    Task(name="sales.deliver_reminder", run=deliver_reminder, every=None, retries=5),
]
