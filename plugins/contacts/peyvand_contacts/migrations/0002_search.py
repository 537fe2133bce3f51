"""Search (issue #7): a folded ``search_text`` per person and organisation, filled for the rows
already there, and its index: FTS5 tables kept in step by triggers on SQLite, a GIN index of the
words on PostgreSQL. ``peyvand_contacts/search.py`` explains both."""
from peewee import *

TABLES = ("contacts_organization", "contacts_person")

# PostgreSQL: the expression must stay identical to search.PG_WORDS (the query repeats it).
PG_INDEX = """CREATE INDEX "{table}_search" ON "{table}"
    USING gin (array_to_tsvector(array_remove(string_to_array(search_text, ' '), '')))
    WHERE deleted_at IS NULL"""

SQLITE_FTS = """CREATE VIRTUAL TABLE "{table}_fts" USING fts5(
    search_text, content='{table}', content_rowid='id',
    tokenize='unicode61 remove_diacritics 0', prefix='2 3')"""
# Any writer that sets search_text keeps the index right. (INSERT OR REPLACE on the base table
# would not: SQLite skips delete triggers for REPLACE unless PRAGMA recursive_triggers is on.)
SQLITE_TRIGGERS = (
    """CREATE TRIGGER "{table}_fts_insert" AFTER INSERT ON "{table}" BEGIN
        INSERT INTO "{table}_fts" (rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    """CREATE TRIGGER "{table}_fts_delete" AFTER DELETE ON "{table}" BEGIN
        INSERT INTO "{table}_fts" ("{table}_fts", rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
    END""",
    """CREATE TRIGGER "{table}_fts_update" AFTER UPDATE OF id, search_text ON "{table}"
    WHEN old.search_text IS NOT new.search_text OR old.id != new.id BEGIN
        INSERT INTO "{table}_fts" ("{table}_fts", rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
        INSERT INTO "{table}_fts" (rowid, search_text) VALUES (new.id, new.search_text);
    END""",
)
# Under the name the PostgreSQL index has (the models declare it): rows without search_text.
SQLITE_MISSING = """CREATE INDEX "{table}_search" ON "{table}" (id) WHERE search_text IS NULL"""


def up(migrator, db):
    migrator.migrate(*(migrator.add_column(table, "search_text", TextField(null=True))
                       for table in TABLES))

    from peyvand_contacts.search import reindex

    reindex(db)
    for table in TABLES:
        if isinstance(db, PostgresqlDatabase):
            db.execute_sql(PG_INDEX.format(table=table))
            continue
        # A purge drops the FTS table with the base table; this only guards a leftover.
        db.execute_sql(f'DROP TABLE IF EXISTS "{table}_fts"')
        db.execute_sql(SQLITE_FTS.format(table=table))
        db.execute_sql(f"""INSERT INTO "{table}_fts" ("{table}_fts") VALUES ('rebuild')""")
        for trigger in SQLITE_TRIGGERS:
            db.execute_sql(trigger.format(table=table))
        db.execute_sql(SQLITE_MISSING.format(table=table))


def down(migrator, db):
    for table in TABLES:
        db.execute_sql(f'DROP INDEX IF EXISTS "{table}_search"')
        if not isinstance(db, PostgresqlDatabase):
            for event in ("insert", "delete", "update"):
                db.execute_sql(f'DROP TRIGGER IF EXISTS "{table}_fts_{event}"')
            db.execute_sql(f'DROP TABLE IF EXISTS "{table}_fts"')
    migrator.migrate(*(migrator.drop_column(table, "search_text") for table in TABLES))
