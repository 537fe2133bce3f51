"""The web workspace through Flask's test client: sessions, CSRF, menus, generic pages, rights,
print and export, languages, calendars and catalogues. (tests/ui drives a real browser.)"""

from __future__ import annotations

import datetime
import json
import os
import re
import stat

import pytest
from web_kit import PASSWORD, csrf, log_in, make_user, post, web_client

from peyvand.web import i18n


@pytest.fixture
def app(peyvand_app_factory):
    return peyvand_app_factory(plugins=["contacts"])


def _text(response) -> str:
    return response.get_data(as_text=True)


def _person(app, **values):
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        from peyvand_contacts.models import Person

        return Person.create(**{"last_name": "احمدی", **values})


# -- sessions ------------------------------------------------------------------------------------

def test_the_start_page_and_every_app_page_require_logging_in(app):
    client = app.test_client()
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/")
    assert client.get("/app/contacts/persons").status_code == 302
    assert client.get("/profile").status_code == 302
    assert client.get("/search?q=x").status_code == 302
    assert client.get("/login").status_code == 200
    assert client.get("/manifest.webmanifest").status_code == 200


def test_first_administrator_is_created_from_the_login_page(peyvand_kernel_factory):
    from peyvand.app import create_app
    from peyvand.identity import User, user_roles

    kernel = peyvand_kernel_factory(plugins=["contacts"])
    app = create_app({"TESTING": True}, kernel=kernel)
    client = app.test_client()
    page = client.get("/login")
    assert "نخستین مدیر سیستم" in _text(page) or "first administrator" in _text(page)
    refused = client.post("/setup", data={"csrf_token": csrf(page), "name": "boss",
                                          "password": "short", "password2": "short"})
    assert refused.status_code == 400
    done = client.post("/setup", data={"csrf_token": csrf(page), "name": "boss",
                                       "password": PASSWORD, "password2": PASSWORD,
                                       "language": "en"})
    assert done.status_code == 302
    home = client.get("/")
    assert home.status_code == 200 and 'dir="ltr"' in _text(home)
    with kernel.storage.bound("default"):
        boss = User.get(User.name == "boss")
        assert user_roles(boss) == ["admin"] and boss.language == "en"
    # Once a user exists, nobody else can claim the workspace.
    other = app.test_client()
    again = other.post("/setup", data={"csrf_token": csrf(other.get("/login")), "name": "eve",
                                       "password": PASSWORD, "password2": PASSWORD})
    assert again.status_code == 302
    with kernel.storage.bound("default"):
        assert not User.select().where(User.name == "eve").exists()


def test_log_in_wrong_password_log_out(app):
    make_user(app, "maryam")
    client = app.test_client()
    page = client.get("/login?next=/app/contacts/persons")
    wrong = client.post("/login?next=/app/contacts/persons",
                        data={"csrf_token": csrf(page), "name": "maryam", "password": "nope"})
    assert wrong.status_code == 401
    assert "نادرست" in _text(wrong)  # Persian by default
    right = client.post("/login?next=/app/contacts/persons",
                        data={"csrf_token": csrf(page), "name": "maryam",
                              "password": PASSWORD})
    assert right.headers["Location"] == "/app/contacts/persons"
    assert client.get("/app/contacts/persons").status_code == 200
    out = post(client, "/logout", {}, page_url="/")
    assert out.status_code == 302
    assert client.get("/").status_code == 302


def test_failed_logins_are_counted_outside_the_request_transaction(app):
    from peyvand.identity import User

    make_user(app, "reza")
    client = app.test_client()
    for _ in range(5):
        page = client.get("/login")
        client.post("/login", data={"csrf_token": csrf(page), "name": "reza", "password": "x"})
    page = client.get("/login")
    locked = client.post("/login", data={"csrf_token": csrf(page), "name": "reza",
                                         "password": PASSWORD})
    assert locked.status_code == 401
    with app.extensions["peyvand"].storage.bound("default"):
        assert User.get(User.name == "reza").locked_until is not None


def test_next_never_leaves_the_site(app):
    make_user(app, "sara")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        client = app.test_client()
        page = client.get("/login")
        response = client.post(f"/login?next={target}",
                               data={"csrf_token": csrf(page), "name": "sara",
                                     "password": PASSWORD})
        assert response.headers["Location"] == "/", target


def test_session_cookie_is_httponly_samesite_and_the_secret_is_kept(app):
    make_user(app, "ali")
    client = app.test_client()
    page = client.get("/login")
    response = client.post("/login", data={"csrf_token": csrf(page), "name": "ali",
                                           "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    key = app.extensions["peyvand"].settings.home / "secret_key"
    assert key.read_bytes().strip() == app.secret_key
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600


def test_changing_the_password_logs_out_other_sessions(app):
    first = web_client(app, "nima")
    second = log_in(app.test_client(), "nima")
    new = "Shiraz-1404-newpass"
    done = post(first, "/profile", {"form": "password", "current": PASSWORD, "new": new,
                                    "new2": new})
    assert done.status_code == 302
    assert first.get("/").status_code == 200
    assert second.get("/").status_code == 302
    log_in(app.test_client(), "nima", new)


def test_a_disabled_user_is_logged_out_at_once(app):
    from peyvand.identity import User, disable_user

    client = web_client(app, "leaving")
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        disable_user(User.get(User.name == "leaving"))
    kernel.bump_generation()
    assert client.get("/").status_code == 302


# -- CSRF ----------------------------------------------------------------------------------------

def test_a_post_without_the_csrf_token_is_refused_with_400(app):
    client = web_client(app, "admin2")
    for url in ("/app/contacts/persons/new", "/logout", "/profile", "/login"):
        response = client.post(url, data={"last_name": "x"})
        assert response.status_code == 400, url
        assert "CSRF" in _text(response)
    forged = client.post("/app/contacts/persons/new",
                         data={"csrf_token": "forged", "last_name": "x"})
    assert forged.status_code == 400
    assert "form has expired" in _text(forged) or "منقضی" in _text(forged)
    assert client.get("/app/contacts/persons").status_code == 200  # still logged in


# -- menus ---------------------------------------------------------------------------------------

def test_menu_items_follow_enabled_plugins_and_permissions(app):
    from peyvand.identity import Grant, Role

    admin = web_client(app, "boss")
    home = _text(admin.get("/"))
    assert 'data-menu="contacts.people"' in home
    assert 'data-menu="contacts.organizations"' in home
    # A role without the read right on organisations does not see that entry.
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        role = Role.get(Role.key == "readonly")
        Grant.update(scope="none").where((Grant.role == role) & (
            Grant.permission == "contacts.organization.read")).execute()
    kernel.bump_generation()
    reader = web_client(app, "reader", roles=("readonly",))
    page = _text(reader.get("/"))
    assert 'data-menu="contacts.people"' in page
    assert 'data-menu="contacts.organizations"' not in page
    assert reader.get("/app/contacts/organizations").status_code == 403
    # Disabling the plugin removes its menu and its pages, for everyone.
    kernel.disable("contacts")
    page = _text(admin.get("/"))
    assert "data-menu=" not in page
    assert admin.get("/app/contacts/persons").status_code == 404
    kernel.enable("contacts")
    assert 'data-menu="contacts.people"' in _text(admin.get("/"))


def test_menu_hook_contract():
    from peyvand import hookspecs

    assert "register_menu_items" in dir(hookspecs)
    from peyvand_contacts.views import menu_items

    for item in menu_items():
        assert {"id", "label", "url", "permission", "order"} <= set(item)
        assert item["url"].startswith("/app/contacts/")
        assert {"en", "fa"} <= set(item["label"])


# -- generic pages -------------------------------------------------------------------------------

def test_create_show_edit_delete_a_person_in_persian(app):
    client = web_client(app, "boss")
    created = post(client, "/app/contacts/persons/new",
                   {"first_name": "مریم", "last_name": "کریمی", "phones-0-value": "۰۹۱۲۱۲۳۴۵۶۷",
                    "emails-0-value": " Maryam@Example.IR ", "lifecycle_stage": "customer",
                    "consent_sms": "1"})
    assert created.status_code == 302
    url = created.headers["Location"]
    page = _text(client.get(url))
    assert "مریم کریمی" in page
    assert "+۹۸۹۱۲۱۲۳۴۵۶۷" in page          # normalised by the plugin, Persian digits
    assert "maryam@example.ir" in page
    assert "مشتری" in page                   # the choice, from the plugin's catalogue
    assert "تاریخچه" in page                 # the audit trail, as history
    edit_page = client.get(url + "/edit")
    assert 'value="مریم"' in _text(edit_page)
    edited = client.post(url + "/edit", data={
        "csrf_token": csrf(edit_page), "version": "1", "first_name": "مریم",
        "last_name": "کریمی‌نژاد", "phones-0-value": "+989121234567",
        "emails-0-value": "maryam@example.ir",
        "lifecycle_stage": "customer"})
    assert edited.status_code == 302
    page = _text(client.get(url))
    assert "کریمی‌نژاد" in page
    confirm = client.get(url + "/delete")
    assert confirm.status_code == 200 and "حذف شود" in _text(confirm)
    deleted = client.post(url + "/delete", data={"csrf_token": csrf(confirm)})
    assert deleted.status_code == 302
    assert client.get(url).status_code == 404


def test_field_errors_are_shown_in_the_users_language(app):
    client = web_client(app, "boss")
    refused = post(client, "/app/contacts/persons/new", {"first_name": "علی",
                                                         "phones-0-value": "0912"})
    assert refused.status_code == 422
    html = _text(refused)
    errors = re.findall(r'class="field-error" role="alert">([^<]+)<', html)
    assert "پر کردن این فیلد الزامی است." in errors    # last name missing
    assert 'value="علی"' in html                          # what was typed is kept
    refused = post(client, "/app/contacts/persons/new", {"last_name": "رضایی",
                                                         "phones-0-value": "0912"})
    errors = re.findall(r'class="field-error" role="alert">([^<]+)<', _text(refused))
    assert any("شماره تلفن" in e and "معتبر نیست" in e for e in errors), errors
    english = web_client(app, "english", language="en", calendar="gregorian")
    refused = post(english, "/app/contacts/persons/new", {"first_name": "Ali"})
    assert "This field is required." in _text(refused)


def test_stale_edit_is_refused_with_a_message(app):
    client = web_client(app, "boss")
    person = _person(app)
    url = f"/app/contacts/persons/{person.id}"
    page = client.get(url + "/edit")
    token = csrf(page)
    client.post(url + "/edit", data={"csrf_token": token, "version": "1",
                                     "last_name": "اول"})
    stale = client.post(url + "/edit", data={"csrf_token": token, "version": "1",
                                             "last_name": "دوم"})
    assert stale.status_code == 302 and stale.headers["Location"].endswith("/edit")
    assert "شخص دیگری" in _text(client.get(stale.headers["Location"]))


def test_list_pages_by_keyset_sorts_and_shows_empty_states(app):
    client = web_client(app, "boss")
    empty = _text(client.get("/app/contacts/persons"))
    assert "اولین مورد را اضافه کنید" in empty
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        from peyvand_contacts.models import Person

        Person.insert_many([{"last_name": f"نفر {i:03d}"} for i in range(60)]).execute()
    first = _text(client.get("/app/contacts/persons"))
    assert first.count("<tr>") == 51  # header + 50 rows
    next_link = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = _text(client.get(next_link))
    assert second.count("<tr>") == 11 and 'rel="next"' not in second
    assert "نفر 000" in second                           # newest first: the oldest come last
    by_name = _text(client.get("/app/contacts/persons?sort=last_name"))
    rows = re.findall(r"نفر \d{3}", by_name)
    assert rows[:3] == ["نفر 000", "نفر 001", "نفر 002"]
    assert "sorted-asc" in by_name
    nothing = _text(client.get("/app/contacts/persons?q=زززز"))
    assert "چیزی با «زززز» پیدا نشد" in nothing
    bad = client.get("/app/contacts/persons?sort=no_such_field")
    assert bad.status_code == 302


def test_search_box_finds_persian_names_typed_with_arabic_letters(app):
    client = web_client(app, "boss")
    post(client, "/app/contacts/persons/new", {"first_name": "یاسمن", "last_name": "کیانی"})
    hits = _text(client.get("/search?q=كياني"))          # Arabic kaf and yeh
    assert "یاسمن کیانی" in hits
    in_list = _text(client.get("/app/contacts/persons?q=ياسمن"))
    assert "کیانی" in in_list


def test_a_linked_organisation_is_shown_by_name_and_lists_its_people(app):
    client = web_client(app, "boss")
    org = post(client, "/app/contacts/organizations/new", {"name": "بازرگانی آریا"})
    org_id = int(org.headers["Location"].rsplit("/", 1)[1])
    form = _text(client.get("/app/contacts/persons/new"))
    assert f'<option value="{org_id}">بازرگانی آریا</option>' in form
    person = post(client, "/app/contacts/persons/new",
                  {"last_name": "صالحی", "organization_id": str(org_id)})
    page = _text(client.get(person.headers["Location"]))
    assert f'href="/app/contacts/organizations/{org_id}">بازرگانی آریا</a>' in page
    org_page = _text(client.get(f"/app/contacts/organizations/{org_id}"))
    assert "صالحی" in org_page and "اشخاص" in org_page
    listed = _text(client.get(f"/app/contacts/persons?organization_id={org_id}"))
    assert "صالحی" in listed and "بازرگانی آریا" in listed


# -- rights: export and print ----------------------------------------------------------------------

def test_export_button_and_url_follow_the_export_right(app):
    from peyvand.audit import Audit

    admin = web_client(app, "boss")
    post(admin, "/app/contacts/persons/new", {"first_name": "سارا", "last_name": "نوری"})
    seller = web_client(app, "seller", roles=("salesperson",))
    post(seller, "/app/contacts/persons/new", {"last_name": "فروشنده"})
    page = _text(seller.get("/app/contacts/persons"))
    assert "فروشنده" in page and "data-export" not in page
    assert seller.get("/app/contacts/persons/export?format=csv").status_code == 403
    page = _text(admin.get("/app/contacts/persons"))
    assert page.count("data-export") == 2
    exported = admin.get("/app/contacts/persons/export?format=csv&q=سارا")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    assert "سارا" in exported.get_data().decode("utf-8-sig")
    with app.extensions["peyvand"].storage.bound("default"):
        row = Audit.select().where(Audit.action == "export").get()
        assert row.via == "web" and row.user_name == "boss"


def test_print_view_needs_the_print_right_and_is_recorded(app):
    from peyvand.audit import Audit

    person = _person(app, first_name="بهار")
    reader = web_client(app, "reader", roles=("readonly",))   # read, but no print right
    url = f"/app/contacts/persons/{person.id}"
    assert "data-print-link" not in _text(reader.get(url))
    assert reader.get(url + "?print=1").status_code == 403
    assert reader.get("/app/contacts/persons?print=1").status_code == 403
    admin = web_client(app, "boss")
    assert "data-print-link" in _text(admin.get(url))
    printed = admin.get(url + "?print=1")
    html = _text(printed)
    assert printed.status_code == 200 and 'class="print-view"' in html and 'dir="rtl"' in html
    assert "sidenav" not in html
    listed = admin.get("/app/contacts/persons?print=1")
    assert listed.status_code == 200 and "بهار" in _text(listed)
    with app.extensions["peyvand"].storage.bound("default"):
        prints = list(Audit.select().where(Audit.action == "print").order_by(Audit.id))
    assert [(p.record_id, p.via, p.user_name) for p in prints] == [
        (person.id, "web", "boss"), (0, "web", "boss")]


def test_scopes_apply_to_pages_as_to_the_api(app):
    seller = web_client(app, "seller", roles=("salesperson",))
    other = _person(app, last_name="دیگری")          # owned by nobody: outside "own"
    assert seller.get(f"/app/contacts/persons/{other.id}").status_code == 404
    mine = post(seller, "/app/contacts/persons/new", {"last_name": "مال من"})
    assert seller.get(mine.headers["Location"]).status_code == 200
    listed = _text(seller.get("/app/contacts/persons"))
    assert "مال من" in listed and "دیگری" not in listed


# -- languages, calendars, amounts -----------------------------------------------------------------

def test_switching_to_english_turns_the_page_left_to_right(app):
    client = web_client(app, "boss")
    page = _text(client.get("/"))
    assert '<html lang="fa" dir="rtl">' in page
    switched = post(client, "/language?next=/app/contacts/persons", {"lang": "en"},
                    page_url="/")
    assert switched.headers["Location"] == "/app/contacts/persons"
    page = _text(client.get("/app/contacts/persons"))
    assert '<html lang="en" dir="ltr">' in page and "People" in page
    done = post(client, "/profile", {"form": "settings", "language": "fa",
                                     "calendar": "gregorian"})
    assert done.status_code == 302
    assert '<html lang="fa" dir="rtl">' in _text(client.get("/"))


def test_dates_are_shown_and_typed_in_the_users_calendar(app):
    from peyvand.custom_fields import add_field

    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        add_field(kernel.entities("default"), "contacts.person", "contract", "date",
                  label_en="Contract date", label_fa="تاریخ قرارداد")
    kernel.bump_generation()
    client = web_client(app, "boss")
    created = post(client, "/app/contacts/persons/new",
                   {"last_name": "تقویمی", "cf_contract": "۱۴۰۴/۰۱/۱۵"})
    assert created.status_code == 302, _text(created)[:3000]
    url = created.headers["Location"]
    page = _text(client.get(url))
    assert "تاریخ قرارداد" in page and ">۱۴۰۴/۰۱/۱۵<" in page
    api = client.get(url.replace("/app/", "/api/v1/"))
    assert api.json["cf_contract"] == "2025-04-04"
    wrong = post(client, url + "/edit", {"version": "1", "last_name": "تقویمی",
                                         "cf_contract": "1404/13/40"}, page_url=url + "/edit")
    assert wrong.status_code == 422 and "تاریخ را به شکل" in _text(wrong)
    gregorian = web_client(app, "greg", language="en", calendar="gregorian")
    assert ">2025-04-04<" in _text(gregorian.get(url))
    # The list's "created from" filter takes a Jalali date too.
    today = i18n.date_text(datetime.datetime.now(i18n.time_zone()).date(), "jalali", "fa")
    listed = _text(client.get(f"/app/contacts/persons?from={today}"))
    assert "تقویمی" in listed
    assert "تقویمی" not in _text(client.get("/app/contacts/persons?to=1390/01/01"))


def test_digits_dates_and_amounts():
    assert i18n.digits(1404, "fa") == "۱۴۰۴"
    assert i18n.number(1234567, "fa") == "۱٬۲۳۴٬۵۶۷"
    assert i18n.number(1234567, "en") == "1,234,567"
    assert i18n.amount("12500000", "IRR", "fa") == "۱۲٬۵۰۰٬۰۰۰ ریال"
    assert i18n.amount("1250000", "IRT", "fa") == "۱٬۲۵۰٬۰۰۰ تومان"
    assert i18n.amount("12500000", "IRR", "en") == "12,500,000 Rials"
    assert i18n.amount("1200.5", "USD", "en") == "1,200.50 USD"
    assert i18n.date_text("2025-03-21", "jalali", "fa") == "۱۴۰۴/۰۱/۰۱"
    assert i18n.date_text("2025-03-21", "gregorian", "en") == "2025-03-21"
    assert i18n.datetime_text("2025-03-21T08:00:00Z", "jalali", "en") == "1404/01/01 11:30"
    assert i18n.long_date("2025-03-21", "jalali", "fa") == "۱ فروردین ۱۴۰۴"
    for typed in ("1404/01/01", "۱۴۰۴/۱/۱", "١٤٠٤-٠١-٠١", "2025-03-21", "01/01/1404"):
        assert i18n.parse_date(typed) == datetime.date(2025, 3, 21), typed
    assert i18n.parse_date("  ") is None
    for wrong in ("1404/12/31", "1404/00/01", "tomorrow", "2025-02-30"):
        with pytest.raises(i18n.DateInputError):
            i18n.parse_date(wrong)
    assert i18n.parse_datetime("1404/01/01 14:30") == datetime.datetime(2025, 3, 21, 11, 0)


def test_amounts_in_lists_follow_their_currency(peyvand_app_factory):
    app = peyvand_app_factory(plugins=["contacts", "sales"])
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        from peyvand_sales.models import Deal

        Deal.create(title="کارتخوان", pipeline_id=1, stage="qualified", amount=1200000000,
                    currency="IRR")
    client = web_client(app, "boss")
    page = _text(client.get("/app/sales/deals"))
    assert "۱٬۲۰۰٬۰۰۰٬۰۰۰ ریال" in page


def test_the_manifest_and_assets_are_served_locally(app):
    client = web_client(app, "boss")
    manifest = client.get("/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    data = json.loads(manifest.get_data())
    assert data["start_url"] == "/" and data["display"] == "standalone"
    # Installable on Android (PNG 192 and 512) and iOS (apple-touch-icon), all served here.
    pngs = {i["sizes"]: i["src"] for i in data["icons"] if i["type"] == "image/png"}
    assert set(pngs) == {"192x192", "512x512"}
    for size, src in pngs.items():
        icon = client.get(src).get_data()
        assert icon[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = int.from_bytes(icon[16:20], "big"), int.from_bytes(icon[20:24], "big")
        assert f"{width}x{height}" == size
    touch = re.search(r'<link rel="apple-touch-icon" href="([^"]+)"',
                      _text(client.get("/"))).group(1)
    assert client.get(touch).get_data()[:4] == b"\x89PNG"
    page = _text(client.get("/app/contacts/persons"))
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    assert len(assets) >= 3
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    assert not re.search(r'(?:href|src)="(?:https?:)?//', page)   # no CDN, no other host
    assert "Vazirmatn, Tahoma" in _text(client.get("/static/peyvand/app.css"))


# -- catalogues ------------------------------------------------------------------------------------

def test_every_kernel_message_has_a_persian_translation():
    from peyvand.web.catalog import KERNEL_PO, kernel_messages, missing

    messages = kernel_messages()
    assert len(messages) > 100
    assert missing(KERNEL_PO, messages) == []


def test_the_kernel_catalogue_holds_no_message_the_code_no_longer_uses():
    """An entry left behind when a text changes is dead weight that translators keep
    maintaining: the catalogue holds what the code and templates use, nothing else."""
    from peyvand.web.catalog import KERNEL_PO, kernel_messages, read

    used = kernel_messages()
    unused = [m.id for m in read(KERNEL_PO) if m.id and m.id not in used]
    assert unused == []


def test_contacts_fields_and_choices_have_persian_labels():
    from pathlib import Path

    import peyvand_contacts
    from peyvand.web.catalog import entity_messages, missing
    from peyvand_contacts.entities import ORGANIZATION, PERSON

    po = Path(peyvand_contacts.__file__).parent / "translations/fa/LC_MESSAGES/messages.po"
    assert missing(po, entity_messages([PERSON, ORGANIZATION])) == []


def test_catalogues_load_from_po_without_a_build_step(app):
    client = web_client(app, "boss")
    page = _text(client.get("/app/contacts/persons/new"))
    assert "نام خانوادگی" in page and "شخص جدید" in page


def test_entities_without_a_search_hook_are_found_by_their_searchable_fields(
        peyvand_app_factory):
    from peyvand.web.search import variants

    assert "كريمي" in variants("کریمی") and "کریمی" in variants("كريمي")
    app = peyvand_app_factory(plugins=["contacts", "sales"])
    kernel = app.extensions["peyvand"]
    if "search" in kernel.records["sales"].hooks:
        pytest.skip("the sales plugin answers the search hook itself now")
    with kernel.storage.bound("default"):
        from peyvand_sales.models import Deal

        deal = Deal.create(title="کارتخوان کیش", pipeline_id=1, stage="qualified",
                           amount=10, currency="IRR")
    admin = web_client(app, "boss")
    hits = _text(admin.get("/search?q=كيش"))
    assert f'href="/app/sales/deals/{deal.id}"' in hits
    seller = web_client(app, "seller", roles=("salesperson",))   # not their deal
    assert f"/app/sales/deals/{deal.id}" not in _text(seller.get("/search?q=کیش"))
