"""``peyvand-sdk new NAME``: scaffold a plugin that installs, is discovered and passes its tests."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from string import Template

import click

NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")

FILES = {
    "pyproject.toml": '''\
[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "peyvand-$dist"
version = "0.1.0"
description = "$title: a Peyvand CRM plugin"
requires-python = ">=3.11"
dependencies = [
    "peyvand-sdk>=0.1",
    "peewee>=4.5",
    "marshmallow>=4.0",
]

[project.entry-points."peyvand.plugins"]
$name = "peyvand_$name.plugin"

[tool.setuptools.packages.find]
include = ["peyvand_$name*"]

[tool.setuptools.package-data]
peyvand_$name = ["migrations/*.py"]
''',
    "README.md": '''\
# peyvand-$dist

A Peyvand CRM plugin. Install it beside Peyvand with `pip install -e .`, then
`peyvand plugins enable $name`. Run its tests with `pytest tests`.
''',
    "peyvand_$name/__init__.py": '"""The $name plugin for Peyvand CRM."""\n',
    "peyvand_$name/plugin.py": '''\
"""Manifest and hook implementations; keep heavy imports inside the hook bodies."""

from peyvand_sdk import Manifest, hookimpl

manifest = Manifest(
    label={"en": "$title", "fa": "$title"},
    description={"en": "What $title does, in one sentence."},
)


@hookimpl
def register_entities():
    from .entities import ITEM

    return [ITEM]
''',
    "peyvand_$name/entities.py": '''\
"""The records this plugin stores."""

import peewee
from marshmallow import Schema, fields, validate

from peyvand_sdk import Entity, RecordModel


class Item(RecordModel):
    title = peewee.CharField(max_length=200)

    class Meta:
        table_name = "${name}_item"


class ItemSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))


ITEM = Entity(name="item", plural="items", model=Item, schema=ItemSchema,
              label={"en": "Item", "fa": "مورد"}, title_field="title")
''',
    "peyvand_$name/migrations/0001_items.py": '''\
"""Create the item table (a frozen copy of the model as it is at this step)."""
import datetime

from peewee import *


def up(migrator, db):
    class Item(Model):
        id = AutoField()
        version = IntegerField(default=1)
        created_at = DateTimeField(default=datetime.datetime.utcnow)
        updated_at = DateTimeField(default=datetime.datetime.utcnow)
        deleted_at = DateTimeField(null=True, index=True)
        owner_id = IntegerField(null=True, index=True)
        team_id = IntegerField(null=True, index=True)
        title = CharField(max_length=200)

        class Meta:
            database = db
            table_name = "${name}_item"

    db.create_tables([Item])


def down(migrator, db):
    db.execute_sql('DROP TABLE "${name}_item"')
''',
    "tests/test_plugin.py": '''\
"""The first tests every plugin needs; the fixtures come from peyvand_sdk's pytest plugin."""

import importlib_metadata
import pytest
from playhouse.schema_diff import diff_models


def test_plugin_is_installed():
    names = {ep.name for ep in importlib_metadata.entry_points(group="peyvand.plugins")}
    assert "$name" in names, "the entry point is missing: reinstall with `pip install -e .`"


@pytest.mark.peyvand_plugins("$name")
def test_enables_and_its_tables_match_its_models(peyvand_app):
    kernel = peyvand_app.extensions["peyvand"]
    assert kernel.state("$name") == "enabled"
    db = kernel.storage.database_for("default")
    with kernel.storage.bound("default"):
        assert not diff_models(db, kernel.plugin_models("$name"))


@pytest.mark.peyvand_plugins("$name")
def test_listed_by_the_api(peyvand_client):
    rows = {p["name"]: p for p in peyvand_client.get("/api/v1/plugins").json["data"]}
    assert rows["$name"]["state"] == "enabled"
''',
}


def render(name: str) -> dict[str, str]:
    values = {"name": name, "dist": name.replace("_", "-"),
              "title": name.replace("_", " ").title()}
    return {Template(path).substitute(values): Template(body).substitute(values)
            for path, body in FILES.items()}


def create(name: str, parent: Path) -> Path:
    if not NAME.match(name):
        raise click.BadParameter(
            f"{name!r}: use 2-31 lower-case letters, digits or '_', starting with a letter; "
            "it becomes the plugin name, the table prefix and part of permission keys")
    target = parent / name
    if target.exists() and any(target.iterdir()):
        raise click.ClickException(f"{target} already exists and is not empty")
    for path, body in render(name).items():
        file = target / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(body, encoding="utf-8")
    return target


@click.group()
def main():
    """Tools for Peyvand plugin authors."""


@main.command()
@click.argument("name")
@click.option("--dir", "parent", type=click.Path(file_okay=False, path_type=Path),
              default=Path("."), show_default=True, help="Where to create the plugin folder.")
def new(name, parent):
    """Create a plugin folder NAME that installs, is discovered and passes its own tests."""
    target = create(name, parent)
    click.echo(f"created {target}\nnext: pip install -e {target} && pytest {target}/tests")


if __name__ == "__main__":
    sys.exit(main())
