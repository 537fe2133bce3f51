"""The contacts import wizard through Flask's test client: upload, mapping (guessed, edited,
saved), preview, the background job with its progress, the result with the error report, undo,
and who may use which page. (tests/ui/test_contacts_browser.py drives it in a real browser.)"""

from __future__ import annotations

import io
import json
import re

import pytest
from events_kit import drain
from web_kit import csrf, web_client

HEADERS = ["نام", "نام خانوادگی", "موبایل", "ایمیل", "شرکت"]
ROWS = [["علی", "کریمی", "۰۹۱۲ ۱۲۳ ۴۵۶۷", "Ali@Example.IR", "نوین"],
        ["مریم", "احمدی", "12", "maryam@example.ir", ""],
        ["سارا", "رضایی", "+98 935 111 2233", "", "نوین"]]


def csv_bytes(rows=ROWS, headers=HEADERS, encoding="utf-8-sig") -> bytes:
    lines = [",".join(headers)] + [",".join(r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


@pytest.fixture
def app(peyvand_app_factory):
    return peyvand_app_factory(plugins=["contacts"])


def text(response) -> str:
    return response.get_data(as_text=True)


def token(client) -> str:
    return csrf(client.get("/profile"))


def upload(client, data: bytes, name="people.csv", encoding=""):
    return client.post("/app/contacts/import", data={
        "csrf_token": token(client), "encoding": encoding, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data")


def people(app) -> list[tuple]:
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        from peyvand_contacts.models import Person

        return [(p.first_name, p.last_name, p.phone, p.email) for p in
                Person.select().where(Person.deleted_at.is_null()).order_by(Person.id)]


MAPPING = {"map:0": "first_name", "map:1": "last_name", "map:2": "mobile", "map:3": "email",
           "map:4": "organization", "match_on": ["email", "phone"],
           "match_action": "update_empty"}


def test_the_wizard_from_upload_to_undo(app):
    client = web_client(app, "boss")
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        kernel.service("contacts.person", "default").create(
            {"first_name": "سارا", "last_name": "رضایی", "phone": "09351112233"})

    # 1. Upload (UTF-16, as Excel's "Unicode text" writes it; detected).
    answer = upload(client, csv_bytes(encoding="utf-16"))
    assert answer.status_code == 302
    mapping_url = answer.headers["Location"]
    assert re.fullmatch(r"/app/contacts/import/[\w-]+/mapping", mapping_url)

    # 2. The columns, guessed from the Persian headers, with the first rows as samples.
    page = text(client.get(mapping_url))
    for index, field in enumerate(["first_name", "last_name", "mobile", "email",
                                   "organization"]):
        assert re.search(rf'name="map:{index}"[^>]*>(?:(?!</select>).)*'
                         rf'<option value="{field}" selected', page, re.S), field
    assert "کریمی" in page and "۰۹۱۲ ۱۲۳ ۴۵۶۷" in page
    assert re.search(r'name="match_on" value="email" checked', page)

    # Two columns to one field is refused on the page, naming both.
    clash = client.post(mapping_url, data={**MAPPING, "map:4": "email",
                                           "csrf_token": token(client)})
    assert clash.status_code == 422 and "ایمیل" in text(clash) and "شرکت" in text(clash)

    # Saved as a named mapping on the way to the preview.
    answer = client.post(mapping_url, data={**MAPPING, "save_as": "fair",
                                            "csrf_token": token(client)})
    assert answer.status_code == 302
    saved = kernel.settings.home / "import-mappings" / "fair.json"
    assert json.loads(saved.read_text(encoding="utf-8"))["columns"]["موبایل"] == "mobile"

    # 3. The preview: what each of the first rows would do; nothing written.
    preview_url = answer.headers["Location"]
    page = text(client.get(preview_url))
    assert re.search(r'data-row="2" data-action="create"', page)
    assert re.search(r'data-row="3" data-action="fail"', page) and "12" in page
    assert "رقم‌های آن کم است" in page         # the row's error, in the user's language
    assert re.search(r'data-row="4" data-action="update"', page)
    assert len(people(app)) == 1

    # 4. Run: a background job; the page shows its progress until a worker runs it.
    run_url = re.search(r'action="(/app/contacts/import/[\w-]+/run)"', page).group(1)
    answer = client.post(run_url, data={"csrf_token": token(client)})
    status_url = answer.headers["Location"]
    assert re.fullmatch(r"/app/contacts/imports/\d+", status_url)
    page = text(client.get(status_url))
    assert 'id="import-progress"' in page and "<progress" in page
    assert client.get(status_url + "/status").get_json()["state"] == "queued"
    assert client.get(mapping_url).status_code == 404        # the draft is gone
    drain(kernel)
    assert client.get(status_url + "/status").get_json()["percent"] == 100

    # 5. The result: counts, the row in error, its report, undo.
    page = text(client.get(status_url))
    assert 'data-outcome="done"' in page
    assert re.search(r'data-count="created"><strong>۱</strong>', page)
    assert re.search(r'data-count="updated"><strong>۱</strong>', page)
    assert re.search(r'data-count="failed"><strong[^>]*>۱</strong>', page)
    assert re.search(r'<tr data-row="3">.*?موبایل.*?12.*?رقم‌های آن کم است', page, re.S)
    report = client.get(status_url + "/errors.csv")
    assert report.status_code == 200
    assert report.data.decode("utf-8-sig").splitlines()[1].startswith("3,موبایل,mobile,12,")
    assert {p[1] for p in people(app)} == {"رضایی", "کریمی"}

    # Undo asks first, on a page of its own; without the confirmation nothing is undone.
    assert f'href="{status_url}/undo" data-undo' in page
    asked = client.post(status_url + "/undo", data={"csrf_token": token(client)})
    assert asked.status_code == 200 and "واگردانی درون‌ریزی" in text(asked)
    assert 'name="confirmed" value="1"' in text(asked)
    assert {p[1] for p in people(app)} == {"رضایی", "کریمی"}
    answer = client.post(status_url + "/undo", data={"csrf_token": token(client),
                                                     "confirmed": "1"})
    page = text(client.get(answer.headers["Location"]))
    assert "واگردانی شد" in page and "data-undo" not in page
    assert [p[1] for p in people(app)] == ["رضایی"]

    # The upload page lists the import.
    assert status_url in text(client.get("/app/contacts/import"))


def test_a_saved_mapping_is_offered_and_applied(app):
    client = web_client(app, "boss")
    home = app.extensions["peyvand"].settings.home
    (home / "import-mappings").mkdir(parents=True, exist_ok=True)
    (home / "import-mappings" / "crm-export.json").write_text(json.dumps(
        {"columns": {"Tel": "mobile", "Surname": "last_name"},
         "match": [{"on": "phone", "action": "skip"}]}), encoding="utf-8")
    mapping_url = upload(client, csv_bytes([["0912 123 4567", "Karimi"]],
                                           headers=["Tel", "Surname"])).headers["Location"]
    page = text(client.get(mapping_url))
    assert '<option value="crm-export">' in page
    page = text(client.get(mapping_url + "?saved=crm-export"))
    assert re.search(r'name="map:0"[^>]*>(?:(?!</select>).)*<option value="mobile" selected',
                     page, re.S)
    assert re.search(r'name="match_on" value="phone" checked', page)
    assert not re.search(r'name="match_on" value="email" checked', page)
    assert re.search(r'<option value="skip" selected', page)


def test_unreadable_and_unsupported_files_are_refused_with_the_reason(app):
    client = web_client(app, "boss", language="en")
    answer = upload(client, b"%PDF-1.4", name="people.pdf")
    assert answer.status_code == 422 and "Choose a CSV or Excel file" in text(answer)
    answer = upload(client, b"PK\x03\x04 broken", name="people.xlsx")
    assert answer.status_code == 422 and "The file cannot be read" in text(answer)
    drafts = app.extensions["peyvand"].storage.files_dir("default") / "contacts-import-drafts"
    assert not drafts.exists() or not any(drafts.iterdir())


def test_the_wizard_needs_the_import_right_and_keeps_each_users_imports_apart(app):
    boss = web_client(app, "boss")
    seller = web_client(app, "reza", roles=("salesperson",))
    assert 'data-menu="contacts.import"' in text(boss.get("/"))
    assert 'data-menu="contacts.import"' not in text(seller.get("/"))
    assert seller.get("/app/contacts/import").status_code == 403
    assert seller.post("/app/contacts/import", data={
        "csrf_token": token(seller), "file": (io.BytesIO(csv_bytes()), "p.csv")},
        content_type="multipart/form-data").status_code == 403

    mapping_url = upload(boss, csv_bytes()).headers["Location"]
    draft = mapping_url.rsplit("/", 2)[-2]
    assert seller.get(mapping_url).status_code == 403
    assert seller.post(f"/app/contacts/import/{draft}/run",
                       data={"csrf_token": token(seller)}).status_code == 403
    # Another user with the import right (a manager: team scope) cannot use the draft, nor
    # see the admin's import.
    manager = web_client(app, "mina", roles=("manager",))
    assert manager.get(mapping_url).status_code == 404
    boss.post(mapping_url, data={**MAPPING, "csrf_token": token(boss)})
    answer = boss.post(f"/app/contacts/import/{draft}/run", data={"csrf_token": token(boss)})
    status_url = answer.headers["Location"]
    assert manager.get(status_url).status_code == 404
    assert manager.get(status_url + "/errors.csv").status_code == 404
    assert manager.post(status_url + "/undo",
                        data={"csrf_token": token(manager)}).status_code == 404
    assert manager.post(status_url + "/undo", data={"csrf_token": token(manager),
                                                    "confirmed": "1"}).status_code == 404
    assert manager.get(status_url + "/undo").status_code == 404
    assert seller.get(status_url).status_code == 403


def test_an_excel_file_goes_through_the_same_steps(app):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["First name", "Last name", "Mobile", "E-mail"])
    sheet.append(["Ali", "Karimi", "09121234567", "ali@example.ir"])
    sheet.append(["Sara", "Rezaei", "not a number", "sara@example.ir"])
    data = io.BytesIO()
    book.save(data)
    client = web_client(app, "boss", language="en")
    mapping_url = upload(client, data.getvalue(), name="people.xlsx").headers["Location"]
    page = text(client.get(mapping_url))
    assert re.search(r'name="map:2"[^>]*>(?:(?!</select>).)*<option value="mobile" selected',
                     page, re.S)
    preview_url = client.post(mapping_url, data={
        "csrf_token": token(client), "map:0": "first_name", "map:1": "last_name",
        "map:2": "mobile", "map:3": "email", "match_on": ["email"],
        "match_action": "update_empty"}).headers["Location"]
    page = text(client.get(preview_url))
    assert re.search(r'data-row="2" data-action="create"', page)
    assert re.search(r'data-row="3" data-action="fail"', page)
