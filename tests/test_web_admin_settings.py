"""The admin pages for tenant settings (/admin/settings) and tags (/admin/tags), through Flask's
test client: what is shown in each language, what is saved, what is refused and audited."""

from __future__ import annotations

import html
import json
import re

import pytest
from web_kit import post, web_client


@pytest.fixture
def app(peyvand_app_factory):
    return peyvand_app_factory(plugins=["contacts", "sales"])


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _flashes(page: str) -> list[str]:
    return re.findall(r'<p class="flash flash-\w+">([^<]*)', page)


def _audit(app, entity):
    from peyvand.audit import Audit

    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        return [(r.action, r.via, r.user_name, json.loads(r.changes))
                for r in Audit.select().where(Audit.entity == entity).order_by(Audit.id)]


def _setting(app, key):
    from peyvand.settings_store import values

    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        return values(kernel, "default")[key]


def _selected(page: str, key: str) -> str:
    select = re.search(rf'<select[^>]*name="{re.escape(key)}".*?</select>', page, re.S).group(0)
    return re.search(r'<option value="([^"]*)" selected>', select).group(1)


def test_settings_page_lists_every_plugins_settings_in_the_admins_language(app):
    persian = _text(web_client(app, "boss").get("/admin/settings"))
    assert "منطقه زمانی" in persian and "تعداد ارسال فرم سرنخ از هر نشانی" in persian
    assert 'data-plugin="peyvand"' in persian and 'data-plugin="sales"' in persian
    assert 'data-plugin="contacts"' in persian
    assert _selected(persian, "peyvand.time_zone") == "Asia/Tehran"
    zones = re.search(r'name="peyvand.time_zone".*?</select>', persian, re.S).group(0)
    assert re.findall(r'<option value="([^"]+)"', zones)[:2] == ["Asia/Tehran", "Africa/Abidjan"]
    english = _text(web_client(app, "anna", language="en", calendar="gregorian")
                    .get("/admin/settings"))
    assert "Time zone" in english and "Lead form submissions per address" in english
    assert english.index('data-plugin="peyvand"') < english.index('data-plugin="sales"')


def test_saving_settings_changes_them_at_once_and_is_audited(app):
    admin = web_client(app, "boss")
    done = post(admin, "/admin/settings", {"peyvand.time_zone": "Europe/Berlin",
                                           "sales.lead_form_rate_limit": "۲۵",
                                           "sales.lead_form_rate_window_minutes": "60"})
    assert done.status_code == 302
    assert _setting(app, "peyvand.time_zone") == "Europe/Berlin"
    assert _setting(app, "sales.lead_form_rate_limit") == 25     # typed in Persian digits
    page = _text(admin.get(done.headers["Location"]))
    assert any("ذخیره شد" in f and "منطقه زمانی" in f for f in _flashes(page))
    assert _selected(page, "peyvand.time_zone") == "Europe/Berlin"
    rows = _audit(app, "peyvand.setting")
    # Only what changed is written (the window stayed 60), by the admin, from the web.
    assert sorted(next(iter(c)) for _a, _v, _u, c in rows) == [
        "peyvand.time_zone", "sales.lead_form_rate_limit"]
    assert {(a, v, u) for a, v, u, _c in rows} == {("update", "web", "boss")}
    # The workspace's zone is what a user without a zone of their own now sees.
    assert "(Europe/Berlin)" in _text(admin.get("/profile"))


def test_a_bad_value_is_named_and_nothing_is_saved(app):
    admin = web_client(app, "anna", language="en", calendar="gregorian")
    refused = post(admin, "/admin/settings", {"peyvand.time_zone": "Europe/Berlin",
                                              "sales.lead_form_rate_limit": "many"})
    assert refused.status_code == 422
    page = _text(refused)
    block = re.search(r'data-setting="sales.lead_form_rate_limit".*?</div>', page, re.S).group(0)
    assert "Type a whole number" in block and 'aria-invalid="true"' in block
    assert "Nothing was saved" in page
    assert _setting(app, "peyvand.time_zone") == "Asia/Tehran"   # the good value neither
    assert _audit(app, "peyvand.setting") == []
    forged = post(admin, "/admin/settings", {"peyvand.time_zone": "Mars/Olympus"},
                  page_url="/admin/settings")
    assert forged.status_code == 422
    assert "Pick one of the values in the list" in _text(forged)


def test_settings_and_tags_pages_refuse_those_who_may_not(app):
    seller = web_client(app, "reza", roles=("salesperson",))
    assert seller.get("/admin/settings").status_code == 403
    assert post(seller, "/admin/settings", {"peyvand.time_zone": "UTC"},
                page_url="/").status_code == 403
    assert seller.get("/admin/tags").status_code == 403
    assert post(seller, "/admin/tags", {"name": "VIP"}, page_url="/").status_code == 403
    assert _setting(app, "peyvand.time_zone") == "Asia/Tehran"


def test_tags_page_adds_renames_recolours_and_deletes_after_confirming(app):
    admin = web_client(app, "boss")
    assert "هنوز برچسبی نیست" in _text(admin.get("/admin/tags"))
    added = post(admin, "/admin/tags", {"name": "مشتري ويژه", "colour": "#dc2626"})
    assert added.status_code == 302
    # The same name with Arabic letters is the same tag: refused next to the field.
    again = post(admin, "/admin/tags", {"name": "مشتری ویژه", "colour": "#2563eb"})
    assert again.status_code == 422 and "field-error" in _text(again)
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        from peyvand.tags import Tag

        tag = Tag.get()
        service = kernel.service("contacts.person", "default")
        person = service.create({"first_name": "سارا", "last_name": "کامرانی",
                                 "tags": ["مشتري ويژه"]})
    page = _text(admin.get("/admin/tags"))
    row = re.search(r'<tr data-tag="مشتري ويژه">.*?</tr>', page, re.S).group(0)
    assert "background: #dc2626" in row and "<td>۱</td>" in row
    renamed = post(admin, f"/admin/tags/{tag.id}", {"name": "مشتری طلایی", "colour": "#16a34a"},
                   page_url="/admin/tags")
    assert renamed.status_code == 302
    record_page = _text(admin.get(f"/app/contacts/persons/{person.id}"))
    assert 'data-tag="مشتری طلایی"' in record_page and "background: #16a34a" in record_page
    bad = post(admin, f"/admin/tags/{tag.id}", {"name": "x", "colour": "red"},
               page_url="/admin/tags")
    assert any("رنگ" in f for f in _flashes(_text(admin.get(bad.headers["Location"]))))
    confirm = _text(admin.get(f"/admin/tags/{tag.id}/delete"))
    assert "مشتری طلایی" in confirm and "۱ رکورد" in confirm
    with kernel.storage.bound("default"):
        assert Tag.select().count() == 1                   # asking deletes nothing
    gone = post(admin, f"/admin/tags/{tag.id}/delete", {})
    assert gone.status_code == 302
    with kernel.storage.bound("default"):
        assert Tag.select().count() == 0
        assert service.to_dict(service.get(person.id))["tags"] == []
    actions = [(a, v) for a, v, _u, _c in _audit(app, "peyvand.tag")]
    assert actions == [("create", "web"), ("update", "web"), ("delete", "web")]


def test_a_role_granted_tag_management_reaches_the_tags_page(app):
    from peyvand.identity import Grant, Role

    kernel = app.extensions["peyvand"]
    manager = web_client(app, "mina", roles=("salesperson",))
    assert manager.get("/admin/tags").status_code == 403
    with kernel.storage.bound("default"):
        Grant.create(role=Role.get(Role.key == "salesperson"), permission="peyvand.tags.manage",
                     scope="all")
    kernel.bump_generation()
    page = manager.get("/admin/tags")
    assert page.status_code == 200
    assert 'aria-label="مدیریت"' not in _text(page)        # no admin menu for a non-admin
    assert post(manager, "/admin/tags", {"name": "پیگیری"}).status_code == 302
    assert manager.get("/admin/settings").status_code == 403   # tags only
