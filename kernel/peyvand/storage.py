"""Database binding: one control database, and one database per tenant.

The control database lists tenants and each tenant's plugin states. Each tenant's records live
in their own SQLite file (``<instance>/tenants/<tenant>.sqlite3``) or their own PostgreSQL
schema (``<prefix>t_<tenant>``), so one business's data never shares a table with another's.

Plugin models bind to :data:`tenant_db`, a proxy that resolves to the database of the tenant
bound in the current context (a request, a CLI command, a job)::

    with kernel.storage.bound("default"):
        Person.select()...
"""

from __future__ import annotations

import contextvars
import datetime
import re
import threading
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import peewee
from peewee import DatabaseProxy

from .config import Settings
from .errors import PeyvandError

TENANT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
SQLITE_PRAGMAS = (
    ("journal_mode", "wal"),
    ("foreign_keys", 1),
    ("synchronous", "normal"),
    ("busy_timeout", 10000),
    ("cache_size", -32000),
)

_current_db: contextvars.ContextVar[peewee.Database | None] = contextvars.ContextVar(
    "peyvand_tenant_db", default=None)
_current_tenant: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "peyvand_tenant", default=None)


class NoTenantBound(PeyvandError):
    pass


class TenantDatabase(DatabaseProxy):
    """A peewee database proxy that follows the tenant bound in the current context."""

    # peewee's Proxy only accepts attributes named in the class's own __slots__.
    __slots__ = ("obj", "_callbacks", "_Model")

    def __getattr__(self, attr):
        db = _current_db.get()
        if db is None:
            raise NoTenantBound(
                "no tenant database is bound here; wrap the code in "
                "`with kernel.storage.bound(tenant):` (requests and CLI commands do this)")
        return getattr(db, attr)

    def __enter__(self):
        return self.__getattr__("__enter__")()

    def __exit__(self, *exc):
        return self.__getattr__("__exit__")(*exc)


#: Bind every plugin model here (``peyvand_sdk.Model`` does).
tenant_db = TenantDatabase()


def current_tenant() -> str | None:
    """The tenant bound in this context, or ``None``."""
    return _current_tenant.get()


def current_database() -> peewee.Database | None:
    return _current_db.get()


def check_tenant_name(name: str) -> str:
    if not TENANT_NAME.match(name or ""):
        raise PeyvandError(
            f"tenant name {name!r} is not valid: use 1-40 lower-case letters, digits or '_', "
            "starting with a letter")
    return name


class Storage:
    """Opens and caches the control database and the tenants' databases."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.url = settings.database_url
        self.is_postgres = settings.is_postgres
        self._lock = threading.Lock()
        self._tenant_dbs: dict[str, peewee.Database] = {}
        if self.is_postgres:
            parsed = urlparse(self.url)
            query = parse_qs(parsed.query)
            self.schema_prefix = (query.pop("schema_prefix", ["peyvand_"])[0])
            self._pg_params = {
                "database": (parsed.path or "/").lstrip("/") or "postgres",
                "user": parsed.username, "password": parsed.password,
                "host": parsed.hostname or "127.0.0.1", "port": parsed.port or 5432,
            }
            self.control_schema = f"{self.schema_prefix}control"
            self.control = self._postgres(self.control_schema)
        else:
            path = self.url.removeprefix("sqlite:///")
            if path in ("", ":memory:"):
                raise PeyvandError("PEYVAND_DATABASE_URL must name a SQLite file, not memory")
            self.control_path = Path(path)
            self.control_path.parent.mkdir(parents=True, exist_ok=True)
            self.control_schema = None
            self.control = self._sqlite(self.control_path)

    # -- opening -----------------------------------------------------------------------------
    def _sqlite(self, path: Path) -> peewee.SqliteDatabase:
        path.parent.mkdir(parents=True, exist_ok=True)
        # BEGIN IMMEDIATE: a write transaction takes the write lock when it starts, so two
        # writers queue on busy_timeout instead of one failing with "database is locked" when
        # it upgrades a read to a write after the other committed.
        return peewee.SqliteDatabase(str(path), pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE",
                                     check_same_thread=False)

    def _postgres(self, schema: str) -> peewee.PostgresqlDatabase:
        params = {k: v for k, v in self._pg_params.items() if v is not None}
        database = params.pop("database")
        # Custom plans always: psycopg prepares a statement after five runs, and PostgreSQL
        # then switches to a generic plan that cannot see the parameters' values. Our data is
        # skewed (a pipeline's 10,000 open deals among 1M): the generic plan of a keyset page
        # (`pipeline_id = $1 AND stage = $2 … ORDER BY id DESC LIMIT 21`) walked the primary
        # key through every deal, 96 ms instead of 1.3 ms. Planning each run costs ~0.1 ms.
        db = peewee.PostgresqlDatabase(
            database, options=f"-c search_path={schema} -c plan_cache_mode=force_custom_plan",
            **params)
        try:
            with db.connection_context():
                db.execute_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        except peewee.OperationalError as exc:
            raise PeyvandError(
                f"cannot reach PostgreSQL at {self._pg_params['host']}:{self._pg_params['port']} "
                f"({exc}). Start it (on Debian: `pg_ctlcluster --skip-systemctl-redirect 15 main "
                "start`) or point PEYVAND_DATABASE_URL elsewhere.") from None
        return db

    def tenant_schema(self, tenant: str) -> str | None:
        return f"{self.schema_prefix}t_{tenant}" if self.is_postgres else None

    def tenant_path(self, tenant: str) -> Path | None:
        if self.is_postgres:
            return None
        return self.control_path.parent / "tenants" / f"{tenant}.sqlite3"

    def files_dir(self, tenant: str) -> Path:
        """Where the tenant's files (attachments) live: ``PEYVAND_FILES_DIR`` or
        ``<instance>/files``, then the tenant's name."""
        base = self.settings.files_dir or (self.settings.home / "files")
        return base / check_tenant_name(tenant)

    def database_for(self, tenant: str) -> peewee.Database:
        db = self._tenant_dbs.get(tenant)
        if db is None:
            check_tenant_name(tenant)
            with self._lock:
                db = self._tenant_dbs.get(tenant)
                if db is None:
                    if self.is_postgres:
                        db = self._postgres(self.tenant_schema(tenant))
                    else:
                        db = self._sqlite(self.tenant_path(tenant))
                    self._tenant_dbs[tenant] = db
        return db

    @contextmanager
    def bound(self, tenant: str):
        """Bind ``tenant``'s database to :data:`tenant_db` for the duration of the block."""
        db = self.database_for(tenant)
        token_db = _current_db.set(db)
        token_tenant = _current_tenant.set(tenant)
        try:
            yield db
        finally:
            _current_db.reset(token_db)
            _current_tenant.reset(token_tenant)

    @property
    def pg_params(self) -> dict:
        """Connection parameters of the PostgreSQL server (host, port, user, password,
        database), without the unset ones; for tools such as ``pg_dump``."""
        return {k: v for k, v in self._pg_params.items() if v is not None}

    def forget_tenant(self, tenant: str) -> None:
        """Close and drop this process's connection to ``tenant`` (its file is being replaced)."""
        db = self._tenant_dbs.pop(tenant, None)
        if db is not None and not db.is_closed():
            db.close()

    def close(self) -> None:
        for db in [self.control, *self._tenant_dbs.values()]:
            if not db.is_closed():
                db.close()


# -- control database models ----------------------------------------------------------------

def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def control_models(db: peewee.Database):
    """The control database's tables, bound to ``db``."""

    class Base(peewee.Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Tenant(Base):
        name = peewee.CharField(primary_key=True, max_length=40)
        created_at = peewee.DateTimeField(default=utcnow)

        class Meta:
            table_name = "peyvand_tenant"

    class PluginState(Base):
        tenant = peewee.CharField(max_length=40)
        plugin = peewee.CharField(max_length=100)
        state = peewee.CharField(max_length=16)
        version = peewee.CharField(max_length=64, null=True)
        updated_at = peewee.DateTimeField(default=utcnow)

        class Meta:
            table_name = "peyvand_plugin_state"
            indexes = ((("tenant", "plugin"), True),)

    class Generation(Base):
        """A counter bumped on every change that in-memory caches depend on.

        Every process compares it once per request, so a change made through one web worker
        is seen by the next request in any other.
        """
        id = peewee.IntegerField(primary_key=True)
        value = peewee.BigIntegerField(default=0)

        class Meta:
            table_name = "peyvand_generation"

    return Tenant, PluginState, Generation
