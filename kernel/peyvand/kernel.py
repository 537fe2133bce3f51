"""The kernel: installed plugins, their per-tenant states, and hook calls filtered by tenant.

States per tenant: ``installed`` (present in the environment, never enabled) → ``enabled``
(migrations applied, hooks active, routes live) ⇄ ``disabled`` (hooks silent, routes 404, data
kept) → ``purged`` (tables dropped, explicitly). ``failed`` is shown for a plugin this process
could not load, whatever its stored state.
"""

from __future__ import annotations

import graphlib
import importlib
import threading
from collections.abc import Iterable

import peewee
import pluggy

from . import signals
from .config import Settings, load_settings
from .errors import PluginError
from .migrate import PluginMigrations, history_table
from .plugins import PluginLoader, PluginRecord, new_plugin_manager
from .storage import Storage, check_tenant_name, control_models, utcnow

DEFAULT_TENANT = "default"
_ACTIVE: list = []


def active_kernel() -> Kernel:
    """The kernel this process created last: what code outside a request or a command (a
    worker's task) works with."""
    if not _ACTIVE:
        raise RuntimeError("no Peyvand kernel exists in this process yet")
    return _ACTIVE[-1]
KERNEL_PLUGIN = "peyvand"
STATES = ("installed", "enabled", "disabled", "purged", "failed")


class Kernel:
    """Everything one process knows about plugins and tenants.

    :param settings: instance settings; read from the environment when omitted.
    :param only: an allow-list of entry-point plugin names to load (tests); ``None`` loads all.
    :param extra_plugins: ``(name, module_or_object[, version])`` tuples registered as if they
        were installed (throwaway plugins in tests).
    """

    def __init__(self, settings: Settings | None = None, *, only: Iterable[str] | None = None,
                 extra_plugins: Iterable[tuple] = ()):
        self.settings = settings or load_settings()
        self.storage = Storage(self.settings)
        self._lock = threading.RLock()
        loader = PluginLoader(strict=self.settings.strict_plugins)

        from . import builtin  # the kernel's own behaviour, registered as a plugin

        records = [loader.from_object(KERNEL_PLUGIN, builtin, _kernel_version(), internal=True)]
        records += loader.discover(set(only) if only is not None else None)
        for extra in extra_plugins:
            records.append(loader.from_object(*extra))
        names = [r.name for r in records]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise PluginError(f"two plugins are installed under the name(s) {sorted(duplicates)}")
        for record in records:
            loader.validate(record)
        self.pm = new_plugin_manager()
        loader.add_published_hookspecs(self.pm, records)
        self._published_specs = [r.manifest.hookspecs for r in records
                                 if r.loaded and r.manifest.hookspecs]
        for record in records:
            loader.register(self.pm, record)
        self.records: dict[str, PluginRecord] = {r.name: r for r in records}
        self.order = self._dependency_order()
        for name in self.order:
            record = self.records[name]
            if record.loaded and "setup_plugin" in record.hooks:
                try:
                    self.call_plugin(name, "setup_plugin", settings=self.settings)
                except Exception as exc:
                    self.pm.unregister(record.module)
                    loader._fail(record, exc)

        self.Tenant, self.PluginState, self.Generation = control_models(self.storage.control)
        with self.storage.control.connection_context():
            self.storage.control.create_tables([self.Tenant, self.PluginState, self.Generation])
            self.Generation.insert(id=1, value=0).on_conflict_ignore().execute()
        self._generation = None
        _ACTIVE[:] = [self]
        self._states: dict[str, dict[str, str]] = {}
        self._enabled: dict[str, frozenset[str]] = {}
        self._pms: dict[frozenset, pluggy.PluginManager] = {}
        self._caches: dict[str, object] = {}

    # -- the dependency graph ------------------------------------------------------------------
    def _dependency_order(self) -> list[str]:
        sorter = graphlib.TopologicalSorter()
        for name, record in sorted(self.records.items()):
            deps = [d for d in (record.manifest.requires if record.loaded else {})
                    if d in self.records]
            sorter.add(name, *sorted(deps))
        try:
            return list(sorter.static_order())
        except graphlib.CycleError as exc:
            cycle = exc.args[1]
            for name in set(cycle):
                record = self.records[name]
                record.error = f"dependency cycle: {' -> '.join(cycle)}"
                if self.pm.is_registered(record.module):
                    self.pm.unregister(record.module)
            return [n for n in self.records if n not in cycle]

    def dependents(self, name: str, among: Iterable[str]) -> list[str]:
        """Plugins in ``among`` that require ``name``, directly or through others."""
        among = set(among)
        found, frontier = set(), {name}
        while frontier:
            nxt = {p for p in among - found
                   if self.records[p].loaded
                   and frontier & set(self.records[p].manifest.requires)}
            found |= nxt
            frontier = nxt
        return [n for n in self.order if n in found]

    # -- states --------------------------------------------------------------------------------
    def ensure_tenant(self, tenant: str = DEFAULT_TENANT) -> None:
        """Create the tenant (row, database) if needed and bring the kernel's tables up to date."""
        check_tenant_name(tenant)
        with self.storage.control.connection_context():
            self.Tenant.insert(name=tenant).on_conflict_ignore().execute()
        if self._migrate(KERNEL_PLUGIN, tenant):
            from .identity import ensure_builtin_roles

            with self.storage.bound(tenant):
                ensure_builtin_roles()

    def tenants(self) -> list[str]:
        with self.storage.control.connection_context():
            return [t.name for t in self.Tenant.select().order_by(self.Tenant.name)]

    def refresh(self) -> None:
        """Drop in-memory state if another process changed it (one cheap query)."""
        # Raw SQL: this runs on every request, and peewee would rebuild the statement each time.
        value = self.storage.control.execute_sql(
            'SELECT "value" FROM "peyvand_generation" WHERE "id" = 1').fetchone()[0]
        if value != self._generation:
            with self._lock:
                self._states.clear()
                self._enabled.clear()
                self._caches.clear()
                self._generation = value

    def bump_generation(self) -> None:
        """Tell every process that cached state (plugins, custom fields, roles) changed."""
        self.Generation.update(value=self.Generation.value + 1).where(
            self.Generation.id == 1).execute()
        self.refresh()

    def cache(self, key: str, build):
        """A per-process cache entry, dropped whenever the generation moves."""
        try:
            return self._caches[key]
        except KeyError:
            value = self._caches[key] = build()
            return value

    def stored_states(self, tenant: str) -> dict[str, str]:
        states = self._states.get(tenant)
        if states is None:
            rows = self.PluginState.select().where(self.PluginState.tenant == tenant)
            states = {row.plugin: row.state for row in rows}
            self._states[tenant] = states
        return states

    def state(self, name: str, tenant: str = DEFAULT_TENANT) -> str:
        record = self._record(name)
        if not record.loaded:
            return "failed"
        if record.internal:
            return "enabled"
        return self.stored_states(tenant).get(name, "installed")

    def enabled(self, tenant: str = DEFAULT_TENANT) -> frozenset[str]:
        """Names of the plugins enabled for ``tenant`` (the kernel's own included); cached."""
        try:
            return self._enabled[tenant]
        except KeyError:
            stored = self.stored_states(tenant)
            names = frozenset(n for n, r in self.records.items()
                              if r.loaded and (r.internal or stored.get(n) == "enabled"))
            self._enabled[tenant] = names
            return names

    def _record(self, name: str) -> PluginRecord:
        try:
            return self.records[name]
        except KeyError:
            installed = ", ".join(n for n in self.order if not self.records[n].internal)
            raise PluginError(
                f"no plugin named {name!r} is installed (installed: {installed or 'none'})"
            ) from None

    def _set_state(self, name: str, tenant: str, state: str) -> None:
        record = self.records[name]
        (self.PluginState.insert(tenant=tenant, plugin=name, state=state, version=record.version,
                                 updated_at=utcnow())
         .on_conflict(conflict_target=[self.PluginState.tenant, self.PluginState.plugin],
                      update={self.PluginState.state: state,
                              self.PluginState.version: record.version,
                              self.PluginState.updated_at: utcnow()})
         .execute())
        self.bump_generation()

    # -- hooks, filtered per tenant ------------------------------------------------------------
    def hooks(self, tenant: str = DEFAULT_TENANT):
        """The hook relay for ``tenant``: only plugins enabled there are called.

        One plugin manager is built per distinct enabled set and cached, so a call costs what
        a plain pluggy call costs (pluggy's ``subset_hook_caller`` would re-filter every call).
        """
        enabled = self.enabled(tenant)
        pm = self._pms.get(enabled)
        if pm is None:
            with self._lock:
                pm = self._pms.get(enabled)
                if pm is None:
                    pm = new_plugin_manager()
                    for spec in self._published_specs:
                        pm.add_hookspecs(importlib.import_module(spec))
                    for name in self.order:
                        if name in enabled:
                            pm.register(self.records[name].module, name=name)
                    self._pms[enabled] = pm
        return pm.hook

    def call_plugin(self, name: str, hook: str, **kwargs):
        """Call one plugin's implementation of ``hook``; ``None`` if it has none."""
        module = self.records[name].module
        caller = getattr(self.pm.hook, hook)
        for impl in caller.get_hookimpls():
            if impl.plugin is module:
                return impl.function(*[kwargs[arg] for arg in impl.argnames])
        return None

    def collect(self, hook: str, names: Iterable[str] | None = None, **kwargs):
        """``[(plugin, item), ...]`` from a ``register_*`` hook, in dependency order."""
        names = set(self.order if names is None else names)
        out = []
        for name in self.order:
            if name in names and self.records[name].loaded and hook in self.records[name].hooks:
                for item in self.call_plugin(name, hook, **kwargs) or []:
                    out.append((name, item))
        return out

    # -- entities ------------------------------------------------------------------------------
    def entities(self, tenant: str = DEFAULT_TENANT) -> dict:
        """``{entity id: Entity}`` for the plugins enabled for ``tenant``."""
        enabled = self.enabled(tenant)

        def build():
            out = {}
            for plugin, entity in self.collect("register_entities", enabled):
                entity.plugin = plugin
                out[entity.id] = entity
            return out

        return self.cache(f"entities:{tenant}", build)

    def service(self, entity_id: str, tenant: str = DEFAULT_TENANT):
        """The :class:`peyvand.records.EntityService` for ``entity_id``, or ``None``."""
        from .records import EntityService

        entity = self.entities(tenant).get(entity_id)
        if entity is None:
            return None
        def build():
            from .custom_fields import definitions

            with self.storage.bound(tenant):
                custom = definitions(entity_id)
            return EntityService(entity, self.hooks(tenant), custom)

        return self.cache(f"service:{tenant}:{entity_id}", build)

    # -- identity and permissions ----------------------------------------------------------------
    def policy(self, tenant: str = DEFAULT_TENANT):
        """The tenant's :class:`peyvand.permissions.Policy` (grants, rules, teams), cached."""
        from .permissions import Policy

        return self.cache(f"policy:{tenant}", lambda: Policy(self, tenant))

    def actor_for(self, user, tenant: str = DEFAULT_TENANT, via: str = "api", roles=None):
        """An :class:`peyvand.access.Actor` for ``user`` (roles narrowed to ``roles``)."""
        from .access import Actor
        from .identity import user_roles, user_teams

        policy = self.policy(tenant)
        mine = set(user_roles(user))
        if roles is not None:
            mine &= set(roles)
        teams, primary = user_teams(user)
        return Actor(id=user.id, name=user.name, via=via, roles=frozenset(mine),
                     teams=policy.expand_teams(teams), primary_team=primary,
                     superuser=user.is_superuser, policy=policy)

    def authenticate(self, raw_token: str, tenant: str = DEFAULT_TENANT):
        """The actor behind an API token, or ``None`` if it is unknown, expired or revoked.

        Verified tokens are cached until the generation moves (revoking a token or disabling a
        user moves it), so a request costs one SHA-256 and a dict lookup.
        """
        import hashlib
        import json

        from .identity import Token, User, parse_token

        parsed = parse_token(raw_token)
        if parsed is None:
            return None
        token_id, secret = parsed
        digest = hashlib.sha256(secret.encode()).hexdigest()

        def load():
            row = (Token.select(Token, User).join(User)
                   .where((Token.id == token_id) & (Token.secret_hash == digest)).first())
            if row is None or row.revoked_at is not None or not row.user.is_active:
                return None
            roles = json.loads(row.roles) if row.roles else None
            return (self.actor_for(row.user, tenant, "api", roles), row.expires_at)

        hit = self.cache(f"token:{tenant}:{token_id}:{digest}", load)
        if hit is None:
            return None
        actor, expires = hit
        if expires is not None and expires <= utcnow():
            return None
        return actor

    def seed_permissions(self, tenant: str) -> None:
        from .permissions import seed_defaults

        with self.storage.bound(tenant):
            if seed_defaults(self, tenant):
                self.bump_generation()

    # -- tables a plugin owns ------------------------------------------------------------------
    def plugin_models(self, name: str) -> list[type[peewee.Model]]:
        models = [e.model for _, e in self.collect("register_entities", [name])]
        models += [m for _, m in self.collect("register_models", [name])]
        return models

    def check_tables(self, name: str, tenant: str) -> None:
        """Refuse tables without the plugin's prefix, and clashes with other enabled plugins."""
        problems = []
        mine: dict[str, type[peewee.Model]] = {}
        for model in self.plugin_models(name):
            table = model._meta.table_name
            if table in mine and mine[table] is not model:
                problems.append(f"table {table!r} is declared twice")
            mine[table] = model
            if not table.startswith(f"{name}_"):
                problems.append(f"table {table!r} of model {model.__name__} must start with "
                                f"'{name}_'")
        for other in sorted(self.enabled(tenant) - {name}):
            for model in self.plugin_models(other):
                if model._meta.table_name in mine:
                    problems.append(f"table {model._meta.table_name!r} is already used by "
                                    f"plugin {other!r}")
        if problems:
            raise PluginError(f"cannot enable {name!r}: " + "; ".join(problems))

    # -- migrations ----------------------------------------------------------------------------
    def migrations(self, name: str, tenant: str) -> PluginMigrations:
        db = self.storage.database_for(tenant)
        return PluginMigrations(name, self.records[name].migrations_dir(), db,
                                self.storage.tenant_schema(tenant))

    def _migrate(self, name: str, tenant: str) -> list[str]:
        with self.storage.bound(tenant):
            return self.migrations(name, tenant).upgrade()

    def upgrade(self, tenant: str = DEFAULT_TENANT) -> dict[str, list[str]]:
        """Apply pending migrations of the kernel and every enabled plugin, in dependency order."""
        self.ensure_tenant(tenant)
        done = {}
        enabled = self.enabled(tenant)
        for name in self.order:
            if name in enabled and name != KERNEL_PLUGIN:
                steps = self._migrate(name, tenant)
                if steps:
                    done[name] = steps
                stored = (self.PluginState.select(self.PluginState.version)
                          .where((self.PluginState.tenant == tenant)
                                 & (self.PluginState.plugin == name)).scalar())
                if stored != self.records[name].version:
                    self._set_state(name, tenant, "enabled")  # records the new version
        self.seed_permissions(tenant)
        return done

    def pending_migrations(self, tenant: str = DEFAULT_TENANT) -> dict[str, list[str]]:
        pending = {}
        with self.storage.bound(tenant):
            for name in self.order:
                if name in self.enabled(tenant):
                    steps = self.migrations(name, tenant).pending()
                    if steps:
                        pending[name] = steps
        return pending

    # -- lifecycle -----------------------------------------------------------------------------
    def enable(self, name: str, tenant: str = DEFAULT_TENANT) -> bool:
        """Enable ``name`` for ``tenant``; ``False`` if it already was. Never enables others."""
        record = self._record(name)
        self.ensure_tenant(tenant)
        self.refresh()
        if not record.loaded:
            raise PluginError(f"cannot enable {name!r}: it failed to load ({record.error})")
        if record.internal or self.state(name, tenant) == "enabled":
            return False
        enabled = self.enabled(tenant)
        problems = []
        for dep, spec in sorted(record.manifest.requires.items()):
            wanted = f"{dep} {spec}".strip()
            dep_record = self.records.get(dep)
            if dep_record is None:
                problems.append(f"it requires plugin {wanted!r}, which is not installed "
                                f"(pip install the distribution that provides it)")
            elif not dep_record.loaded:
                problems.append(f"it requires plugin {dep!r}, which failed to load "
                                f"({dep_record.error})")
            elif dep_record.version not in record.manifest.requirement(dep):
                problems.append(f"it requires {wanted!r} but {dep} {dep_record.version} is "
                                "installed")
            elif dep not in enabled:
                problems.append(f"it requires plugin {dep!r}, which is not enabled for tenant "
                                f"{tenant!r} (run `peyvand plugins enable {dep}` first)")
        for capability in record.manifest.requires_capability:
            providers = [n for n in enabled if self.records[n].loaded
                         and capability in self.records[n].manifest.provides]
            if not providers:
                offer = [n for n, r in self.records.items()
                         if r.loaded and capability in r.manifest.provides]
                problems.append(f"it requires capability {capability!r}, which no enabled plugin "
                                "provides" + (f" (enable one of: {', '.join(offer)})"
                                              if offer else ""))
        if problems:
            raise PluginError(f"cannot enable {name!r} for tenant {tenant!r}: "
                              + "; ".join(problems))
        self.check_tables(name, tenant)
        self._migrate(name, tenant)
        db = self.storage.database_for(tenant)
        with self.storage.bound(tenant), db.atomic():
            self.call_plugin(name, "tenant_enabled", tenant=tenant)
        self._set_state(name, tenant, "enabled")
        self.seed_permissions(tenant)
        signals.plugin_enabled.send(name, tenant=tenant)
        return True

    def disable(self, name: str, tenant: str = DEFAULT_TENANT, cascade: bool = False
                ) -> list[str]:
        """Disable ``name`` (and, with ``cascade``, the plugins that need it). Data is kept.

        Returns the plugins disabled, dependents first.
        """
        record = self._record(name)
        self.refresh()
        if record.internal:
            raise PluginError(f"{name!r} is the kernel itself and cannot be disabled")
        if self.state(name, tenant) != "enabled":
            return []
        dependents = self.dependents(name, self.enabled(tenant))
        if dependents and not cascade:
            raise PluginError(
                f"cannot disable {name!r} for tenant {tenant!r}: enabled plugins depend on it: "
                f"{', '.join(dependents)}. Disable them first, or pass --cascade to disable them "
                "too")
        done = []
        for victim in [*reversed(dependents), name]:
            with self.storage.bound(tenant):
                self.call_plugin(victim, "tenant_disabled", tenant=tenant)
            self._set_state(victim, tenant, "disabled")
            signals.plugin_disabled.send(victim, tenant=tenant)
            done.append(victim)
        return done

    def purge_plan(self, name: str, tenant: str = DEFAULT_TENANT) -> list[tuple[str, int]]:
        """``[(table, rows), ...]`` that purging ``name`` would drop for ``tenant``."""
        record = self._record(name)
        if record.internal:
            raise PluginError(f"{name!r} is the kernel itself and cannot be purged")
        if not record.loaded:
            raise PluginError(f"cannot purge {name!r}: it failed to load ({record.error}); its "
                              "tables cannot be listed until it loads")
        db = self.storage.database_for(tenant)
        # Dependency order (referenced tables first), so dropping in reverse never breaks a
        # foreign key.
        tables = [m._meta.table_name for m in peewee.sort_models(self.plugin_models(name))]
        tables.append(history_table(name))
        existing = set(db.get_tables())
        plan = []
        for table in dict.fromkeys(tables):
            if table in existing:
                count = db.execute_sql(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
                plan.append((table, count))
        return plan

    def purge(self, name: str, tenant: str = DEFAULT_TENANT) -> list[tuple[str, int]]:
        """Drop the plugin's tables for ``tenant``; it must be disabled first."""
        self.refresh()
        state = self.state(name, tenant)
        if state == "enabled":
            raise PluginError(f"cannot purge {name!r}: it is enabled for tenant {tenant!r}; "
                              f"run `peyvand plugins disable {name}` first")
        holding = [d for d in self.dependents(name, self.records)
                   if self.state(d, tenant) in ("enabled", "disabled")]
        if holding:
            raise PluginError(f"cannot purge {name!r}: plugins that depend on it still keep data "
                              f"for tenant {tenant!r}: {', '.join(holding)}. Purge them first")
        plan = self.purge_plan(name, tenant)
        db = self.storage.database_for(tenant)
        with db.atomic():
            for table, _ in reversed(plan):
                db.execute_sql(f'DROP TABLE "{table}"')
        self._set_state(name, tenant, "purged")
        signals.plugin_purged.send(name, tenant=tenant, tables=[t for t, _ in plan])
        return plan

    # -- reporting -----------------------------------------------------------------------------
    def describe(self, tenant: str = DEFAULT_TENANT, lang: str = "en") -> list[dict]:
        """What ``plugins list`` and ``GET /api/v1/plugins`` show, one dict per plugin."""
        out = []
        for name in sorted(self.records):
            record = self.records[name]
            if record.internal:
                continue
            manifest = record.manifest
            out.append({
                "name": name,
                "version": record.version,
                "distribution": record.distribution,
                "state": self.state(name, tenant),
                "label": dict(manifest.label) if manifest else {},
                "description": dict(manifest.description) if manifest else {},
                "requires": dict(manifest.requires) if manifest else {},
                "provides": list(manifest.provides) if manifest else [],
                "requires_capability": list(manifest.requires_capability) if manifest else [],
                "hooks": record.hooks,
                "error": record.error,
            })
        return out


def _kernel_version() -> str:
    from . import __version__
    return __version__
