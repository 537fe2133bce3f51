"""Attachments checked like their record; the trash purged after its time."""

import datetime
import io

import pytest

pytestmark = pytest.mark.peyvand_plugins("contacts")

PEOPLE = "/api/v1/contacts/persons"
PDF = b"%PDF-1.4\n" + b"x" * 2000


def person(client, **fields):
    response = client.post(PEOPLE, json={"last_name": "x", **fields})
    assert response.status_code == 201, response.json
    return response.headers["Location"]


def upload(client, url, name, data):
    return client.post(url + "/attachments", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_upload_list_download_delete(peyvand_client, peyvand_settings):
    url = person(peyvand_client)
    saved = upload(peyvand_client, url, "قرارداد.pdf", PDF)
    assert saved.status_code == 201, saved.json
    listing = peyvand_client.get(url + "/attachments").json["data"]
    assert [(a["filename"], a["size"]) for a in listing] == [("قرارداد.pdf", len(PDF))]
    download = peyvand_client.get(f"{url}/attachments/{saved.json['id']}")
    assert download.get_data() == PDF
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in download.headers["Content-Disposition"]
    files = list((peyvand_settings.home / "files" / "default" / "attachments").rglob("*"))
    assert any(f.is_file() and f.read_bytes() == PDF for f in files)
    assert peyvand_client.delete(f"{url}/attachments/{saved.json['id']}").status_code == 204
    assert peyvand_client.get(url + "/attachments").json["data"] == []
    assert not any(f.is_file() for f in
                   (peyvand_settings.home / "files" / "default" / "attachments").rglob("*"))


def test_type_content_and_size_are_checked(peyvand_app):
    import dataclasses

    kernel = peyvand_app.extensions["peyvand"]
    kernel.settings = dataclasses.replace(kernel.settings, max_upload_mb=1)
    client = peyvand_app.test_client()
    url = person(client)
    script = upload(client, url, "run.exe", b"MZ....")
    assert script.status_code == 422 and "not accepted" in script.json["errors"]["file"][0]
    fake = upload(client, url, "photo.png", b"<html>not a png</html>")
    assert fake.status_code == 422
    assert "does not look like a .png" in fake.json["errors"]["file"][0]
    big = upload(client, url, "big.pdf", b"%PDF-" + b"x" * (1024 * 1024 + 1))
    assert big.status_code == 422
    assert "larger than the limit of 1 MB" in big.json["errors"]["file"][0]
    assert client.get(url + "/attachments").json["data"] == []


def test_downloads_follow_the_records_permissions(peyvand_client, peyvand_login):
    owner = peyvand_login("salesperson")
    other = peyvand_login("salesperson")
    url = person(owner)
    saved = upload(owner, url, "notes.txt", "سلام".encode()).json
    assert other.get(url + "/attachments").status_code == 404
    assert other.get(f"{url}/attachments/{saved['id']}").status_code == 404
    assert upload(other, url, "x.txt", b"hi").status_code == 404
    assert peyvand_login("readonly").delete(f"{url}/attachments/{saved['id']}").status_code == 403
    assert owner.get(f"{url}/attachments/{saved['id']}").get_data() == "سلام".encode()


def test_trash_is_purged_after_its_time_with_values_and_files(peyvand_app, peyvand_cli,
                                                              peyvand_settings):
    from peyvand_contacts.models import Person

    client = peyvand_app.test_client()
    client.post("/api/v1/custom-fields", json={"entity": "contacts.person", "name": "tier",
                                               "type": "text"})
    old = person(client, cf_tier="gold")
    recent = person(client)
    kept = person(client)
    upload(client, old, "a.pdf", PDF)
    for url in (old, recent):
        assert client.delete(url).status_code == 204
    kernel = peyvand_app.extensions["peyvand"]
    old_id = int(old.rsplit("/", 1)[1])
    with kernel.storage.bound("default"):
        Person.update(deleted_at=datetime.datetime(2020, 1, 1)).where(
            Person.id == old_id).execute()
    result = peyvand_cli("trash", "purge")
    assert result.output == "contacts.person: 1 records purged\n"
    with kernel.storage.bound("default"):
        assert Person.get_or_none(Person.id == old_id) is None
        db = kernel.storage.database_for("default")
        assert db.execute_sql("SELECT COUNT(*) FROM peyvand_custom_value").fetchone()[0] == 0
        assert db.execute_sql("SELECT COUNT(*) FROM peyvand_attachment").fetchone()[0] == 0
    assert client.post(recent + "/restore").status_code == 200
    assert client.get(kept).status_code == 200
    assert peyvand_cli("trash", "purge").output == "nothing to purge\n"
