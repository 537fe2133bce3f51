"""Contracts that must not drift: hookspec docs, manifests vs packaging, schema vs models."""

import inspect
import itertools
import pathlib
import tomllib

import pytest
from playhouse.schema_diff import diff_models

from peyvand import hookspecs

ROOT = pathlib.Path(__file__).resolve().parents[1]
GUIDE = (ROOT / "docs" / "plugin-guide.md").read_text(encoding="utf-8")
SHIPPED = sorted(p.parent.name for p in (ROOT / "plugins").glob("*/pyproject.toml"))


def _specs(module):
    marker = f"{hookspecs.PROJECT}_spec"
    return {name: fn for name, fn in inspect.getmembers(module, inspect.isfunction)
            if hasattr(fn, marker)}


def _published_modules():
    for name in SHIPPED:
        project = tomllib.loads((ROOT / "plugins" / name / "pyproject.toml").read_text())
        target = project["project"]["entry-points"]["peyvand.plugins"][name]
        module = __import__(target, fromlist=["manifest"])
        if module.manifest.hookspecs:
            yield __import__(module.manifest.hookspecs, fromlist=["*"])


def test_every_hookspec_has_a_docstring_and_is_in_the_guide():
    modules = [hookspecs, *_published_modules()]
    specs = {name: fn for module in modules for name, fn in _specs(module).items()}
    assert {"register_entities", "deal_won"} <= set(specs)
    undocumented = [n for n, fn in specs.items() if len((fn.__doc__ or "").strip()) < 40]
    assert not undocumented, f"hookspecs without a real docstring: {undocumented}"
    missing = [n for n in specs if f"`{n}`" not in GUIDE]
    assert not missing, f"hookspecs missing from docs/plugin-guide.md: {missing}"


@pytest.mark.parametrize("name", SHIPPED)
def test_manifest_requires_agree_with_pyproject_dependencies(name):
    project = tomllib.loads((ROOT / "plugins" / name / "pyproject.toml").read_text())["project"]
    target = project["entry-points"]["peyvand.plugins"][name]
    assert project["name"] == f"peyvand-{name.replace('_', '-')}"
    manifest = __import__(target, fromlist=["manifest"]).manifest
    declared = {dep.split(">")[0].split("=")[0].split("<")[0].strip()
                for dep in project["dependencies"]}
    plugin_dists = {d for d in declared if d.startswith("peyvand-")} - {"peyvand-sdk", "peyvand"}
    assert plugin_dists == {f"peyvand-{r.replace('_', '-')}" for r in manifest.requires}
    assert "peyvand-sdk" in declared, "a plugin depends on the SDK, not on the kernel"


@pytest.mark.parametrize("name", SHIPPED)
def test_migrated_database_matches_the_models(name, peyvand_kernel_factory):
    kernel = peyvand_kernel_factory()
    db = kernel.storage.database_for("default")
    with kernel.storage.bound("default"):
        diff = diff_models(db, kernel.plugin_models(name))
    assert not diff, f"{name}: models and migrations disagree:\n{diff}"


def _valid_subsets():
    kernel_requires = {}
    for name in SHIPPED:
        project = tomllib.loads((ROOT / "plugins" / name / "pyproject.toml").read_text())
        target = project["project"]["entry-points"]["peyvand.plugins"][name]
        kernel_requires[name] = set(__import__(target, fromlist=["manifest"]).manifest.requires)
    for size in range(len(SHIPPED) + 1):
        for subset in itertools.combinations(SHIPPED, size):
            if all(kernel_requires[p] <= set(subset) for p in subset):
                yield subset


@pytest.mark.parametrize("subset", list(_valid_subsets()), ids=lambda s: "+".join(s) or "none")
def test_every_valid_combination_starts_and_answers(subset, peyvand_app_factory):
    app = peyvand_app_factory(plugins=list(subset))
    client = app.test_client()
    response = client.get("/api/v1/plugins")
    assert response.status_code == 200
    states = {p["name"]: p["state"] for p in response.json["data"]}
    assert states == {name: "enabled" for name in subset}
    assert client.get("/", follow_redirects=True).status_code == 200  # the login page


def test_test_modules_have_unique_basenames():
    """pytest imports test modules by basename (rootdir-relative, no packages): two files with
    the same name in different folders stop the whole run at collection."""
    from collections import Counter

    root = pathlib.Path(__file__).resolve().parents[1]
    names = Counter(path.name for top in ("tests", "kernel", "sdk", "plugins", "bench")
                    for path in (root / top).rglob("test_*.py"))
    assert not [name for name, count in names.items() if count > 1]
