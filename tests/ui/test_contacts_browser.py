"""The contacts plugin's own pages in a real browser: the import wizard with a real
`peyvand worker`, the duplicate warning while typing, merge and undo."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.sqlite_only   # as test_browser.py: one browser pass is enough

CSV = ("نام,نام خانوادگی,موبایل,ایمیل,شهر\r\n"
       "نرگس,توکلی,۰۹۱۲ ۳۳۳ ۴۴۵۵,narges@example.ir,تهران\r\n"
       "بهرام,صادقی,12,bahram@example.ir,کرج\r\n"
       "لیلا,نوری,+98 935 777 8899,,اصفهان\r\n").encode("utf-8-sig")


def _person(live, **values) -> int:
    kernel = live.kernel
    with kernel.storage.bound("default"), kernel.storage.database_for("default").atomic():
        return kernel.service("contacts.person", "default").create(values).id


def _people(live, **where) -> list:
    with live.kernel.storage.bound("default"):
        from peyvand_contacts.models import Person

        query = Person.select().where(Person.deleted_at.is_null())
        for name, value in where.items():
            query = query.where(getattr(Person, name) == value)
        return list(query)


class Worker:
    """A real `peyvand worker` process on the live server's instance."""

    def __init__(self, live, log: Path):
        peyvand = shutil.which("peyvand", path=str(Path(sys.executable).parent))
        assert peyvand, "the peyvand command is not installed next to this Python"
        env = dict(os.environ)
        env.update({"PEYVAND_HOME": str(live.kernel.settings.home),
                    "PEYVAND_DATABASE_URL": live.kernel.settings.database_url,
                    "PEYVAND_WORKER_POLL_S": "0.05", "PEYVAND_STRICT_PLUGINS": "0"})
        env.pop("PEYVAND_QUEUE_URL", None)
        self.log = log
        self._out = open(log, "ab")
        self.proc = subprocess.Popen([peyvand, "worker", "--tenant", "default",
                                      "--concurrency", "1"], env=env, stdout=self._out,
                                     stderr=subprocess.STDOUT)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._out.close()


def test_import_a_csv_through_the_wizard_with_a_row_error_and_undo(live, new_page, tmp_path):
    source = tmp_path / "people.csv"
    source.write_bytes(CSV)
    page = new_page("maryam")
    page.click('a[data-menu="contacts.import"]')
    page.wait_for_url("**/app/contacts/import")
    assert page.locator(".steps [aria-current=step]").inner_text().strip() == "بارگذاری"
    page.set_input_files("input[name=file]", str(source))
    with page.expect_navigation():
        page.click("form.import-upload button[type=submit]")
    assert page.url.endswith("/mapping"), page.inner_text("main")

    # The columns are guessed from the Persian headers; the user keeps them and saves them.
    assert page.input_value("select[name='map:2']") == "mobile"
    assert page.input_value("select[name='map:4']") == "city"
    page.fill("input[name=save_as]", "ui-list")
    with page.expect_navigation():
        page.click("form.import-mapping button.primary")
    assert page.url.endswith("/preview")
    assert page.locator("tr[data-action=create]").count() == 2
    failed = page.locator("tr[data-action=fail]")
    assert failed.count() == 1 and "12" in failed.inner_text()
    assert page.locator("[data-count=failed] strong").inner_text() == "۱"
    assert len(_people(live, last_name="توکلی")) == 0                # nothing written yet

    # Run: the job waits for a worker; the page shows a progress bar and follows the job.
    with page.expect_navigation():
        page.click("[data-run]")
    assert page.locator("#import-progress progress").count() == 1
    assert page.locator("#import-progress [data-state]").inner_text() == "در انتظار"
    worker = Worker(live, tmp_path / "worker.log")
    try:
        page.wait_for_selector(".import-result", timeout=60_000)     # the script reloads it
    except Exception:
        worker.stop()
        raise AssertionError("the import did not finish; worker log:\n"
                             + (tmp_path / "worker.log").read_text(errors="replace")) from None
    worker.stop()
    assert page.locator("[data-count=created] strong").inner_text() == "۲"
    assert page.locator("[data-count=failed] strong").inner_text() == "۱"
    row = page.locator("table.import-errors tr[data-row='3']")
    assert "موبایل" in row.inner_text() and "12" in row.inner_text()
    page.screenshot(path=str(ARTIFACTS / "contacts-import-result-fa.png"), full_page=True)
    with page.expect_download() as download:
        page.click("[data-errors-report]")
    report = Path(download.value.path()).read_bytes().decode("utf-8-sig")
    assert report.splitlines()[1].startswith("3,موبایل,mobile,12,")
    assert len(_people(live, last_name="توکلی")) == 1

    with page.expect_navigation():
        page.click("[data-undo]")
    # Undo asks first, on a page of its own; nothing is undone before the answer.
    assert "واگردانی درون‌ریزی" in page.inner_text("main")
    assert len(_people(live, last_name="توکلی")) == 1
    page.screenshot(path=str(ARTIFACTS / "contacts-import-undo-confirm-fa.png"), full_page=True)
    with page.expect_navigation():
        page.click("[data-confirm-button]")
    assert "درون‌ریزی واگردانی شد" in page.inner_text("main")
    assert page.locator("[data-undo]").count() == 0
    assert _people(live, last_name="توکلی") == [] and _people(live, last_name="نوری") == []


def test_the_new_person_form_warns_of_a_likely_duplicate_while_typing(live, new_page):
    existing = _person(live, first_name="کاوه", last_name="مرادی", phone="09127654321")
    page = new_page("maryam")
    page.goto(live.url + "/app/contacts/persons/new")
    assert page.locator("[data-duplicates]").count() == 0
    page.locator("input[name=last_name]").type("مرادی")
    page.locator("input[name=phones-0-value]").type("۰۹۱۲ ۷۶۵ ۴۳۲۱")  # typed another way
    warning = page.locator("#dup-warning [data-duplicates]")
    warning.wait_for(timeout=10_000)
    assert "تکراری‌های احتمالی" in warning.inner_text()
    link = warning.locator("a", has_text="کاوه مرادی")
    assert link.get_attribute("href") == f"/app/contacts/persons/{existing}"
    page.screenshot(path=str(ARTIFACTS / "contacts-duplicate-warning-fa.png"), full_page=True)
    # Changing the number to someone new clears the warning.
    page.fill("input[name=phones-0-value]", "09350000001")
    page.locator("input[name=phones-0-value]").dispatch_event("input")
    page.wait_for_function(
        "!document.querySelector('#dup-warning [data-duplicates]')", timeout=10_000)
    # "Add another" adds a phone row in the page (no reload): a second, work number, primary.
    url = page.url
    page.click("#list-phones .list-add")
    second = page.locator("#list-phones input[name=phones-1-value]")
    assert page.locator("#list-phones .list-row").count() == 2 and page.url == url
    assert second.input_value() == "" and page.input_value("input[name=last_name]") == "مرادی"
    assert page.evaluate("document.activeElement.name") == "phones-1-value"
    second.fill("021 8877 6655")
    page.select_option("#list-phones select[name=phones-1-type]", "work")
    page.check("#list-phones input[name=phones-primary][value='1']")
    page.screenshot(path=str(ARTIFACTS / "contacts-form-phones-fa.png"), full_page=True)
    with page.expect_navigation():                 # Enter saves ("Add another" is no default)
        page.press("input[name=last_name]", "Enter")
    assert "ذخیره شد" in page.inner_text("main")
    [saved] = _people(live, phone="+982188776655")
    with live.kernel.storage.bound("default"):
        phones = live.kernel.service("contacts.person", "default").to_dict(saved)["phones"]
    assert [(p["value"], p["type"], p["primary"]) for p in phones] == [
        ("+982188776655", "work", True), ("+989350000001", "mobile", False)]


def test_merge_two_people_choosing_a_field_then_undo(live, new_page):
    first = _person(live, first_name="Sina", last_name="Farahani", email="sina@example.ir",
                    phone="09120001122")
    second = _person(live, first_name="Sina", last_name="Farahani", email="SINA@example.ir",
                     city="Shiraz", job_title="CTO")
    page = new_page("nima")
    page.click('a[data-menu="contacts.duplicates"]')
    page.wait_for_url("**/app/contacts/duplicates")
    group = page.locator(".dup-group", has_text="sina@example.ir")
    assert group.locator("tbody tr").count() == 2
    page.screenshot(path=str(ARTIFACTS / "contacts-duplicates-fa.png"), full_page=True)
    with page.expect_navigation():
        group.locator("[data-merge]").click()
    # Keep the first record, with the second one's city and job title.
    page.check(f"input[name=survivor][value='{first}']")
    page.check(f"input[name='take:city'][value='{second}']")
    page.check(f"input[name='take:job_title'][value='{second}']")
    page.screenshot(path=str(ARTIFACTS / "contacts-merge-fa.png"), full_page=True)
    with page.expect_navigation():
        page.click("button[value=preview]")
    assert "Shiraz" in page.inner_text(".merge-changes")
    assert _people(live, id=second)                                 # not merged yet
    with page.expect_navigation():
        page.click("button[value=confirm]")
    assert "/app/contacts/merges/" in page.url
    survivor = _people(live, id=first)[0]
    assert (survivor.city, survivor.job_title, survivor.phone) == ("Shiraz", "CTO",
                                                                    "+989120001122")
    assert _people(live, id=second) == []
    with page.expect_navigation():
        page.click("[data-undo]")
    assert "واگردانی ادغام" in page.inner_text("main")
    assert _people(live, id=second) == []                           # asked first
    with page.expect_navigation():
        page.click("[data-confirm-button]")
    assert "ادغام واگردانی شد" in page.inner_text("main")
    assert _people(live, id=second) and _people(live, id=first)[0].city is None


def test_the_duplicates_and_import_pages_fit_a_phone(live, new_page):
    page = new_page("maryam", viewport={"width": 390, "height": 844}, is_mobile=True)
    for path in ("/app/contacts/duplicates", "/app/contacts/import", "/app/contacts/merges",
                 "/app/contacts/persons/new", "/app/contacts/organizations/new"):
        page.goto(live.url + path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), \
            path
    page.set_viewport_size({"width": 375, "height": 812})   # the form's rows wrap on a phone
    page.click("#list-addresses .list-add")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=str(ARTIFACTS / "contacts-form-rows-375.png"), full_page=True)


def test_the_contact_page_with_its_tabs_in_persian_and_english(live, new_page):
    person = _person(live, first_name="آرش", last_name="کمالی", phone="09121112233",
                     email="arash@example.ir", city="تبریز")
    page = new_page("reza")                                   # a salesperson: their own only
    response = page.goto(f"{live.url}/app/contacts/persons/{person}")
    assert response.status == 404
    page = new_page("maryam")
    page.goto(f"{live.url}/app/contacts/persons/{person}")
    tabs = page.locator("nav.record-tabs a")
    assert tabs.all_inner_texts()[:3] == ["جزئیات", "یادداشت‌ها", "گاه‌شمار"]
    with page.expect_navigation():
        page.click("a[data-tab='contacts.timeline']")
    assert "به مخاطبین افزوده شد" in page.inner_text("[data-tab-body]")    # its creation
    page.goto(f"{live.url}/app/contacts/persons/{person}")
    page.screenshot(path=str(ARTIFACTS / "contact-record-fa.png"), full_page=True)
    page.click(".usermenu summary")
    with page.expect_navigation():
        page.click('.usermenu button[value="en"]')
    assert page.get_attribute("html", "dir") == "ltr"
    assert page.locator("a[data-tab='contacts.timeline']").inner_text() == "Timeline"
    page.screenshot(path=str(ARTIFACTS / "contact-record-en.png"), full_page=True)
    page.click(".usermenu summary")
    with page.expect_navigation():
        page.click('.usermenu button[value="fa"]')


def test_add_and_remove_a_tag_on_the_contact_page(live, new_page):
    person = _person(live, first_name="پریسا", last_name="نادری")
    page = new_page("maryam")
    page.goto(f"{live.url}/app/contacts/persons/{person}")
    page.fill(".tag-add input[name=add]", "مشتری ویژه")           # an admin creates it
    with page.expect_navigation():
        page.click(".tag-add button")
    chip = page.locator(".tag-bar .tag-chip", has_text="مشتری ویژه")
    assert chip.count() == 1
    colour = chip.evaluate("el => getComputedStyle(el).backgroundColor")
    assert colour not in ("rgba(0, 0, 0, 0)", "transparent")       # in the tag's colour
    page.screenshot(path=str(ARTIFACTS / "contact-tags-fa.png"), full_page=True)
    with page.expect_navigation():
        chip.locator("button").click()
    assert page.locator(".tag-bar .tag-chip").count() == 0
    with live.kernel.storage.bound("default"):
        service = live.kernel.service("contacts.person", "default")
        assert service.to_dict(service.get(person))["tags"] == []


def test_add_a_note_with_a_mood_and_see_it_on_the_timeline(live, new_page):
    person = _person(live, first_name="مهسا", last_name="رحیمی", phone="09123334455")
    page = new_page("maryam")
    page.goto(f"{live.url}/app/contacts/persons/{person}")
    with page.expect_navigation():
        page.click("a[data-tab='contacts.notes']")
    page.fill(".note-form textarea[name=body]", "تماس گرفتم؛ پیش‌فاکتور را تا شنبه می‌خواهد.")
    page.select_option(".note-form select[name=mood]", "satisfied")
    with page.expect_navigation():
        page.click(".note-form button[type=submit]")
    note = page.locator(".note-list li").first
    assert "پیش‌فاکتور" in note.inner_text() and "راضی" in note.inner_text()
    with page.expect_navigation():
        page.click("a[data-tab='contacts.timeline']")
    item = page.locator(".contact-timeline li[data-kind=note]")
    assert item.count() == 1 and "راضی" in item.inner_text()
    assert "پیش‌فاکتور" in item.inner_text()
    page.screenshot(path=str(ARTIFACTS / "contact-timeline-fa.png"), full_page=True)
    # Every item names its kind, in Persian.
    assert item.locator("[data-kind-label]").inner_text().strip() == "یادداشت"
    created = page.locator(".contact-timeline li[data-kind=created] [data-kind-label]")
    assert created.inner_text().strip() == "مخاطب جدید"


VCF = ("BEGIN:VCARD\r\nVERSION:3.0\r\nN:فراهانی;کاوه;;;\r\nFN:کاوه فراهانی\r\n"
       "TEL;TYPE=CELL:0936 555 1212\r\nEND:VCARD\r\n"
       "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Baker;Tom;;;\r\nFN:Tom Baker\r\n"
       "TEL;TYPE=CELL:123\r\nEND:VCARD\r\n"
       "BEGIN:VCARD\r\nVERSION:3.0\r\nN:یزدانی;شیرین;;;\r\nFN:شیرین یزدانی\r\n"
       "EMAIL;TYPE=work:shirin@yazdani.ir\r\nEND:VCARD\r\n").encode()


def test_import_a_vcf_from_the_import_page_and_see_each_card(live, new_page, tmp_path):
    existing = _person(live, first_name="کاوه", last_name="فراهانی", phone="09365551212")
    source = tmp_path / "phone-contacts.vcf"
    source.write_bytes(VCF)
    page = new_page("maryam")
    page.goto(f"{live.url}/app/contacts/import")
    with page.expect_navigation():
        page.click("a[data-vcard-import]")
    assert page.url.endswith("/app/contacts/vcard-import")
    assert page.locator("h1").inner_text().strip().startswith("درون‌ریزی کارت ویزیت")
    page.set_input_files(".vcard-upload input[name=file]", str(source))
    with page.expect_navigation():
        page.click(".vcard-upload button[type=submit]")
    rows = page.locator("table.vcard-cards tbody tr")
    assert rows.count() == 3
    assert [rows.nth(i).get_attribute("data-outcome") for i in range(3)] == [
        "duplicate", "error", "created"]
    error = rows.nth(1).inner_text()
    assert "Tom Baker" in error and "ساخته نشد" in error and "۲" in error
    assert "کاوه فراهانی" in rows.nth(0).locator("[data-duplicates]").inner_text()
    assert len(_people(live, last_name="یزدانی")) == 1
    assert not _people(live, last_name="Baker")
    page.screenshot(path=str(ARTIFACTS / "contacts-vcard-import-fa.png"), full_page=True)
    # The warning links to the person already in the CRM.
    with page.expect_navigation():
        rows.nth(0).locator(f"a[data-duplicate='{existing}']").click()
    assert page.url.endswith(f"/app/contacts/persons/{existing}")
