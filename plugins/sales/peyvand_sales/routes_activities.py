"""The "my work" inbox, the team calendar and the private calendar feed."""

from __future__ import annotations

import datetime

from flask import Response, jsonify, request, url_for
from werkzeug.exceptions import NotFound

from peyvand_sdk import current_actor, public

from .access import require
from .api import Invalid, int_arg, service, write


def _date(name: str) -> datetime.date:
    raw = request.args.get(name)
    try:
        return datetime.date.fromisoformat(raw or "")
    except ValueError:
        raise Invalid({name: ["a date such as 2025-03-21"]}) from None


def _me() -> int:
    actor = current_actor()
    if actor is None or actor.id is None:
        raise Invalid({"_schema": ["this needs a user"]})
    return actor.id


def register(bp):
    @bp.get("/my-work")
    def my_work():
        """The caller's open activities: ``overdue``, ``today`` (later today in ``tz``),
        ``upcoming``, ``no_date``, and ``reminders`` already delivered; ``counts`` of each."""
        from .activities import inbox, timezone

        require("sales.activity.read", "read activities")
        tz = timezone(request.args.get("tz"))
        svc = service("sales.activity")
        return jsonify(inbox(_me(), tz, int_arg("limit", 50, 1, 500), svc.to_dict))

    @bp.get("/calendar")
    def team_calendar():
        """Dated activities from ``start`` to ``end`` (dates, in ``tz``) that the caller may
        read: their own, their teams' for a manager; ``owner_id`` narrows to one person."""
        from .activities import _utc, calendar, timezone

        require("sales.activity.read", "read activities")
        tz = timezone(request.args.get("tz"))
        start, end = _date("start"), _date("end")
        if not start < end <= start + datetime.timedelta(days=92):
            raise Invalid({"end": ["after start, and at most 92 days later"]})
        owner = request.args.get("owner_id")
        try:
            owner_id = int(owner) if owner else None
        except ValueError:
            raise Invalid({"owner_id": ["a user id"]}) from None
        bounds = [_utc(datetime.datetime.combine(d, datetime.time(), tzinfo=tz))
                  for d in (start, end)]
        svc = service("sales.activity")
        return jsonify({"data": calendar(*bounds, owner_id, svc.to_dict,
                                         int_arg("limit", 500, 1, 2000))})

    @bp.get("/calendar-feed")
    def feed_state():
        from .activities import feed_status

        return jsonify(feed_status(_me()))

    @bp.post("/calendar-feed")
    def feed_issue():
        """A new secret URL for the caller's iCalendar feed, shown once; any earlier URL
        stops working."""
        from .activities import issue_feed

        require("sales.activity.read", "read activities")
        token = write(lambda: issue_feed(_me()))
        path = url_for("sales_api.calendar_feed", token=token)
        return jsonify({"url": request.host_url.rstrip("/") + path, "path": path}), 201

    @bp.delete("/calendar-feed")
    def feed_revoke():
        from .activities import revoke_feed

        write(lambda: revoke_feed(_me()))
        return "", 204

    @bp.get("/calendar/<token>.ics")
    @public  # the secret URL is the credential: calendar apps send no token
    def calendar_feed(token):
        """The feed itself: no API token, the secret in the URL is the key."""
        from .activities import feed_user, ical

        user_id = write(lambda: feed_user(token))
        if user_id is None:
            raise NotFound("no such calendar feed (it may have been revoked)")
        body = ical(user_id, request.host.split(":")[0] or "peyvand")
        response = Response(body, mimetype="text/calendar")
        response.headers["Content-Type"] = "text/calendar; charset=utf-8"
        response.headers["Cache-Control"] = "private, max-age=300"
        return response
