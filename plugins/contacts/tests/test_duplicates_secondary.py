"""Secondary e-mails and phones (``emails``/``phones`` items other than the primary one, rows of
``contacts_detail``) count for likely duplicates: in the duplicates list, in the warning while
typing and in the import's matching."""

import pytest

pytestmark = pytest.mark.peyvand_plugins("contacts")

LIST = "/api/v1/contacts/duplicates"
PERSONS = "/api/v1/contacts/persons"
CHECK = "/api/v1/contacts/persons/check-duplicates"


def person(client, **fields):
    response = client.post(PERSONS, json={"last_name": "x", **fields})
    assert response.status_code == 201, response.json
    return response.json["id"]


def groups(client, **params):
    response = client.get(LIST, query_string=params)
    assert response.status_code == 200, response.json
    return response.json


def found(client, **params):
    return [(g["rule"], g["value"], sorted(r["id"] for r in g["records"]))
            for g in groups(client, **params)["data"]]


def every_group(client, **params):
    out, cursor = [], None
    while True:
        page = groups(client, **params, **({"cursor": cursor} if cursor else {}))
        out += [(g["rule"], g["value"], sorted(r["id"] for r in g["records"]))
                for g in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return out


def test_a_secondary_value_groups_with_a_primary_or_another_secondary(peyvand_client):
    # a's secondary e-mail is b's primary; c and d share only a secondary e-mail.
    a = person(peyvand_client, emails=[{"value": "a@x.ir"}, {"value": "Shared@X.ir"}])
    b = person(peyvand_client, email="shared@x.ir")
    c = person(peyvand_client, emails=[{"value": "c@x.ir"}, {"value": "home@y.ir"}])
    d = person(peyvand_client, emails=[{"value": "d@x.ir"}, {"value": "home@y.ir"}])
    # e's secondary mobile is f's primary (typed another way); g and h share a secondary one.
    e = person(peyvand_client, phones=[{"value": "09120000001"}, {"value": "09350000009"}])
    f = person(peyvand_client, phone="+98 935 000 0009")
    g = person(peyvand_client, phones=[{"value": "09120000002"}, {"value": "09190000007"}])
    h = person(peyvand_client, phones=[{"value": "09120000003"}, {"value": "۰۹۱۹۰۰۰۰۰۰۷"}])
    person(peyvand_client, emails=[{"value": "alone@x.ir"}, {"value": "alone2@x.ir"}],
           phones=[{"value": "09120000004"}, {"value": "09120000005"}])
    assert found(peyvand_client) == [
        ("email", "home@y.ir", sorted([c, d])), ("email", "shared@x.ir", sorted([a, b])),
        ("phone", "+989190000007", sorted([g, h])), ("phone", "+989350000009", sorted([e, f]))]
    # Dropping the secondary value ends the group; the trash is no duplicate either.
    peyvand_client.patch(f"{PERSONS}/{a}", json={"emails": [{"value": "a@x.ir"}]})
    peyvand_client.delete(f"{PERSONS}/{h}")
    assert found(peyvand_client) == [("email", "home@y.ir", sorted([c, d])),
                                     ("phone", "+989350000009", sorted([e, f]))]


def test_a_group_by_a_primary_value_lists_secondary_holders_too(peyvand_client):
    a = person(peyvand_client, email="team@x.ir")
    b = person(peyvand_client, email="team@x.ir")
    c = person(peyvand_client, emails=[{"value": "c@x.ir"}, {"value": "team@x.ir"}])
    [group] = groups(peyvand_client)["data"]
    assert (group["value"], group["count"]) == ("team@x.ir", 3)
    assert sorted(r["id"] for r in group["records"]) == sorted([a, b, c])


def test_a_group_shared_through_an_earlier_rules_secondary_value_is_not_repeated(
        peyvand_client):
    # Same mobile (primary) and the same e-mail (a's secondary, b's primary): shown once.
    a = person(peyvand_client, phone="09121112233",
               emails=[{"value": "a@x.ir"}, {"value": "same@x.ir"}])
    b = person(peyvand_client, phone="09121112233", email="same@x.ir")
    assert found(peyvand_client) == [("email", "same@x.ir", sorted([a, b]))]
    assert found(peyvand_client, rule="phone") == [("phone", "+989121112233", sorted([a, b]))]


def test_pages_merge_primary_and_secondary_keys_in_order(peyvand_client):
    expected = []
    for i in range(5):
        first = person(peyvand_client, email=f"p{i}@x.ir")
        second = person(peyvand_client, email=f"p{i}@x.ir")
        expected.append(("email", f"p{i}@x.ir", sorted([first, second])))
        first = person(peyvand_client, emails=[{"value": f"own{i}a@x.ir"},
                                               {"value": f"q{i}@x.ir"}])
        second = person(peyvand_client, email=f"q{i}@x.ir")
        expected.append(("email", f"q{i}@x.ir", sorted([first, second])))
    for limit in (1, 3, 4):
        assert every_group(peyvand_client, rule="email", limit=limit) == sorted(expected)


def test_only_readable_records_make_a_group(peyvand_client, peyvand_login):
    seller = peyvand_login("salesperson")
    mine = person(seller, emails=[{"value": "m@x.ir"}, {"value": "shared@x.ir"}])
    person(peyvand_client, email="shared@x.ir")      # the admin's: not the seller's to see
    assert groups(seller)["data"] == []
    mine_too = person(seller, emails=[{"value": "n@x.ir"}, {"value": "shared@x.ir"}])
    assert found(seller) == [("email", "shared@x.ir", sorted([mine, mine_too]))]
    assert [g["count"] for g in groups(peyvand_client)["data"]] == [3]


def test_organisations_share_secondary_values_too(peyvand_client):
    orgs = "/api/v1/contacts/organizations"
    a = peyvand_client.post(orgs, json={"name": "الف", "phones": [
        {"value": "02188776601"}, {"value": "02188776699", "type": "fax"}]}).json["id"]
    b = peyvand_client.post(orgs, json={"name": "ب", "phone": "021-8877-6699"}).json["id"]
    assert found(peyvand_client, entity="organization") == [
        ("phone", "+982188776699", sorted([a, b]))]


def test_the_list_reads_the_kind_value_index_of_the_detail_table(peyvand_app):
    """The secondary keys come from an index of ``contacts_detail`` on (kind, value), in the
    schema of either database."""
    db = peyvand_app.extensions["peyvand"].storage.database_for("default")
    indexes = {tuple(i.columns) for i in db.get_indexes("contacts_detail")}
    assert ("kind", "value") in indexes


# -- the warning while typing -------------------------------------------------------------------

def test_typing_a_phone_or_email_held_as_someones_secondary_value_warns(peyvand_client):
    a = person(peyvand_client, first_name="رضا", phones=[{"value": "09121234567"},
                                                        {"value": "02144556677", "type": "work"}],
               emails=[{"value": "reza@novin.ir"}, {"value": "Reza.Home@Gmail.com"}])
    by_phone = peyvand_client.post(CHECK, json={"last_name": "y", "phone": "۰۲۱-۴۴۵۵-۶۶۷۷"})
    assert [(h["id"], h["match"], h["value"]) for h in by_phone.json["data"]] == [
        (a, "phone", "+982144556677")]
    by_email = peyvand_client.post(CHECK, json={"last_name": "y", "emails": [
        {"value": "other@x.ir"}, {"value": " reza.home@gmail.com"}]})
    assert [(h["id"], h["match"]) for h in by_email.json["data"]] == [(a, "email")]
    peyvand_client.delete(f"{PERSONS}/{a}")
    assert peyvand_client.post(CHECK, json={"phone": "02144556677"}).json["data"] == []


# -- the import ---------------------------------------------------------------------------------

def test_the_import_matches_a_secondary_email_and_keeps_the_action_rules(
        peyvand_client, peyvand_app, tmp_path):
    from peyvand_contacts.importing.pipeline import import_people

    a = person(peyvand_client, first_name="سارا", emails=[{"value": "sara@novin.ir"},
                                                         {"value": "sara@home.ir"}])
    path = tmp_path / "people.csv"
    path.write_text("first name,last name,email,job title\n"
                    "سارا,x,SARA@home.ir,مدیر\n", encoding="utf-8")
    kernel = peyvand_app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        result = import_people(path, hooks=kernel.hooks("default"))
    assert (result.created, result.updated) == (0, 1)
    after = peyvand_client.get(f"{PERSONS}/{a}").json
    # Update empty fields (the default): the job title fills in, the primary e-mail stays.
    assert after["job_title"] == "مدیر" and after["email"] == "sara@novin.ir"
    assert [e["value"] for e in after["emails"]] == ["sara@novin.ir", "sara@home.ir"]
    assert peyvand_client.get(f"{PERSONS}?total=1").json["total"] == 1


def test_an_overwrite_by_a_secondary_value_does_not_list_it_twice(
        peyvand_client, peyvand_app, tmp_path):
    from peyvand_contacts.importing.pipeline import ImportOptions, MatchRule, import_people

    a = person(peyvand_client, first_name="سارا", phones=[{"value": "09121110000"},
                                                         {"value": "09352220000"}])
    path = tmp_path / "people.csv"
    path.write_text("first name,last name,mobile,job title\n"
                    "Sara,x,09352220000,مدیر\n", encoding="utf-8")
    kernel = peyvand_app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        result = import_people(path, hooks=kernel.hooks("default"), options=ImportOptions(
            rules=[MatchRule("phone", "overwrite")]))
    assert (result.created, result.updated) == (0, 1)
    after = peyvand_client.get(f"{PERSONS}/{a}").json
    # Overwritten: the name and job title; the number it matched by is already the person's.
    assert (after["first_name"], after["job_title"]) == ("Sara", "مدیر")
    assert [p["value"] for p in after["phones"]] == ["+989121110000", "+989352220000"]
