"""Plugin states per tenant, dependency refusals, and what disabling really switches off."""

import pytest
from plugin_kit import Recorder, plugin

from peyvand.errors import PluginError


def test_states_move_installed_enabled_disabled_purged(peyvand_kernel_factory):
    kernel = peyvand_kernel_factory(plugins=[], extra_plugins=[plugin("alpha")], enable=False)
    assert kernel.state("alpha") == "installed"
    assert kernel.enable("alpha") is True
    assert kernel.state("alpha") == "enabled"
    assert kernel.enable("alpha") is False  # already enabled: nothing to do
    assert kernel.disable("alpha") == ["alpha"]
    assert kernel.state("alpha") == "disabled"
    kernel.purge("alpha")
    assert kernel.state("alpha") == "purged"
    kernel.enable("alpha")
    assert kernel.state("alpha") == "enabled"


def test_state_is_kept_per_tenant(peyvand_kernel_factory):
    kernel = peyvand_kernel_factory(plugins=[], extra_plugins=[plugin("alpha")], enable=False)
    kernel.ensure_tenant("other")
    kernel.enable("alpha", "default")
    assert kernel.state("alpha", "default") == "enabled"
    assert kernel.state("alpha", "other") == "installed"
    assert "alpha" not in kernel.enabled("other")


def test_enable_refuses_a_missing_dependency_and_names_it(peyvand_kernel_factory):
    kernel = peyvand_kernel_factory(
        plugins=[], extra_plugins=[plugin("beta", requires={"ghost": ">=1"})], enable=False)
    with pytest.raises(PluginError, match=r"requires plugin 'ghost >=1', which is not installed"):
        kernel.enable("beta")
    assert kernel.state("beta") == "installed"


def test_enable_refuses_a_disabled_dependency_and_enables_nothing(peyvand_kernel_factory):
    kernel = peyvand_kernel_factory(
        plugins=[], extra_plugins=[plugin("alpha"), plugin("beta", requires={"alpha": ">=1"})],
        enable=False)
    with pytest.raises(PluginError, match=r"'alpha', which is not enabled for tenant 'default' "
                                          r"\(run `peyvand plugins enable alpha` first\)"):
        kernel.enable("beta")
    assert kernel.state("alpha") == "installed"  # nothing was enabled silently


def test_enable_refuses_a_dependency_outside_its_version_range(peyvand_kernel_factory):
    kernel = peyvand_kernel_factory(
        plugins=[], enable=False,
        extra_plugins=[plugin("alpha", "1.4.0"), plugin("beta", requires={"alpha": ">=2,<3"})])
    kernel.enable("alpha")
    with pytest.raises(PluginError, match=r"requires 'alpha >=2,<3' but alpha 1.4.0 is installed"):
        kernel.enable("beta")


def test_enable_refuses_a_missing_capability(peyvand_kernel_factory):
    kernel = peyvand_kernel_factory(
        plugins=[], enable=False,
        extra_plugins=[plugin("asterisk", provides=("telephony.provider",)),
                       plugin("voip", requires_capability=("telephony.provider",))])
    with pytest.raises(PluginError, match=r"capability 'telephony.provider'.*asterisk"):
        kernel.enable("voip")
    kernel.enable("asterisk")
    assert kernel.enable("voip") is True


def test_disable_refuses_while_dependents_are_enabled_unless_cascade(peyvand_kernel_factory):
    kernel = peyvand_kernel_factory(
        plugins=[], extra_plugins=[plugin("alpha"), plugin("beta", requires={"alpha": ""}),
                                   plugin("gamma", requires={"beta": ""})])
    with pytest.raises(PluginError, match=r"enabled plugins depend on it: beta, gamma.*--cascade"):
        kernel.disable("alpha")
    assert kernel.enabled() >= {"alpha", "beta", "gamma"}
    assert kernel.disable("alpha", cascade=True) == ["gamma", "beta", "alpha"]
    assert not kernel.enabled() & {"alpha", "beta", "gamma"}


def test_unknown_plugin_is_named(peyvand_kernel_factory):
    kernel = peyvand_kernel_factory(plugins=[], extra_plugins=[plugin("alpha")])
    with pytest.raises(PluginError, match=r"no plugin named 'nope' is installed.*alpha"):
        kernel.enable("nope")


def test_disabled_plugin_hooks_are_silent(peyvand_kernel_factory):
    alpha = Recorder("alpha")
    kernel = peyvand_kernel_factory(plugins=[], extra_plugins=[("alpha", alpha, "1.0")])
    assert kernel.hooks().load_demo_data(tenant="default", plugins=[]) == ["alpha demo"]
    kernel.disable("alpha")
    assert kernel.hooks().load_demo_data(tenant="default", plugins=[]) == []
    kernel.enable("alpha")
    assert kernel.hooks().load_demo_data(tenant="default", plugins=[]) == ["alpha demo"]
    assert alpha.calls.count("enabled:default") == 2


def test_disabled_plugin_routes_answer_404(peyvand_app_factory):
    app = peyvand_app_factory(plugins=[], extra_plugins=[plugin("alpha")])
    client = app.test_client()
    assert client.get("/x/alpha/ping").json == {"pong": "alpha"}
    app.extensions["peyvand"].disable("alpha")
    assert client.get("/x/alpha/ping").status_code == 404
    app.extensions["peyvand"].enable("alpha")
    assert client.get("/x/alpha/ping").status_code == 200


def test_a_change_made_by_another_process_is_seen_by_the_next_request(peyvand_app_factory):
    from peyvand.kernel import Kernel

    app = peyvand_app_factory(plugins=[], extra_plugins=[plugin("alpha")])
    client = app.test_client()
    assert client.get("/x/alpha/ping").status_code == 200
    kernel = app.extensions["peyvand"]
    other = Kernel(kernel.settings, only=[], extra_plugins=[plugin("alpha")])  # "worker 2"
    other.disable("alpha")
    assert client.get("/x/alpha/ping").status_code == 404
    other.storage.close()


@pytest.mark.peyvand_plugins("contacts")
def test_reenable_finds_data_intact(peyvand_app):
    kernel = peyvand_app.extensions["peyvand"]
    from peyvand_contacts.models import Person

    with kernel.storage.bound("default"):
        Person.create(first_name="مریم", last_name="احمدی")
        Person.create(first_name="Sara", last_name="Karimi")
    kernel.disable("contacts")
    kernel.enable("contacts")
    with kernel.storage.bound("default"):
        assert sorted(p.last_name for p in Person.select()) == ["Karimi", "احمدی"]


@pytest.mark.peyvand_plugins("contacts", "sales")
def test_purge_dry_run_matches_what_purge_drops(peyvand_app):
    kernel = peyvand_app.extensions["peyvand"]
    from peyvand_contacts.demo import load

    with kernel.storage.bound("default"):
        load()
    kernel.disable("contacts", cascade=True)
    with pytest.raises(PluginError, match=r"plugins that depend on it still keep data.*sales"):
        kernel.purge("contacts")
    plan = kernel.purge_plan("sales")
    assert ("sales_pipeline", 1) in plan
    assert kernel.purge("sales") == plan
    db = kernel.storage.database_for("default")
    assert not {t for t, _ in plan} & set(db.get_tables())
    plan = kernel.purge_plan("contacts")
    assert ("contacts_person", 8) in plan and ("contacts_organization", 4) in plan
    assert kernel.purge("contacts") == plan
    assert not {t for t, _ in plan} & set(db.get_tables())


def test_purge_refuses_an_enabled_plugin(peyvand_kernel_factory):
    kernel = peyvand_kernel_factory(plugins=[], extra_plugins=[plugin("alpha")])
    with pytest.raises(PluginError, match=r"run `peyvand plugins disable alpha` first"):
        kernel.purge("alpha")
