"""The "my work" inbox, the team calendar and the forecast page."""

from __future__ import annotations

import datetime

from flask import flash, g, redirect, render_template, request, url_for

from peyvand_sdk import (
    InvalidRecord,
    RecordNotFound,
    StaleVersion,
    current_actor,
    current_kernel,
    current_tenant,
    find_teams,
    gettext,
    require_permission,
    tenant_db,
)

from . import can, error_text, record_url, service, user_names

_ = gettext


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue; the template translates it."""
    return message


SECTIONS = (("overdue", N_("Overdue")), ("today", N_("Today")), ("upcoming", N_("Upcoming")),
            ("no_date", N_("No due date")), ("reminders", N_("Reminders")))


def _time_zone():
    """The user's time zone if the workspace has one for them, else the instance's."""
    import os

    return getattr(g, "time_zone", None) or os.environ.get("PEYVAND_TIME_ZONE",
                                                           "Asia/Tehran")


def _linked_titles(items) -> dict:
    """``{(entity, id): (title, url)}`` of the records the activities link to (those the
    user may read)."""
    wanted: dict[str, set] = {}
    for item in items:
        if item.get("entity") and item.get("record_id"):
            wanted.setdefault(item["entity"], set()).add(item["record_id"])
    out = {}
    entities = current_kernel().entities(current_tenant())
    for entity_id, ids in wanted.items():
        entity = entities.get(entity_id)
        if entity is None or not can(entity_id, "read"):
            continue
        svc = service(entity_id)
        fields = [entity.title_field] + (["first_name"] if entity.title_field == "last_name"
                                         else [])
        try:
            page = svc.list(filters={"id__in": ",".join(map(str, sorted(ids)))},
                            fields=fields, limit=len(ids))
        except InvalidRecord:
            continue
        for row in page.rows:
            title = " ".join(str(row[f]) for f in reversed(fields) if row.get(f)) or \
                f"#{row['id']}"
            out[(entity_id, row["id"])] = (title, record_url(entity_id, row["id"]))
    return out


def register(bp):
    @bp.get("/my-work")
    def my_work():
        from ..activities import inbox, timezone

        require_permission("sales.activity", "read")
        actor = current_actor()
        tz = timezone(_time_zone())
        data = inbox(actor.id, tz, 50, service("sales.activity").to_dict)
        every = [item for name, _label in SECTIONS for item in data[name]]
        return render_template(
            "sales/my_work.html", data=data, sections=SECTIONS,
            linked=_linked_titles(every), can_update=can("sales.activity", "update"),
            can_create=can("sales.activity", "create"),
            activity_url=lambda i: record_url("sales.activity", i))

    @bp.post("/my-work/done")
    def mark_done():
        activity_id = request.form.get("activity_id", "")
        version = request.form.get("version", "")
        svc = service("sales.activity")
        try:
            with tenant_db.atomic():
                record = svc.update(int(activity_id), {"status": "done"},
                                    if_match=int(version) if version.isdigit() else None,
                                    via="web")
            flash(_("“%(subject)s” is done.", subject=record.subject), "success")
        except (ValueError, RecordNotFound):
            flash(_("This activity does not exist, or is not shared with you."), "error")
        except StaleVersion:
            flash(_("Someone else changed this activity a moment ago; here it is again."),
                  "error")
        except InvalidRecord as exc:
            flash(error_text(exc.errors), "error")
        return redirect(url_for("sales_web.my_work"))

    @bp.get("/calendar")
    def calendar_page():
        """A week of dated activities the user may read (their own; a manager's team's),
        day by day in the user's time zone; ``week`` is any day of it (ISO), ``owner_id``
        narrows to one colleague."""
        from ..activities import _utc, calendar, timezone

        require_permission("sales.activity", "read")
        tz = timezone(_time_zone())
        try:
            day = datetime.date.fromisoformat(request.args.get("week") or "")
        except ValueError:
            day = datetime.datetime.now(tz).date()
        jalali = (getattr(g, "calendar", None) or "jalali") == "jalali"
        first_weekday = 5 if jalali else 0          # Saturday for Jalali users, else Monday
        start = day - datetime.timedelta(days=(day.weekday() - first_weekday) % 7)
        days = [start + datetime.timedelta(days=i) for i in range(7)]
        owner = request.args.get("owner_id") or ""
        owner_id = int(owner) if owner.isdigit() else None
        bounds = [_utc(datetime.datetime.combine(d, datetime.time(), tzinfo=tz))
                  for d in (days[0], days[-1] + datetime.timedelta(days=1))]
        items = calendar(*bounds, owner_id, service("sales.activity").to_dict, 1000)
        by_day: dict = {d: [] for d in days}
        for item in items:
            due = datetime.datetime.fromisoformat(item["due_at"].rstrip("Z"))
            local = due.replace(tzinfo=datetime.UTC).astimezone(tz)
            item["local_time"] = local.strftime("%H:%M")
            by_day.setdefault(local.date(), []).append(item)
        people = user_names({item["owner_id"] for item in items} | {current_actor().id}
                            | ({owner_id} if owner_id else set()))
        return render_template(
            "sales/calendar.html", days=days, by_day=by_day, people=people,
            owner_id=owner_id, linked=_linked_titles(items),
            today=datetime.datetime.now(tz).date(),
            previous=(start - datetime.timedelta(days=7)).isoformat(),
            next=(start + datetime.timedelta(days=7)).isoformat(),
            activity_url=lambda i: record_url("sales.activity", i))

    @bp.get("/forecast")
    def forecast_page():
        from ..entities import CURRENCIES
        from ..forecast import forecast
        from ..periods import BadPeriod, current, parse

        require_permission("sales.deal", "read")
        calendar = getattr(g, "calendar", None) or "jalali"
        text = (request.args.get("period") or "").strip()
        problem = None
        try:
            period = parse(text) if text else current("quarter", calendar)
        except BadPeriod:
            problem = _("Write a period such as %(example)s.",
                        example=current("quarter", calendar).key)
            period = current("quarter", calendar)
        by = request.args.get("by") if request.args.get("by") in ("owner", "team") \
            else "owner"
        currency = request.args.get("currency") if request.args.get("currency") in \
            CURRENCIES else "IRR"
        data = forecast(period, currency=currency, by=by)
        key = f"{by}_id"
        if by == "owner":
            names = user_names(row[key] for row in data["rows"])
        else:
            names = {t["id"]: t["name"] for t in find_teams(
                [row[key] for row in data["rows"] if row[key] is not None])}
        return render_template(
            "sales/forecast.html", data=data, period=period, by=by, currency=currency,
            currencies=CURRENCIES, names=names, key=key, problem=problem,
            last_day=period.end - datetime.timedelta(days=1),
            neighbours=_neighbours(period), today=datetime.date.today())


def _neighbours(period) -> tuple[str, str]:
    """The keys of the periods before and after ``period`` (same kind and calendar)."""
    from ..periods import current

    day = datetime.timedelta(days=1)
    before = current(period.kind, period.calendar, period.start - day).key
    after = current(period.kind, period.calendar, period.end + day).key
    return before, after
