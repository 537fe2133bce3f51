"""``peyvand contacts import | import-undo | imports`` against a real instance."""

from __future__ import annotations

import csv
import json

import openpyxl
import pytest

from peyvand.identity import get_user
from peyvand_contacts.models import ImportBatch, Organization, Person

pytestmark = pytest.mark.peyvand_plugins("contacts")

ROWS = [
    ["نام", "نام خانوادگی", "تلفن همراه", "ایمیل", "شرکت"],
    ["علی", "کریمی", "۰۹۱۲۱۲۳۴۵۶۷", "Ali@Example.com", "نوین"],
    ["مریم", "احمدی", "0935 111 2233", "", ""],
    ["خطا", "دار", "12", "", ""],
    ["علی", "کریمی", "+98 912 123 4567", "", "نوین"],
]


@pytest.fixture
def kernel(peyvand_kernel_factory):
    from peyvand.identity import create_user

    kernel = peyvand_kernel_factory(plugins=["contacts"])
    with kernel.storage.bound("default"):
        create_user("boss", roles=("admin",))  # CLI imports act as the first admin
        create_user("seller", roles=("salesperson",))
    return kernel


def write_csv(tmp_path, rows, name="people.csv", encoding="utf-8"):
    path = tmp_path / name
    with open(path, "w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def count(kernel, model=Person):
    with kernel.storage.bound("default"):
        return model.select().where(model.deleted_at.is_null()).count()


def test_import_prints_a_summary_and_can_be_listed_and_undone(kernel, peyvand_cli, tmp_path):
    path = write_csv(tmp_path, ROWS)
    result = peyvand_cli("contacts", "import", str(path))
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("imported: created 2, updated 0, skipped 1, failed 1")
    assert "batch 1 (undo: peyvand contacts import-undo 1)" in last
    assert "row 4, mobile: Invalid phone number '12'" in result.output
    assert count(kernel) == 2 and count(kernel, Organization) == 1

    listed = peyvand_cli("contacts", "imports")
    assert listed.exit_code == 0
    line = listed.output.splitlines()[1].split()
    assert line[0] == "1" and line[3:9] == ["done", "2", "0", "0", "1", "1"]
    assert line[-1] == "people.csv"

    undone = peyvand_cli("contacts", "import-undo", "1")
    assert undone.exit_code == 0, undone.output
    assert undone.output.strip() == ("batch 1 undone: removed 2 people, restored 0, removed 1 "
                                     "organisations")
    assert count(kernel) == 0 and count(kernel, Organization) == 0
    assert "undone" in peyvand_cli("contacts", "imports").output
    again = peyvand_cli("contacts", "import-undo", "1")
    assert again.exit_code != 0 and "is undone; nothing to undo" in again.output


def test_dry_run_shows_rows_and_writes_nothing(kernel, peyvand_cli, tmp_path):
    path = write_csv(tmp_path, ROWS)
    result = peyvand_cli("contacts", "import", str(path), "--dry-run", "--preview", "3")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "Dry run of people.csv: nothing was written." in lines
    assert lines[lines.index("Dry run of people.csv: nothing was written.") + 1].startswith(
        "  row 2: create")
    assert "  ... 1 more rows" in lines
    assert lines[-1] == ("would import: created 2, updated 0, skipped 1, failed 1 "
                         "(1 new organisation)")
    assert count(kernel) == 0
    with kernel.storage.bound("default"):
        assert ImportBatch.select().count() == 0


def test_all_or_nothing_refuses_the_file_and_reports_errors(kernel, peyvand_cli, tmp_path):
    path = write_csv(tmp_path, ROWS)
    report = tmp_path / "errors.csv"
    result = peyvand_cli("contacts", "import", str(path), "--all-or-nothing",
                         "--errors-report", str(report))
    assert result.exit_code == 1
    assert "nothing imported (--all-or-nothing and some rows have errors)" in result.output
    assert count(kernel) == 0
    with open(report, encoding="utf-8-sig", newline="") as fh:
        assert list(csv.reader(fh)) == [
            ["row", "column", "field", "value", "error"],
            ["4", "تلفن همراه", "mobile", "12",
             "Invalid phone number '12': it has too few digits"]]


def test_saved_mapping_encoding_and_match_rules(kernel, peyvand_cli, peyvand_settings,
                                                tmp_path):
    odd = [["c1", "c2", "c3"], ["Karimi", "09121234567", "Tehran"]]
    path = write_csv(tmp_path, odd, name="odd.csv", encoding="cp1256")
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"columns": {"c1": "last_name", "c2": "mobile",
                                               "c3": "city"}}), encoding="utf-8")
    first = peyvand_cli("contacts", "import", str(path), "--mapping", str(mapping),
                        "--save-mapping", "odd", "--match", "phone=skip", "--encoding",
                        "cp1256")
    assert first.exit_code == 0, first.output
    saved = peyvand_settings.home / "import-mappings" / "odd.json"
    assert json.loads(saved.read_text(encoding="utf-8")) == {
        "columns": {"c1": "last_name", "c2": "mobile", "c3": "city"},
        "match": [{"on": "phone", "action": "skip"}]}
    again = write_csv(tmp_path, [["C1", "C2", "C3"], ["Karimi", "0912 123 4567", "Shiraz"]],
                      name="again.csv")
    second = peyvand_cli("contacts", "import", str(again), "--mapping", "odd")
    assert second.exit_code == 0, second.output
    assert "created 0, updated 0, skipped 1, failed 0" in second.output
    with kernel.storage.bound("default"):
        assert [p.city for p in Person.select()] == ["Tehran"]
    missing = peyvand_cli("contacts", "import", str(again), "--mapping", "nope")
    assert missing.exit_code != 0 and "saved mappings: odd" in missing.output


def test_xlsx_import(kernel, peyvand_cli, tmp_path):
    workbook = openpyxl.Workbook()
    for row in [["Full Name", "Mobile", "Email"], ["Sara Miller", 9351112233, "s@example.com"]]:
        workbook.active.append(row)
    path = tmp_path / "people.xlsx"
    workbook.save(path)
    result = peyvand_cli("contacts", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "created 1, updated 0, skipped 0, failed 0" in result.output
    with kernel.storage.bound("default"):
        person = Person.get()
    assert (person.first_name, person.last_name, person.phone) == ("Sara", "Miller",
                                                                   "+989351112233")


def test_refused_when_contacts_is_not_enabled(peyvand_kernel_factory, peyvand_cli, tmp_path):
    peyvand_kernel_factory(plugins=["contacts"], enable=False)
    path = write_csv(tmp_path, ROWS)
    for args in (["import", str(path)], ["imports"], ["import-undo", "1"]):
        result = peyvand_cli("contacts", *args)
        assert result.exit_code != 0
        assert "plugin 'contacts' is not enabled for tenant 'default'" in result.output


def test_import_acts_as_a_user_and_needs_the_import_right(kernel, peyvand_cli, tmp_path):
    path = write_csv(tmp_path, ROWS)
    refused = peyvand_cli("contacts", "import", str(path), "--as", "seller")
    assert refused.exit_code == 1 and "contacts.person.import" in refused.output
    assert count(kernel) == 0
    result = peyvand_cli("contacts", "import", str(path))
    assert result.exit_code == 0, result.output
    with kernel.storage.bound("default"):
        owners = {p.owner_id for p in Person.select()}
        boss_id = get_user("boss").id
        rows = kernel.storage.database_for("default").execute_sql(
            "SELECT DISTINCT via, user_name FROM peyvand_audit WHERE entity = "
            "'contacts.person'").fetchall()
    assert owners == {boss_id}
    assert rows == [("import", "boss")]


def test_export_command_honours_the_export_right_and_filters(kernel, peyvand_cli, tmp_path):
    peyvand_cli("contacts", "import", str(write_csv(tmp_path, ROWS)))
    out = tmp_path / "people.csv"
    result = peyvand_cli("contacts", "export", "--output", str(out), "--filter",
                         "last_name=کریمی")
    assert result.exit_code == 0, result.output
    assert result.output == f"1 rows written to {out}\n"
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[1][rows[0].index("phone")] == "'+989121234567"  # neutralised for spreadsheets
    refused = peyvand_cli("contacts", "export", "--as", "seller", "--output", str(out))
    assert refused.exit_code == 1 and "may not export" in refused.output
    bad = peyvand_cli("contacts", "export", "--filter", "shoe=1", "--output", str(out))
    assert bad.exit_code == 1 and "shoe: unknown field" in bad.output
