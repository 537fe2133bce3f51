"""The `peyvand` command line, run against a real instance folder."""

import json

import pytest


def test_plugins_list_enable_disable_purge(peyvand_cli):
    result = peyvand_cli("plugins", "list", "--json")
    states = {p["name"]: p["state"] for p in json.loads(result.output)["data"]}
    assert states == {"contacts": "installed", "sales": "installed"}

    result = peyvand_cli("plugins", "enable", "sales")
    assert result.exit_code == 1
    assert "requires plugin 'contacts', which is not enabled" in result.output

    assert peyvand_cli("plugins", "enable", "contacts").exit_code == 0
    assert peyvand_cli("plugins", "enable", "sales").output == "sales: enabled for tenant default\n"

    result = peyvand_cli("plugins", "disable", "contacts")
    assert result.exit_code == 1 and "--cascade" in result.output
    result = peyvand_cli("plugins", "disable", "contacts", "--cascade")
    assert result.output.splitlines() == ["sales: disabled for tenant default (data kept)",
                                          "contacts: disabled for tenant default (data kept)"]

    result = peyvand_cli("plugins", "purge", "sales")
    assert result.exit_code == 2 and "--dry-run" in result.output
    dry = peyvand_cli("plugins", "purge", "sales", "--dry-run").output
    assert "would drop table sales_deal (0 rows)" in dry
    real = peyvand_cli("plugins", "purge", "sales", "--yes").output
    assert real == dry.replace("would drop", "dropped")
    states = {p["name"]: p["state"]
              for p in json.loads(peyvand_cli("plugins", "list", "--json").output)["data"]}
    assert states == {"contacts": "disabled", "sales": "purged"}


def test_tenant_option_keeps_tenants_apart(peyvand_cli):
    assert peyvand_cli("plugins", "enable", "contacts", "--tenant", "acme").exit_code == 0
    listing = peyvand_cli("plugins", "list", "--json", "--tenant", "acme").output
    assert {p["name"]: p["state"] for p in json.loads(listing)["data"]}["contacts"] == "enabled"
    listing = peyvand_cli("plugins", "list", "--json").output
    assert {p["name"]: p["state"] for p in json.loads(listing)["data"]}["contacts"] == "installed"


def test_demo_enables_everything_and_loads_data(peyvand_cli, monkeypatch):
    monkeypatch.setenv("PEYVAND_PORT", "8123")          # as scripts/start.sh passes it on
    result = peyvand_cli("demo")
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8123/api/v1/contacts/persons" in result.output
    assert "contacts: 8 people, 4 organisations, 4 notes" in result.output
    assert "sales: 4 deals" in result.output
    # The demo shows tags and notes on the contact pages, like a business's data would.
    tags = peyvand_cli("tags", "list").output
    assert "مشتری ویژه" in tags and "Export" in tags
    again = peyvand_cli("demo")  # idempotent: no second copy of the demo business
    assert "contacts:" not in again.output


def test_db_upgrade_and_status(peyvand_cli):
    peyvand_cli("plugins", "enable", "contacts")
    assert "up to date" in peyvand_cli("db", "upgrade").output
    status = peyvand_cli("db", "status").output
    assert "contacts" in status and "0001_people_and_organizations" in status
    assert "PENDING" not in status


@pytest.mark.sqlite_only
def test_everything_lives_under_peyvand_home(peyvand_cli, peyvand_settings):
    peyvand_cli("demo")
    home = peyvand_settings.home
    assert (home / "control.sqlite3").exists()
    assert (home / "tenants" / "default.sqlite3").exists()
