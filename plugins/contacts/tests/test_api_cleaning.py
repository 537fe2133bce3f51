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
