"""A broken plugin is recorded and isolated; strict mode re-raises."""

import pytest
from plugin_kit import plugin

from peyvand_sdk import Manifest, hookimpl


class SetupFails:
    manifest = Manifest(label={"en": "Broken"})

    @hookimpl
    def setup_plugin(self):
        raise RuntimeError("cannot reach the licence server")


class Misspelled:
    manifest = Manifest(label={"en": "Typo"})

    @hookimpl
    def register_entites(self):
        return []


class OptionalPartner:
    """Implements a hook published by a plugin that is not installed."""

    manifest = Manifest(label={"en": "Partner"})

    @hookimpl(optionalhook=True)
    def deal_won_somewhere_else(self, deal):
        return None


class TooNew:
    manifest = Manifest(label={"en": "Future"}, kernel_api=">=7")


@pytest.fixture
def lenient(monkeypatch):
    monkeypatch.setenv("PEYVAND_STRICT_PLUGINS", "0")


def test_failing_setup_is_isolated_and_reported(lenient, peyvand_app_factory):
    app = peyvand_app_factory(plugins=[], extra_plugins=[("broken", SetupFails(), "2.0"),
                                                        plugin("alpha")])
    client = app.test_client()
    rows = {p["name"]: p for p in client.get("/api/v1/plugins").json["data"]}
    assert rows["broken"]["state"] == "failed"
    assert rows["broken"]["version"] == "2.0"
    assert "RuntimeError: cannot reach the licence server" in rows["broken"]["error"]
    assert rows["alpha"]["state"] == "enabled"
    assert client.get("/x/alpha/ping").json == {"pong": "alpha"}


def test_import_error_is_isolated(lenient, peyvand_kernel_factory):
    kernel = peyvand_kernel_factory(plugins=[], extra_plugins=[
        ("ghost", "peyvand_no_such_module.plugin", "1.0"), plugin("alpha")])
    assert kernel.state("ghost") == "failed"
    assert "ModuleNotFoundError" in kernel.records["ghost"].error
    assert kernel.state("alpha") == "enabled"


def test_misspelled_hook_is_an_error_with_a_suggestion(lenient, peyvand_kernel_factory):
    kernel = peyvand_kernel_factory(plugins=[], extra_plugins=[("typo", Misspelled(), "1.0")])
    assert kernel.state("typo") == "failed"
    assert "'register_entites' (did you mean 'register_entities'?)" in kernel.records["typo"].error


def test_optional_hook_of_an_absent_partner_still_loads(peyvand_kernel_factory):
    kernel = peyvand_kernel_factory(plugins=[], extra_plugins=[("partner", OptionalPartner(),
                                                                "1.0")])
    assert kernel.state("partner") == "enabled"


def test_incompatible_kernel_api_is_refused(lenient, peyvand_kernel_factory):
    kernel = peyvand_kernel_factory(plugins=[], extra_plugins=[("future", TooNew(), "1.0")])
    assert kernel.state("future") == "failed"
    assert "supports kernel API >=7, but this kernel offers 1.0" in kernel.records["future"].error


def test_strict_mode_reraises(peyvand_kernel_factory, monkeypatch):
    monkeypatch.setenv("PEYVAND_STRICT_PLUGINS", "1")
    from peyvand.config import load_settings
    from peyvand.kernel import Kernel

    with pytest.raises(RuntimeError, match="licence server"):
        Kernel(load_settings(), only=[], extra_plugins=[("broken", SetupFails(), "1.0")])
