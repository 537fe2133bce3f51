"""Contacts written through the API are stored normalised; bad identifiers are refused."""

import pytest

pytestmark = pytest.mark.peyvand_plugins("contacts")


def test_phone_and_email_are_stored_normalised(peyvand_client):
    response = peyvand_client.post("/api/v1/contacts/persons", json={
        "first_name": "علی", "last_name": "رضایی", "phone": "۰۹۱۲ ۱۲۳-۴۵۶۷",
        "email": "  Ali.Rezaei@Example.IR "})
    assert response.status_code == 201, response.json
    assert response.json["phone"] == "+989121234567"
    assert response.json["email"] == "ali.rezaei@example.ir"


def test_invalid_national_id_is_refused_naming_the_field(peyvand_client):
    response = peyvand_client.post("/api/v1/contacts/persons", json={
        "last_name": "Karimi", "national_id": "0012345678"})
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["national_id"]
    assert peyvand_client.get("/api/v1/contacts/persons?total=1").json["total"] == 0


def test_invalid_phone_on_update_changes_nothing(peyvand_client):
    created = peyvand_client.post("/api/v1/contacts/persons",
                                  json={"last_name": "Karimi", "phone": "09121234567"})
    url = created.headers["Location"]
    response = peyvand_client.patch(url, json={"phone": "12"})
    assert response.status_code == 422 and "phone" in response.json["errors"]
    assert peyvand_client.get(url).json["phone"] == "+989121234567"


def test_every_bad_field_is_named_in_one_answer(peyvand_client):
    """Not one error per attempt: the bad phone, e-mail, national ID, list items and the
    missing last name (the schema's own error) come back together."""
    response = peyvand_client.post("/api/v1/contacts/persons", json={
        "phone": "12", "email": "bad@", "national_id": "1234567890",
        "emails": [{"value": "a@x.ir"}, {"value": "nope"}]})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"last_name", "phone", "email", "national_id",
                                            "emails[1].value"}
    organisation = peyvand_client.post("/api/v1/contacts/organizations", json={
        "name": "Novin", "economic_code": "1", "postal_code": "12", "phone": "12"})
    assert organisation.status_code == 422
    assert set(organisation.json["errors"]) == {"economic_code", "postal_code", "phone"}
    assert peyvand_client.get("/api/v1/contacts/persons?total=1").json["total"] == 0
