"""vCard export and import of people: every name, number, e-mail, address and the
organisation survive a round trip, Persian included; imports check and warn like the API."""

import io

import pytest

pytestmark = pytest.mark.peyvand_plugins("contacts")

PEOPLE = "/api/v1/contacts/persons"


def test_a_person_survives_a_vcard_round_trip(peyvand_client):
    org = peyvand_client.post("/api/v1/contacts/organizations",
                              json={"name": "بازرگانی نوین پارس"}).json["id"]
    person = peyvand_client.post(PEOPLE, json={
        "first_name": "علی‌رضا", "last_name": "رضایی", "job_title": "مدیر خرید",
        "organization_id": org,
        "phones": [{"value": "09121234567", "type": "mobile"},
                   {"value": "02188776601", "type": "work"},
                   {"value": "02188776656", "type": "fax"}],
        "emails": [{"value": "ali@novin.ir", "type": "work"},
                   {"value": "ali@gmail.com", "type": "home"}],
        "addresses": [{"type": "work", "line": "خیابان ولیعصر، پلاک ۱۲", "city": "تهران",
                       "province": "تهران", "postal_code": "1968913751"}]}).json
    exported = peyvand_client.get(f"{PEOPLE}/{person['id']}/vcard")
    assert exported.status_code == 200
    assert exported.headers["Content-Type"] == "text/vcard; charset=utf-8"
    text = exported.data.decode("utf-8")
    assert "BEGIN:VCARD" in text and "VERSION:3.0" in text and "علی‌رضا" in text
    assert "ORG:بازرگانی نوین پارس" in text and "TEL;TYPE=FAX:+982188776656" in text

    peyvand_client.delete(f"{PEOPLE}/{person['id']}")       # so the copy is no duplicate
    imported = peyvand_client.post(f"{PEOPLE}/vcard", data=exported.data,
                                   content_type="text/vcard")
    assert imported.status_code == 201, imported.json
    [new_id] = imported.json["created"]
    copy = peyvand_client.get(f"{PEOPLE}/{new_id}").json
    for field in ("first_name", "last_name", "job_title", "organization_id", "phone", "email",
                  "phones", "emails", "addresses"):
        assert copy[field] == person[field], field


def test_several_cards_each_checked_and_warned_about(peyvand_client):
    existing = peyvand_client.post(PEOPLE, json={"last_name": "کریمی",
                                                 "phone": "09351112233"}).json["id"]
    vcf = ("BEGIN:VCARD\r\nVERSION:3.0\r\nN:کریمی;سارا;;;\r\nFN:سارا کریمی\r\n"
           "TEL;TYPE=CELL:0935 111 2233\r\nEND:VCARD\r\n"
           "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Miller;John;;;\r\nFN:John Miller\r\n"
           "TEL;TYPE=CELL:12\r\nEND:VCARD\r\n"
           "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Negar Hosseini\r\n"
           "EMAIL;TYPE=work:negar@aryasoft.ir\r\nEND:VCARD\r\n")
    answer = peyvand_client.post(f"{PEOPLE}/vcard", data={
        "file": (io.BytesIO(vcf.encode("utf-8")), "contacts.vcf")})
    assert answer.status_code == 201, answer.json
    first, second, third = answer.json["cards"]
    assert [d["id"] for d in first["duplicates"]] == [existing] and first["id"]
    assert second["id"] is None and "phones[0].value" in second["errors"]
    assert third["id"] and answer.json["created"] == [first["id"], third["id"]]
    negar = peyvand_client.get(f"{PEOPLE}/{third['id']}").json
    assert (negar["first_name"], negar["last_name"], negar["email"]) == (
        "Negar", "Hosseini", "negar@aryasoft.ir")
    bad = peyvand_client.post(f"{PEOPLE}/vcard", data=b"hello", content_type="text/vcard")
    assert bad.status_code == 422


def test_vcards_follow_the_permissions(peyvand_client, peyvand_login):
    person = peyvand_client.post(PEOPLE, json={"last_name": "x"}).json["id"]
    seller = peyvand_login("salesperson")
    assert seller.get(f"{PEOPLE}/{person}/vcard").status_code == 404
    reader = peyvand_login("readonly")
    vcf = b"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Y;;;;\r\nFN:Y\r\nEND:VCARD\r\n"
    assert reader.post(f"{PEOPLE}/vcard", data=vcf, content_type="text/vcard"
                       ).status_code == 403


def test_the_vcard_names_the_organisation_only_to_those_who_may_read_it(peyvand_client,
                                                                         peyvand_login):
    """A salesperson's own person at a colleague's organisation: the vCard leaves the
    organisation out (it used to name it, whatever the scopes)."""
    seller = peyvand_login("salesperson")
    theirs = peyvand_client.post("/api/v1/contacts/organizations",
                                 json={"name": "شرکت محرمانه"}).json["id"]
    mine = seller.post(PEOPLE, json={"last_name": "صالحی"}).json["id"]
    assert peyvand_client.patch(f"{PEOPLE}/{mine}", json={"organization_id": theirs}
                                ).status_code == 200
    assert seller.get(f"/api/v1/contacts/organizations/{theirs}").status_code == 404
    card = seller.get(f"{PEOPLE}/{mine}/vcard")
    assert card.status_code == 200 and "صالحی" in card.data.decode("utf-8")
    assert "محرمانه" not in card.data.decode("utf-8")
    assert "ORG:شرکت محرمانه" in peyvand_client.get(f"{PEOPLE}/{mine}/vcard").data.decode()
