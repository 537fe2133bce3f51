"""Why the contacts pages refuse a merge, an undo of a merge or an undo of an import, in the
user's language: the lower layers raise their refusals as coded messages
(``peyvand_contacts.messages``) and the pages translate them, field and entity names
included, instead of showing the English text the API answers."""

from __future__ import annotations

import re

import pytest
from events_kit import drain
from web_kit import csrf, web_client


@pytest.fixture
def app(peyvand_app_factory):
    return peyvand_app_factory(plugins=["contacts"])


def text(response) -> str:
    return response.get_data(as_text=True)


def flashes(page: str) -> list[str]:
    return re.findall(r'<p class="flash flash-error"[^>]*>(.*?)</p>', page, re.S)


def _people(app, *rows) -> list[int]:
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        service = kernel.service("contacts.person", "default")
        return [service.create(dict(row)).id for row in rows]


def _update(app, record_id, **values):
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        kernel.service("contacts.person", "default").update(record_id, values)


def _deleted(app, record_id) -> bool:
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        from peyvand_contacts.models import Person

        return Person.get_by_id(record_id).deleted_at is not None


def test_a_merge_refused_because_a_record_changed_since_the_preview_says_so_in_persian(app):
    a, b = _people(app, {"last_name": "امینی", "email": "sara@x.ir"},
                   {"last_name": "امینی", "email": "sara@x.ir", "city": "تهران"})
    client = web_client(app, "boss")
    choice = {"entity": "person", "ids": [a, b], "survivor": a, "take:city": str(b)}
    preview = text(client.post("/app/contacts/merge", data={
        "csrf_token": csrf(client.get("/profile")), **choice, "step": "preview"}))
    versions = dict(re.findall(r'name="version:(\d+)" value="(\d+)"', preview))
    assert versions == {str(a): "1", str(b): "1"}
    _update(app, b, city="کرج")                   # someone edits it meanwhile
    refused = client.post("/app/contacts/merge", data={
        "csrf_token": csrf(client.get("/profile")), **choice, "step": "confirm",
        **{f"version:{k}": v for k, v in versions.items()}})
    assert refused.status_code == 422
    [message] = flashes(text(refused))
    assert message == (f"رکوردها ادغام نشدند: شخص {b:,}".translate(str.maketrans(
        "0123456789", "۰۱۲۳۴۵۶۷۸۹")) + " پس از آنکه آن را دیدید تغییر کرده است (آن زمان "
        "نسخهٔ ۱، اکنون ۲)؛ ادغام را دوباره بررسی کنید")
    assert not _deleted(app, b)                      # nothing merged
    # Confirming what is there now (a fresh preview's versions) merges.
    preview = text(client.post("/app/contacts/merge", data={
        "csrf_token": csrf(client.get("/profile")), **choice, "step": "preview"}))
    versions = dict(re.findall(r'name="version:(\d+)" value="(\d+)"', preview))
    done = client.post("/app/contacts/merge", data={
        "csrf_token": csrf(client.get("/profile")), **choice, "step": "confirm",
        **{f"version:{k}": v for k, v in versions.items()}})
    assert done.status_code == 302 and _deleted(app, b)


def test_the_api_refuses_the_same_merge_in_english(app):
    a, b = _people(app, {"last_name": "Amini"}, {"last_name": "Amini"})
    _update(app, b, city="Karaj")
    answer = app.test_client().post("/api/v1/contacts/persons/merge", json={
        "survivor": a, "merged": [b], "versions": {str(a): 1, str(b): 1}})
    assert answer.status_code == 409
    assert answer.json["message"] == (f"person {b} was changed since you looked at it "
                                      "(version 1 then, 2 now); look at the merge again")


def test_an_undo_refused_lists_its_reasons_in_persian(app):
    a, b = _people(app, {"last_name": "امینی", "email": "sara@x.ir"},
                   {"last_name": "امینی", "email": "sara@x.ir", "city": "تهران"})
    client = web_client(app, "boss")
    done = client.post("/app/contacts/merge", data={
        "csrf_token": csrf(client.get("/profile")), "entity": "person", "ids": [a, b],
        "survivor": a, "take:city": str(b), "step": "confirm"})
    result_url = done.headers["Location"]
    _update(app, a, city="کرج")
    refused = client.post(result_url + "/undo", data={"csrf_token": csrf(client.get("/")),
                                                      "confirmed": "1"})
    page = text(client.get(refused.headers["Location"]))
    [message] = flashes(page)
    assert message.startswith("ادغام واگردانی نشد: ادغام ۱ واگردانی نمی‌شود: ")
    assert "فیلد «نشانی‌ها» از شخص ۱ پس از ادغام تغییر کرده است" in message
    assert "با «واگردانی به هر حال» بقیه برگردانده می‌شود" in message
    assert not re.search(r"[A-Za-z]", message), message       # no English left
    assert _deleted(app, b)
    # Undone (anyway), a second undo is refused too, in Persian.
    client.post(result_url + "/undo", data={"csrf_token": csrf(client.get("/")),
                                            "force": "1", "confirmed": "1"})
    again = client.post(result_url + "/undo", data={"csrf_token": csrf(client.get("/")),
                                                    "confirmed": "1"})
    assert flashes(text(client.get(again.headers["Location"]))) == [
        "ادغام واگردانی نشد: ادغام ۱ پیش‌تر واگردانی شده است"]


def test_an_import_undo_refused_says_why_in_persian(app):
    from test_contacts_import_pages import MAPPING, csv_bytes, upload

    client = web_client(app, "boss")
    mapping_url = upload(client, csv_bytes()).headers["Location"]
    preview_url = client.post(mapping_url, data={
        **MAPPING, "csrf_token": csrf(client.get("/profile"))}).headers["Location"]
    run_url = re.search(r'action="(/app/contacts/import/[\w-]+/run)"',
                        text(client.get(preview_url))).group(1)
    status_url = client.post(run_url, data={
        "csrf_token": csrf(client.get("/profile"))}).headers["Location"]
    drain(app.extensions["peyvand"])
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        from peyvand_contacts.models import Person

        karimi = Person.get(Person.last_name == "کریمی").id
    _update(app, karimi, city="قم")
    refused = client.post(status_url + "/undo", data={
        "csrf_token": csrf(client.get("/profile")), "confirmed": "1"})
    [message] = flashes(text(client.get(refused.headers["Location"])))
    number = str(karimi).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert message.startswith("درون‌ریزی واگردانی نشد: درون‌ریزی ")
    assert (f"شخص {number} پس از درون‌ریزی ویرایش شده است (آن زمان نسخهٔ ۱، اکنون ۲)"
            in message)
    assert "cannot undo" not in message and "was changed" not in message


def test_an_unreadable_import_file_is_refused_in_persian(app):
    from test_contacts_import_pages import upload

    client = web_client(app, "boss")
    answer = upload(client, "نام,موبایل,نام\r\nعلی,0912,رضا\r\n".encode(), name="people.csv")
    assert answer.status_code == 422
    [message] = flashes(text(answer))
    assert message == ("فایل خوانده نمی‌شود: people.csv: ستون ۳ (C) همان عنوان "
                       "&#39;نام&#39; ستون ۱ (A) را دارد؛ عنوان ستون‌ها باید یکتا باشد")
    answer = upload(client, b"PK\x03\x04 broken", name="people.xlsx")
    [message] = flashes(text(answer))
    assert "people.xlsx: این فایل .xlsx خوانده نمی‌شود؛ شاید خراب باشد" in message
