"""Tabs sales adds to the kernel's generic record pages (``register_record_tabs``): a deal's
products (when a plugin that sells products is enabled) and the activities linked to any
record."""

from __future__ import annotations

from flask import render_template

from peyvand_sdk import current_kernel, current_tenant, gettext, hidden_fields, restrict

from . import record_url, service

_ = gettext


def _sells_products() -> bool:
    tenant = current_tenant()
    if tenant is None:
        return False
    return bool(current_kernel().hooks(tenant).deal_lines.get_hookimpls())


def render_products(record):
    from ..products import describe

    if "amount" in hidden_fields("sales.deal"):
        return render_template("sales/_message.html",
                               message=_("Your role does not show deal amounts."))
    return render_template("sales/_deal_lines.html", deal=record, data=describe(record))


def render_activities(entity, record):
    from ..models import Activity

    svc = service("sales.activity")
    rows = restrict(Activity.select().where(
        (Activity.entity == entity) & (Activity.record_id == record.id)
        & Activity.deleted_at.is_null()), "sales.activity").order_by(
        Activity.status != "open", Activity.due_at.is_null(), Activity.due_at.desc(),
        Activity.id.desc()).limit(50)
    items = [svc.to_dict(a) for a in rows]
    return render_template(
        "sales/_activities_tab.html", items=items,
        activity_url=lambda i: record_url("sales.activity", i),
        new_url=_new_activity_url(entity, record.id))


def _new_activity_url(entity: str, record_id: int) -> str:
    from flask import url_for

    return url_for("peyvand_web.new_record", plugin="sales", plural="activities",
                   entity=entity, record_id=record_id)


def record_tabs() -> list[dict]:
    tabs = [{"id": "sales.activities", "label": {"en": "Activities", "fa": "فعالیت‌ها"},
             "entity": "*", "permission": "sales.activity.read",
             "render": render_activities, "order": 30}]
    if _sells_products():
        tabs.append({"id": "sales.products", "label": {"en": "Products", "fa": "محصولات"},
                     "entity": "sales.deal", "permission": "sales.deal.read",
                     "render": render_products, "order": 20})
    return tabs
