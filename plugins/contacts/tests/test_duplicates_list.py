"""The duplicates list: groups by the import's rules, within the viewer's scope, dismissable,
paginated by cursor, and the CLI."""

import pytest

pytestmark = pytest.mark.peyvand_plugins("contacts")

LIST = "/api/v1/contacts/duplicates"
PERSONS = "/api/v1/contacts/persons"


def person(client, **fields):
    response = client.post(PERSONS, json={"last_name": "x", **fields})
    assert response.status_code == 201, response.json
    return response.json["id"]


def groups(client, **params):
    response = client.get(LIST, query_string=params)
    assert response.status_code == 200, response.json
    return response.json


def ids_of(group):
    return sorted(r["id"] for r in group["records"])


def every_group(client, **params):
    out, cursor = [], None
    while True:
        page = groups(client, **params, **({"cursor": cursor} if cursor else {}))
        out += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            return out


def test_groups_by_email_phone_national_id_and_name_in_organisation(peyvand_client):
    org = peyvand_client.post("/api/v1/contacts/organizations", json={"name": "نوین"}).json["id"]
    a = person(peyvand_client, first_name="علی", last_name="کریمی", email="ali@novin.ir",
               phone="09121234567", organization_id=org)
    b = person(peyvand_client, first_name="Ali", last_name="K", email=" ALI@Novin.IR ",
               phone="+98 912 123 4567")              # same e-mail and mobile: one group
    c = person(peyvand_client, last_name="y", phone="00989121234567", email="c@x.ir")
    d = person(peyvand_client, first_name="علي", last_name="كريمي", organization_id=org)
    e = person(peyvand_client, last_name="z", national_id="0013542419")
    f = person(peyvand_client, last_name="w", national_id="۰۰۱۳۵۴۲۴۱۹")
    person(peyvand_client, first_name="علی", last_name="کریمی")   # same name, no organisation
    person(peyvand_client, last_name="alone", email="alone@x.ir")

    found = groups(peyvand_client)["data"]
    by_rule = {(g["rule"], tuple(ids_of(g))) for g in found}
    assert by_rule == {("email", (a, b)), ("phone", (a, b, c)), ("national_id", (e, f)),
                       ("name", (a, d))}
    email = next(g for g in found if g["rule"] == "email")
    assert email["value"] == "ali@novin.ir" and email["count"] == 2
    assert {"id", "title", "email", "phone", "organization", "updated_at"} <= set(
        email["records"][0])
    name = next(g for g in found if g["rule"] == "name")
    assert name["value"] == "علی کریمی" and name["records"][0]["organization"] == "نوین"
    only_phone = groups(peyvand_client, rule="phone")["data"]
    assert [ids_of(g) for g in only_phone] == [sorted([a, b, c])]
    assert peyvand_client.get(LIST, query_string={"rule": "bogus"}).status_code == 422
    assert peyvand_client.get(LIST, query_string={"entity": "deal"}).status_code == 422


def test_a_group_already_shown_under_an_earlier_rule_is_not_repeated(peyvand_client):
    a = person(peyvand_client, email="same@x.ir", phone="09120000001")
    b = person(peyvand_client, email="same@x.ir", phone="09120000001")
    assert [(g["rule"], ids_of(g)) for g in groups(peyvand_client)["data"]] == [
        ("email", [a, b])]


def test_renaming_through_the_api_moves_a_person_between_name_groups(peyvand_client):
    org = peyvand_client.post("/api/v1/contacts/organizations", json={"name": "آریا"}).json["id"]
    a = person(peyvand_client, first_name="مریم", last_name="احمدی", organization_id=org)
    b = person(peyvand_client, first_name="سارا", last_name="احمدی", organization_id=org)
    assert groups(peyvand_client, rule="name")["data"] == []
    peyvand_client.patch(f"{PERSONS}/{b}", json={"first_name": "مريم"})
    assert [ids_of(g) for g in groups(peyvand_client, rule="name")["data"]] == [[a, b]]
    peyvand_client.delete(f"{PERSONS}/{b}")       # the trash is not a duplicate
    assert groups(peyvand_client, rule="name")["data"] == []


def test_organisations_by_folded_name(peyvand_client):
    orgs = "/api/v1/contacts/organizations"
    a = peyvand_client.post(orgs, json={"name": "بازرگانی نوین"}).json["id"]
    b = peyvand_client.post(orgs, json={"name": "  بازرگاني   نوين "}).json["id"]
    peyvand_client.post(orgs, json={"name": "آریا"})
    found = groups(peyvand_client, entity="organization")["data"]
    assert [(g["rule"], ids_of(g), g["value"]) for g in found] == [
        ("name", [a, b], "بازرگانی نوین")]
    assert found[0]["records"][0]["title"] == "بازرگانی نوین"


def test_only_records_the_viewer_may_read(peyvand_client, peyvand_login):
    seller = peyvand_login("salesperson")
    mine = person(seller, email="shared@x.ir")
    person(peyvand_client, email="shared@x.ir")     # the admin's: not the seller's to see
    assert groups(seller)["data"] == []
    mine_too = person(seller, email="shared@x.ir")
    assert [ids_of(g) for g in groups(seller)["data"]] == [sorted([mine, mine_too])]
    assert [g["count"] for g in groups(peyvand_client)["data"]] == [3]
    assert seller.get(LIST, headers={"Authorization": ""}).status_code == 401


def test_hidden_fields_are_not_shown(peyvand_client, peyvand_cli, peyvand_login):
    seller = peyvand_login("salesperson")
    person(seller, email="h@x.ir")
    person(seller, email="h@x.ir")
    assert peyvand_cli("roles", "field-rule", "salesperson", "contacts.person", "email",
                       "hidden").exit_code == 0
    [group] = groups(seller)["data"]
    assert group["value"] is None and "email" not in group["records"][0]


def test_dismissed_pairs_disappear(peyvand_client, peyvand_login):
    a = person(peyvand_client, phone="09121110000")
    b = person(peyvand_client, phone="09121110000")
    c = person(peyvand_client, phone="09121110000")
    dismiss = "/api/v1/contacts/duplicates/dismiss"
    assert peyvand_client.post(dismiss, json={"entity": "person", "ids": [a, b]}).json == {
        "dismissed": 1}
    [group] = groups(peyvand_client)["data"]
    assert ids_of(group) == [a, b, c] and group["dismissed"] == [[a, b]]
    assert peyvand_client.post(dismiss, json={"ids": [a, b, c]}).json == {"dismissed": 2}
    assert groups(peyvand_client)["data"] == []
    audit = peyvand_client.get("/api/v1/audit", query_string={
        "entity": "contacts.person", "id": c}).json["data"]
    assert audit[0]["action"] == "not-duplicate"
    assert peyvand_client.post(dismiss, json={"ids": [a]}).status_code == 422
    assert peyvand_client.post(dismiss, json={"ids": [a, 99999]}).status_code == 404
    seller = peyvand_login("salesperson")
    assert seller.post(dismiss, json={"ids": [a, b]}).status_code == 404  # not theirs


def test_pages_by_cursor_without_repeats(peyvand_client):
    expected = []
    for i in range(7):
        pair = [person(peyvand_client, email=f"p{i}@x.ir") for _ in range(2)]
        expected.append(sorted(pair))
    for i in range(3):
        pair = [person(peyvand_client, phone=f"0912000{i:04d}") for _ in range(2)]
        expected.append(sorted(pair))
    first = groups(peyvand_client, limit=3)
    assert len(first["data"]) == 3 and first["next_cursor"]
    seen = [ids_of(g) for g in every_group(peyvand_client, limit=3)]
    assert sorted(seen) == sorted(expected)
    assert peyvand_client.get(LIST, query_string={"cursor": "nonsense"}).status_code == 422


def test_fuzzy_names_in_the_same_organisation_with_the_admins_threshold(peyvand_client):
    orgs = "/api/v1/contacts/organizations"
    org = peyvand_client.post(orgs, json={"name": "آریا"}).json["id"]
    other = peyvand_client.post(orgs, json={"name": "نوین"}).json["id"]
    a = person(peyvand_client, first_name="محمدرضا", last_name="حسینی", organization_id=org)
    b = person(peyvand_client, first_name="محمد رضا", last_name="حسيني", organization_id=org)
    c = person(peyvand_client, first_name="محمدرضا", last_name="حسینی", organization_id=org)
    person(peyvand_client, first_name="محمدرضا", last_name="حسین‌زاده", organization_id=other)
    person(peyvand_client, first_name="زهرا", last_name="حسینی", organization_id=org)
    assert {g["rule"] for g in groups(peyvand_client)["data"]} == {"name"}   # off by default
    setting = "/api/v1/settings/contacts.fuzzy_name_threshold"
    assert peyvand_client.put(setting, json={"value": 90}).status_code == 200
    found = groups(peyvand_client)["data"]
    assert [(g["rule"], ids_of(g)) for g in found] == [("name", [a, c]), ("fuzzy", [a, b])]
    assert found[1]["score"] >= 90
    org_b = peyvand_client.post(orgs, json={"name": "شرکت آريا"}).json["id"]
    org_groups = groups(peyvand_client, entity="organization")["data"]
    assert [(g["rule"], ids_of(g)) for g in org_groups] == []   # 'شرکت آریا' vs 'آریا': < 90
    peyvand_client.put(setting, json={"value": 60})
    assert [(g["rule"], ids_of(g)) for g in groups(peyvand_client, entity="organization",
                                                   rule="fuzzy")["data"]] == [
        ("fuzzy", sorted([org, org_b]))]


def test_fuzzy_pages_resume_where_they_stopped(peyvand_client):
    peyvand_client.put("/api/v1/settings/contacts.fuzzy_name_threshold", json={"value": 85})
    org = peyvand_client.post("/api/v1/contacts/organizations", json={"name": "o"}).json["id"]
    expected = []
    for name in ("آرش", "بهرام", "پرویز", "تینا", "ثمین", "جمشید"):
        a = person(peyvand_client, first_name=name, last_name="رضایی نژاد", organization_id=org)
        b = person(peyvand_client, first_name=name, last_name="رضائی نژاد", organization_id=org)
        expected.append(sorted([a, b]))
    one_by_one = [ids_of(g) for g in every_group(peyvand_client, rule="fuzzy", limit=1)]
    assert sorted(one_by_one) == sorted(expected)
    assert sorted(ids_of(g) for g in groups(peyvand_client, rule="fuzzy")["data"]) == sorted(
        expected)


def test_the_cli_lists_them(peyvand_client, peyvand_cli):
    a = person(peyvand_client, first_name="Sara", last_name="Miller", email="s@x.ir")
    b = person(peyvand_client, last_name="M", email="S@x.ir")
    result = peyvand_cli("contacts", "duplicates")
    assert result.exit_code == 0, result.output
    assert "email s@x.ir (2 records)" in result.output
    assert str(a) in result.output and str(b) in result.output
    assert "1 group of likely duplicates" in result.output
    result = peyvand_cli("contacts", "duplicates", "--entity", "organization")
    assert result.exit_code == 0 and "0 groups" in result.output
