"""Admin pages in a real browser: plugins on and off, the role matrix taking effect."""

from __future__ import annotations

from pathlib import Path

import pytest
from web_kit import PASSWORD

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.sqlite_only


def _user(live, name, role, *, own_person: str | None = None):
    from peyvand.identity import User, create_user, user_teams

    with live.kernel.storage.bound("default"):
        user = User.get_or_none(User.name == name) or create_user(name, roles=(role,),
                                                                  password=PASSWORD)
        if own_person:
            from peyvand_contacts.models import Person

            Person.create(last_name=own_person, owner_id=user.id,
                          team_id=user_teams(user)[1])
    live.kernel.bump_generation()
    return user


def test_admin_disables_and_enables_a_plugin_and_its_menu_follows(live, new_page):
    page = new_page("maryam")
    page.click('a[data-nav="admin"]')
    page.click(".tabs a[href$='/admin/plugins']")
    row = page.locator('tr[data-plugin="contacts"]')
    assert "فعال" in row.inner_text()
    with page.expect_navigation():
        row.locator('[data-action="disable"]').click()
    assert "غیرفعال شود" in page.inner_text("h1")                 # the confirmation page
    with page.expect_navigation():
        page.click(".confirm button.danger")
    assert "داده‌ها نگه داشته شده‌اند" in page.inner_text(".flashes")
    assert page.locator('a[data-menu="contacts.people"]').count() == 0
    assert live.kernel.state("contacts") == "disabled"
    with page.expect_navigation():
        page.click('tr[data-plugin="contacts"] [data-action="enable"]')
    assert page.locator('a[data-menu="contacts.people"]').count() == 1
    assert live.kernel.state("contacts") == "enabled"


def test_taking_the_export_right_away_in_the_role_matrix_takes_effect(live, new_page):
    _user(live, "hamid", "manager", own_person="صادقی")
    seller = new_page("hamid")
    seller.goto(live.url + "/app/contacts/persons")
    assert seller.locator("[data-export]").count() == 2
    admin = new_page("maryam")
    admin.goto(live.url + "/admin/roles/manager")
    cell = admin.locator('select[name="g:contacts.person.export"]')
    assert cell.input_value() == "team"
    cell.select_option("none")
    with admin.expect_navigation():
        admin.click("#role-form button[type=submit]")
    assert "۱ تغییر ذخیره شد" in admin.inner_text(".flashes")
    assert admin.locator('select[name="g:contacts.person.export"]').input_value() == "none"
    seller.reload()
    assert seller.locator("[data-export]").count() == 0
    response = seller.goto(live.url + "/app/contacts/persons/export?format=csv")
    assert response.status == 403
    # The explain box names the decision.
    admin.select_option("select[name=explain_user]", "hamid")
    admin.select_option("select[name=explain_action]", "export")
    admin.select_option("select[name=explain_entity]", "contacts.person")
    with admin.expect_navigation():
        admin.click("#explain button[type=submit]")
    result = admin.inner_text("#explain-result")
    assert "اجازه ندارید" in result and "contacts.person.export" in result


def test_the_workspace_time_zone_is_changed_on_the_settings_page(live, new_page):
    from peyvand.settings_store import values

    page = new_page("maryam")
    page.click('a[data-nav="admin"]')
    page.click(".tabs a[href$='/admin/settings']")
    zone = page.locator('select[name="peyvand.time_zone"]')
    assert zone.input_value() == "Asia/Tehran"
    zone.select_option("Asia/Dubai")
    limit = page.locator('input[name="contacts.fuzzy_name_threshold"]')
    limit.fill("بیست")                                             # not a number: refused
    with page.expect_navigation():
        page.click("#settings-form button[type=submit]")
    assert "عدد صحیح" in page.inner_text('[data-setting="contacts.fuzzy_name_threshold"]')
    with live.kernel.storage.bound("default"):
        assert values(live.kernel, "default")["peyvand.time_zone"] == "Asia/Tehran"
    page.locator('select[name="peyvand.time_zone"]').select_option("Asia/Dubai")
    page.locator('input[name="contacts.fuzzy_name_threshold"]').fill("۸۵")
    with page.expect_navigation():
        page.click("#settings-form button[type=submit]")
    assert "ذخیره شد" in page.inner_text(".flashes")
    page.screenshot(path=str(ARTIFACTS / "admin-settings-fa.png"), full_page=True)
    with live.kernel.storage.bound("default"):
        current = values(live.kernel, "default")
    assert current["peyvand.time_zone"] == "Asia/Dubai"
    assert current["contacts.fuzzy_name_threshold"] == 85
    page.goto(live.url + "/profile")
    assert "Asia/Dubai" in page.inner_text('select[name="time_zone"] option[value=""]')
    page.goto(live.url + "/admin/settings")   # put them back for this server's other tests
    page.locator('select[name="peyvand.time_zone"]').select_option("Asia/Tehran")
    page.locator('input[name="contacts.fuzzy_name_threshold"]').fill("0")
    with page.expect_navigation():
        page.click("#settings-form button[type=submit]")
