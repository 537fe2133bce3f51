"""List and record pages in a real browser: saved views, bulk actions, pages back and forth,
the Jalali date picker, per-user time zones."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from web_kit import PASSWORD

pytestmark = pytest.mark.sqlite_only
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _bound(live):
    return live.kernel.storage.bound("default")


def _user(live, name, *roles):
    from peyvand.identity import User, create_user

    with _bound(live):
        user = User.get_or_none(User.name == name) or create_user(name, roles=roles,
                                                                  password=PASSWORD)
    live.kernel.bump_generation()
    return user


def _people(live, prefix, count, owner=None, **values):
    from peyvand_contacts.models import Person

    with _bound(live):
        Person.insert_many([{"last_name": f"{prefix} {i:03d}", "owner_id": owner, **values}
                            for i in range(count)]).execute()


def _api(live, path):
    from peyvand.identity import User, create_token

    with _bound(live):
        token = create_token(User.get(User.name == "maryam"), days=1)
    client = live.app.test_client()
    return client.get(path, headers={"Authorization": f"Bearer {token}"}).json


def _names(page, prefix):
    return re.findall(rf"{prefix} \d{{3}}", page.inner_text("table.grid"))


def test_previous_page_link_goes_back_to_the_same_rows(live, new_page):
    _people(live, "صفحه", 60)
    page = new_page("maryam")
    page.goto(live.url + "/app/contacts/persons?last_name__contains=صفحه&view=")
    first = _names(page, "صفحه")
    assert len(first) == 50 and page.locator("a[rel=prev]").count() == 0
    with page.expect_navigation():
        page.click("a[rel=next]")
    assert len(_names(page, "صفحه")) == 10
    with page.expect_navigation():
        page.click("a[rel=prev]")
    assert _names(page, "صفحه") == first
    assert page.locator("a[rel=prev]").count() == 0


def test_saved_view_round_trip(live, new_page):
    _people(live, "نمای", 3, city="شیراز")
    _people(live, "دیگری", 2, city="تبریز")
    page = new_page("nima")
    page.goto(live.url + "/app/contacts/persons?city=شیراز&view=")
    page.click("details.columns-pick summary")
    page.check("details.columns-pick input[value=city]")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    assert "city" in page.url and len(_names(page, "نمای")) == 3
    page.click("details.save-view summary")
    page.fill("details.save-view input[name=name]", "مشتریان شیراز")
    page.check("details.save-view input[name=default]")
    with page.expect_navigation():
        page.click("details.save-view button[type=submit]")
    assert "ذخیره شد" in page.inner_text(".flashes")
    # From the menu, the people list now opens the view.
    page.goto(live.url + "/")
    with page.expect_navigation():
        page.click('a[data-menu="contacts.people"]')
    page.wait_for_load_state()
    assert "view=" in page.url and "شیراز" in page.inner_text("h1")
    assert len(_names(page, "نمای")) == 3 and not _names(page, "دیگری")
    assert "شهر" in page.inner_text("table.grid thead")           # the chosen column
    # "All records" in the view menu shows the plain list; choosing the view again filters.
    with page.expect_navigation():
        page.select_option("select[name=view]", "")
    assert _names(page, "دیگری")
    option = page.locator("select[name=view] option", has_text="مشتریان شیراز")
    with page.expect_navigation():
        page.select_option("select[name=view]", option.get_attribute("value"))
    page.wait_for_load_state()
    assert len(_names(page, "نمای")) == 3 and not _names(page, "دیگری")


def test_bulk_delete_with_a_row_that_is_refused(live, new_page):
    user = _user(live, "mina", "support", "salesperson")      # reads all, deletes own
    _people(live, "حذفی", 2, owner=user.id, city="کرج")
    _people(live, "دیگران", 1, city="کرج")
    page = new_page("mina")
    page.goto(live.url + "/app/contacts/persons?city=کرج&view=")
    assert sorted(_names(page, "حذفی") + _names(page, "دیگران")) == \
        sorted(["دیگران 000", "حذفی 000", "حذفی 001"])
    page.check("th.pick input[data-check-all]")
    assert page.locator("tbody input[name=ids]:checked").count() == 3
    page.select_option("select[name=action]", "delete")
    with page.expect_navigation():
        page.click(".bulk-bar button[type=submit]")
    assert "۳" in page.inner_text(".confirm")
    with page.expect_navigation():
        page.click(".confirm button[type=submit]")
    flash = page.inner_text(".flashes")
    assert "۲ مورد انجام شد" in flash and "۱ مورد انجام نشد چون" in flash
    assert _names(page, "دیگران") == ["دیگران 000"] and not _names(page, "حذفی")


def test_the_date_picker_picks_a_jalali_date_stored_as_the_right_gregorian_day(live, new_page):
    from peyvand.custom_fields import add_field, definitions

    with _bound(live):
        if not [d for d in definitions("contacts.person") if d.name == "meeting"]:
            add_field(live.kernel.entities("default"), "contacts.person", "meeting", "datetime",
                      label_en="Meeting", label_fa="جلسه")
    live.kernel.bump_generation()
    page = new_page("maryam")
    page.goto(live.url + "/app/contacts/persons/new")
    page.fill("input[name=last_name]", "تقویمی")
    # Date: typed as the 1st, then moved with the keyboard to the 15th.
    page.fill("input[name=cf_contract]", "۱۴۰۴/۰۱/۰۱")
    page.focus("input[name=cf_contract]")
    page.keyboard.press("Alt+ArrowDown")
    picker = page.locator(".date-wrap:has(input[name=cf_contract]) .datepicker")
    assert picker.locator(".datepicker-title").inner_text() == "فروردین ۱۴۰۴"
    assert picker.locator("th").first.inner_text() == "ش"              # weeks start Saturday
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("PageDown")                                      # next month…
    assert picker.locator(".datepicker-title").inner_text() == "اردیبهشت ۱۴۰۴"
    page.keyboard.press("PageUp")                                        # …and back
    page.keyboard.press("Enter")
    assert page.input_value("input[name=cf_contract]") == "۱۴۰۴/۰۱/۱۵"
    assert picker.is_hidden()
    # Date and time: the time typed after the date stays; the day is clicked.
    page.fill("input[name=cf_meeting]", "۱۴۰۳/۱۲/۲۹ ۰۱:۳۰")
    page.click(".date-wrap:has(input[name=cf_meeting]) .date-button")
    meeting = page.locator(".date-wrap:has(input[name=cf_meeting]) .datepicker")
    meeting.locator(".datepicker-next").click()
    meeting.locator('[data-date="۱۴۰۴/۰۱/۰۱"]').click()
    assert page.input_value("input[name=cf_meeting]") == "۱۴۰۴/۰۱/۰۱ ۰۱:۳۰"
    with page.expect_navigation():
        page.click(".record-form button[type=submit]")
    record_id = re.search(r"/persons/(\d+)$", page.url).group(1)
    saved = _api(live, f"/api/v1/contacts/persons/{record_id}")
    assert saved["cf_contract"] == "2025-04-04"
    assert saved["cf_meeting"] == "2025-03-20T22:00:00"                  # 01:30 Tehran, in UTC


def test_the_date_picker_agrees_with_the_server_on_every_day(live, new_page):
    import jdatetime

    page = new_page("maryam")
    page.goto(live.url + "/app/contacts/persons/new")
    start = datetime.date(1990, 1, 1)
    days = [start + datetime.timedelta(days=n) for n in range(0, 20000, 7)]
    got = page.evaluate("""(days) => days.map(d => {
        const c = window.peyvandCalendar, j = c.toJalali(d[0], d[1], d[2]);
        return j.concat(c.toGregorian(j[0], j[1], j[2]));
    })""", [[d.year, d.month, d.day] for d in days])
    for day, (jy, jm, jd, gy, gm, gd) in zip(days, got, strict=True):
        j = jdatetime.date.fromgregorian(date=day)
        assert (jy, jm, jd) == (j.year, j.month, j.day), day
        assert datetime.date(gy, gm, gd) == day


def test_an_english_gregorian_user_gets_a_gregorian_picker(live, new_page):
    from peyvand.identity import User

    _user(live, "anna", "admin")
    with _bound(live):
        User.update(language="en", calendar="gregorian").where(User.name == "anna").execute()
    live.kernel.bump_generation()
    page = new_page("anna")
    page.goto(live.url + "/app/contacts/persons/new")
    page.fill("input[name=cf_contract]", "2025-04-04")
    page.click(".date-wrap:has(input[name=cf_contract]) .date-button")
    picker = page.locator(".date-wrap:has(input[name=cf_contract]) .datepicker")
    assert picker.locator(".datepicker-title").inner_text() == "April 2025"
    assert picker.locator("th").first.inner_text() == "Mo"
    picker.locator('[data-date="2025-04-10"]').click()
    assert page.input_value("input[name=cf_contract]") == "2025-04-10"


def test_changing_the_time_zone_changes_the_times_shown(live, new_page):
    import jdatetime

    _people(live, "ساعتی", 1)
    from peyvand_contacts.models import Person

    moment = datetime.datetime(2025, 1, 1, 23, 0)
    with _bound(live):
        person = Person.get(Person.last_name == "ساعتی 000")
        Person.update(created_at=moment, updated_at=moment).where(Person.id == person.id) \
            .execute()

    def shown(local: datetime.datetime) -> str:
        j = jdatetime.date.fromgregorian(date=local.date())
        text = f"{j.year:04d}/{j.month:02d}/{j.day:02d} {local:%H:%M}"
        return text.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))

    _user(live, "zahra", "admin")
    page = new_page("zahra")
    page.goto(f"{live.url}/app/contacts/persons/{person.id}")
    assert shown(moment + datetime.timedelta(hours=3, minutes=30)) in page.inner_text("main")
    page.goto(live.url + "/profile")
    page.select_option("select[name=time_zone]", "UTC")
    with page.expect_navigation():
        page.click("form.stack:has(select[name=time_zone]) button[type=submit]")
    page.goto(f"{live.url}/app/contacts/persons/{person.id}")
    assert shown(moment) in page.inner_text("main")


def test_a_filter_chosen_from_the_menu_on_a_phone_and_removed_from_its_chip(live, new_page):
    _people(live, "پالایه", 2, lifecycle_stage="customer", city="یزد")
    _people(live, "سرنخی", 2, lifecycle_stage="lead", city="یزد")
    page = new_page("maryam", viewport={"width": 375, "height": 800}, is_mobile=True)
    page.goto(live.url + "/app/contacts/persons?city=یزد&sort=last_name&view=")
    page.click("details.filter-pick summary")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=str(ARTIFACTS / "list-filters-phone-fa.png"), full_page=True)
    stage = page.locator("details.filter-pick select[name=lifecycle_stage]")
    assert stage.locator("option[value=customer]").inner_text() == "مشتری"   # translated
    stage.select_option("customer")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    # The chosen stage, the city and sort from before, and no empty controls in the address.
    assert "lifecycle_stage=customer" in page.url and "sort=last_name" in page.url
    assert "owner_id=" not in page.url and "city=" in page.url
    assert _names(page, "پالایه") == ["پالایه 000", "پالایه 001"] and not _names(page, "سرنخی")
    chip = page.locator('.chips .chip[data-filter="lifecycle_stage"]')
    assert chip.inner_text().startswith("مرحله مشتری: مشتری")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    with page.expect_navigation():
        chip.locator("a.chip-remove").click()
    assert "lifecycle_stage" not in page.url and "city=" in page.url
    assert len(_names(page, "سرنخی")) == 2 and len(_names(page, "پالایه")) == 2


def test_search_suggestions_with_the_keyboard(live, new_page):
    with _bound(live):
        people = live.kernel.service("contacts.person", "default")
        first = people.create({"first_name": "پیشنهاد", "last_name": "یکم"}).id
        second = people.create({"first_name": "پیشنهاد", "last_name": "دوم"}).id
    page = new_page("maryam")
    page.goto(live.url + "/")
    page.keyboard.press("/")                                  # "/" focuses the search box
    box = page.locator("#global-q")
    assert page.evaluate("document.activeElement.id") == "global-q"
    assert box.get_attribute("role") == "combobox" and box.get_attribute("aria-expanded") == \
        "false"
    page.keyboard.type("پیشنهاد")
    # What is typed shows: dark on the box's white, not the top bar's white (a bug once).
    colours = box.evaluate("e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]")
    assert colours[0] != colours[1] and colours[0] != "rgb(255, 255, 255)"
    options = page.locator("#global-q-list [role=option]")
    options.nth(1).wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    assert page.locator("#global-q-list").get_attribute("role") == "listbox"
    assert options.count() == 2 and "شخص" in options.first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "search-suggestions-fa.png"))
    # Escape closes; typing again opens; ArrowUp from nothing picks the last, Down wraps.
    page.keyboard.press("Escape")
    assert page.locator("#global-q-list").is_hidden()
    assert box.get_attribute("aria-expanded") == "false"
    page.keyboard.type(" ")
    page.keyboard.press("Backspace")
    options.nth(1).wait_for()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    chosen = options.nth(1)
    assert chosen.get_attribute("aria-selected") == "true"
    assert box.get_attribute("aria-activedescendant") == chosen.get_attribute("id")
    wanted = chosen.get_attribute("data-url")
    assert wanted.endswith((f"/persons/{first}", f"/persons/{second}"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == live.url + wanted
    # Enter with nothing picked still searches, as without JavaScript.
    page.click("#global-q")
    page.keyboard.type("پیشنهاد")
    options.nth(1).wait_for()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/search?q=" in page.url and "یکم" in page.inner_text("main")
