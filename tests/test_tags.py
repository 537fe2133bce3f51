"""Tags: coloured labels on any record, defined per tenant, set through the record's `tags`,
filtered with ?tag=, exported, audited, managed by those with peyvand.tags.manage."""

import csv
import io

import pytest

pytestmark = pytest.mark.peyvand_plugins("contacts", "sales")

PEOPLE = "/api/v1/contacts/persons"
TAGS = "/api/v1/tags"


def test_tag_definitions_fold_names_and_check_colours(peyvand_client, peyvand_app):
    created = peyvand_client.post(TAGS, json={"name": " مشتري  ويژه ", "colour": "#D97706"})
    assert created.status_code == 201, created.json
    tag = created.json
    assert tag == {"id": tag["id"], "name": "مشتري ويژه", "colour": "#d97706"}
    same = peyvand_client.post(TAGS, json={"name": "مشتری‌ویژه"})    # Persian ی/ک, ZWNJ
    assert same.status_code == 422 and "already exists" in same.json["errors"]["name"][0]
    bad = peyvand_client.post(TAGS, json={"name": "VIP", "colour": "red"})
    assert bad.status_code == 422 and list(bad.json["errors"]) == ["colour"]
    assert peyvand_client.post(TAGS, json={"name": "  "}).status_code == 422
    vip = peyvand_client.post(TAGS, json={"name": "VIP"}).json
    assert vip["colour"].startswith("#") and len(vip["colour"]) == 7   # from the palette
    renamed = peyvand_client.patch(f"{TAGS}/{vip['id']}", json={"name": "طلایی",
                                                                 "colour": "#ffcc00"})
    assert renamed.json == {"id": vip["id"], "name": "طلایی", "colour": "#ffcc00"}
    assert [t["name"] for t in peyvand_client.get(TAGS).json["data"]] == ["طلایی",
                                                                         "مشتري ويژه"]
    from peyvand import audit

    kernel = peyvand_app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        trail = audit.history("peyvand.tag", vip["id"])
    assert [(t["action"], t["user"]) for t in trail] == [("update", "admin"),
                                                         ("create", "admin")]
    assert trail[0]["changes"]["name"] == ["VIP", "طلایی"]


def test_records_carry_tags_filter_by_them_and_audit_them(peyvand_client):
    peyvand_client.post(TAGS, json={"name": "VIP", "colour": "#d97706"})
    a = peyvand_client.post(PEOPLE, json={"last_name": "A", "tags": ["vip", "تهران"]}).json
    assert a["tags"] == ["VIP", "تهران"]           # the stored spelling; a new tag made
    b = peyvand_client.post(PEOPLE, json={"last_name": "B", "tags": ["VIP"]}).json
    c = peyvand_client.post(PEOPLE, json={"last_name": "C"}).json
    assert c["tags"] == []

    def ids(*tags):
        query = [("tag", t) for t in tags]
        return sorted(r["id"] for r in peyvand_client.get(PEOPLE, query_string=query)
                      .json["data"])

    assert ids("vip") == sorted([a["id"], b["id"]])
    assert ids("VIP", "تهران") == [a["id"]]            # several: all of them
    assert ids("no such tag") == []
    changed = peyvand_client.patch(f"{PEOPLE}/{b['id']}", json={"tags": ["تهران"]})
    assert changed.json["tags"] == ["تهران"] and changed.json["version"] == b["version"] + 1
    trail = peyvand_client.get("/api/v1/audit", query_string={
        "entity": "contacts.person", "id": b["id"]}).json["data"]
    assert trail[0]["changes"]["tags"] == [["VIP"], ["تهران"]]
    rows = list(csv.DictReader(io.StringIO(peyvand_client.get(
        f"{PEOPLE}/export?format=csv&tag=تهران").data.decode("utf-8-sig"))))
    assert sorted(r["tags"] for r in rows) == ["VIP, تهران", "تهران"]
    # Any entity: a sales pipeline too.
    pipeline = peyvand_client.get("/api/v1/sales/pipelines").json["data"][0]
    tagged = peyvand_client.patch(f"/api/v1/sales/pipelines/{pipeline['id']}",
                                  json={"tags": ["VIP"]})
    assert tagged.status_code == 200 and tagged.json["tags"] == ["VIP"]
    # Deleting a tag takes it off every record.
    vip = next(t for t in peyvand_client.get(TAGS).json["data"] if t["name"] == "VIP")
    assert peyvand_client.delete(f"{TAGS}/{vip['id']}").status_code == 204
    assert peyvand_client.get(f"{PEOPLE}/{a['id']}").json["tags"] == ["تهران"]


def test_who_may_tag_and_who_may_manage_tags(peyvand_client, peyvand_login):
    peyvand_client.post(TAGS, json={"name": "VIP"})
    seller = peyvand_login("salesperson")
    reader = peyvand_login("readonly")
    assert seller.get(TAGS).status_code == 200
    assert seller.post(TAGS, json={"name": "x"}).status_code == 403
    tag_id = peyvand_client.get(TAGS).json["data"][0]["id"]
    assert seller.patch(f"{TAGS}/{tag_id}", json={"colour": "#000000"}).status_code == 403
    assert seller.delete(f"{TAGS}/{tag_id}").status_code == 403
    mine = seller.post(PEOPLE, json={"last_name": "Mine", "tags": ["VIP"]})
    assert mine.status_code == 201 and mine.json["tags"] == ["VIP"]
    refused = seller.patch(mine.headers["Location"], json={"tags": ["VIP", "New one"]})
    assert refused.status_code == 422
    assert "New one" in refused.json["errors"]["tags"][0]
    assert [t["name"] for t in peyvand_client.get(TAGS).json["data"]] == ["VIP"]
    # Tagging is an update: a record outside the user's update scope cannot be tagged.
    other = peyvand_client.post(PEOPLE, json={"last_name": "Theirs"}).json
    assert seller.patch(f"{PEOPLE}/{other['id']}", json={"tags": ["VIP"]}).status_code == 404
    assert reader.patch(f"{PEOPLE}/{other['id']}", json={"tags": ["VIP"]}).status_code == 403
    assert peyvand_client.get(f"{PEOPLE}/{other['id']}").json["tags"] == []


def test_tags_in_the_openapi_document(peyvand_client):
    spec = peyvand_client.get("/api/v1/openapi.json").json
    person = spec["components"]["schemas"]["contacts.person"]["properties"]
    assert person["tags"]["type"] == "array" and person["tags"]["items"]["type"] == "string"
    assert "tags" in spec["components"]["schemas"]["sales.deal.input"]["properties"]
    assert {"get", "post"} <= set(spec["paths"]["/api/v1/tags"])
    params = [p["name"] for p in spec["paths"]["/api/v1/contacts/persons"]["get"]["parameters"]]
    assert "tag" in params


def test_the_cli_lists_creates_and_deletes_tags(peyvand_cli, peyvand_settings):
    created = peyvand_cli("tags", "create", "مشتری ویژه", "--colour", "#d97706")
    assert created.exit_code == 0, created.output
    clash = peyvand_cli("tags", "create", "مشتري ويژه")
    assert clash.exit_code != 0 and "already exists" in clash.output
    listed = peyvand_cli("tags", "list")
    assert "#d97706  مشتری ویژه  (0 records)" in listed.output
    deleted = peyvand_cli("tags", "delete", "مشتري ويژه", "--yes")
    assert deleted.exit_code == 0 and "deleted" in deleted.output
    assert "no tags" in peyvand_cli("tags", "list").output
