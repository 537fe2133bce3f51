"""A time zone per user (``NULL``: the tenant's setting ``peyvand.time_zone``)."""
from peewee import CharField


def up(migrator, db):
    migrator.migrate(migrator.add_column("peyvand_user", "time_zone",
                                         CharField(max_length=64, null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("peyvand_user", "time_zone"))
