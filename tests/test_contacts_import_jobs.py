"""Contacts imports through the API as background jobs: upload, preview, progress, outcome,
error report, undo, the uploader's permissions, and a real `peyvand worker` process."""

from __future__ import annotations

import io
import json

import pytest
from events_kit import drain
from test_jobs_worker import WorkerProcess, wait_until, worker_env

IMPORTS = "/api/v1/contacts/imports"
PERSONS = "/api/v1/contacts/persons"
HEADERS = ["نام", "نام خانوادگی", "موبایل", "ایمیل", "شرکت"]
ROWS = [["علی", "کریمی", "۰۹۱۲ ۱۲۳ ۴۵۶۷", "Ali@Example.IR", "نوین"],
        ["مریم", "احمدی", "12", "maryam@example.ir", ""],
        ["سارا", "رضایی", "+98 935 111 2233", "", "نوین"],
        ["علي", "كريمي", "09121234567", "", ""]]


def csv_bytes(rows, headers=HEADERS, encoding="utf-8-sig") -> bytes:
    lines = [",".join(headers)] + [",".join(r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def upload(client, data: bytes, name="people.csv", path=IMPORTS, **fields):
    form = {"file": (io.BytesIO(data), name), **{k: str(v) for k, v in fields.items()}}
    return client.post(path, data=form, content_type="multipart/form-data")


@pytest.fixture
def app(peyvand_app_factory):
    return peyvand_app_factory(plugins=["contacts"])


@pytest.fixture
def client(app):
    return app.test_client()


def kernel_of(app):
    return app.extensions["peyvand"]


def files_of(app, import_id):
    kernel = kernel_of(app)
    folder = kernel.storage.files_dir("default") / "contacts-imports" / str(import_id)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else None


def test_preview_shows_encoding_headers_mapping_and_each_rows_outcome(client):
    client.post(PERSONS, json={"first_name": "علی", "last_name": "کریمی",
                               "email": "ali@example.ir"})
    response = upload(client, csv_bytes(ROWS, encoding="utf-16"), path=f"{IMPORTS}/preview")
    assert response.status_code == 200, response.json
    body = response.json
    assert body["encoding"].startswith("utf-16") and body["headers"] == HEADERS
    assert body["mapping"] == {"نام": "first_name", "نام خانوادگی": "last_name",
                               "موبایل": "mobile", "ایمیل": "email", "شرکت": "organization"}
    assert [r["action"] for r in body["rows"]] == ["update", "fail", "create", "skip"]
    assert body["rows"][0]["matched_on"] == "email" and body["rows"][0]["person_id"] == 1
    assert body["rows"][1]["errors"][0]["field"] == "mobile"
    assert body["errors"] == [body["rows"][1]["errors"][0]]
    assert body["summary"] == {"created": 1, "updated": 1, "merged": 0, "skipped": 1,
                               "failed": 1}
    short = upload(client, csv_bytes(ROWS), path=f"{IMPORTS}/preview?rows=2").json
    assert short["rows_read"] == 2 and len(short["rows"]) == 2
    assert client.get(PERSONS).json["data"][0]["phone"] is None     # nothing written
    bad = upload(client, b"PK\x03\x04 broken", name="x.xlsx", path=f"{IMPORTS}/preview")
    assert bad.status_code == 422 and "file" in bad.json["errors"]
    assert upload(client, b"a,b", name="x.pdf", path=f"{IMPORTS}/preview").status_code == 422
    mapped = upload(client, csv_bytes(ROWS), path=f"{IMPORTS}/preview",
                    mapping=json.dumps({"columns": {"نام خانوادگی": "last_name"}})).json
    assert mapped["mapping"]["نام"] is None and "نام" in mapped["not_imported"]
    wrong = upload(client, csv_bytes(ROWS), path=f"{IMPORTS}/preview",
                   mapping=json.dumps({"نام": "shoe_size"}))
    assert wrong.status_code == 422 and "shoe_size" in wrong.json["errors"]["mapping"][0]


def test_an_import_job_runs_reports_and_undoes(app, client):
    started = upload(client, csv_bytes(ROWS))
    assert started.status_code == 202, started.json
    job = started.json
    assert job["state"] == "queued" and started.headers["Location"].endswith(str(job["id"]))
    assert files_of(app, job["id"]) == ["people.csv"]
    drain(kernel_of(app))
    done = client.get(f"{IMPORTS}/{job['id']}").json
    assert done["state"] == "done" and done["outcome"] == "done"
    assert (done["created"], done["updated"], done["skipped"], done["failed"]) == (2, 0, 1, 1)
    assert done["rows_total"] == done["rows_done"] == 4 and done["errors"] == 1
    assert files_of(app, job["id"]) == ["errors.csv"]          # the upload is gone
    report = client.get(done["errors_url"])
    assert report.status_code == 200 and report.mimetype == "text/csv"
    assert "mobile" in report.get_data(as_text=True)
    people = {p["last_name"]: p for p in client.get(PERSONS).json["data"]}
    assert people["کریمی"]["phone"] == "+989121234567"
    assert [j["id"] for j in client.get(IMPORTS).json["data"]] == [job["id"]]
    undone = client.post(f"{IMPORTS}/{job['id']}/undo")
    assert undone.status_code == 200 and undone.json["removed"] == 2
    assert client.get(PERSONS).json["data"] == []
    assert client.get(f"{IMPORTS}/{job['id']}").json["undone"] is True


def test_dry_run_and_all_or_nothing_write_nothing(app, client):
    dry = upload(client, csv_bytes(ROWS), dry_run="true").json
    refused = upload(client, csv_bytes(ROWS), all_or_nothing="1").json
    drain(kernel_of(app))
    dry = client.get(f"{IMPORTS}/{dry['id']}").json
    assert dry["outcome"] == "preview" and dry["created"] == 2 and dry["batch_id"] is None
    assert [r["action"] for r in dry["preview"]] == ["create", "fail", "create", "skip"]
    refused = client.get(f"{IMPORTS}/{refused['id']}").json
    assert refused["outcome"] == "refused" and refused["failed"] == 1
    assert client.get(PERSONS).json["data"] == []
    assert client.post(f"{IMPORTS}/{dry['id']}/undo").status_code == 400


def test_an_unreadable_file_fails_with_its_reason(app, client):
    job = upload(client, b"", name="empty.csv").json
    drain(kernel_of(app))
    failed = client.get(f"{IMPORTS}/{job['id']}").json
    assert failed["state"] == "failed" and "empty" in failed["error"]
    assert files_of(app, job["id"]) == []


def test_the_import_runs_with_the_uploaders_rights(app, client):
    from peyvand_sdk.testing import make_user_client

    reader = make_user_client(app, "reader", ("readonly",))
    assert upload(reader, csv_bytes(ROWS)).status_code == 403
    assert reader.get(IMPORTS).status_code == 403
    manager = make_user_client(app, "manager", ("manager",), teams=("north",))
    other = make_user_client(app, "other", ("manager",), teams=("south",))
    theirs = other.post(PERSONS, json={"last_name": "کریمی", "email": "ali@example.ir"}).json
    job = upload(manager, csv_bytes(ROWS[:1])).json
    drain(kernel_of(app))
    done = manager.get(f"{IMPORTS}/{job['id']}").json
    assert (done["updated"], done["created"], done["failed"]) == (0, 0, 1)
    assert "outside your access" in manager.get(done["errors_url"]).get_data(as_text=True)
    assert client.get(f"{PERSONS}/{theirs['id']}").json["phone"] is None    # untouched
    assert other.get(f"{IMPORTS}/{job['id']}").status_code == 404          # not theirs
    assert client.get(f"{IMPORTS}/{job['id']}").status_code == 200         # admin: all
    mine = upload(manager, csv_bytes([["x", "y", "09351110000", "y@x.ir", ""]])).json
    drain(kernel_of(app))
    created = manager.get(f"{IMPORTS}/{mine['id']}").json
    assert created["created"] == 1
    person = manager.get(PERSONS).json["data"][0]
    assert person["owner_id"] == manager.peyvand_user.id


def test_old_import_folders_are_cleaned_up(app, client):
    import datetime

    from peyvand_contacts.importing.jobs import ImportJob, cleanup

    job = upload(client, csv_bytes(ROWS)).json
    drain(kernel_of(app))
    kernel = kernel_of(app)
    with kernel.storage.bound("default"):
        assert cleanup("default") == 0
        (ImportJob.update(finished_at=datetime.datetime(2020, 1, 1))
         .where(ImportJob.id == job["id"]).execute())
        assert cleanup("default") == 1
    assert files_of(app, job["id"]) is None


def test_a_real_worker_runs_the_import_and_progress_can_be_polled(app, client, tmp_path):
    rows = [[f"n{i}", f"family{i}", f"0912{i:07d}", f"p{i}@x.ir", f"org{i % 50}"]
            for i in range(12000)]
    job = upload(client, csv_bytes(rows), name="big.csv").json
    assert job["rows_total"] == 12000
    worker = WorkerProcess(worker_env(tmp_path), tmp_path / "worker.log")
    seen = []
    try:
        def finished():
            state = client.get(f"{IMPORTS}/{job['id']}").json
            seen.append((state["state"], state["phase"], state["rows_done"]))
            return state["state"] in ("done", "failed")

        wait_until(finished, 120, "the import to finish", worker)
    finally:
        assert worker.stop() == 0, worker.output()
    done = client.get(f"{IMPORTS}/{job['id']}").json
    assert done["state"] == "done", done
    assert done["created"] == 12000 and done["organizations_created"] == 50
    assert client.get(PERSONS, query_string={"total": 1, "limit": 1}).json["total"] == 12000
    assert {s[0] for s in seen} <= {"queued", "running", "done"}
    # Progress shows while it runs (written every 5,000 rows, outside the transaction).
    assert any(state == "running" and phase and done > 0 for state, phase, done in seen), seen
    assert files_of(app, job["id"]) == ["errors.csv"]
