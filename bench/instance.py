"""A real Peyvand instance filled from the generated data set, for framework scenarios.

``prepare(ctx, db="sqlite"|"pg")`` builds a fresh instance (its own folder, or its own
PostgreSQL schema prefix), enables the contacts plugin, creates an admin with an API token and
a manager in one of the 200 teams, and bulk-loads ``ctx.rows`` contacts into
``contacts_person`` straight from the cached data set, owners and teams included. Returns an
:class:`Instance` with the app, the tokens and a raw DB-API connection to the same tables for
the baselines.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

PERSON_COLUMNS = ("first_name", "last_name", "email", "phone", "owner_id", "team_id",
                  "created_at", "updated_at", "version", "lifecycle_stage", "consent_email",
                  "consent_sms")


@dataclass
class Instance:
    kernel: object
    app: object
    admin_token: str
    manager_token: str
    manager_team: int
    db: str
    raw: object          # a DB-API connection (sqlite3 or psycopg) to the tenant's tables
    schema: str | None
    rows: int

    def close(self):
        self.raw.close()
        self.kernel.storage.close()


def prepare(ctx, db: str = "sqlite", plugins=("contacts",)) -> Instance:
    from peyvand.app import create_app
    from peyvand.config import load_settings
    from peyvand.identity import Membership, Team, create_token, create_user
    from peyvand.kernel import Kernel

    home = ctx.tmpdir("peyvand-bench-instance-")
    prefix = None
    if db == "pg":
        prefix = f"pb{uuid.uuid4().hex[:8]}_"
        url = _pg_url(ctx.pg_dsn()) + f"?schema_prefix={prefix}"
    else:
        url = f"sqlite:///{home}/control.sqlite3"
    settings = load_settings(home=home, database_url=url)
    kernel = Kernel(settings, only=list(plugins))
    kernel.ensure_tenant("default")
    for name in plugins:
        kernel.enable(name)
    tenant_db = kernel.storage.database_for("default")
    dataset = ctx.dataset()
    ctx.log(f"loading {ctx.rows:,} contacts into a {db} instance")
    with kernel.storage.bound("default"):
        Team.insert_many([(f"team {i}",) for i in range(1, 201)], fields=[Team.name]).execute()
        admin = create_user("bench-admin", roles=("admin",))
        manager = create_user("bench-manager", roles=("manager",))
        manager_team = 7
        Membership.create(user=manager, team=manager_team, is_primary=True)
        admin_token = create_token(admin)
        manager_token = create_token(manager)
        _load_people(tenant_db, dataset, db, manager.id)
    kernel.bump_generation()
    app = create_app({"TESTING": False}, kernel=kernel)
    schema = kernel.storage.tenant_schema("default")
    raw = _raw_connection(kernel, db, schema)
    return Instance(kernel, app, admin_token, manager_token, manager_team, db, raw, schema,
                    ctx.rows)


def _pg_url(dsn: str) -> str:
    parts = dict(p.split("=", 1) for p in dsn.split())
    user = parts.get("user", "postgres")
    return (f"postgresql://{user}@{parts.get('host', '127.0.0.1')}:{parts.get('port', 5432)}/"
            f"{parts.get('dbname', 'test')}")


def _source_rows(dataset, manager_id):
    import sqlite3

    con = sqlite3.connect(f"file:{dataset}?mode=ro", uri=True)
    try:
        # Owners 1..50 in the data set become users 100..149; every 50th contact belongs to
        # the bench manager so their "own" records exist too.
        cursor = con.execute(
            "SELECT first_name, last_name, email, phone, owner_id, team_id, created_at "
            "FROM contacts ORDER BY id")
        for i, (first, last, email, phone, owner, team, created) in enumerate(cursor):
            owner_id = manager_id if i % 50 == 0 else 99 + owner
            yield (first, last, email, phone, owner_id, team, created, created, 1, "lead",
                   False, False)
    finally:
        con.close()


def _load_people(tenant_db, dataset, db, manager_id):
    columns = ", ".join(PERSON_COLUMNS)
    if db == "pg":
        conn = tenant_db.connection()
        with conn.cursor() as cur:
            with cur.copy(f"COPY contacts_person ({columns}) FROM STDIN") as copy:
                for row in _source_rows(dataset, manager_id):
                    copy.write_row(row)
        conn.commit()
        tenant_db.execute_sql("ANALYZE contacts_person")
        return
    marks = ", ".join("?" for _ in PERSON_COLUMNS)
    with tenant_db.atomic():
        tenant_db.cursor().executemany(
            f"INSERT INTO contacts_person ({columns}) VALUES ({marks})",
            _source_rows(dataset, manager_id))
    tenant_db.execute_sql("ANALYZE")


def _raw_connection(kernel, db, schema):
    if db == "pg":
        import psycopg

        params = kernel.storage.pg_params
        conn = psycopg.connect(host=params["host"], port=params["port"], user=params.get("user"),
                               dbname=params["database"], options=f"-c search_path={schema}")
        conn.autocommit = True
        return conn
    import sqlite3

    return sqlite3.connect(str(kernel.storage.tenant_path("default")), check_same_thread=False)


def drop(instance: Instance) -> None:
    """Remove a PostgreSQL instance's schemas (SQLite folders go with the context's tmpdirs)."""
    if instance.db != "pg":
        instance.close()
        return
    prefix = instance.schema.split("t_default")[0]
    cur = instance.raw.cursor()
    cur.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (prefix + "%",))
    names = [r[0] for r in cur.fetchall()]
    instance.kernel.storage.close()
    for name in names:
        cur.execute(f'DROP SCHEMA "{name}" CASCADE')
    instance.raw.close()
