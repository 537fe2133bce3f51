"""pytest fixtures for Peyvand and its plugins (registered through the ``pytest11`` entry point).

Fixtures:

* ``peyvand_settings`` — settings for a fresh instance in a temporary folder. The database is
  SQLite unless ``PEYVAND_TEST_DATABASE_URL`` names a PostgreSQL server; then each test gets
  schemas of its own, dropped afterwards.
* ``peyvand_kernel_factory`` — ``make(plugins=None, extra_plugins=(), enable=True)`` builds a
  kernel that loads only ``plugins`` (entry-point names; ``None`` = all installed) plus throwaway
  ``extra_plugins`` (``(name, module_or_object[, version])``) and enables them for ``default``.
* ``peyvand_app_factory`` — the same arguments, returns a Flask app.
* ``peyvand_app`` / ``peyvand_client`` — an app and its test client with every installed plugin
  enabled; a test can narrow it with ``@pytest.mark.peyvand_plugins("contacts", ...)``.
* ``peyvand_cli`` — ``run(*args)`` invokes the ``peyvand`` CLI against the same instance.
* ``peyvand_login`` — ``login(role, team=None)`` creates a user with that role (and team) in the
  ``peyvand_app`` instance and returns a test client that calls the API as that user.

Test clients of apps made by these fixtures send an administrator's API token unless the
request sets its own ``Authorization`` header (``headers={"Authorization": ""}`` for none).
"""

from __future__ import annotations

import os
import uuid

import pytest

from peyvand.config import load_settings


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "peyvand_plugins(*names): the plugins the peyvand_app fixture loads")
    config.addinivalue_line(
        "markers", "postgres_only: the test checks PostgreSQL-specific behaviour")
    config.addinivalue_line(
        "markers", "sqlite_only: the test checks SQLite-specific behaviour")


def pytest_runtest_setup(item):
    on_pg = bool(os.environ.get("PEYVAND_TEST_DATABASE_URL"))
    if item.get_closest_marker("postgres_only") and not on_pg:
        pytest.skip("PostgreSQL-specific; runs in the PostgreSQL pass of the suite")
    if item.get_closest_marker("sqlite_only") and on_pg:
        pytest.skip("SQLite-specific; runs in the SQLite pass of the suite")


@pytest.fixture
def peyvand_settings(tmp_path, monkeypatch):
    home = tmp_path / "instance"
    monkeypatch.setenv("PEYVAND_HOME", str(home))
    url = os.environ.get("PEYVAND_TEST_DATABASE_URL")
    prefix = None
    if url:
        prefix = f"pt{uuid.uuid4().hex[:10]}_"
        url = f"{url}{'&' if '?' in url else '?'}schema_prefix={prefix}"
        monkeypatch.setenv("PEYVAND_DATABASE_URL", url)
    else:
        monkeypatch.delenv("PEYVAND_DATABASE_URL", raising=False)
    monkeypatch.setenv("PEYVAND_STRICT_PLUGINS", os.environ.get("PEYVAND_STRICT_PLUGINS", "1"))
    settings = load_settings()
    yield settings
    if prefix:
        _drop_schemas(settings.database_url, prefix)


#: The system catalogs every test's schemas churn (a tenant's tables, columns, indexes...).
CATALOGS = ("pg_attribute", "pg_class", "pg_depend", "pg_type", "pg_index", "pg_constraint",
            "pg_attrdef", "pg_trigger", "pg_sequence", "pg_namespace", "pg_init_privs")
#: Vacuum the catalogs after this many dropped test schemas.
VACUUM_EVERY = 25
_dropped = {"count": 0}


def vacuum_catalogs(conn, full: bool = False) -> None:
    """VACUUM the catalogs that creating and dropping schemas bloats.

    Each test builds its tenant's tables in schemas of its own and drops them: a suite run
    leaves millions of dead rows in ``pg_attribute``, ``pg_class``, ``pg_depend``… Without
    autovacuum (a server may run with it off, like the test machine) nothing reclaims them and
    every catalog lookup reads them: ``pg_class`` grew to 480 MB and the PostgreSQL suite took
    several times longer. ``full`` rewrites the catalogs (an exclusive lock for a few seconds);
    needs a superuser or the database's owner, otherwise PostgreSQL skips them with a warning.
    """
    names = ", ".join(f"pg_catalog.{name}" for name in CATALOGS)
    conn.execute(f"VACUUM {'FULL ' if full else ''}{names}")


def _drop_schemas(url: str, prefix: str) -> None:
    import psycopg

    base = url.split("?", 1)[0]
    with psycopg.connect(base, autocommit=True) as conn:
        rows = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
                            (prefix + "%",)).fetchall()
        for (name,) in rows:
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')
        _dropped["count"] += 1
        if _dropped["count"] % VACUUM_EVERY == 0:
            vacuum_catalogs(conn)


def pytest_sessionstart(session):
    """On PostgreSQL, start from compact catalogs: earlier runs on a server without autovacuum
    may have left them bloated (see :func:`vacuum_catalogs`)."""
    url = os.environ.get("PEYVAND_TEST_DATABASE_URL")
    if not url:
        return
    import psycopg

    try:
        with psycopg.connect(url.split("?", 1)[0], autocommit=True) as conn:
            size = conn.execute("SELECT pg_total_relation_size('pg_catalog.pg_attribute')"
                                ).fetchone()[0]
            if size > 64 * 1024 * 1024:
                vacuum_catalogs(conn, full=True)
    except psycopg.OperationalError:
        return   # the first test that needs the server fails with how to start it


@pytest.fixture
def peyvand_kernel_factory(peyvand_settings):
    from peyvand.kernel import Kernel

    made = []

    def make(plugins=None, extra_plugins=(), enable=True, tenant="default"):
        kernel = Kernel(peyvand_settings, only=plugins, extra_plugins=extra_plugins)
        made.append(kernel)
        kernel.ensure_tenant(tenant)
        if enable:
            for name in kernel.order:
                record = kernel.records[name]
                if record.loaded and not record.internal:
                    kernel.enable(name, tenant)
        return kernel

    yield make
    for kernel in made:
        kernel.storage.close()


def make_user_client(app, name, roles, teams=(), superuser=False):
    """A test client of ``app`` acting as a new user ``name`` with ``roles``."""
    from peyvand.identity import IdentityError, create_team, create_token, create_user, get_team

    kernel = app.extensions["peyvand"]
    with kernel.storage.bound(app.config["PEYVAND_TENANT"]):
        for team in teams:
            try:
                get_team(team)
            except IdentityError:
                create_team(team)
        user = create_user(name, roles=roles, teams=teams, superuser=superuser)
        token = create_token(user)
    kernel.bump_generation()
    client = app.test_client()
    client.peyvand_token = token
    client.peyvand_user = user
    return client


def _client_class():
    from flask.testing import FlaskClient

    class TokenClient(FlaskClient):
        """Sends ``self.peyvand_token`` unless a request sets ``Authorization`` itself."""

        peyvand_token: str | None = None

        def open(self, *args, **kwargs):
            headers = dict(kwargs.pop("headers", None) or {})
            if "Authorization" not in headers and self.peyvand_token:
                headers["Authorization"] = f"Bearer {self.peyvand_token}"
            if headers.get("Authorization") == "":
                del headers["Authorization"]
            return super().open(*args, headers=headers, **kwargs)

    return TokenClient


@pytest.fixture
def peyvand_app_factory(peyvand_kernel_factory):
    from peyvand.app import create_app
    from peyvand.identity import create_token, create_user

    def make(plugins=None, extra_plugins=(), enable=True, config=None):
        kernel = peyvand_kernel_factory(plugins, extra_plugins, enable)
        app = create_app({"TESTING": True, **(config or {})}, kernel=kernel)
        with kernel.storage.bound(app.config["PEYVAND_TENANT"]):
            admin = create_user("admin", roles=("admin",))
            token = create_token(admin)
        kernel.bump_generation()
        client_class = _client_class()
        client_class.peyvand_token = token
        app.test_client_class = client_class
        return app

    return make


@pytest.fixture
def peyvand_app(request, peyvand_app_factory):
    marker = request.node.get_closest_marker("peyvand_plugins")
    plugins = list(marker.args) if marker else None
    return peyvand_app_factory(plugins)


@pytest.fixture
def peyvand_client(peyvand_app):
    return peyvand_app.test_client()


@pytest.fixture
def peyvand_login(peyvand_app):
    made = []

    def login(role, team=None, name=None):
        name = name or f"{role}{len(made) + 1}"
        client = make_user_client(peyvand_app, name, (role,), (team,) if team else ())
        made.append(client)
        return client

    return login


@pytest.fixture
def peyvand_cli(peyvand_settings):
    from click.testing import CliRunner

    from peyvand.cli import main

    def run(*args, input=None):
        return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)

    return run
