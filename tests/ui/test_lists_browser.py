"""List and record pages in a real browser: saved views, bulk actions, pages back and forth,
the Jalali date picker, per-user time zones."""

from __future__ import annotations

import datetime
import re

import pytest
from web_kit import PASSWORD

pytestmark = pytest.mark.sqlite_only


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
