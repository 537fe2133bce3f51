"""The workspace in a real browser (headless Chromium from Debian, driven by Playwright)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# One browser pass is enough: the pages do not depend on the database, and tests/test_web.py
# covers both databases through the test client.
pytestmark = pytest.mark.sqlite_only


def test_create_a_contact_in_persian_with_a_jalali_date_and_find_it_with_arabic_letters(
        live, new_page):
    page = new_page("maryam")
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.get_attribute("html", "lang") == "fa"
    page.click('a[data-menu="contacts.people"]')
    page.wait_for_url("**/app/contacts/persons")
    assert "هنوز هیچ موردی" in page.inner_text("main")        # the empty state says what to do
    page.click("main a.button.primary")
    page.wait_for_url("**/app/contacts/persons/new")
    page.fill("input[name=first_name]", "مریم")
    page.fill("input[name=last_name]", "کریمی")
    page.fill("input[name=phones-0-value]", "۰۹۱۲۱۲۳۴۵۶۷")
    page.fill("input[name=emails-0-value]", "maryam.karimi@example.ir")
    page.fill("input[name=cf_contract]", "۱۴۰۴/۰۱/۱۵")             # typed in Jalali
    page.select_option("select[name=lifecycle_stage]", "customer")
    with page.expect_navigation():
        page.click(".record-form .form-actions button[type=submit]")
    assert re.search(r"/app/contacts/persons/\d+$", page.url), page.inner_text("main")
    live.state["contact"] = page.url
    main = page.inner_text("main")
    assert "مریم کریمی" in main and "ذخیره شد" in main
    assert "+۹۸۹۱۲۱۲۳۴۵۶۷" in main
    contract = page.locator(".field", has_text="تاریخ قرارداد").locator("dd")
    assert contract.inner_text().strip() == "۱۴۰۴/۰۱/۱۵"           # shown in Jalali
    created = page.inner_text("main p.muted")
    assert re.search(r"۱۴[۰-۹]{2}/[۰-۹]{2}/[۰-۹]{2}", created), created  # a Jalali year 14xx
    page.screenshot(path=str(ARTIFACTS / "contact-fa.png"), full_page=True)

    # The global search box, typed with Arabic letters (ي ك) and Enter.
    page.goto(live.url + "/")
    page.press("body", "/")                                        # keyboard shortcut
    page.keyboard.type("كريمي")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    hit = page.locator("ol.hits a", has_text="مریم کریمی")
    assert hit.count() == 1
    with page.expect_navigation():
        hit.click()
    assert page.url == live.state["contact"]

    # The list's own search box and its Jalali "created from" filter.
    page.goto(live.url + "/app/contacts/persons")
    page.fill("form.filters input[name=q]", "مريم")
    page.fill("form.filters input[name=from]", "۱۴۰۰/۰۱/۰۱")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    assert "کریمی" in page.inner_text("table.grid")
    assert page.locator("table.grid time").first.inner_text().startswith("۱۴")


def test_switching_to_english_turns_the_workspace_left_to_right(live, new_page):
    page = new_page("nima")
    assert page.get_attribute("html", "dir") == "rtl"
    page.click(".usermenu summary")
    with page.expect_navigation():
        page.click('.usermenu button[value="en"]')
    assert page.get_attribute("html", "dir") == "ltr"
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text("a[data-menu='contacts.people']") == "People"
    assert page.evaluate("getComputedStyle(document.body).direction") == "ltr"
    target = live.state.get("contact")
    if target is None:
        pytest.skip("needs the contact the first test creates")
    page.goto(target)
    assert "Contract date" in page.inner_text("main")
    page.screenshot(path=str(ARTIFACTS / "contact-en.png"), full_page=True)


def test_a_role_without_the_export_right_sees_no_button_and_gets_403(live, new_page):
    page = new_page("reza")
    page.goto(live.url + "/app/contacts/persons")
    assert page.locator("[data-export]").count() == 0
    response = page.goto(live.url + "/app/contacts/persons/export?format=csv")
    assert response.status == 403
    assert "اجازه ندارید" in page.inner_text("main")
    admin = new_page("maryam")
    admin.goto(live.url + "/app/contacts/persons")
    assert admin.locator("[data-export]").count() == 2


def test_a_forged_form_is_refused_by_the_csrf_check(live, new_page):
    page = new_page("maryam")
    page.goto(live.url + "/app/contacts/persons/new")
    page.eval_on_selector(".record-form input[name=csrf_token]", "input => input.value = 'forged'")
    page.fill("input[name=last_name]", "جعلی")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click(".record-form .form-actions button[type=submit]")
    assert answer.value.status == 400
    assert "CSRF" in page.inner_text("main")


def test_the_list_fits_a_phone_screen(live, new_page):
    page = new_page("maryam", viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto(live.url + "/app/contacts/persons")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert page.locator(".sidenav").get_attribute("open") is None   # menu folded on a phone


def test_disabling_a_plugin_removes_its_menu_and_pages(live, new_page):
    page = new_page("maryam")
    assert page.locator('a[data-menu="contacts.people"]').count() == 1
    live.kernel.disable("contacts")
    try:
        page.reload()
        assert page.locator("a[data-menu]").count() == 0
        response = page.goto(live.url + "/app/contacts/persons")
        assert response.status == 404
    finally:
        live.kernel.enable("contacts")
    page.goto(live.url + "/")
    assert page.locator('a[data-menu="contacts.people"]').count() == 1
