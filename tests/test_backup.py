"""`peyvand backup`, `restore` and `export`: round trips, refusals, and all-or-nothing restores.

Each test may build a second instance (its own folder, and on PostgreSQL its own schema
prefix) to restore into, and compares every table of the tenant row by row.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import sqlite3
import tarfile
import uuid
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from click.testing import CliRunner

from peyvand import backup as backups
from peyvand.cli import main
from peyvand.config import load_settings
from peyvand.kernel import Kernel

PASS_VAR = "PEYVAND_TEST_BACKUP_PASSPHRASE"
PASSPHRASE = "کلید رمز بلند و امن ۱۴۰۳"

TRICKY = {
    "first_name": "=HYPERLINK(\"http://evil\",\"click\")",
    "job_title": "@SUM(A1:A2)",
    "city": "-2+3",
    # COPY's own end marker and escapes, quotes and dollar quotes inside data
    "source": "line1\n\\.\nO'Brien \"q\" $$ $x$ \t tab",
}


# -- helpers ------------------------------------------------------------------------------------

class Instance:
    """A Peyvand instance folder (+ database) the CLI can be pointed at."""

    def __init__(self, home: Path, url: str):
        self.home, self.url = home, url
        self.settings = load_settings(home=home, database_url=url)

    def run(self, *args, env=None):
        full = {"PEYVAND_HOME": str(self.home), "PEYVAND_DATABASE_URL": self.url, **(env or {})}
        return CliRunner().invoke(main, [str(a) for a in args], env=full,
                                  catch_exceptions=False)

    def kernel(self) -> Kernel:
        return Kernel(self.settings)


def _pg_base_and_prefix(url: str) -> tuple[str, str]:
    base, _, query = url.partition("?")
    return base, parse_qs(query)["schema_prefix"][0]


def _drop_prefix(url: str) -> None:
    import psycopg

    base, prefix = _pg_base_and_prefix(url)
    with psycopg.connect(base, autocommit=True) as conn:
        for (name,) in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
                                    (prefix + "%",)).fetchall():
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')


@pytest.fixture
def make_instance(tmp_path):
    made = []

    def make(name: str) -> Instance:
        home = tmp_path / name
        base = os.environ.get("PEYVAND_TEST_DATABASE_URL")
        if base:
            url = f"{base}{'&' if '?' in base else '?'}schema_prefix=pt{uuid.uuid4().hex[:10]}_"
        else:
            url = f"sqlite:///{home / 'control.sqlite3'}"
        instance = Instance(home, url)
        made.append(instance)
        return instance

    yield make
    for instance in made:
        if instance.settings.is_postgres:
            _drop_prefix(instance.url)


@pytest.fixture
def cli(peyvand_cli):
    """``peyvand_cli`` that also takes paths."""
    return lambda *args: peyvand_cli(*[str(a) for a in args])


@pytest.fixture
def source(peyvand_settings, peyvand_cli):
    """The fixture's instance with the demo business, a tricky person and two files."""
    result = peyvand_cli("demo")
    assert result.exit_code == 0, result.output
    kernel = Kernel(peyvand_settings)
    from peyvand_contacts.models import Person

    schema = kernel.storage.tenant_schema("default") or "peyvand_t_default"
    with kernel.storage.bound("default"):
        # Data naming the source schema must come back unchanged (only DDL is renamed).
        Person.create(last_name=f"{schema}.contacts_person", **TRICKY)
    kernel.storage.close()
    files = peyvand_settings.home / "files" / "default"
    (files / "قراردادها").mkdir(parents=True)
    (files / "قراردادها" / "قرارداد ۱.txt").write_text("متن قرارداد\n", encoding="utf-8")
    (files / "empty-folder").mkdir()
    (files / "logo.bin").write_bytes(bytes(range(256)) * 10)
    return peyvand_settings


def tenant_tables(settings, tenant: str = "default") -> dict[str, list]:
    """Every table of the tenant and its rows (sorted), read without the code under test."""
    if settings.is_postgres:
        import psycopg
        from psycopg import sql

        base, prefix = _pg_base_and_prefix(settings.database_url)
        schema = f"{prefix}t_{tenant}"
        with psycopg.connect(base) as conn:
            names = [r[0] for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,))]
            return {n: sorted(conn.execute(sql.SQL("SELECT * FROM {}").format(
                sql.Identifier(schema, n))).fetchall(), key=repr) for n in names}
    path = (Path(settings.database_url.removeprefix("sqlite:///")).parent / "tenants"
            / f"{tenant}.sqlite3")
    if not path.exists():
        return {}
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {n: sorted(conn.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr)
                for n in names}
    finally:
        conn.close()


def states(instance_or_cli, tenant: str = "default") -> dict[str, str]:
    run = instance_or_cli.run if isinstance(instance_or_cli, Instance) else instance_or_cli
    result = run("plugins", "list", "--json", "--tenant", tenant)
    return {p["name"]: p["state"] for p in json.loads(result.output)["data"]}


def tree(root: Path) -> dict[str, str | None]:
    """``{relative path: sha256 or None for a folder}`` of everything under ``root``."""
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix():
            (hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else None)
            for p in sorted(root.rglob("*"))}


def snapshot(instance: Instance, tenant: str = "default") -> tuple:
    kernel = instance.kernel()
    try:
        control = backups._control_rows(kernel, tenant)["plugin_states"]
    finally:
        kernel.storage.close()
    return (tenant_tables(instance.settings, tenant), control,
            tree(instance.home / "files" / tenant))


# -- round trips --------------------------------------------------------------------------------

def test_round_trip_restores_every_row_file_and_state(source, cli, make_instance,
                                                      tmp_path):
    archive = tmp_path / "default.peyvand.tar.gz"
    result = cli("backup", "--output", archive)
    assert result.exit_code == 0, result.output
    assert "backed up" in result.output and "2 files" in result.output
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    assert names[0] == "manifest.json" and names[-1] == "checksums.json"
    assert "files/قراردادها/قرارداد ۱.txt" in names
    assert manifest["format"] == "peyvand-backup" and manifest["format_version"] == 1
    assert manifest["tenant"] == "default"
    assert manifest["database"] == ("postgresql" if source.is_postgres else "sqlite")
    assert {p["name"]: (p["version"], p["state"]) for p in manifest["plugins"]} == {
        "contacts": ("0.1.0", "enabled"), "sales": ("0.1.0", "enabled")}
    assert manifest["created_at"].endswith("Z") and manifest["files"] == 2
    assert manifest["tables"]["contacts_person"] == 9
    assert oct(archive.stat().st_mode & 0o777) == "0o600"

    before = tenant_tables(source)
    target = make_instance("restored")
    assert target.run("plugins", "list").exit_code == 0  # the tenant exists but holds no data
    result = target.run("restore", archive)
    assert result.exit_code == 0, result.output
    assert "restored" in result.output

    after = tenant_tables(target.settings)
    assert set(after) == set(before)
    for table in before:
        assert after[table] == before[table], table
    assert tree(target.home / "files" / "default") == tree(source.home / "files" / "default")
    assert states(target) == {"contacts": "enabled", "sales": "enabled"}
    person = [r for r in after["contacts_person"] if TRICKY["source"] in r]
    assert len(person) == 1

    # The restored tenant works: a new record gets the next id (sequences came back too).
    kernel = target.kernel()
    try:
        from peyvand_contacts.models import Person

        with kernel.storage.bound("default"):
            assert Person.create(last_name="پس از بازیابی").id == 10
    finally:
        kernel.storage.close()


def test_restore_into_another_tenant_of_the_same_instance(source, cli, tmp_path):
    archive = tmp_path / "b.tar.gz"
    assert cli("backup", "-o", archive).exit_code == 0
    # On PostgreSQL the source schema still exists in the same database: the dump's schema
    # name must be rewritten, not replayed.
    result = cli("restore", archive, "--tenant", "copy")
    assert result.exit_code == 0, result.output
    assert tenant_tables(source, "copy") == tenant_tables(source, "default")
    assert states(cli, "copy") == {"contacts": "enabled", "sales": "enabled"}
    home = source.home / "files"
    assert tree(home / "copy") == tree(home / "default")


def test_encrypted_round_trip_and_wrong_passphrase(source, cli, make_instance,
                                                   tmp_path, monkeypatch):
    archive = tmp_path / "secret.bin"
    monkeypatch.setenv(PASS_VAR, PASSPHRASE)
    result = cli("backup", "-o", archive, "--passphrase-env", PASS_VAR)
    assert result.exit_code == 0, result.output
    assert "(encrypted)" in result.output
    data = archive.read_bytes()
    assert data.startswith(b"PEYVAND-ENCRYPTED-BACKUP\n")
    for plain in ("رضایی".encode(), b"manifest.json", "متن قرارداد".encode(), b"\x1f\x8b\x08"):
        assert plain not in data

    target = make_instance("restored")
    result = target.run("restore", archive)
    assert result.exit_code == 1 and "encrypted" in result.output and "--passphrase-env" in \
        result.output
    result = target.run("restore", archive, "--passphrase-env", "NO_SUCH_VARIABLE_X")
    assert result.exit_code == 2 and "NO_SUCH_VARIABLE_X is not set" in result.output
    result = target.run("restore", archive, "--passphrase-env", PASS_VAR,
                        env={PASS_VAR: "not the passphrase"})
    assert result.exit_code == 1 and "wrong passphrase" in result.output
    assert tenant_tables(target.settings) == {}

    result = target.run("restore", archive, "--passphrase-env", PASS_VAR)
    assert result.exit_code == 0, result.output
    assert tenant_tables(target.settings) == tenant_tables(source)
    assert tree(target.home / "files" / "default") == tree(source.home / "files" / "default")


def test_passphrase_is_never_an_argument(cli, tmp_path):
    result = cli("backup", "-o", tmp_path / "x", "--passphrase", "secret")
    assert result.exit_code == 2 and "No such option" in result.output


# -- refusals -----------------------------------------------------------------------------------

def test_restore_refused_into_a_tenant_with_data(source, cli, make_instance, tmp_path):
    archive = tmp_path / "b.tar.gz"
    assert cli("backup", "-o", archive).exit_code == 0
    target = make_instance("busy")
    assert target.run("plugins", "enable", "contacts").exit_code == 0
    before = snapshot(target)
    result = target.run("restore", archive)
    assert result.exit_code == 1
    assert "not empty" in result.output and "never overwrites" in result.output
    assert snapshot(target) == before

    # Restoring over the very tenant it came from is refused too.
    before = snapshot(Instance(source.home, source.database_url))
    result = cli("restore", archive)
    assert result.exit_code == 1 and "not empty" in result.output
    assert snapshot(Instance(source.home, source.database_url)) == before


def test_restore_refused_when_a_table_holds_rows(source, cli, make_instance, tmp_path):
    archive = tmp_path / "b.tar.gz"
    assert cli("backup", "-o", archive).exit_code == 0
    target = make_instance("stray")
    assert target.run("plugins", "list").exit_code == 0
    kernel = target.kernel()
    try:
        db = kernel.storage.database_for("default")
        db.execute_sql('CREATE TABLE "left_over" (id INTEGER)')
        db.execute_sql('INSERT INTO "left_over" VALUES (1)')
        before = snapshot(target)
        with pytest.raises(backups.BackupError, match="table left_over exists"):
            backups.restore(kernel, archive)
        assert snapshot(target) == before
    finally:
        kernel.storage.close()


def test_restore_refused_when_files_are_there(source, cli, make_instance, tmp_path):
    archive = tmp_path / "b.tar.gz"
    assert cli("backup", "-o", archive).exit_code == 0
    target = make_instance("files")
    (target.home / "files" / "default").mkdir(parents=True)
    (target.home / "files" / "default" / "mine.txt").write_text("keep me")
    result = target.run("restore", archive)
    assert result.exit_code == 1 and "files folder" in result.output
    assert (target.home / "files" / "default" / "mine.txt").read_text() == "keep me"
    assert tenant_tables(target.settings) == {}


def test_backup_never_overwrites_and_needs_a_tenant(source, cli, tmp_path):
    existing = tmp_path / "there.tar.gz"
    existing.write_text("old")
    result = cli("backup", "-o", existing)
    assert result.exit_code == 1 and "already exists" in result.output
    assert existing.read_text() == "old"
    result = cli("backup", "-o", tmp_path / "new.tar.gz", "--tenant", "nobody")
    assert result.exit_code == 1 and "no tenant 'nobody'" in result.output
    assert not (tmp_path / "new.tar.gz").exists()


def test_restore_refused_across_database_kinds(source, cli, make_instance, tmp_path):
    archive = tmp_path / "b.tar.gz"
    assert cli("backup", "-o", archive).exit_code == 0
    other = "sqlite" if source.is_postgres else "postgresql"
    forged = tmp_path / "forged.tar.gz"
    member = "database/tenant.sqlite3" if other == "sqlite" else "database/tenant.sql"
    _rewrite_archive(archive, forged, {"database": other}, rename_db=member)
    target = make_instance("kinds")
    result = target.run("restore", forged)
    assert result.exit_code == 1
    assert f"taken from a {other} instance" in result.output
    assert tenant_tables(target.settings) == {}


def _rewrite_archive(src: Path, dst: Path, manifest_changes: dict, rename_db: str) -> None:
    """Copy an archive with a changed manifest and matching checksums (a forged backup)."""
    members = []
    with tarfile.open(src) as tar:
        for member in tar.getmembers():
            data = tar.extractfile(member).read() if member.isreg() else None
            if member.name.startswith("database/"):
                member.name = rename_db
            members.append((member, data))
    sums = {}
    with tarfile.open(dst, "w:gz") as out:
        for member, data in members:
            if member.name == "manifest.json":
                data = json.dumps({**json.loads(data), **manifest_changes}).encode()
            if member.name == "checksums.json":
                data = json.dumps(sums).encode()
            if data is not None:
                member.size = len(data)
                if member.name != "checksums.json":
                    sums[member.name] = hashlib.sha256(data).hexdigest()
                out.addfile(member, io.BytesIO(data))
            else:
                out.addfile(member)


# -- all or nothing -----------------------------------------------------------------------------

@pytest.mark.parametrize("damage", ["truncated", "flipped", "encrypted-truncated",
                                    "encrypted-flipped"])
def test_damaged_archive_restores_nothing(source, cli, make_instance, tmp_path,
                                          monkeypatch, damage):
    archive = tmp_path / "b.bin"
    args = ["backup", "-o", archive]
    if damage.startswith("encrypted"):
        monkeypatch.setenv(PASS_VAR, PASSPHRASE)
        args += ["--passphrase-env", PASS_VAR]
    assert cli(*args).exit_code == 0
    data = bytearray(archive.read_bytes())
    if damage.endswith("truncated"):
        data = data[:len(data) - 200]
    else:
        data[len(data) // 2] ^= 0x40
    archive.write_bytes(bytes(data))
    target = make_instance("damaged")
    assert target.run("plugins", "list").exit_code == 0
    before = snapshot(target)
    restore = ["restore", archive] + args[3:]
    result = target.run(*restore)
    assert result.exit_code == 1
    assert "nothing was restored" in result.output or "damaged" in result.output
    assert snapshot(target) == before
    assert not [p for p in target.home.iterdir() if p.name.startswith(".peyvand-restore-")]


def test_failure_while_applying_rolls_everything_back(source, cli, make_instance,
                                                      tmp_path, monkeypatch):
    archive = tmp_path / "b.tar.gz"
    assert cli("backup", "-o", archive).exit_code == 0
    target = make_instance("failing")
    assert target.run("plugins", "list").exit_code == 0
    before = snapshot(target)

    real_swap = backups._swap_files

    def swap_then_fail(incoming, files_root, undo):
        real_swap(incoming, files_root, undo)  # the database and files are in place by now…
        raise OSError("disk full")             # …and then the last step fails

    monkeypatch.setattr(backups, "_swap_files", swap_then_fail)
    kernel = target.kernel()
    try:
        with pytest.raises((OSError, backups.BackupError), match="disk full"):
            backups.restore(kernel, archive)
    finally:
        kernel.storage.close()
    assert snapshot(target) == before
    monkeypatch.undo()
    # …and the same archive restores fine afterwards.
    result = target.run("restore", archive)
    assert result.exit_code == 0, result.output
    assert tenant_tables(target.settings) == tenant_tables(source)


# -- export -------------------------------------------------------------------------------------

def test_export_csv_writes_every_table_and_neutralises_formulas(source, cli, tmp_path):
    out = tmp_path / "export"
    result = cli("export", "--output", out)
    assert result.exit_code == 0, result.output
    tables = tenant_tables(source)
    assert {p.stem for p in out.glob("*.csv")} == set(tables)
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["format"] == "peyvand-export" and manifest["export_format"] == "csv"
    assert manifest["tables"] == {t: len(rows) for t, rows in tables.items()}
    assert tree(out / "files") == tree(source.home / "files" / "default")

    for table, rows in tables.items():
        with open(out / f"{table}.csv", encoding="utf-8-sig", newline="") as f:
            lines = list(csv.reader(f))
        assert len(lines) == len(rows) + 1, table
    raw = (out / "contacts_person.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfid,")  # UTF-8 with BOM: Excel shows Persian right
    with open(out / "contacts_person.csv", encoding="utf-8-sig", newline="") as f:
        people = list(csv.DictReader(f))
    assert len(people) == 9
    assert "علی" in {p["first_name"] for p in people}
    tricky = next(p for p in people if p["source"] == TRICKY["source"])
    assert tricky["first_name"] == "'" + TRICKY["first_name"]
    assert tricky["job_title"] == "'@SUM(A1:A2)"
    assert tricky["city"] == "'-2+3"
    assert tricky["email"] == ""  # NULL
    ali = next(p for p in people if p["first_name"] == "علی")
    assert ali["phone"] == "'+989121234567"  # text starting with + is neutralised too
    assert ali["id"] == "1"  # numbers are not text: never prefixed


def test_export_json_keeps_values_as_stored(source, cli, tmp_path):
    out = tmp_path / "export"
    result = cli("export", "--output", out, "--format", "json")
    assert result.exit_code == 0, result.output
    tables = tenant_tables(source)
    assert {p.stem for p in out.glob("*.json") if p.name != "manifest.json"} == set(tables)
    for table, rows in tables.items():
        data = json.loads((out / f"{table}.json").read_text("utf-8"))
        assert isinstance(data, list) and len(data) == len(rows), table
    people = json.loads((out / "contacts_person.json").read_text("utf-8"))
    assert [p["id"] for p in people] == sorted(p["id"] for p in people)
    tricky = next(p for p in people if p["source"] == TRICKY["source"])
    assert tricky["first_name"] == TRICKY["first_name"]
    assert tricky["email"] is None
    deals = json.loads((out / "sales_deal.json").read_text("utf-8"))
    assert all(isinstance(d["amount"], int) for d in deals)


def test_export_refuses_a_folder_with_files(source, cli, tmp_path):
    out = tmp_path / "busy"
    out.mkdir()
    (out / "x").write_text("x")
    result = cli("export", "-o", out)
    assert result.exit_code == 1 and "not an empty folder" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["x"]


# -- the PostgreSQL dump reader -----------------------------------------------------------------

def test_dump_reader_renames_the_schema_only_where_sql_names_it(tmp_path):
    dump = tmp_path / "d.sql"
    dump.write_bytes("\n".join([
        "--",
        "-- Name: src; Type: SCHEMA; Schema: -; Owner: -",
        "--",
        "\\restrict abc123",
        "SET standard_conforming_strings = on;",
        "CREATE SCHEMA src;",
        'CREATE TABLE "src".t (id integer DEFAULT nextval(\'src.t_id_seq\'::regclass), '
        "note text DEFAULT 'about src.t; not a statement end');",
        "CREATE FUNCTION src.f() RETURNS text AS $body$ SELECT 'src.t;' $body$ LANGUAGE sql;",
        "CREATE TABLE src_other.t (x integer); -- src.t; in a comment",
        "COPY src.t (id, note) FROM stdin;",
        "1\tsrc.t keeps its name in data; 'src.x'",
        "2\t\\\\.",
        "\\.",
        "SELECT pg_catalog.setval('src.t_id_seq', 2, true);",
        "\\unrestrict abc123",
        "",
    ]).encode())
    events = list(backups._dump_events(dump, "src", "dst"))
    statements = [v.strip().splitlines()[-1] for e, v in events if e in ("sql", "copy")]
    assert statements == [
        "SET standard_conforming_strings = on;",
        'CREATE SCHEMA "dst";',
        'CREATE TABLE "dst".t (id integer DEFAULT nextval(\'"dst".t_id_seq\'::regclass), '
        "note text DEFAULT 'about src.t; not a statement end');",
        "CREATE FUNCTION \"dst\".f() RETURNS text AS $body$ SELECT 'src.t;' $body$ "
        "LANGUAGE sql;",
        "CREATE TABLE src_other.t (x integer);",
        'COPY "dst".t (id, note) FROM stdin;',
        "SELECT pg_catalog.setval('\"dst\".t_id_seq', 2, true);",
    ]
    rows = [v for e, v in events if e == "row"]
    assert rows == [b"1\tsrc.t keeps its name in data; 'src.x'\n", b"2\t\\\\.\n"]
    assert [e for e, _ in events].count("end") == 1
    assert backups._count_dump_rows(dump) == {"t": 2}


def test_dump_reader_refuses_unknown_psql_commands_and_cut_off_dumps(tmp_path):
    dump = tmp_path / "d.sql"
    dump.write_text("\\! rm -rf /\n")
    with pytest.raises(backups.BackupError, match="psql command"):
        list(backups._dump_events(dump, "a", "b"))
    dump.write_text("COPY a.t (id) FROM stdin;\n1\n")
    with pytest.raises(backups.BackupError, match="cut off"):
        list(backups._dump_events(dump, "a", "b"))
