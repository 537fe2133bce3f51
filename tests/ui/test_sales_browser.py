"""The sales pages in a real browser: drag a deal to another stage on the kanban board (the
server checks and saves the move), and fill in a public lead form as a visitor (errors shown
next to the fields, then the thank-you page and a new lead)."""

from __future__ import annotations

from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LIVE_PLUGINS = ("contacts", "sales")

pytestmark = pytest.mark.sqlite_only   # as test_browser.py: one browser pass is enough


def _deal(live, title: str, stage: str) -> int:
    kernel = live.kernel
    with kernel.storage.bound("default"), kernel.storage.database_for("default").atomic():
        return kernel.service("sales.deal", "default").create(
            {"title": title, "pipeline_id": 1, "stage": stage, "amount": "450000000"}).id


def _stored_deal(live, deal_id: int):
    with live.kernel.storage.bound("default"):
        from peyvand_sales.models import Deal, DealStage

        deal = Deal.get_by_id(deal_id)
        stays = [s.stage for s in DealStage.select().where(DealStage.deal == deal_id)
                 .order_by(DealStage.id)]
        return deal, stays


def test_drag_a_deal_to_another_stage(live, new_page):
    deal_id = _deal(live, "پشتیبانی سالانه آریا", "qualified")
    page = new_page("maryam")
    page.click('a[data-menu="sales.board"]')
    page.wait_for_url("**/app/sales/board")
    card = page.locator(f"#deal-{deal_id}")
    qualified = page.locator('.board-column[data-stage="qualified"]')
    negotiation = page.locator('.board-column[data-stage="negotiation"]')
    assert qualified.locator("[data-count]").inner_text() == "۱"
    card.drag_to(negotiation)
    page.wait_for_function(
        f"document.querySelector('.board-column[data-stage=negotiation] #deal-{deal_id}')")
    status = page.locator("#board-status")
    status.wait_for()
    assert "مذاکره" in status.inner_text()
    assert negotiation.locator("[data-count]").inner_text() == "۱"
    assert qualified.locator("[data-count]").inner_text() == "۰"
    assert negotiation.locator("[data-amount]").inner_text() == "۴۵۰٬۰۰۰٬۰۰۰ ریال"
    assert "dragging" not in (card.get_attribute("class") or "")
    page.screenshot(path=str(ARTIFACTS / "sales-board-after-drag.png"), full_page=True)
    deal, stays = _stored_deal(live, deal_id)
    assert deal.stage == "negotiation" and stays == ["qualified", "negotiation"]

    # the card remembers its new version: a second drag works without reloading
    card.drag_to(page.locator('.board-column[data-stage="closing"]'))
    page.wait_for_function(
        f"document.querySelector('.board-column[data-stage=closing] #deal-{deal_id}')")
    assert _stored_deal(live, deal_id)[0].stage == "closing"

    # after a reload the board shows what the server saved
    page.reload()
    assert page.locator(f'.board-column[data-stage="closing"] #deal-{deal_id}').count() == 1


def test_a_salesperson_cannot_drag_someone_elses_deal(live, new_page):
    deal_id = _deal(live, "معامله مدیر", "proposal")
    page = new_page("reza")
    page.goto(f"{live.url}/app/sales/board")
    assert page.locator(f"#deal-{deal_id}").count() == 0     # not shared with them


def test_a_visitor_fills_in_a_public_lead_form(live, new_page):
    kernel = live.kernel
    with kernel.storage.bound("default"), kernel.storage.database_for("default").atomic():
        from peyvand_sales import forms
        from peyvand_sales.rules import utcnow

        document = forms.FormSchema().load({
            "title": {"fa": "درخواست دمو"},
            "fields": [{"name": "first_name"}, {"name": "last_name", "required": True},
                       {"name": "phone", "required": True,
                        "label": {"fa": "تلفن همراه"}},
                       {"name": "purchase_timing"}],
            "thank_you": {"fa": "ممنون! به‌زودی تماس می‌گیریم."}, "slug": "demo"})
        forms.create(document, utcnow(), None)
    page = new_page()            # a visitor: nobody logged in
    page.goto(f"{live.url}/f/demo")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("h1").inner_text() == "درخواست دمو"
    page.fill("#pv-first_name", "نگار")
    page.fill("#pv-phone", "12")
    with page.expect_navigation():
        page.click("button[type=submit]")
    # refused: the problems are listed, and each is next to its field
    assert page.locator("#problems").is_visible()
    assert page.locator("#pv-last_name").get_attribute("aria-invalid") == "true"
    assert page.locator("#pv-last_name-error").inner_text() == "پر کردن این فیلد الزامی است."
    assert page.locator("#pv-phone-error").is_visible()
    assert page.input_value("#pv-first_name") == "نگار"
    page.screenshot(path=str(ARTIFACTS / "sales-lead-form-errors.png"), full_page=True)
    page.fill("#pv-last_name", "حسینی")
    page.fill("#pv-phone", "۰۹۱۲ ۳۴۵ ۶۷۸۹")
    page.select_option("#pv-purchase_timing", "this_quarter")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url.endswith("/f/demo/thanks")
    assert "ممنون! به‌زودی تماس می‌گیریم." in page.inner_text("main")
    page.screenshot(path=str(ARTIFACTS / "sales-lead-form-thanks.png"), full_page=True)
    with kernel.storage.bound("default"):
        from peyvand_sales.models import Lead

        lead = Lead.get(Lead.last_name == "حسینی")
    assert (lead.first_name, lead.phone, lead.purchase_timing) == (
        "نگار", "+989123456789", "this_quarter")
    assert lead.source == "web_form" and lead.form_id is not None
