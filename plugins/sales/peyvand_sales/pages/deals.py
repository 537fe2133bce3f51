"""A deal's product lines, from the plugins that sell products (``deal_lines``)."""

from __future__ import annotations

from flask import render_template

from peyvand_sdk import Forbidden, gettext, require_permission

from . import record_url, service

_ = gettext


def register(bp):
    @bp.get("/deals/<int:deal_id>/products")
    def deal_products(deal_id):
        from ..products import describe

        require_permission("sales.deal", "read")
        svc = service("sales.deal")
        deal = svc.get(deal_id)                       # 404 outside the user's scope
        if "amount" in svc.field_rules()[0]:
            raise Forbidden("amount hidden")
        return render_template("sales/deal_products.html", deal=deal, data=describe(deal),
                               deal_url=record_url("sales.deal", deal.id))
