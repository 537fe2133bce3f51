"""Custom fields: added at runtime, typed, in records, filters, sorting, exports and OpenAPI."""

import pytest

pytestmark = pytest.mark.peyvand_plugins("contacts")

PEOPLE = "/api/v1/contacts/persons"


def add(client, **body):
    response = client.post("/api/v1/custom-fields", json={"entity": "contacts.person", **body})
    assert response.status_code == 201, response.json
    return response.json


def test_a_custom_field_appears_at_once_and_validates_by_type(peyvand_client):
    add(peyvand_client, name="shoe_size", type="integer", label={"en": "Shoe size", "fa": "سایز"})
    add(peyvand_client, name="tier", type="choice", choices=["gold", "silver"])
    add(peyvand_client, name="interests", type="multi_choice", choices=["crm", "erp", "voip"])
    add(peyvand_client, name="since", type="date")
    add(peyvand_client, name="vip", type="boolean")
    created = peyvand_client.post(PEOPLE, json={
        "last_name": "Karimi", "cf_shoe_size": 42, "cf_tier": "gold",
        "cf_interests": ["voip", "crm"], "cf_since": "2024-03-20", "cf_vip": True})
    assert created.status_code == 201, created.json
    body = peyvand_client.get(created.headers["Location"]).json
    assert (body["cf_shoe_size"], body["cf_tier"], body["cf_interests"], body["cf_since"],
            body["cf_vip"]) == (42, "gold", ["crm", "voip"], "2024-03-20", True)
    bad = peyvand_client.post(PEOPLE, json={"last_name": "x", "cf_shoe_size": "big",
                                            "cf_tier": "bronze"})
    assert bad.status_code == 422
    assert set(bad.json["errors"]) == {"cf_shoe_size", "cf_tier"}


def test_filters_and_sorting_on_custom_fields(peyvand_client):
    add(peyvand_client, name="score", type="decimal")
    add(peyvand_client, name="tier", type="choice", choices=["gold", "silver", "bronze"])
    for name, score, tier in (("a", "10.5", "gold"), ("b", "3", "silver"), ("c", None, "gold"),
                              ("d", "7", None)):
        peyvand_client.post(PEOPLE, json={"last_name": name, "cf_score": score, "cf_tier": tier})

    def names(query):
        response = peyvand_client.get(PEOPLE + query)
        assert response.status_code == 200, response.json
        return [r["last_name"] for r in response.json["data"]]

    assert sorted(names("?cf_tier=gold")) == ["a", "c"]
    assert sorted(names("?cf_tier__in=silver,bronze")) == ["b"]
    assert sorted(names("?cf_score__gte=5")) == ["a", "d"]
    assert sorted(names("?cf_tier__empty=true")) == ["d"]
    assert names("?sort=cf_score") == ["c", "b", "d", "a"]
    assert names("?sort=-cf_score") == ["a", "d", "b", "c"]
    pages, cursor = [], None
    while True:
        body = peyvand_client.get(PEOPLE + "?sort=cf_score&limit=1"
                                  + (f"&cursor={cursor}" if cursor else "")).json
        pages += [r["last_name"] for r in body["data"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert pages == ["c", "b", "d", "a"]
    assert peyvand_client.get(PEOPLE + "?cf_score=lots").status_code == 422


def test_updates_are_audited_and_a_stale_version_changes_nothing(peyvand_client):
    add(peyvand_client, name="tier", type="choice", choices=["gold", "silver"])
    created = peyvand_client.post(PEOPLE, json={"last_name": "x", "cf_tier": "silver"})
    url = created.headers["Location"]
    assert peyvand_client.patch(url, json={"cf_tier": "gold"},
                                headers={"If-Match": '"1"'}).status_code == 200
    assert peyvand_client.patch(url, json={"cf_tier": "silver"},
                                headers={"If-Match": '"1"'}).status_code == 412
    assert peyvand_client.get(url).json["cf_tier"] == "gold"
    trail = peyvand_client.get(f"/api/v1/audit?entity=contacts.person&id={created.json['id']}")
    assert trail.json["data"][0]["changes"] == {"cf_tier": ["silver", "gold"]}


def test_custom_fields_reach_openapi_and_exports_and_can_be_removed(peyvand_client):
    add(peyvand_client, name="tier", type="choice", choices=["gold", "silver"],
        label={"en": "Tier", "fa": "سطح"})
    peyvand_client.post(PEOPLE, json={"last_name": "x", "cf_tier": "gold"})
    spec = peyvand_client.get("/api/v1/openapi.json").json
    prop = spec["components"]["schemas"]["contacts.person"]["properties"]["cf_tier"]
    assert prop["x-label-fa"] == "سطح" and "gold" in str(prop)
    exported = peyvand_client.get(PEOPLE + "/export?format=csv").get_data().decode("utf-8-sig")
    assert "cf_tier" in exported.splitlines()[0] and "gold" in exported
    removed = peyvand_client.delete("/api/v1/custom-fields/contacts.person/tier")
    assert removed.json["values_deleted"] == 1
    assert "cf_tier" not in peyvand_client.get(PEOPLE).json["data"][0]


def test_hidden_custom_fields_follow_field_rules(peyvand_client, peyvand_login):
    add(peyvand_client, name="salary", type="integer")
    peyvand_client.put("/api/v1/roles", json={"format": "peyvand.roles/1", "roles": [
        {"key": "readonly", "grants": {"contacts.person.read": "all"},
         "field_rules": {"contacts.person": {"cf_salary": "hidden"}}}]})
    peyvand_client.post(PEOPLE, json={"last_name": "x", "cf_salary": 900})
    reader = peyvand_login("readonly")
    row = reader.get(PEOPLE).json["data"][0]
    assert "cf_salary" not in row
    assert reader.get(PEOPLE + "?cf_salary=900").status_code == 422


def test_bad_definitions_are_refused_with_reasons(peyvand_client, peyvand_login):
    response = peyvand_client.post("/api/v1/custom-fields", json={
        "entity": "contacts.nothing", "name": "Bad Name", "type": "colour"})
    assert response.status_code == 422
    message = response.json["errors"]["_schema"][0]
    assert "unknown entity" in message and "lower-case" in message and "type 'colour'" in message
    assert peyvand_login("salesperson").post("/api/v1/custom-fields", json={
        "entity": "contacts.person", "name": "x", "type": "text"}).status_code == 403


def test_cli_adds_lists_and_removes(peyvand_cli):
    peyvand_cli("plugins", "enable", "contacts")
    result = peyvand_cli("fields", "add", "contacts.person", "region", "--type", "choice",
                         "--choices", "north,south")
    assert result.exit_code == 0, result.output
    assert "cf_region" in peyvand_cli("fields", "list").output
    assert peyvand_cli("fields", "remove", "contacts.person", "region", "--yes").exit_code == 0
    assert "no custom fields" in peyvand_cli("fields", "list").output


def test_decimal_values_read_as_plain_numbers(peyvand_client):
    add(peyvand_client, name="budget", type="decimal")
    created = peyvand_client.post(PEOPLE, json={"last_name": "x", "cf_budget": "100.00"})
    assert created.status_code == 201, created.json
    assert peyvand_client.get(created.headers["Location"]).json["cf_budget"] == "100"
    url = created.headers["Location"]
    assert peyvand_client.patch(url, json={"cf_budget": "2.50"}).json["cf_budget"] == "2.5"
