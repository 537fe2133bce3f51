"""The workspace at a phone's width (375 px) in a real browser: lists become cards, record pages
and forms fit, nothing scrolls sideways."""

from __future__ import annotations

from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"viewport": {"width": 375, "height": 740}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}

pytestmark = pytest.mark.sqlite_only


def _people(live, count: int) -> list[int]:
    kernel = live.kernel
    with kernel.storage.bound("default"), kernel.storage.database_for("default").atomic():
        service = kernel.service("contacts.person", "default")
        return [service.create({
            "first_name": "محمدرضا", "last_name": f"شهرستانی‌نژاد {i}",
            "email": f"mohammadreza.shahrestani.nejad.{i}@example-company.ir",
            "phone": f"0912{i:07d}", "city": "تهران", "job_title": "کارشناس ارشد فروش"}).id
            for i in range(1, count + 1)]


def _sideways(page) -> int:
    """How far the page scrolls sideways (0 when everything fits)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_the_contact_list_is_cards_on_a_phone(live, new_page):
    ids = _people(live, 3)
    page = new_page("maryam", **PHONE)
    page.goto(f"{live.url}/app/contacts/persons")
    assert _sideways(page) <= 0
    card = page.locator(f'.list-grid a[href$="/persons/{ids[0]}"]').locator("xpath=../..")
    box = card.bounding_box()
    assert box["width"] <= 375                                   # the row fits the screen
    # Every value is on screen inside its card: the e-mail wraps instead of overflowing.
    email = card.locator("td", has_text="example-company.ir").bounding_box()
    assert email["x"] >= 0 and email["x"] + email["width"] <= 375
    assert page.locator(".list-grid thead").is_hidden()
    page.screenshot(path=str(ARTIFACTS / "phone-contact-list-fa.png"), full_page=True)
    page.goto(f"{live.url}/app/contacts/persons/{ids[0]}")
    assert _sideways(page) <= 0
    page.screenshot(path=str(ARTIFACTS / "phone-contact-record-fa.png"), full_page=True)
    page.goto(f"{live.url}/app/contacts/persons/new")
    assert _sideways(page) <= 0


def test_a_wide_screen_keeps_the_table(live, new_page):
    _people(live, 1)
    page = new_page("maryam", viewport={"width": 1280, "height": 800})
    page.goto(f"{live.url}/app/contacts/persons")
    assert page.locator(".list-grid thead").is_visible()
