"""The PostgreSQL test fixtures keep the system catalogs compact (a server may run without
autovacuum: the suite once slowed several times over on a 480 MB ``pg_class``)."""

import os
import uuid

import pytest

from peyvand_sdk import testing

pytestmark = pytest.mark.postgres_only


def _pages(conn, catalog):
    return conn.execute(f"SELECT pg_relation_size('pg_catalog.{catalog}') / 8192").fetchone()[0]


def test_dropping_test_schemas_vacuums_the_catalogs():
    import psycopg

    url = os.environ["PEYVAND_TEST_DATABASE_URL"].split("?", 1)[0]
    columns = ", ".join(f"c{i} integer" for i in range(40))
    with psycopg.connect(url, autocommit=True) as conn:
        testing.vacuum_catalogs(conn)
        before = _pages(conn, "pg_attribute")
        for _ in range(4 * testing.VACUUM_EVERY):
            prefix = f"pt{uuid.uuid4().hex[:10]}_"
            conn.execute(f'CREATE SCHEMA "{prefix}default"')
            conn.execute(f'CREATE TABLE "{prefix}default".t (id serial primary key, {columns})')
            testing._drop_schemas(url, prefix)
        grown = _pages(conn, "pg_attribute") - before
    # 100 tables of 47 attribute rows (~150 bytes each) is ~85 pages if nothing is reclaimed;
    # vacuumed every 25 drops, the space of the dropped rows is reused.
    assert grown < 45, f"pg_attribute grew by {grown} pages"
