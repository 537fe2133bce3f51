"""The import pipeline on real files: read, map, normalise, match, write, undo."""

from __future__ import annotations

import csv
import json
import random

import openpyxl
import pytest

from peyvand_contacts.emails import InvalidEmail, normalize_email
from peyvand_contacts.importing import pipeline
from peyvand_contacts.importing.pipeline import (
    ImportFailed,
    ImportOptions,
    MatchRule,
    fast_email,
    fast_phone,
    import_people,
    load_mapping,
    parse_rule,
    save_mapping,
    undo_import,
)
from peyvand_contacts.models import ImportBatch, ImportItem, Organization, Person
from peyvand_contacts.phones import InvalidPhone, normalize_phone
from peyvand_contacts.text import fold
from peyvand_sdk import Manifest, Veto, hookimpl

ARABIC_SPELLING = str.maketrans("یک۰۱۲۳۴۵۶۷۸۹", "يك0123456789")
PERSIAN_HEADERS = ["نام", "نام خانوادگی", "موبایل", "ایمیل", "شرکت", "سمت", "کد ملی"]
PERSIAN_ROWS = [
    ["علی", "کریمی", "۰۹۱۲ ۱۲۳ ۴۵۶۷", " Ali.Karimi@Example.IR ", "بازرگانی نوین", "مدیر خرید",
     "۰۰۱-۳۵۴۲۴۱-۹"],
    ["مريم", "احمدي", "+98 935 111 2233", "maryam@example.com", "بازرگاني نوين", "", ""],
    ["Sara", "Miller", "00989121112222", "", "", "CTO", ""],
]


# --------------------------------------------------------------------------- helpers

@pytest.fixture
def kernel(peyvand_kernel_factory):
    kernel = peyvand_kernel_factory(plugins=["contacts"])
    with kernel.storage.bound("default"):
        yield kernel


def run(kernel, path, **options):
    return import_people(path, options=ImportOptions(**options), hooks=kernel.hooks("default"))


def write_csv(tmp_path, rows, *, name="people.csv", encoding="utf-8", delimiter=","):
    path = tmp_path / name
    with open(path, "w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


def write_xlsx(tmp_path, rows, *, name="people.xlsx"):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    workbook.save(path)
    return path


def people():
    """Live people as ``{id: {field: value}}``, organisation by name."""
    names = {o.id: o.name for o in Organization.select()}
    return {p.id: {"first_name": p.first_name, "last_name": p.last_name, "email": p.email,
                   "phone": p.phone, "organization": names.get(p.organization_id),
                   "job_title": p.job_title, "national_id": p.national_id, "city": p.city,
                   "version": p.version}
            for p in Person.select().where(Person.deleted_at.is_null()).order_by(Person.id)}


def snapshot():
    """Everything an import may touch, to compare before and after."""
    from peyvand_sdk import tenant_db

    tables = ("contacts_person", "contacts_organization", "peyvand_audit",
              "contacts_import_batch", "contacts_import_item")
    return {t: tenant_db.execute_sql(f'SELECT * FROM "{t}" ORDER BY 1').fetchall()
            for t in tables}


def add_person(**values):
    values.setdefault("last_name", "Existing")
    return Person.create(**values)


def audit_rows(entity="contacts.person"):
    from peyvand_sdk import tenant_db

    return tenant_db.execute_sql(
        "SELECT record_id, action, via, changes FROM peyvand_audit WHERE entity = "
        f"{tenant_db.param} ORDER BY id", (entity,)).fetchall()


# --------------------------------------------------------------------------- reading & mapping

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1256", "utf-16"])
def test_persian_csv_in_every_encoding_is_mapped_normalised_and_imported(
        kernel, tmp_path, encoding):
    rows = [PERSIAN_HEADERS, *PERSIAN_ROWS]
    if encoding == "cp1256":
        # Windows-1256 has the Arabic ي/ك and no Persian digits: old Persian Excel files
        # spell names that way, and the import must still read them.
        rows = [[c.translate(ARABIC_SPELLING) for c in row] for row in rows]
    path = write_csv(tmp_path, rows, encoding=encoding)
    result = run(kernel, path)
    assert result.status == "done", result.errors
    assert list(result.mapping.values()) == ["first_name", "last_name", "mobile", "email",
                                             "organization", "job_title", "national_id"]
    assert (result.created, result.updated, result.skipped, result.failed) == (3, 0, 0, 0)
    rows = list(people().values())
    assert [(fold(p["first_name"]), p["phone"], p["email"]) for p in rows] == [
        ("علی", "+989121234567", "ali.karimi@example.ir"),
        ("مریم", "+989351112233", "maryam@example.com"),
        ("sara", "+989121112222", None),
    ]
    assert rows[0]["national_id"] == "0013542419"
    # "بازرگانی نوین" and the Arabic-keyboard "بازرگاني نوين" are one organisation.
    assert Organization.select().count() == 1
    assert rows[0]["organization"] == rows[1]["organization"] == rows[0]["organization"]
    assert fold(rows[0]["organization"]) == "بازرگانی نوین"
    assert rows[2]["organization"] is None


def test_encoding_override(kernel, tmp_path):
    path = write_csv(tmp_path, [["first name", "last name"], ["Ali", "Kärimi"]],
                     encoding="latin-1")
    # latin-1 bytes are not UTF-8, so detection would read them as cp1256.
    assert run(kernel, path, encoding="latin-1", dry_run=True).preview[0].changes[
        "last_name"] == (None, "Kärimi")


def test_xlsx_with_number_cells(kernel, tmp_path):
    path = write_xlsx(tmp_path, [
        ["Full Name", "Mobile", "E-mail", "National ID", "Company"],
        ["علی کریمی", 9121234567, "ali@example.com", 13542419, "Novin"],
        ["Sara Jane Miller", "0935-111-2233", None, None, None],
    ])
    result = run(kernel, path)
    assert result.format == "xlsx" and result.failed == 0, result.errors
    rows = list(people().values())
    assert [(p["first_name"], p["last_name"], p["phone"], p["national_id"]) for p in rows] == [
        ("علی", "کریمی", "+989121234567", "0013542419"),
        ("Sara", "Jane Miller", "+989351112233", None),
    ]


def test_given_mapping_and_saved_mapping_round_trip(kernel, tmp_path):
    path = write_csv(tmp_path, [["col a", "col b", "col c"], ["Ali", "Karimi", "09121234567"]])
    mapping = {"col a": "first_name", "COL B": "last_name", "col c": "mobile"}
    saved = save_mapping(tmp_path / "home", "old-crm", mapping, [parse_rule("phone=skip")])
    assert saved == tmp_path / "home" / "import-mappings" / "old-crm.json"
    loaded, rules = load_mapping("old-crm", tmp_path / "home")
    assert loaded == mapping and rules == (MatchRule("phone", "skip"),)
    result = run(kernel, path, mapping=loaded, rules=rules)
    assert result.mapping == {"col a": "first_name", "col b": "last_name", "col c": "mobile"}
    assert list(people().values())[0]["phone"] == "+989121234567"
    # A flat {header: field} file works too.
    flat = tmp_path / "flat.json"
    flat.write_text(json.dumps({"col b": "last_name"}), encoding="utf-8")
    assert load_mapping(str(flat)) == ({"col b": "last_name"}, None)


def test_bad_mappings_are_refused_with_reasons(kernel, tmp_path):
    path = write_csv(tmp_path, [["a", "b"], ["x", "y"]])
    with pytest.raises(ImportFailed, match="unknown field"):
        run(kernel, path, mapping={"a": "shoe_size"})
    with pytest.raises(ImportFailed, match="both 'a' and 'b'"):
        run(kernel, path, mapping={"a": "last_name", "b": "last_name"})
    with pytest.raises(ImportFailed, match="no mapping file or saved mapping"):
        load_mapping("nope", tmp_path)
    with pytest.raises(ImportFailed, match="cannot match on"):
        parse_rule("shoe=skip")
    with pytest.raises(ImportFailed, match="unsupported file type"):
        run(kernel, write_csv(tmp_path, [["a"]], name="people.pdf"))


# --------------------------------------------------------------------------- matching

def test_mixed_phone_formats_match_one_existing_person_and_only_fill_empty_fields(
        kernel, tmp_path):
    existing = add_person(first_name="رضا", last_name="محمدی", phone="+989121234567",
                          job_title="مدیر فروش")
    path = write_csv(tmp_path, [
        ["نام", "نام خانوادگی", "موبایل", "ایمیل", "سمت", "شهر"],
        ["Reza", "Mohammadi", "0912 123 4567", "reza@example.com", "Sales", ""],
        ["", "محمدی", "+98 912-123-4567", "other@example.com", "", "تهران"],
        ["", "محمدی", "۰۹۱۲۱۲۳۴۵۶۷", "", "", "Shiraz"],
        ["", "محمدی", "00989121234567", "", "", ""],
        ["", "محمدی", "9121234567", "", "", ""],
    ])
    result = run(kernel, path)
    assert result.failed == 0, result.errors
    assert Person.select().count() == 1
    assert (result.created, result.updated, result.merged, result.skipped) == (0, 1, 1, 3)
    person = people()[existing.id]
    # Existing values win; only the empty ones were filled, each by the first row that had it.
    assert person["first_name"] == "رضا" and person["job_title"] == "مدیر فروش"
    assert person["email"] == "reza@example.com" and person["city"] == "تهران"
    assert person["version"] == 2
    assert [p.action for p in result.preview] == ["update", "merge", "skip", "skip", "skip"]


def test_email_match_is_case_and_space_insensitive(kernel, tmp_path):
    existing = add_person(email="ali@example.com")
    path = write_csv(tmp_path, [["last name", "email", "mobile"],
                                ["Karimi", "  ALI@Example.COM", "09121234567"]])
    result = run(kernel, path)
    assert (result.created, result.updated) == (0, 1)
    assert people()[existing.id]["phone"] == "+989121234567"


def test_duplicates_inside_the_file_merge_into_the_first(kernel, tmp_path):
    path = write_csv(tmp_path, [
        ["first name", "last name", "email", "mobile", "city"],
        ["Ali", "Karimi", "ali@example.com", "", ""],
        ["Ali", "Karimi", "ALI@example.com ", "09121234567", "Tehran"],
        ["A.", "K.", "", "0912-123-4567", "Karaj"],      # same phone as row 3 gave row 2
        ["Sara", "Miller", "sara@example.com", "", ""],
    ])
    result = run(kernel, path)
    assert (result.created, result.merged, result.skipped, result.failed) == (2, 1, 1, 0)
    rows = list(people().values())
    assert len(rows) == 2
    assert rows[0] == {**rows[0], "first_name": "Ali", "email": "ali@example.com",
                       "phone": "+989121234567", "city": "Tehran"}
    assert [(p.action, p.merged_into) for p in result.preview] == [
        ("create", None), ("merge", 2), ("skip", 2), ("create", None)]


def test_rules_skip_overwrite_create_and_name(kernel, tmp_path):
    a = add_person(first_name="Ali", last_name="Karimi", email="ali@example.com", city="Qom")
    org = Organization.create(name="Novin")
    b = add_person(first_name="Sara", last_name="Miller", organization=org, city="Rasht")
    path = write_csv(tmp_path, [
        ["first name", "last name", "email", "company", "city"],
        ["Ali", "Karimi", "ali@example.com", "", "Tehran"],
        ["SARA", "miller", "", "NOVIN", "Tabriz"],
    ])
    skip = run(kernel, path, rules=[MatchRule("email", "skip")], dry_run=True)
    assert [p.action for p in skip.preview] == ["skip", "create"]
    over = run(kernel, path, rules=[MatchRule("email", "overwrite"),
                                    MatchRule("name", "overwrite")])
    assert (over.created, over.updated) == (0, 2), over.errors
    assert people()[a.id]["city"] == "Tehran" and people()[b.id]["city"] == "Tabriz"
    assert people()[b.id]["first_name"] == "SARA"
    anyway = run(kernel, path, rules=[MatchRule("email", "create")])
    assert anyway.created == 2 and Person.select().count() == 4


# --------------------------------------------------------------------------- errors

def test_row_errors_name_row_and_field_and_valid_rows_go_in(kernel, tmp_path):
    path = write_csv(tmp_path, [
        ["first name", "last name", "mobile", "email", "national id", "lifecycle_stage"],
        ["Ali", "Karimi", "09121234567", "ali@example.com", "0013542419", "customer"],
        ["", "", "", "", "", ""],                                      # blank row 3: skipped
        ["Bad", "Phone", "12", "", "", ""],                            # row 4
        ["Bad", "Email", "", "ali at example", "", ""],                # row 5
        ["Bad", "Id", "", "", "0012345678", "vip"],                    # row 6: two errors
        ["No", "", "09351234567", "", "", ""],                         # row 7: no last name
        ["Sara", "Miller", "09351112233", "", "", ""],
    ])
    result = run(kernel, path)
    assert (result.created, result.failed, result.rows) == (2, 4, 6)
    assert [str(e).split(":")[0] for e in result.errors] == [
        "row 4, mobile", "row 5, email", "row 6, national_id", "row 6, lifecycle_stage",
        "row 7, last_name"]
    assert str(result.errors[0]) == (
        "row 4, mobile: Invalid phone number '12': it has too few digits")
    assert {p["last_name"] for p in people().values()} == {"Karimi", "Miller"}

    report = result.write_error_report(tmp_path / "errors.csv")
    with open(report, encoding="utf-8-sig", newline="") as fh:
        lines = list(csv.reader(fh))
    assert lines[0] == ["row", "column", "field", "value", "error"]
    assert lines[1] == ["4", "mobile", "mobile", "12",
                        "Invalid phone number '12': it has too few digits"]
    assert len(lines) == 6


def test_all_or_nothing_leaves_the_database_unchanged(kernel, tmp_path):
    add_person(email="ali@example.com")
    before = snapshot()
    path = write_csv(tmp_path, [["last name", "email", "mobile"],
                                ["Karimi", "ali@example.com", "09121234567"],
                                ["New", "new@example.com", "0912"]])
    result = run(kernel, path, all_or_nothing=True)
    assert result.status == "refused" and result.failed == 1 and result.batch_id is None
    assert snapshot() == before


def test_dry_run_writes_nothing_and_predicts_the_real_run(kernel, tmp_path):
    add_person(email="ali@example.com")
    rows = [["first name", "last name", "email", "mobile"]]
    rows += [[f"P{i}", f"L{i}", f"p{i}@example.com", f"0912{i:07d}"] for i in range(30)]
    rows += [["Ali", "Karimi", "ali@example.com", "09350000001"], ["x", "y", "bad", ""]]
    path = write_csv(tmp_path, rows)
    before = snapshot()
    preview = run(kernel, path, dry_run=True, preview_rows=5)
    assert snapshot() == before
    assert preview.status == "preview" and preview.batch_id is None
    assert len(preview.preview) == 5 and str(preview.preview[0]).startswith("row 2: create")
    real = run(kernel, path)
    assert [(r.created, r.updated, r.merged, r.skipped, r.failed) for r in (preview, real)] == [
        (30, 1, 0, 0, 1)] * 2


# --------------------------------------------------------------------------- batches & undo

def test_import_is_recorded_audited_and_undone_exactly(kernel, tmp_path):
    org = Organization.create(name="Novin")
    keep = add_person(first_name="Ali", last_name="Karimi", email="ali@example.com",
                      organization=org)
    fill = add_person(first_name="Sara", last_name="Miller", phone="+989351112233")
    before = people()
    path = write_csv(tmp_path, [
        ["first name", "last name", "email", "mobile", "company", "job title"],
        ["Ali", "Karimi", "ali@example.com", "09121234567", "Other Co", "CEO"],
        ["Sara", "Miller", "sara@example.com", "0935 111 2233", "Mehregan", ""],
        ["Reza", "Rezaei", "reza@example.com", "", "Mehregan", ""],
        ["Neda", "Nouri", "", "09190000000", "", ""],
    ])
    result = run(kernel, path)
    assert (result.created, result.updated, result.organizations_created) == (2, 2, 1)
    batch = ImportBatch.get_by_id(result.batch_id)
    assert (batch.status, batch.file_name, batch.created, batch.updated) == (
        "done", "people.csv", 2, 2)
    items = {(i.entity, i.action) for i in ImportItem.select()}
    assert items == {("person", "created"), ("person", "updated"),
                     ("organization", "created")}
    updated = ImportItem.get((ImportItem.record_id == fill.id) & (ImportItem.entity == "person"))
    assert json.loads(updated.previous) == {"email": None, "organization_id": None}
    after = people()
    assert after[keep.id]["phone"] == "+989121234567"
    assert after[keep.id]["organization"] == "Novin"        # filled only when empty
    assert after[fill.id]["organization"] == "Mehregan"

    audit = audit_rows()
    assert {via for _, _, via, _ in audit} == {"import"}
    assert sorted(a for _, a, _, _ in audit) == ["create", "create", "update", "update"]
    changes = {rid: json.loads(c) for rid, a, _, c in audit if a == "update"}
    assert changes[keep.id] == {"phone": [None, "+989121234567"], "job_title": [None, "CEO"]}
    assert audit_rows("contacts.organization")[0][1:3] == ("create", "import")

    undone = undo_import(result.batch_id)
    assert (undone.removed, undone.restored, undone.organizations_removed) == (2, 2, 1)
    restored = people()
    assert {k: {f: v for f, v in p.items() if f != "version"} for k, p in restored.items()} == {
        k: {f: v for f, v in p.items() if f != "version"} for k, p in before.items()}
    assert [o.name for o in Organization.select().where(Organization.deleted_at.is_null())] == [
        "Novin"]
    assert ImportBatch.get_by_id(result.batch_id).status == "undone"
    undo_audit = audit_rows()[len(audit):]
    assert sorted(a for _, a, _, _ in undo_audit) == ["delete", "delete", "update", "update"]
    assert {via for _, _, via, _ in undo_audit} == {"import"}
    with pytest.raises(ImportFailed, match="is undone"):
        undo_import(result.batch_id)


def test_undo_refuses_records_changed_since_unless_forced(kernel, tmp_path):
    existing = add_person(email="ali@example.com")
    path = write_csv(tmp_path, [["last name", "email", "city"],
                                ["Karimi", "ali@example.com", "Tehran"]])
    result = run(kernel, path)
    Person.update(city="Shiraz", version=Person.version + 1).where(
        Person.id == existing.id).execute()
    with pytest.raises(ImportFailed, match=f"person {existing.id} was changed after the import"):
        undo_import(result.batch_id)
    assert people()[existing.id]["city"] == "Shiraz"
    assert undo_import(result.batch_id, force=True).restored == 1
    assert people()[existing.id]["city"] is None
    with pytest.raises(ImportFailed, match="no import batch 99"):
        undo_import(99)


def test_matching_does_not_query_per_row(kernel, tmp_path, monkeypatch):
    from peyvand_sdk import tenant_db

    db = pipeline._database()
    for i in range(600):
        add_person(email=f"p{i}@example.com")
    calls = []
    real = db.execute_sql

    def counting(sql, params=None, *args, **kwargs):
        calls.append(sql)
        return real(sql, params, *args, **kwargs)

    monkeypatch.setattr(db, "execute_sql", counting)

    def queries(rows):
        calls.clear()
        path = write_csv(tmp_path, [["last name", "email", "mobile"], *rows])
        result = run(kernel, path, dry_run=True)
        assert result.failed == 0
        return len(calls)

    few = queries([["X", f"p{i}@example.com", f"0912{i:07d}"] for i in range(5)])
    many = queries([["X", f"p{i}@example.com", f"0912{i:07d}"] for i in range(600)])
    # 7: organisations, e-mails and phones (primary, then secondary), the people matched.
    assert few <= 7 and many <= few + 2       # 600 matched people: 2 chunks of 500 ids
    assert tenant_db is not None


# --------------------------------------------------------------------------- search text

def test_every_written_person_gets_search_text(kernel, tmp_path):
    if "search_text" not in Person._meta.fields:
        pytest.skip("the search_text column (migration 0002_search) is not there yet")
    from peyvand_contacts.search import organization_search_text, person_search_text

    existing = add_person(first_name="Ali", email="ali@example.com")
    path = write_csv(tmp_path, [["first name", "last name", "email", "mobile", "company"],
                                ["Ali", "Karimi", "ali@example.com", "09121234567", "Novin"],
                                ["سارا", "میلر", "", "09351112233", "نوین"]])
    result = run(kernel, path)
    assert (result.created, result.updated) == (1, 1)
    for person in Person.select():
        org = person.organization.name if person.organization_id else None
        assert person.search_text == person_search_text(
            person.first_name, person.last_name, person.email, person.phone, org)
    for org in Organization.select():
        assert org.search_text == organization_search_text(org.name, None, None)
    undo_import(result.batch_id)
    person = Person.get_by_id(existing.id)
    assert person.search_text == person_search_text("Ali", "Existing", "ali@example.com",
                                                    None, None)


# --------------------------------------------------------------------------- other plugins

class Bouncer:
    """A throwaway plugin that refuses people called "Veto" and watches what is saved."""

    manifest = Manifest(label={"en": "Bouncer"}, requires={"contacts": ">=0.1"})

    def __init__(self):
        self.saved = []

    @hookimpl
    def before_record_save(self, entity, record, changes):
        if entity.id == "contacts.person" and record.last_name == "Veto":
            raise Veto("no vetoes here", field="last_name")

    @hookimpl
    def after_record_save(self, entity, record, action):
        self.saved.append((entity.id, record.id, action))


def test_other_plugins_hooks_can_veto_rows_and_see_saves(peyvand_kernel_factory, tmp_path):
    bouncer = Bouncer()
    kernel = peyvand_kernel_factory(plugins=["contacts"], extra_plugins=[("bouncer", bouncer)])
    path = write_csv(tmp_path, [["last name", "email", "company"],
                                ["Karimi", "ali@example.com", "Novin"],
                                ["Veto", "veto@example.com", ""], ["Veto", "VETO@example.com", ""]])
    with kernel.storage.bound("default"):
        result = run(kernel, path)
        assert (result.created, result.failed) == (1, 2)
        assert [str(e) for e in result.errors] == ["row 3, last_name: no vetoes here",
                                                   "row 4, last_name: no vetoes here"]
        (person,) = Person.select()
    assert bouncer.saved == [("contacts.organization", person.organization_id, "create"),
                             ("contacts.person", person.id, "create")]


# --------------------------------------------------------------------------- fast normalisers

def _spellings(national: str):
    digits = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    yield "0" + national
    yield national
    yield "+98" + national
    yield "98" + national
    yield "0098" + national
    yield f"0{national[:3]} {national[3:6]} {national[6:]}"
    yield f"+98 ({national[:3]}) {national[3:6]}-{national[6:]}"
    yield ("0" + national).translate(digits)
    yield "+98 (0) " + national


def test_fast_phone_agrees_with_normalize_phone():
    rng = random.Random(7)
    samples = ["", "0912", "۰۹۱۲۱۲۳۴۵۶", "021-88776655", "+1 202 555 0100", "09121234567x",
               "989121234567", "+9809121234567", "0989121234567", "٠٩١٢١٢٣٤٥٦٧"]
    for prefix in range(900, 1000):
        for _ in range(12):
            national = f"{prefix}{rng.randrange(10 ** 7):07d}"
            samples.extend(_spellings(national))
    for _ in range(2000):
        samples.append(f"0{rng.randrange(10 ** 10):010d}")
    for raw in samples:
        try:
            expected = normalize_phone(raw)
        except InvalidPhone as exc:
            with pytest.raises(InvalidPhone) as caught:
                fast_phone(raw)
            assert str(caught.value) == str(exc)
        else:
            assert fast_phone(raw) == expected, raw


def test_fast_email_agrees_with_normalize_email():
    samples = ["ali@example.com", " ALI@Example.COM ", "a@b", "a@@b.com", "a@b..com",
               "a b@c.com", "علی@مثال.ایران", "ali\u200c@example.com", "A@B.C", ".a@b.co",
               "a@b.c.", "@b.com", "a@", "۱۲@example.com", "\u00a0ali@example.com"]
    for raw in samples:
        try:
            expected = normalize_email(raw)
        except InvalidEmail as exc:
            with pytest.raises(InvalidEmail) as caught:
                fast_email(raw)
            assert str(caught.value) == str(exc)
        else:
            assert fast_email(raw) == expected, raw
