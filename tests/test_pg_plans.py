"""PostgreSQL connections plan every statement with its parameters' values: a prepared
statement's generic plan walked the whole primary key for a keyset page of one pipeline's
deals among a million (96 ms instead of 1.3 ms, bench sales.kanban_ms.pg)."""

import pytest


@pytest.mark.postgres_only
@pytest.mark.peyvand_plugins("contacts")
def test_tenant_and_control_connections_force_custom_plans(peyvand_app):
    kernel = peyvand_app.extensions["peyvand"]
    for db in (kernel.storage.database_for("default"), kernel.storage.control):
        with db.connection_context():
            assert db.execute_sql("SHOW plan_cache_mode").fetchone()[0] == "force_custom_plan"
            # the setting survives psycopg's automatic preparation of repeated statements
            for _ in range(8):
                db.execute_sql("SELECT 1 WHERE 1 = %s", (1,))
            assert db.execute_sql("SHOW plan_cache_mode").fetchone()[0] == "force_custom_plan"
