"""The contacts import and an admin's custom fields (issue #4): mapped from Persian or English
headers or by ``cf_<name>``, parsed per row, written in bulk, audited and undone."""

from __future__ import annotations

import csv
import json

import pytest

from peyvand_contacts.importing.pipeline import (
    ImportFailed,
    ImportOptions,
    MatchRule,
    import_people,
    undo_import,
)
from peyvand_contacts.models import ImportItem, Person
from peyvand_sdk import custom_fields, tenant_db

pytestmark = pytest.mark.peyvand_plugins("contacts")

PEOPLE = "/api/v1/contacts/persons"


@pytest.fixture
def crm(peyvand_app, peyvand_client):
    """The API client, with a choice field ``tier`` and an integer field ``visits`` on
    people, and a function that runs an import in the same tenant."""
    for body in ({"name": "tier", "type": "choice", "choices": ["gold", "silver", "bronze"],
                  "label": {"en": "Customer tier", "fa": "سطح مشتری"}},
                 {"name": "visits", "type": "integer",
                  "label": {"en": "Visits", "fa": "تعداد مراجعه"}}):
        response = peyvand_client.post("/api/v1/custom-fields",
                                       json={"entity": "contacts.person", **body})
        assert response.status_code == 201, response.json
    kernel = peyvand_app.extensions["peyvand"]

    def run(path, **options):
        with kernel.storage.bound("default"):
            return import_people(path, options=ImportOptions(**options),
                                 hooks=kernel.hooks("default"))

    def undo(batch_id, **kw):
        with kernel.storage.bound("default"):
            return undo_import(batch_id, **kw)

    def bound():
        return kernel.storage.bound("default")

    peyvand_client.run, peyvand_client.undo, peyvand_client.bound = run, undo, bound
    return peyvand_client


def write_csv(tmp_path, rows, name="people.csv"):
    path = tmp_path / name
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def create(client, **body):
    response = client.post(PEOPLE, json=body)
    assert response.status_code == 201, response.json
    return response.json["id"]


def show(client, person_id):
    body = client.get(f"{PEOPLE}/{person_id}").json
    return body["cf_tier"], body["cf_visits"]


def by_email(client, email):
    rows = client.get(f"{PEOPLE}?email={email}").json["data"]
    assert len(rows) == 1, rows
    return rows[0]


def audit(client, person_id):
    """The person's audit changes, oldest first."""
    with client.bound():
        rows = tenant_db.execute_sql(
            f"SELECT action, via, changes FROM peyvand_audit WHERE entity = {tenant_db.param} "
            f"AND record_id = {tenant_db.param} ORDER BY id",
            ("contacts.person", person_id)).fetchall()
    return [(a, v, json.loads(c or "{}")) for a, v, c in rows]


def test_persian_headers_fill_custom_fields_of_new_and_matched_people_and_undo(crm, tmp_path):
    silver = create(crm, last_name="Karimi", email="ali@example.com", cf_tier="silver")
    plain = create(crm, last_name="Ahmadi", email="maryam@example.com")
    path = write_csv(tmp_path, [
        ["نام خانوادگی", "ایمیل", "سطح مشتری", "Visits"],
        ["Karimi", "ali@example.com", "gold", "۱۲"],       # matched: tier kept, visits filled
        ["Ahmadi", "maryam@example.com", "Bronze", "3"],   # matched: both filled
        ["Rezaei", "reza@example.com", "gold", "۷"],       # created
        ["Nouri", "neda@example.com", "platinum", "5"],    # bad choice
        ["Sadeghi", "sara@example.com", "", "many"],       # bad integer
    ])
    preview = crm.run(path, dry_run=True)
    assert preview.mapping == {"نام خانوادگی": "last_name", "ایمیل": "email",
                               "سطح مشتری": "cf_tier", "Visits": "cf_visits"}
    assert "cf_visits None -> 12" not in str(preview.preview[0])
    assert str(preview.preview[0]).endswith("cf_visits = 12")
    assert show(crm, silver) == ("silver", None)       # a dry run writes nothing

    result = crm.run(path)
    assert (result.created, result.updated, result.failed) == (1, 2, 2), result.errors
    assert [str(e) for e in result.errors] == [
        "row 5, cf_tier: 'platinum' is not one of the choices: gold, silver, bronze",
        "row 6, cf_visits: 'many' is not a whole number",
    ]
    assert result.errors[0].column == "سطح مشتری" and result.errors[0].value == "platinum"

    # The API shows the imported values.
    assert show(crm, silver) == ("silver", 12)          # update_empty: silver stays
    assert show(crm, plain) == ("bronze", 3)
    new = by_email(crm, "reza@example.com")
    assert (new["cf_tier"], new["cf_visits"]) == ("gold", 7)
    assert crm.get(f"{PEOPLE}?cf_tier=gold").json["data"][0]["id"] == new["id"]

    # Audited via "import", with the cf_ changes; the version moves for custom-only changes.
    assert audit(crm, silver)[-1] == ("update", "import", {"cf_visits": [None, 12]})
    assert audit(crm, new["id"])[-1][2] == {
        "last_name": [None, "Rezaei"], "email": [None, "reza@example.com"],
        "lifecycle_stage": [None, "lead"], "consent_email": [None, False],
        "consent_sms": [None, False], "cf_tier": [None, "gold"], "cf_visits": [None, 7]}
    assert crm.get(f"{PEOPLE}/{silver}").json["version"] == 2
    with crm.bound():
        item = ImportItem.get((ImportItem.record_id == silver) & (ImportItem.entity == "person"))
        assert json.loads(item.previous) == {"cf_visits": None}

    undone = crm.undo(result.batch_id)
    assert (undone.removed, undone.restored) == (1, 2)
    assert show(crm, silver) == ("silver", None)
    assert show(crm, plain) == (None, None)
    assert crm.get(f"{PEOPLE}/{new['id']}").status_code == 404
    assert audit(crm, plain)[-1] == ("update", "import",
                                     {"cf_tier": ["bronze", None], "cf_visits": [3, None]})


def test_overwrite_and_an_explicit_cf_mapping_then_undo(crm, tmp_path):
    person = create(crm, last_name="Karimi", email="ali@example.com", cf_tier="silver",
                    cf_visits=4)
    path = write_csv(tmp_path, [["Mail", "Level", "Count"],
                                ["ali@example.com", "gold", "4"],
                                ["ALI@example.com", "", ""]])    # merge: an empty cell erases
    result = crm.run(path, mapping={"Mail": "email", "Level": "cf_tier", "Count": "cf_visits"},
                     rules=(MatchRule("email", "overwrite"),))
    assert (result.updated, result.skipped, result.failed) == (1, 1, 0), result.errors
    assert show(crm, person) == ("gold", 4)
    assert audit(crm, person)[-1][2] == {"cf_tier": ["silver", "gold"]}

    again = crm.run(path, mapping={"Mail": "email", "Level": "cf_tier"},
                    rules=(MatchRule("email", "overwrite"),))
    assert (again.updated, again.skipped, again.batch_id) == (0, 2, None)  # nothing new

    crm.undo(result.batch_id)
    assert show(crm, person) == ("silver", 4)
    with pytest.raises(ImportFailed, match="unknown field.*cf_colour.*cf_tier, cf_visits"):
        crm.run(path, mapping={"Mail": "email", "Level": "cf_colour"})


def test_a_required_custom_field_is_needed_to_create_but_not_to_update(crm, tmp_path):
    assert crm.post("/api/v1/custom-fields", json={
        "entity": "contacts.person", "name": "region", "type": "text",
        "required": True}).status_code == 201
    with crm.bound():
        existing = Person.create(last_name="Old", email="old@example.com").id
    path = write_csv(tmp_path, [["last name", "email", "visits"],
                                ["Old", "old@example.com", "2"],
                                ["New", "new@example.com", "3"]])
    result = crm.run(path)
    assert (result.updated, result.created, result.failed) == (1, 0, 1)
    assert [str(e) for e in result.errors] == [
        "row 3, cf_region: a new person needs a value for this required custom field"]
    assert show(crm, existing) == (None, 2)


def test_parse_reads_spreadsheet_text_per_type(crm):
    for body in ({"name": "score", "type": "decimal"}, {"name": "since", "type": "date"},
                 {"name": "vip", "type": "boolean"},
                 {"name": "interests", "type": "multi_choice", "choices": ["crm", "erp"]}):
        assert crm.post("/api/v1/custom-fields",
                        json={"entity": "contacts.person", **body}).status_code == 201
    with crm.bound():
        fields = {d.key: d for d in custom_fields("contacts.person")}
    assert fields["cf_tier"].label == {"en": "Customer tier", "fa": "سطح مشتری"}
    assert fields["cf_interests"].multiple and fields["cf_tier"].choices == (
        "gold", "silver", "bronze")
    parse = {k: d.parse for k, d in fields.items()}
    assert parse["cf_visits"]("۴۲") == 42 and parse["cf_visits"]("42.0") == 42
    assert parse["cf_score"]("۱۲٫۵") == "12.5" and parse["cf_score"]("1,234.50") == "1234.5"
    assert parse["cf_since"]("1403/01/01") == "2024-03-20"
    assert parse["cf_since"]("۱۴۰۳/۰۱/۰۱") == parse["cf_since"]("2024-03-20") == "2024-03-20"
    assert [parse["cf_vip"](t) for t in ("yes", "بله", "0", "FALSE", "خیر")] == [
        True, True, False, False, False]
    assert parse["cf_interests"]("erp؛ crm, erp") == ["crm", "erp"]
    assert parse["cf_tier"]("  ") is None
    for key, text, message in (("cf_visits", "4.5", "not a whole number"),
                               ("cf_since", "1403/13/01", "not a date of the Jalali"),
                               ("cf_since", "yesterday", "not a date"),
                               ("cf_vip", "maybe", "not yes or no"),
                               ("cf_interests", "crm, voip", "'voip' is not one of")):
        with pytest.raises(ValueError, match=message):
            parse[key](text)
