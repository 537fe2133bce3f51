"""Several typed e-mails, phone numbers and addresses per contact: the lists in the API, the
primary values in `email`/`phone`, cleaning, search, duplicates, exports, lists without N+1."""

import csv
import io

import pytest

pytestmark = pytest.mark.peyvand_plugins("contacts")

PEOPLE = "/api/v1/contacts/persons"
ORGS = "/api/v1/contacts/organizations"


def _person(client, **fields):
    response = client.post(PEOPLE, json={"last_name": "کریمی", **fields})
    assert response.status_code == 201, response.json
    return response.json


def test_lists_are_cleaned_typed_and_the_primary_is_the_single_value(peyvand_client):
    person = _person(peyvand_client, phones=[
        {"value": "۰۲۱-۸۸۷۷ ۶۶۵۵", "type": "work"},
        {"value": "0912 123 4567", "primary": True},
        {"value": "+98 912 123 4567", "type": "home"},          # the same number again
    ], emails=[{"value": " Ali@Example.IR ", "type": "home"},
               {"value": "ali.work@example.ir", "type": "work"}])
    assert person["phone"] == "+989121234567"
    assert person["phones"] == [
        {"value": "+989121234567", "type": "mobile", "primary": True},
        {"value": "+982188776655", "type": "work", "primary": False}]
    assert person["email"] == "ali@example.ir"
    assert person["emails"] == [
        {"value": "ali@example.ir", "type": "home", "primary": True},
        {"value": "ali.work@example.ir", "type": "work", "primary": False}]
    assert peyvand_client.get(f"{PEOPLE}/{person['id']}").json["phones"] == person["phones"]


def test_a_contact_without_lists_shows_its_single_values_as_them(peyvand_client):
    person = _person(peyvand_client, phone="09121234567", email="a@b.ir", city="تهران")
    assert person["phones"] == [{"value": "+989121234567", "type": "mobile", "primary": True}]
    assert person["emails"] == [{"value": "a@b.ir", "type": "other", "primary": True}]
    assert person["addresses"] == [{"type": "other", "line": None, "city": "تهران",
                                    "province": None, "postal_code": None, "primary": True}]
    bare = _person(peyvand_client)
    assert (bare["phones"], bare["emails"], bare["addresses"]) == ([], [], [])


def test_writing_the_single_value_replaces_the_primary_item(peyvand_client):
    person = _person(peyvand_client, emails=[{"value": "one@x.ir"}, {"value": "two@x.ir"},
                                             {"value": "three@x.ir"}])
    url = f"{PEOPLE}/{person['id']}"
    changed = peyvand_client.patch(url, json={"email": "ONE.new@x.ir"}).json
    assert [e["value"] for e in changed["emails"]] == ["one.new@x.ir", "two@x.ir", "three@x.ir"]
    # The new primary value was a secondary one: it is not listed twice.
    changed = peyvand_client.patch(url, json={"email": "three@x.ir"}).json
    assert [e["value"] for e in changed["emails"]] == ["three@x.ir", "two@x.ir"]
    # No primary left: the next item becomes it.
    changed = peyvand_client.patch(url, json={"email": None}).json
    assert changed["email"] == "two@x.ir"
    assert changed["emails"] == [{"value": "two@x.ir", "type": "other", "primary": True}]
    # A list sets the single value.
    changed = peyvand_client.patch(url, json={"emails": [
        {"value": "a@x.ir"}, {"value": "b@x.ir", "primary": True}]}).json
    assert changed["email"] == "b@x.ir"
    assert [e["value"] for e in changed["emails"]] == ["b@x.ir", "a@x.ir"]
    cleared = peyvand_client.patch(url, json={"emails": []}).json
    assert cleared["email"] is None and cleared["emails"] == []


def test_errors_name_the_item_and_nothing_is_written(peyvand_client):
    person = _person(peyvand_client, phone="09121234567")
    url = f"{PEOPLE}/{person['id']}"
    response = peyvand_client.patch(url, json={"phones": [{"value": "09121234567"},
                                                          {"value": "12"}]})
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["phones[1].value"]
    assert "12" in response.json["errors"]["phones[1].value"][0]
    response = peyvand_client.patch(url, json={"phones": [{"value": "09121234567",
                                                           "type": "pager"}]})
    assert list(response.json["errors"]) == ["phones[0].type"]
    response = peyvand_client.patch(url, json={"emails": [{"value": "a@x.ir", "primary": True},
                                                          {"value": "b@x.ir", "primary": True}]})
    assert response.status_code == 422 and list(response.json["errors"]) == ["emails"]
    response = peyvand_client.patch(url, json={"phone": "09351112233",
                                               "phones": [{"value": "09121234567"}]})
    assert response.status_code == 422 and list(response.json["errors"]) == ["phone"]
    response = peyvand_client.post(ORGS, json={"name": "نوین", "addresses": [
        {"city": "تهران", "postal_code": "1234"}]})
    assert list(response.json["errors"]) == ["addresses[0].postal_code"]
    after = peyvand_client.get(url).json
    assert after["phones"] == person["phones"] and after["version"] == person["version"]
    assert peyvand_client.get(f"{ORGS}?total=1").json["total"] == 0


def test_organisation_addresses_keep_the_primary_in_the_address_columns(peyvand_client):
    org = peyvand_client.post(ORGS, json={"name": "نوین پارس", "addresses": [
        {"type": "shipping", "line": "جاده مخصوص، انبار ۴", "city": "تهران"},
        {"type": "work", "line": "خیابان ولیعصر ۱۲", "city": "تهران", "province": "تهران",
         "postal_code": "۱۹۶۸۹-۱۳۷۵۱", "primary": True}],
        "phones": [{"value": "02188776656", "type": "fax"}]}).json
    assert (org["address"], org["city"], org["postal_code"]) == (
        "خیابان ولیعصر ۱۲", "تهران", "1968913751")
    assert org["addresses"][0]["primary"] and org["addresses"][0]["province"] == "تهران"
    assert org["addresses"][1] == {"type": "shipping", "line": "جاده مخصوص، انبار ۴",
                                   "city": "تهران", "province": None, "postal_code": None,
                                   "primary": False}
    assert org["phones"] == [{"value": "+982188776656", "type": "fax", "primary": True}]
    changed = peyvand_client.patch(f"{ORGS}/{org['id']}", json={"city": "کرج"}).json
    assert changed["addresses"][0]["city"] == "کرج" and len(changed["addresses"]) == 2


def test_secondary_values_are_searched_and_found_as_duplicates(peyvand_client):
    person = _person(peyvand_client, first_name="علی", phone="09121234567",
                     phones=[{"value": "09121234567"}, {"value": "02188776601", "type": "work"}],
                     emails=[{"value": "ali@novin.ir"}, {"value": "ali.home@gmail.com"}])
    for query in ("02188776601", "۰۲۱ ۸۸۷۷", "ali.home", "alihome"):
        hits = peyvand_client.get("/api/v1/search", query_string={"q": query}).json["data"]
        assert [h["id"] for h in hits if h["entity"] == "contacts.person"] == [person["id"]], \
            query
    check = "/api/v1/contacts/persons/check-duplicates"
    by_email = peyvand_client.post(check, json={"email": "ALI.home@gmail.com"}).json["data"]
    assert [(h["id"], h["match"]) for h in by_email] == [(person["id"], "email")]
    by_list = peyvand_client.post(check, json={"last_name": "x", "phones": [
        {"value": "021 8877 6601"}]}).json["data"]
    assert [(h["id"], h["match"]) for h in by_list] == [(person["id"], "phone")]
    # Replacing the list takes the old secondary out of the search.
    peyvand_client.patch(f"{PEOPLE}/{person['id']}", json={"phones": [{"value": "09121234567"}]})
    assert peyvand_client.get("/api/v1/search", query_string={"q": "02188776601"}).json[
        "data"] == []


def test_import_matches_a_secondary_phone(peyvand_client, peyvand_app, tmp_path):
    from peyvand_contacts.importing.pipeline import import_people

    person = _person(peyvand_client, phone="09121234567",
                     phones=[{"value": "09121234567"}, {"value": "09351112233"}])
    path = tmp_path / "people.csv"
    path.write_text("first name,last name,mobile,job title\nعلی,کریمی,09351112233,مدیر\n",
                    encoding="utf-8")
    kernel = peyvand_app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        result = import_people(path, hooks=kernel.hooks("default"))
    assert (result.created, result.updated) == (0, 1)
    after = peyvand_client.get(f"{PEOPLE}/{person['id']}").json
    assert after["job_title"] == "مدیر" and len(after["phones"]) == 2
    # Its search text kept the secondary number.
    hits = peyvand_client.get("/api/v1/search", query_string={"q": "09351112233"}).json["data"]
    assert [h["id"] for h in hits] == [person["id"]]


def test_a_page_loads_the_lists_of_all_its_rows_in_one_query(peyvand_client, peyvand_app):
    for i in range(12):
        _person(peyvand_client, phones=[{"value": f"0912000{i:04d}"},
                                        {"value": f"0935000{i:04d}", "type": "work"}])
    db = peyvand_app.extensions["peyvand"].storage.database_for("default")
    seen = []
    original = type(db).execute_sql

    def counting(self, sql, params=None, *args, **kwargs):
        seen.append(sql)
        return original(self, sql, params, *args, **kwargs)

    counts = {}
    for limit in (2, 12):
        type(db).execute_sql = counting
        try:
            seen.clear()
            page = peyvand_client.get(f"{PEOPLE}?limit={limit}").json["data"]
        finally:
            type(db).execute_sql = original
        assert len(page) == limit and all(len(row["phones"]) == 2 for row in page)
        counts[limit] = sum('"contacts_detail"' in sql for sql in seen), len(seen)
    assert counts[2] == counts[12]
    assert counts[12][0] == 1


def test_a_field_rule_on_the_single_value_covers_its_list(peyvand_client, peyvand_login):
    assert peyvand_client.put("/api/v1/roles", json={"format": "peyvand.roles/1", "roles": [
        {"key": "salesperson",
         "grants": {f"contacts.person.{a}": "own" for a in ("read", "create", "update")},
         "field_rules": {"contacts.person": {"phone": "hidden", "email": "read"}}},
    ]}).status_code == 200
    seller = peyvand_login("salesperson")
    created = seller.post(PEOPLE, json={"last_name": "Karimi"})
    assert created.status_code == 201
    assert "phones" not in created.json and "phone" not in created.json
    url = created.headers["Location"]
    assert peyvand_client.patch(url, json={"phones": [{"value": "09121234567"}]}
                                ).status_code == 200
    assert "phones" not in seller.get(url).json
    assert all("phones" not in row for row in seller.get(PEOPLE).json["data"])
    refused = seller.patch(url, json={"emails": [{"value": "a@b.ir"}]})
    assert refused.status_code == 422 and list(refused.json["errors"]) == ["emails"]
    refused = seller.patch(url, json={"phones": [{"value": "09351112233"}]})
    assert refused.status_code == 422 and list(refused.json["errors"]) == ["phones"]


def test_export_joins_every_item(peyvand_client):
    _person(peyvand_client, phones=[{"value": "09121234567"},
                                    {"value": "02188776601", "type": "work"}],
            emails=[{"value": "a@x.ir"}, {"value": "b@x.ir", "type": "home"}])
    response = peyvand_client.get(f"{PEOPLE}/export?format=csv")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0]["phones"] == "'+989121234567 (mobile); +982188776601 (work)"
    assert rows[0]["emails"] == "a@x.ir (other); b@x.ir (home)"


def test_audit_and_openapi_describe_the_lists(peyvand_client):
    person = _person(peyvand_client, phone="09121234567")
    peyvand_client.patch(f"{PEOPLE}/{person['id']}", json={"phones": [
        {"value": "09121234567"}, {"value": "09351112233", "type": "home"}]})
    trail = peyvand_client.get("/api/v1/audit", query_string={
        "entity": "contacts.person", "id": person["id"]}).json["data"]
    old, new = trail[0]["changes"]["phones"]
    assert len(old) == 1 and [p["value"] for p in new] == ["+989121234567", "+989351112233"]
    schemas = peyvand_client.get("/api/v1/openapi.json").json["components"]["schemas"]
    phones = schemas["contacts.person"]["properties"]["phones"]
    assert phones["type"] == "array"
    item = phones["items"]["properties"]
    assert item["type"]["enum"][:2] == ["mobile", "work"] and "primary" in item
    assert "addresses" in schemas["contacts.organization.input"]["properties"]


def test_a_hidden_phone_list_does_not_make_a_record_match(peyvand_client, peyvand_login):
    assert peyvand_client.put("/api/v1/roles", json={"format": "peyvand.roles/1", "roles": [
        {"key": "readonly", "grants": {"contacts.person.read": "all"},
         "field_rules": {"contacts.person": {"phone": "hidden"}}},
    ]}).status_code == 200
    reader = peyvand_login("readonly")
    person = _person(peyvand_client, phones=[{"value": "09121234567"},
                                             {"value": "02188776601"}],
                     emails=[{"value": "a@x.ir"}, {"value": "secret.second@x.ir"}])

    def found(client, query):
        hits = client.get("/api/v1/search", query_string={"q": query}).json["data"]
        return [h["id"] for h in hits if h["entity"] == "contacts.person"]

    assert found(peyvand_client, "02188776601") == [person["id"]]
    assert found(reader, "02188776601") == []          # a hidden secondary number
    assert found(reader, "secret.second") == [person["id"]]   # a visible secondary e-mail
