"""Per-plugin migration chains: applied step by step, recorded as each succeeds."""

import pytest

from peyvand.errors import MigrationFailed
from peyvand_sdk import Manifest

STEP_1 = '''
from peewee import *

def up(migrator, db):
    class Thing(Model):
        name = CharField()
        class Meta:
            database = db
            table_name = "shop_thing"
    db.create_tables([Thing])
'''
STEP_2 = '''
from peewee import *

def up(migrator, db):
    migrator.migrate(migrator.add_column("shop_thing", "colour", CharField(null=True)))
'''
STEP_3_BROKEN = '''
from peewee import *

def up(migrator, db):
    migrator.migrate(migrator.add_column("shop_thing", "size", IntegerField(null=True)))
    db.execute_sql("SELECT no_such_column FROM shop_thing")
'''


class Shop:
    def __init__(self, folder):
        self.manifest = Manifest(label={"en": "Shop"}, migrations=str(folder))


def columns(kernel, table):
    db = kernel.storage.database_for("default")
    return [c.name for c in db.get_columns(table)]


def test_failed_step_rolls_back_names_itself_and_resumes(tmp_path, peyvand_kernel_factory):
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_thing.py").write_text(STEP_1)
    (folder / "0002_colour.py").write_text(STEP_2)
    (folder / "0003_size.py").write_text(STEP_3_BROKEN)
    kernel = peyvand_kernel_factory(plugins=[], extra_plugins=[("shop", Shop(folder), "1.0")],
                                    enable=False)
    with pytest.raises(MigrationFailed, match=r"plugin 'shop': migration step '0003_size' "
                                              r"failed and was rolled back"):
        kernel.enable("shop")
    assert kernel.state("shop") == "installed"
    assert columns(kernel, "shop_thing") == ["id", "name", "colour"]  # step 3 left nothing
    with kernel.storage.bound("default"):
        assert kernel.migrations("shop", "default").pending() == ["0003_size"]

    (folder / "0003_size.py").write_text(STEP_3_BROKEN.replace(
        '    db.execute_sql("SELECT no_such_column FROM shop_thing")\n', ""))
    kernel.enable("shop")
    assert columns(kernel, "shop_thing") == ["id", "name", "colour", "size"]


def test_upgrade_runs_only_new_steps(tmp_path, peyvand_kernel_factory):
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_thing.py").write_text(STEP_1)
    kernel = peyvand_kernel_factory(plugins=[], extra_plugins=[("shop", Shop(folder), "1.0")])
    db = kernel.storage.database_for("default")
    db.execute_sql("INSERT INTO shop_thing (name) VALUES ('kept')")
    (folder / "0002_colour.py").write_text(STEP_2)  # the plugin's next version ships a step
    assert kernel.pending_migrations() == {"shop": ["0002_colour"]}
    assert kernel.upgrade() == {"shop": ["0002_colour"]}
    assert kernel.upgrade() == {}
    assert db.execute_sql("SELECT name, colour FROM shop_thing").fetchall() == [("kept", None)]
