"""The sales plugin's pages in the web workspace (blueprint ``sales_web``, under
``/app/sales/``), and its navigation.

Deals, leads, pipelines and activities keep the kernel's generic list, record and form pages;
these pages add what is particular to sales:

* ``board`` — the kanban board of a pipeline: drag a card to another stage (a little vanilla
  JavaScript posting to ``board/move``), or, without JavaScript, pick the stage in the card's
  own form; the server checks every move as the API's ``POST /deals/<id>/move`` does
  (:mod:`.board`);
* ``my-work`` — the logged-in user's activities: overdue, today, upcoming, undated, and the
  reminders that came due, with a "done" button (:mod:`.work`);
* ``calendar`` — a week of dated activities day by day (the user's own; a manager sees the
  team's), with a colleague filter and previous/next week links (:mod:`.work`);
* ``forecast`` — won, commit, best case, pipeline and weighted amounts per salesperson or
  team for a Jalali or Gregorian period, against the targets (:mod:`.work`);
* ``lead-forms`` — the lead capture forms: list, builder, public URL and the HTML snippet to
  embed (:mod:`.lead_forms`);
* record page tabs (:mod:`.tabs`): a deal's *Products* (lines from the plugins that sell
  products) and the *Activities* linked to any record.

Every page runs as the logged-in user (the kernel binds them), so the same permission checks
as the API apply; links and buttons a user may not use are not shown, and the server refuses
them anyway. Text goes through the plugin's catalogue.
"""

from __future__ import annotations

import functools
from pathlib import Path

from flask import Blueprint, render_template, url_for

from peyvand_sdk import (
    Forbidden,
    RecordNotFound,
    current_kernel,
    current_tenant,
    gettext,
    permission_scope,
)

PACKAGE = Path(__file__).resolve().parent.parent
_ = gettext

MENU_ITEMS = [
    {"id": "sales.board", "label": {"en": "Deals board", "fa": "تابلوی معاملات"},
     "url": "/app/sales/board", "permission": "sales.deal.read", "order": 30},
    {"id": "sales.deals", "label": {"en": "Deals", "fa": "معاملات"},
     "url": "/app/sales/deals", "permission": "sales.deal.read", "order": 31},
    {"id": "sales.leads", "label": {"en": "Leads", "fa": "سرنخ‌ها"},
     "url": "/app/sales/leads", "permission": "sales.lead.read", "order": 32},
    {"id": "sales.my_work", "label": {"en": "My work", "fa": "کارهای من"},
     "url": "/app/sales/my-work", "permission": "sales.activity.read", "order": 33},
    {"id": "sales.calendar", "label": {"en": "Team calendar", "fa": "تقویم تیم"},
     "url": "/app/sales/calendar", "permission": "sales.activity.read", "order": 34},
    {"id": "sales.forecast", "label": {"en": "Forecast", "fa": "پیش‌بینی فروش"},
     "url": "/app/sales/forecast", "permission": "sales.deal.read", "order": 34},
    {"id": "sales.lead_forms", "label": {"en": "Lead forms", "fa": "فرم‌های سرنخ"},
     "url": "/app/sales/lead-forms", "permission": "sales.form.manage", "order": 35},
]


def menu_items() -> list[dict]:
    return [dict(item) for item in MENU_ITEMS]


def can(key: str, action: str | None = None) -> bool:
    """Whether the logged-in user's roles grant ``key`` (a permission key, or an entity id
    with ``action``) in some scope."""
    return permission_scope(key, action) != "none"


def service(entity_id: str):
    return current_kernel().service(entity_id, current_tenant())


def record_url(entity_id: str, record_id) -> str | None:
    """The generic record page of any enabled entity's record."""
    entity = current_kernel().entities(current_tenant()).get(entity_id)
    if entity is None or record_id is None:
        return None
    return url_for("peyvand_web.record_page", plugin=entity.plugin, plural=entity.plural,
                   record_id=record_id)


def error_page(code: int, title: str, message: str):
    return render_template("peyvand/error.html", code=code, title=title,
                           message=message), code


def error_text(errors) -> str:
    """``InvalidRecord.errors`` as one line, each message translated when the catalogues
    know it."""
    if isinstance(errors, dict):
        return "; ".join(error_text(v) for v in errors.values())
    if isinstance(errors, list | tuple):
        return " ".join(error_text(v) for v in errors)
    return gettext(str(errors))


@functools.cache
def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("peyvand-sales")
    except PackageNotFoundError:
        return "0"


def asset(name: str) -> str:
    return url_for("sales_web.static", filename=f"sales/{name}", v=_version())


def user_names(ids) -> dict[int, str]:
    from peyvand_sdk import find_users

    return {u["id"]: u["display_name"] for u in find_users(
        {i for i in ids if i is not None}, active_only=False)}


def blueprint() -> Blueprint:
    bp = Blueprint("sales_web", __name__, url_prefix="/app/sales",
                   template_folder=str(PACKAGE / "templates"),
                   static_folder=str(PACKAGE / "static"), static_url_path="/assets")

    @bp.app_context_processor
    def sales_context():
        return {"sales_asset": asset}

    from . import board, lead_forms, work

    for module in (board, work, lead_forms):
        module.register(bp)

    @bp.errorhandler(Forbidden)
    def forbidden(exc):
        return error_page(403, _("Not allowed"),
                          _("Your role does not allow this. An administrator can grant it."))

    @bp.errorhandler(RecordNotFound)
    def not_found(exc):
        return error_page(404, _("Not found"),
                          _("This record does not exist, was deleted, or is not shared with "
                            "you."))

    @bp.errorhandler(404)
    def no_page(exc):
        return error_page(404, _("Not found"), _("There is no page at this address."))

    return bp
