"""Activities: the "my work" inbox, the team calendar and the private iCalendar feed."""

from __future__ import annotations

import datetime
import hashlib
import secrets
import zoneinfo

from peyvand_sdk import restrict

from .api import Invalid
from .models import Activity, CalendarFeed
from .rules import utcnow

DEFAULT_TZ = "Asia/Tehran"
FEED_DAYS_BACK = 90
DEFAULT_MINUTES = 30


def timezone(name: str | None) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or DEFAULT_TZ)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise Invalid({"tz": [f"not a time zone name: {name!r} (e.g. Asia/Tehran)"]}) from None


def _utc(local: datetime.datetime) -> datetime.datetime:
    return local.astimezone(datetime.UTC).replace(tzinfo=None)


def inbox(user_id: int, tz: zoneinfo.ZoneInfo, limit: int, to_dict) -> dict:
    """The user's open activities: overdue, due later today, upcoming, undated, and the
    reminders already delivered."""
    now = utcnow()
    local_now = now.replace(tzinfo=datetime.UTC).astimezone(tz)
    end_of_today = _utc(datetime.datetime.combine(local_now.date() + datetime.timedelta(days=1),
                                                  datetime.time(), tzinfo=tz))
    mine = restrict(Activity.select().where(
        (Activity.owner_id == user_id) & (Activity.status == "open")
        & Activity.deleted_at.is_null()), "sales.activity")
    buckets = {
        "overdue": mine.where(Activity.due_at < now).order_by(Activity.due_at, Activity.id),
        "today": mine.where((Activity.due_at >= now) & (Activity.due_at < end_of_today))
        .order_by(Activity.due_at, Activity.id),
        "upcoming": mine.where(Activity.due_at >= end_of_today)
        .order_by(Activity.due_at, Activity.id),
        "no_date": mine.where(Activity.due_at.is_null()).order_by(Activity.id),
        "reminders": mine.where(Activity.reminder_sent_at.is_null(False))
        .order_by(Activity.reminder_at.desc(), Activity.id),
    }
    out = {"now": now.isoformat() + "Z", "tz": str(tz), "counts": {}}
    for name, query in buckets.items():
        out["counts"][name] = query.count()
        out[name] = [to_dict(a) for a in query.limit(limit)]
    return out


def calendar(start: datetime.datetime, end: datetime.datetime, owner_id: int | None, to_dict,
             limit: int) -> list[dict]:
    """Dated activities between ``start`` and ``end`` that the actor may read (a manager
    sees the team's: the team calendar)."""
    query = Activity.select().where((Activity.due_at >= start) & (Activity.due_at < end)
                                    & Activity.deleted_at.is_null()
                                    & (Activity.status != "cancelled"))
    if owner_id is not None:
        query = query.where(Activity.owner_id == owner_id)
    query = restrict(query, "sales.activity").order_by(Activity.due_at, Activity.id)
    return [to_dict(a) for a in query.limit(limit)]


# -- the private iCalendar feed ---------------------------------------------------------------

def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_feed(user_id: int) -> str:
    """A new secret for the user's feed (the previous one stops working at once)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    (CalendarFeed.insert(user_id=user_id, token_hash=_digest(token), created_at=now)
     .on_conflict(conflict_target=[CalendarFeed.user_id],
                  update={CalendarFeed.token_hash: _digest(token),
                          CalendarFeed.created_at: now, CalendarFeed.revoked_at: None,
                          CalendarFeed.last_used_at: None})
     .execute())
    return token


def revoke_feed(user_id: int) -> bool:
    return bool(CalendarFeed.update(revoked_at=utcnow())
                .where((CalendarFeed.user_id == user_id)
                       & CalendarFeed.revoked_at.is_null()).execute())


def feed_status(user_id: int) -> dict:
    row = CalendarFeed.get_or_none(CalendarFeed.user_id == user_id)
    active = row is not None and row.revoked_at is None
    return {"active": active,
            "created_at": row.created_at.isoformat() + "Z" if active else None,
            "last_used_at": row.last_used_at.isoformat() + "Z"
            if active and row.last_used_at else None}


def feed_user(token: str) -> int | None:
    """The user whose live feed ``token`` opens, or ``None``."""
    row = CalendarFeed.get_or_none((CalendarFeed.token_hash == _digest(token))
                                   & CalendarFeed.revoked_at.is_null())
    if row is None:
        return None
    CalendarFeed.update(last_used_at=utcnow()).where(CalendarFeed.id == row.id).execute()
    return row.user_id


PRIORITY = {"high": 1, "normal": 5, "low": 9}
KIND_LABEL = {"task": "Task", "call": "Call", "meeting": "Meeting", "follow_up": "Follow-up"}


def ical(user_id: int, host: str) -> bytes:
    """The user's dated activities (from 90 days back) as an iCalendar document: one VEVENT
    each, with a VALARM at the reminder time."""
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", "-//Peyvand//Sales activities//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Peyvand")
    since = utcnow() - datetime.timedelta(days=FEED_DAYS_BACK)
    rows = (Activity.select().where((Activity.owner_id == user_id)
                                    & Activity.deleted_at.is_null()
                                    & (Activity.status != "cancelled")
                                    & (Activity.due_at >= since))
            .order_by(Activity.due_at, Activity.id))
    for activity in rows:
        start = activity.due_at.replace(tzinfo=datetime.UTC)
        event = icalendar.Event()
        event.add("uid", f"sales-activity-{activity.id}@{host}")
        event.add("dtstamp", activity.updated_at.replace(tzinfo=datetime.UTC))
        event.add("dtstart", start)
        event.add("dtend", start + datetime.timedelta(
            minutes=activity.duration_minutes or DEFAULT_MINUTES))
        done = "✓ " if activity.status == "done" else ""
        event.add("summary", f"{done}{activity.subject}")
        event.add("categories", [KIND_LABEL.get(activity.kind, activity.kind)])
        event.add("priority", PRIORITY.get(activity.priority, 5))
        event.add("sequence", activity.version)
        if activity.notes:
            event.add("description", activity.notes)
        if activity.reminder_at is not None and activity.status == "open":
            alarm = icalendar.Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", activity.subject)
            alarm.add("trigger", activity.reminder_at.replace(tzinfo=datetime.UTC))
            event.add_component(alarm)
        cal.add_component(event)
    return cal.to_ical()
