"""Search (issue #7): on SQLite, a B-tree index of each record's search *key* (a person's last
name, an organisation's name, words joined: the first word of ``search_text``), so the exact and
prefix tiers of a search read it in key order instead of scanning FTS5 doclists for a word that
matches nobody's key (``peyvand_contacts/search.py``). PostgreSQL ranks its GIN candidates and
does not read it yet; it gets the same index (over live rows, in code point order) so both
databases keep one schema and a later PostgreSQL search can use it."""
from peewee import PostgresqlDatabase

TABLES = ("contacts_organization", "contacts_person")
# Must stay identical to search._SQLITE_KEY without the table qualifier (the query repeats it).
KEY = ("substr(ltrim(search_text, '| '), 1, "
       "instr(ltrim(search_text, '| ') || ' ', ' ') - 1)")
PG_KEY = "split_part(ltrim(search_text, '| '), ' ', 1) COLLATE \"C\""


def up(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        for table in TABLES:
            db.execute_sql(f'CREATE INDEX IF NOT EXISTS "{table}_search_key" ON "{table}" '
                           f"({PG_KEY}) WHERE deleted_at IS NULL")
        return
    for table in TABLES:
        db.execute_sql(f'CREATE INDEX IF NOT EXISTS "{table}_search_key" ON "{table}" ({KEY})')


def down(migrator, db):
    for table in TABLES:
        db.execute_sql(f'DROP INDEX IF EXISTS "{table}_search_key"')
