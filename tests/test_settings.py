"""Settings plugins declare and admins change: typed, audited, seen at once, per tenant."""

import pytest

from peyvand_sdk import Manifest, Setting, get_setting, hookimpl


class Configurable:
    manifest = Manifest(label={"en": "Configurable"})

    @hookimpl
    def register_settings(self):
        return [
            Setting("shop.currency", "choice", "IRR", label={"en": "Currency", "fa": "واحد پول"},
                    choices=("IRR", "IRT")),
            Setting("shop.max_discount", "integer", 10, label={"en": "Max discount %"}),
            Setting("shop.vat", "decimal", "10", label={"en": "VAT %"}),
        ]


@pytest.fixture
def app(peyvand_app_factory):
    return peyvand_app_factory(plugins=[], extra_plugins=[("shop", Configurable(), "1.0")])


def test_defaults_then_admin_changes_seen_by_code_at_once(app):
    client = app.test_client()
    listed = {s["key"]: s for s in client.get("/api/v1/settings").json["data"]}
    assert listed["shop.currency"]["value"] == "IRR"
    assert listed["shop.currency"]["label"]["fa"] == "واحد پول"
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        assert get_setting("shop.max_discount") == 10
    assert client.put("/api/v1/settings/shop.max_discount", json={"value": 25}).json == {
        "key": "shop.max_discount", "value": 25}
    with app.app_context(), kernel.storage.bound("default"):
        assert get_setting("shop.max_discount") == 25
    db = kernel.storage.database_for("default")
    rows = db.execute_sql("SELECT user_name, changes FROM peyvand_audit WHERE entity = "
                          "'peyvand.setting'").fetchall()
    assert rows == [("admin", '{"shop.max_discount": [10, 25]}')]


def test_values_are_validated_and_only_admins_change_them(app):
    from peyvand_sdk.testing import make_user_client

    client = app.test_client()
    bad = client.put("/api/v1/settings/shop.currency", json={"value": "USD"})
    assert bad.status_code == 422 and "one of IRR, IRT" in bad.json["errors"]["value"][0]
    bad = client.put("/api/v1/settings/shop.max_discount", json={"value": "lots"})
    assert bad.status_code == 422 and "whole number" in bad.json["errors"]["value"][0]
    assert client.put("/api/v1/settings/shop.unknown", json={"value": 1}).status_code == 404
    seller = make_user_client(app, "seller", ("salesperson",))
    assert seller.get("/api/v1/settings").status_code == 200
    assert seller.put("/api/v1/settings/shop.vat", json={"value": "9"}).status_code == 403
    assert client.put("/api/v1/settings/shop.vat", json={"value": 9.5}).json["value"] == "9.5"


def test_a_plugins_keys_must_carry_its_name(peyvand_app_factory):
    class Rogue:
        manifest = Manifest(label={"en": "Rogue"})

        @hookimpl
        def register_settings(self):
            return [Setting("other.key", "text", "")]

    app = peyvand_app_factory(plugins=[], extra_plugins=[("rogue", Rogue(), "1.0")])
    response = app.test_client().get("/api/v1/settings")
    assert response.status_code == 400
    assert "must start with 'rogue.'" in response.json["message"]


def test_cli_lists_and_sets(app):
    from click.testing import CliRunner

    from peyvand.cli import main

    kernel = app.extensions["peyvand"]

    def run(*args):
        return CliRunner().invoke(main, list(args), obj={"kernel": kernel},
                                  catch_exceptions=False)

    assert "shop.currency" in run("settings", "list").output
    assert run("settings", "set", "shop.currency", "IRT").output == "shop.currency = 'IRT'\n"
    refused = run("settings", "set", "shop.max_discount", "many")
    assert refused.exit_code == 1 and "whole number" in refused.output
    listing = run("settings", "list").output
    assert "'IRT'  (default 'IRR')" in listing
