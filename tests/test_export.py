"""Exports: a separate right, field masks applied, formulas neutralised, every export audited."""

import csv
import io

import pytest

pytestmark = pytest.mark.peyvand_plugins("contacts")

PEOPLE = "/api/v1/contacts/persons"


def read_csv(response):
    text = response.get_data().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_admin_exports_the_filtered_list_as_csv_with_formulas_neutralised(peyvand_client):
    peyvand_client.post(PEOPLE, json={"last_name": "=HYPERLINK(\"http://x\")", "city": "قم"})
    peyvand_client.post(PEOPLE, json={"last_name": "احمدی", "city": "تهران"})
    response = peyvand_client.get(PEOPLE + "/export?format=csv&city=قم")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith('contacts-persons.csv"')
    rows = read_csv(response)
    header, data = rows[0], rows[1:]
    assert len(data) == 1
    assert data[0][header.index("last_name")] == "'=HYPERLINK(\"http://x\")"


def test_xlsx_export(peyvand_client):
    from openpyxl import load_workbook

    peyvand_client.post(PEOPLE, json={"last_name": "Karimi"})
    response = peyvand_client.get(PEOPLE + "/export?format=xlsx")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert "last_name" in values[0] and values[1][values[0].index("last_name")] == "Karimi"


def test_salesperson_without_export_right_gets_403_even_for_own_records(peyvand_login):
    seller = peyvand_login("salesperson")
    seller.post(PEOPLE, json={"last_name": "mine"})
    assert seller.get(PEOPLE).status_code == 200
    refused = seller.get(PEOPLE + "/export?format=csv")
    assert refused.status_code == 403 and "may not export" in refused.json["message"]


def test_export_applies_scope_and_hidden_fields_and_is_audited(peyvand_client, peyvand_login):
    peyvand_client.put("/api/v1/roles", json={"format": "peyvand.roles/1", "roles": [
        {"key": "salesperson",
         "grants": {"contacts.person.read": "own", "contacts.person.create": "own",
                    "contacts.person.export": "own"},
         "field_rules": {"contacts.person": {"phone": "hidden"}}}]})
    seller = peyvand_login("salesperson", name="exporter")
    refused = seller.post(PEOPLE, json={"last_name": "mine", "phone": "09121234567"})
    assert refused.status_code == 422  # a hidden field cannot be written either
    url = seller.post(PEOPLE, json={"last_name": "mine"}).headers["Location"]
    peyvand_client.patch(url, json={"phone": "09121234567"})
    peyvand_client.post(PEOPLE, json={"last_name": "not mine"})
    rows = read_csv(seller.get(PEOPLE + "/export"))
    assert "phone" not in rows[0]
    assert [r[rows[0].index("last_name")] for r in rows[1:]] == ["mine"]
    trail = peyvand_client.get("/api/v1/audit?entity=contacts.person&id=0").json["data"]
    assert trail[0]["action"] == "export" and trail[0]["user"] == "exporter"
    assert trail[0]["changes"]["rows"] == [None, 1]


def test_xlsx_export_of_list_values(peyvand_client):
    """A multiple-choice value is a list; spreadsheets get it as JSON text, not a 500."""
    from openpyxl import load_workbook

    peyvand_client.post("/api/v1/custom-fields", json={
        "entity": "contacts.person", "name": "interests", "type": "multi_choice",
        "choices": ["crm", "erp"]})
    peyvand_client.post(PEOPLE, json={"last_name": "x", "cf_interests": ["erp", "crm"]})
    response = peyvand_client.get(PEOPLE + "/export?format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[1][rows[0].index("cf_interests")] == '["crm", "erp"]'
