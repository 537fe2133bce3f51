"""Typing a new contact warns about likely duplicates, by the import's rules, within scope."""

import pytest

pytestmark = pytest.mark.peyvand_plugins("contacts")

CHECK = "/api/v1/contacts/persons/check-duplicates"


def test_matches_on_normalised_email_phone_and_name_in_organisation(peyvand_client):
    org = peyvand_client.post("/api/v1/contacts/organizations", json={"name": "نوین"}).json["id"]
    first = peyvand_client.post("/api/v1/contacts/persons", json={
        "first_name": "علی", "last_name": "کریمی", "email": "ali@novin.ir",
        "phone": "09121234567", "organization_id": org}).json["id"]
    by_phone = peyvand_client.post(CHECK, json={"last_name": "x", "phone": "+98 912 123 4567"})
    assert by_phone.json["data"] == [{"id": first, "title": "علی کریمی", "match": "phone",
                                      "value": "+989121234567"}]
    by_email = peyvand_client.post(CHECK, json={"email": " ALI@novin.IR "}).json["data"]
    assert [h["match"] for h in by_email] == ["email"]
    by_name = peyvand_client.post(CHECK, json={"first_name": "علي", "last_name": "كريمي",
                                               "organization_id": org}).json["data"]
    assert [(h["id"], h["match"]) for h in by_name] == [(first, "name")]
    assert peyvand_client.post(CHECK, json={"first_name": "علی", "last_name": "کریمی"}
                               ).json["data"] == []  # a name alone is not enough
    assert peyvand_client.post(CHECK, json=["not", "an", "object"]).status_code == 422


def test_records_outside_the_users_scope_are_not_revealed(peyvand_client, peyvand_login):
    peyvand_client.post("/api/v1/contacts/persons", json={"last_name": "x",
                                                         "phone": "09351112233"})
    seller = peyvand_login("salesperson")
    assert seller.post(CHECK, json={"phone": "09351112233"}).json["data"] == []
    assert seller.post(CHECK, json={"phone": "09351112233"},
                       headers={"Authorization": ""}).status_code == 401
