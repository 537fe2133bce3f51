"""What the contacts plugin adds to a person's or an organisation's record page (the kernel's
generic page, hook ``register_record_tabs``): the timeline tab.

A tab is rendered only when it is opened (``?tab=contacts.timeline``). The timeline shows
every plugin's items (``contact_timeline`` hook: deals, leads, activities…), newest first,
a page at a time, with an "Older" link carrying the last item shown as its cursor.
"""

from __future__ import annotations

import base64
import datetime
import json

from flask import render_template, request, url_for

from peyvand_sdk import current_kernel, current_tenant

TIMELINE_PAGE = 20
ENTITIES = ("contacts.person", "contacts.organization")


def _cursor(item) -> str:
    at = item["at"]
    text = at.isoformat() if isinstance(at, datetime.datetime) else str(at)
    return base64.urlsafe_b64encode(json.dumps([text, item["key"]]).encode()).decode()


def _before(raw: str | None):
    """``(at, key)`` from an "Older" link's cursor; ``None`` for the first page (also for a
    cursor that is not one of ours)."""
    if not raw:
        return None
    try:
        at, key = json.loads(base64.urlsafe_b64decode(raw.encode()))
        return datetime.datetime.fromisoformat(at).replace(tzinfo=None), str(key)
    except (ValueError, TypeError):
        return None


def _naive(at) -> datetime.datetime | None:
    """A hook's ``at`` as a naive UTC datetime (``None`` when it is not a moment)."""
    if isinstance(at, str):
        try:
            at = datetime.datetime.fromisoformat(at.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(at, datetime.datetime):
        return None
    if at.tzinfo is not None:
        at = at.astimezone(datetime.UTC).replace(tzinfo=None)
    return at


def timeline_page(entity: str, record_id: int, before=None, limit: int = TIMELINE_PAGE
                  ) -> tuple[list[dict], dict | None]:
    """``(items, last item when there are older ones)``: every plugin's timeline items of the
    record, newest first (``peyvand_contacts.timeline.collect``, as the API pages them)."""
    from ..timeline import collect

    items, more = collect(entity, record_id, before, limit)
    return items, (items[-1] if more else None)


def _item_url(item: dict) -> str | None:
    entity_id, record_id = item.get("entity"), item.get("id")
    if not entity_id or not record_id:
        return None
    entity = current_kernel().entities(current_tenant()).get(entity_id)
    if entity is None:
        return None
    return url_for("peyvand_web.record_page", plugin=entity.plugin, plural=entity.plural,
                   record_id=record_id)


def render_timeline(entity, record):
    before = _before(request.args.get("before"))
    items, last = timeline_page(entity, record.id, before)
    for item in items:
        item["url"] = _item_url(item)
    older = f"?tab=contacts.timeline&before={_cursor(last)}" if last else None
    return render_template("contacts/_timeline.html", items=items, older=older,
                           paged=before is not None)


def record_tabs() -> list[dict]:
    tabs = []
    for entity in ENTITIES:
        tabs.append({"id": "contacts.timeline", "label": {"en": "Timeline", "fa": "گاه‌شمار"},
                     "entity": entity, "render": render_timeline, "order": 10})
    return tabs

