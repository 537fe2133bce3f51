"""The generic REST API every entity gets: validation, keyset pages, ETags, trash, audit."""

import pytest

from peyvand_sdk import Manifest, Veto, hookimpl

pytestmark = pytest.mark.peyvand_plugins("contacts", "sales")

PEOPLE = "/api/v1/contacts/persons"


def create(client, **fields):
    response = client.post(PEOPLE, json={"last_name": "x", **fields})
    assert response.status_code == 201, response.json
    return response


def test_create_get_update_with_etag_and_stale_if_match(peyvand_client):
    created = create(peyvand_client, first_name="نسرین", last_name="کریمی", email="n@karimi.ir")
    assert created.headers["ETag"] == '"1"'
    url = created.headers["Location"]
    assert peyvand_client.get(url).json["last_name"] == "کریمی"

    ok = peyvand_client.patch(url, json={"job_title": "مدیر فروش"}, headers={"If-Match": '"1"'})
    assert ok.status_code == 200 and ok.headers["ETag"] == '"2"'
    stale = peyvand_client.patch(url, json={"job_title": "overwritten"},
                                 headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert peyvand_client.get(url).json["job_title"] == "مدیر فروش"


def test_validation_errors_name_each_field_and_write_nothing(peyvand_client):
    response = peyvand_client.post(PEOPLE, json={"last_name": "", "shoe_size": 44,
                                                 "consent_sms": "maybe"})
    assert response.status_code == 422
    errors = response.json["errors"]
    assert set(errors) == {"last_name", "shoe_size", "consent_sms"}
    assert peyvand_client.get(PEOPLE + "?total=1").json["total"] == 0


def test_keyset_pages_cover_every_record_once(peyvand_client):
    ids = {create(peyvand_client, last_name=f"n{i:02}").json["id"] for i in range(23)}
    seen, cursor, pages = [], None, 0
    while True:
        url = PEOPLE + "?limit=5&sort=last_name" + (f"&cursor={cursor}" if cursor else "")
        body = peyvand_client.get(url).json
        seen += [row["last_name"] for row in body["data"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 5
    assert seen == sorted(f"n{i:02}" for i in range(23))
    assert len(ids) == 23


def test_filters_sparse_fields_and_unknown_filter(peyvand_client):
    create(peyvand_client, last_name="a", lifecycle_stage="customer", city="تهران")
    create(peyvand_client, last_name="b", lifecycle_stage="lead")
    create(peyvand_client, last_name="c", lifecycle_stage="subscriber")
    body = peyvand_client.get(PEOPLE + "?lifecycle_stage__in=customer,lead&fields=last_name"
                              "&sort=last_name&total=1").json
    assert body["total"] == 2
    assert body["data"][0] == {"id": body["data"][0]["id"], "last_name": "a"}
    assert [r["last_name"] for r in peyvand_client.get(PEOPLE + "?city__empty=false").json[
        "data"]] == ["a"]
    bad = peyvand_client.get(PEOPLE + "?shoe_size=4")
    assert bad.status_code == 422 and bad.json == {"errors": {"shoe_size": ["unknown field"]}}


def test_delete_goes_to_trash_and_restore_brings_it_back(peyvand_client):
    url = create(peyvand_client, last_name="Trash").headers["Location"]
    assert peyvand_client.delete(url).status_code == 204
    assert peyvand_client.get(url).status_code == 404
    assert peyvand_client.get(PEOPLE + "?trash=1").json["data"][0]["last_name"] == "Trash"
    restored = peyvand_client.post(url + "/restore")
    assert restored.status_code == 200
    assert peyvand_client.get(url).status_code == 200


def test_audit_trail_records_each_change_newest_first(peyvand_client):
    created = create(peyvand_client, first_name="Ali", last_name="Rezaei")
    record_id = created.json["id"]
    peyvand_client.patch(created.headers["Location"], json={"first_name": "علی"})
    peyvand_client.delete(created.headers["Location"])
    trail = peyvand_client.get(f"/api/v1/audit?entity=contacts.person&id={record_id}").json
    assert [row["action"] for row in trail["data"]] == ["delete", "update", "create"]
    assert trail["data"][1]["changes"] == {"first_name": ["Ali", "علی"]}
    assert all(row["via"] == "api" for row in trail["data"])


def test_disabled_plugin_entities_answer_404(peyvand_app):
    client = peyvand_app.test_client()
    assert client.get("/api/v1/sales/deals").status_code == 200
    peyvand_app.extensions["peyvand"].disable("sales")
    assert client.get("/api/v1/sales/deals").status_code == 404


class Guard:
    """Vetoes one name, and fails after saving another: neither may leave a trace."""

    manifest = Manifest(label={"en": "Guard"})

    @hookimpl
    def before_record_save(self, record, action):
        if action == "create" and record.last_name == "Forbidden":
            raise Veto("this name is reserved", field="last_name")

    @hookimpl
    def after_record_save(self, record):
        if record.last_name == "Boom":
            raise RuntimeError("downstream failure")


@pytest.mark.peyvand_plugins("contacts")
def test_a_failed_request_leaves_nothing_written(peyvand_app_factory):
    app = peyvand_app_factory(plugins=["contacts"], extra_plugins=[("guard", Guard(), "1.0")])
    client = app.test_client()
    vetoed = client.post(PEOPLE, json={"last_name": "Forbidden"})
    assert vetoed.status_code == 422
    assert vetoed.json == {"errors": {"last_name": ["this name is reserved"]}}
    with pytest.raises(RuntimeError):
        client.post(PEOPLE, json={"last_name": "Boom"})
    assert client.get(PEOPLE + "?total=1").json["total"] == 0
    kernel = app.extensions["peyvand"]
    db = kernel.storage.database_for("default")
    assert db.execute_sql("SELECT COUNT(*) FROM peyvand_audit").fetchone()[0] == 0


def test_idempotency_key_makes_a_retried_create_return_the_first_result(peyvand_client):
    headers = {"Idempotency-Key": "7f1c0d4e-retry"}
    first = peyvand_client.post(PEOPLE, json={"last_name": "Once"}, headers=headers)
    retry = peyvand_client.post(PEOPLE, json={"last_name": "Once"}, headers=headers)
    assert first.status_code == 201 and retry.status_code == 200
    assert retry.json["id"] == first.json["id"]
    other = peyvand_client.post(PEOPLE, json={"last_name": "Once"},
                                headers={"Idempotency-Key": "another"})
    assert other.status_code == 201 and other.json["id"] != first.json["id"]
    assert peyvand_client.get(PEOPLE + "?total=1").json["total"] == 2


def test_contains_is_literal_and_booleans_parse(peyvand_client):
    create(peyvand_client, last_name="a", city="100% Tehran", consent_email=True)
    create(peyvand_client, last_name="b", city="1000 Tehran")
    create(peyvand_client, last_name="c", city="Shiraz_north")
    found = peyvand_client.get(PEOPLE + "?city__contains=0%25&fields=last_name").json["data"]
    assert [r["last_name"] for r in found] == ["a"]
    found = peyvand_client.get(PEOPLE + "?city__contains=z_n&fields=last_name").json["data"]
    assert [r["last_name"] for r in found] == ["c"]
    found = peyvand_client.get(PEOPLE + "?consent_email=false&sort=last_name").json["data"]
    assert [r["last_name"] for r in found] == ["b", "c"]
    assert all(r["consent_email"] is False for r in found)
    bad = peyvand_client.get(PEOPLE + "?consent_email=maybe")
    assert bad.status_code == 422 and "consent_email" in bad.json["errors"]


def test_sorting_by_a_text_field_pages_through_ties(peyvand_client):
    for i in range(7):
        create(peyvand_client, last_name="same", first_name=f"p{i}")
    seen, cursor = [], None
    while True:
        url = PEOPLE + "?limit=3&sort=-last_name" + (f"&cursor={cursor}" if cursor else "")
        body = peyvand_client.get(url).json
        seen += [r["id"] for r in body["data"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(seen, reverse=True) and len(set(seen)) == 7


def test_validation_messages_follow_accept_language(peyvand_client):
    english = peyvand_client.post(PEOPLE, json={"last_name": "x", "consent_sms": "maybe",
                                                "shoe_size": 1})
    assert english.json["errors"]["consent_sms"] == ["Not a valid boolean."]
    persian = peyvand_client.post(PEOPLE, json={"last_name": "x", "consent_sms": "maybe",
                                                "shoe_size": 1},
                                  headers={"Accept-Language": "fa-IR,fa;q=0.9,en;q=0.5"})
    assert persian.status_code == 422
    message = persian.json["errors"]["consent_sms"][0]
    assert message != "Not a valid boolean." and any("\u0600" <= ch <= "\u06ff" for ch in message)
    assert any("\u0600" <= ch <= "\u06ff" for ch in persian.json["errors"]["shoe_size"][0])
