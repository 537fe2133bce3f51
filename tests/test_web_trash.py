"""The trash of a list on the web: deleted records listed with the days left, restored with a
button (audited), for those with the delete right only."""

from __future__ import annotations

import datetime
import html
import re

import pytest
from web_kit import post, web_client


@pytest.fixture
def app(peyvand_app_factory):
    return peyvand_app_factory(plugins=["contacts"])


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _person(app, **values):
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        return kernel.service("contacts.person", "default").create(values).id


def test_deleted_records_wait_in_the_trash_and_come_back(app):
    admin = web_client(app, "boss")
    keep = _person(app, first_name="سارا", last_name="مقدم")
    gone = _person(app, first_name="کاوه", last_name="نیک‌نام")
    assert "سطل زباله" in _text(admin.get("/app/contacts/persons"))   # the list links it
    empty = _text(admin.get("/app/contacts/persons/trash"))
    assert "سطل زباله خالی است" in empty
    asked = _text(admin.get(f"/app/contacts/persons/{gone}/delete"))
    assert "تا ۳۰ روز می‌توان آن را از سطل زبالهٔ فهرست بازگرداند" in asked
    deleted = post(admin, f"/app/contacts/persons/{gone}/delete", {})
    assert deleted.status_code == 302
    flashed = _text(admin.get(deleted.headers["Location"]))
    assert "سطل زباله" in flashed and "نیک‌نام" in flashed
    trash = _text(admin.get("/app/contacts/persons/trash"))
    rows = re.findall(r'<tr data-id="(\d+)">(.*?)</tr>', trash, re.S)
    assert [int(i) for i, _ in rows] == [gone]                    # not the live record
    assert "کاوه نیک‌نام" in rows[0][1] and "<td>۳۰</td>" in rows[0][1]   # days left
    assert "۱۴" in rows[0][1]                                     # deleted on a Jalali date
    back = post(admin, f"/app/contacts/persons/{gone}/restore", {},
                page_url="/app/contacts/persons/trash")
    assert back.status_code == 302 and back.headers["Location"].endswith(f"/persons/{gone}")
    assert "برگشت" in _text(admin.get(back.headers["Location"]))
    assert "سطل زباله خالی است" in _text(admin.get("/app/contacts/persons/trash"))
    kernel = app.extensions["peyvand"]
    from peyvand.audit import Audit

    with kernel.storage.bound("default"):
        assert kernel.service("contacts.person", "default").get(gone).deleted_at is None
        actions = [(a.action, a.via) for a in Audit.select().where(
            (Audit.entity == "contacts.person") & (Audit.record_id == gone)).order_by(Audit.id)]
    assert actions[-2:] == [("delete", "web"), ("restore", "web")]
    assert keep


def test_too_old_to_restore_says_so_and_changes_nothing(app):
    admin = web_client(app, "anna", language="en", calendar="gregorian")
    old = _person(app, last_name="Old")
    kernel = app.extensions["peyvand"]
    from peyvand_contacts.models import Person

    with kernel.storage.bound("default"):
        Person.update(deleted_at=datetime.datetime(2000, 1, 1)).where(Person.id == old).execute()
    refused = post(admin, f"/app/contacts/persons/{old}/restore", {},
                   page_url="/app/contacts/persons/trash")
    assert refused.headers["Location"].endswith("/app/contacts/persons/trash")
    assert "can no longer be restored" in _text(admin.get(refused.headers["Location"]))
    with kernel.storage.bound("default"):
        assert Person.get_by_id(old).deleted_at is not None


def test_the_trash_is_for_those_who_may_delete(app):
    reader = web_client(app, "ro", roles=("readonly",))
    assert "data-trash" not in _text(reader.get("/app/contacts/persons"))
    assert reader.get("/app/contacts/persons/trash").status_code == 403
    gone = _person(app, last_name="Hidden")
    admin = web_client(app, "boss")
    post(admin, f"/app/contacts/persons/{gone}/delete", {})
    assert post(reader, f"/app/contacts/persons/{gone}/restore", {},
                page_url="/").status_code == 403
    # A salesperson sees only the deleted records they could delete: their own.
    seller = web_client(app, "reza", roles=("salesperson",))
    assert f'data-id="{gone}"' not in _text(seller.get("/app/contacts/persons/trash"))
