"""The permission engine: one evaluation of grants, scopes and field rules for every path.

A permission key is ``<plugin>.<entity>.<action>`` (plus plugin-specific actions such as
``finance.invoice.approve``). A grant is role × key × scope, scope being ``none``, ``own``
(records the user owns), ``team`` (records of the user's teams and their sub-teams, or owned by
the user) or ``all``. A user's access is the union of their roles. Field rules per role and
entity field are ``hidden``, ``read`` or ``edit`` (the default).

Everything needed to decide is loaded once per tenant into a :class:`Policy` and cached until
the kernel's generation moves (any change to roles, grants, rules, users or plugins).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import peewee

from .errors import PeyvandError

ACTIONS = ("read", "create", "update", "delete", "export", "import", "print")
SCOPES = ("none", "own", "team", "all")
RANK = {scope: i for i, scope in enumerate(SCOPES)}
RULES = ("hidden", "read", "edit")

#: Default grants of the built-in roles for every entity's standard actions; a plugin can
#: override them per entity (``Entity.default_grants``) or declare extra keys.
DEFAULT_GRANTS: dict[str, dict[str, str]] = {
    "admin": dict.fromkeys(ACTIONS, "all"),
    "manager": dict.fromkeys(ACTIONS, "team"),
    "salesperson": {"read": "own", "create": "own", "update": "own", "delete": "own",
                    "print": "own"},
    "accountant": {"read": "all", "print": "all"},
    "support": {"read": "all", "update": "own", "print": "all"},
    "readonly": {"read": "all"},
}


class Forbidden(PeyvandError):
    """The actor's roles do not allow the action at all (HTTP 403)."""


@dataclass(frozen=True)
class Permission:
    """A permission key a plugin declares, with default scopes for the built-in roles."""

    key: str
    label: Mapping[str, str] = field(default_factory=dict)
    defaults: Mapping[str, str] = field(default_factory=dict)


def declared_permissions(kernel, tenant: str) -> dict[str, Permission]:
    """Every permission key of the plugins enabled for ``tenant``, with defaults."""
    out: dict[str, Permission] = {}
    for entity in kernel.entities(tenant).values():
        overrides = entity.default_grants or {}
        for action in ACTIONS:
            defaults = {role: grants[action] for role, grants in DEFAULT_GRANTS.items()
                        if action in grants}
            for role, grants in overrides.items():
                if action in grants:
                    defaults[role] = grants[action]
            key = f"{entity.id}.{action}"
            out[key] = Permission(key, {"en": f"{action} {entity.label.get('en', entity.id)}"},
                                  defaults)
    for plugin, permission in kernel.collect("register_permissions", kernel.enabled(tenant)):
        if not permission.key.startswith(f"{plugin}."):
            raise PeyvandError(f"plugin {plugin!r} declares permission {permission.key!r}; "
                               f"its keys must start with '{plugin}.'")
        out[permission.key] = permission
    return out


def seed_defaults(kernel, tenant: str) -> int:
    """Give the built-in roles their default grants for keys they have no grant for yet."""
    from .identity import Grant, Role, ensure_builtin_roles

    ensure_builtin_roles()
    roles = {r.key: r.id for r in Role.select().where(Role.builtin)}
    existing = set(Grant.select(Grant.role, Grant.permission).tuples())
    rows = []
    for key, permission in declared_permissions(kernel, tenant).items():
        for role, scope in permission.defaults.items():
            if role in roles and (roles[role], key) not in existing:
                rows.append((roles[role], key, scope))
    if rows:
        Grant.insert_many(rows, fields=[Grant.role, Grant.permission, Grant.scope]).execute()
    return len(rows)


class Policy:
    """Grants, field rules, team tree and entity models of one tenant, read once."""

    def __init__(self, kernel, tenant: str):
        from .identity import FieldRule, Grant, Role, team_tree
        from .related import related_for

        self.models = {eid: e.model for eid, e in kernel.entities(tenant).items()}
        # Related fields that share a schema field's rule ({"phones": "phone"}).
        self.follows = {eid: {name: base for rel in related_for(e)
                              for name, base in rel.follows.items()}
                        for eid, e in kernel.entities(tenant).items()}
        self.grants: dict[str, dict[str, str]] = {}
        for role, key, scope in (Grant.select(Role.key, Grant.permission, Grant.scope)
                                 .join(Role).tuples()):
            self.grants.setdefault(role, {})[key] = scope
        self.rules: dict[str, dict[str, dict[str, str]]] = {}
        for role, entity, fname, rule in (FieldRule.select(Role.key, FieldRule.entity,
                                                           FieldRule.field, FieldRule.rule)
                                          .join(Role).tuples()):
            self.rules.setdefault(role, {}).setdefault(entity, {})[fname] = rule
        self.tree = team_tree()
        self._scope_cache: dict[tuple, tuple[str, str | None]] = {}
        self._field_cache: dict[tuple, tuple[frozenset, frozenset]] = {}

    def expand_teams(self, team_ids) -> frozenset[int]:
        out = set()
        for team_id in team_ids:
            out |= self.tree.get(team_id, {team_id})
        return frozenset(out)

    def decide(self, roles: frozenset[str], key: str) -> tuple[str, str | None]:
        """``(scope, deciding role)``: the widest scope any of ``roles`` grants for ``key``."""
        cache_key = (roles, key)
        hit = self._scope_cache.get(cache_key)
        if hit is None:
            best, by = "none", None
            for role in sorted(roles):
                scope = self.grants.get(role, {}).get(key, "none")
                if RANK[scope] > RANK[best]:
                    best, by = scope, role
            hit = self._scope_cache[cache_key] = (best, by)
        return hit

    def fields(self, roles: frozenset[str], entity_id: str) -> tuple[frozenset, frozenset]:
        """``(hidden, read_only)`` field names of ``entity_id`` for ``roles`` (union of roles:
        the most permissive rule wins; a field without a rule is editable)."""
        cache_key = (roles, entity_id)
        hit = self._field_cache.get(cache_key)
        if hit is None:
            per_role = [self.rules.get(role, {}).get(entity_id, {}) for role in roles]
            names = set().union(*per_role) if per_role else set()
            # A role without a rule for a field leaves it editable: the widest rule wins.
            best = {name: max(RULES.index(rules.get(name, "edit")) for rules in per_role)
                    for name in names}
            hidden = {n for n, r in best.items() if r == 0}
            read_only = {n for n, r in best.items() if r == 1}
            for name, base in self.follows.get(entity_id, {}).items():
                if base in hidden:
                    hidden.add(name)
                elif base in read_only and name not in hidden:
                    read_only.add(name)
            hidden, read_only = frozenset(hidden), frozenset(read_only)
            hit = self._field_cache[cache_key] = (hidden, read_only)
        return hit


def scope_of(actor, entity_id: str, action: str) -> str:
    if actor.superuser:
        return "all"
    return actor.policy.decide(actor.roles, f"{entity_id}.{action}")[0]


def scope_clause(actor, entity_id: str, action: str):
    """The SQL condition limiting ``entity_id`` rows to what ``actor`` may ``action``;
    ``True`` for no limit."""
    scope = scope_of(actor, entity_id, action)
    if scope == "all":
        return True
    model = actor.policy.models[entity_id]
    if scope == "team" and actor.teams:
        return model.team_id.in_(sorted(actor.teams)) | (model.owner_id == actor.id)
    if scope in ("team", "own"):
        return model.owner_id == actor.id
    return peewee.SQL("1 = 0")


def allows_record(actor, entity_id: str, action: str, record) -> bool:
    scope = scope_of(actor, entity_id, action)
    if scope == "all":
        return True
    if scope == "none":
        return False
    if record.owner_id == actor.id:
        return True
    return scope == "team" and record.team_id in actor.teams


def explain(kernel, tenant: str, user, action: str, entity_id: str, record=None) -> dict:
    """Why ``user`` may or may not ``action`` ``entity_id`` (and a given record)."""
    from .identity import user_roles, user_teams

    policy = kernel.policy(tenant)
    roles = frozenset(user_roles(user))
    key = f"{entity_id}.{action}"
    if not user.is_active:
        return {"allowed": False, "reason": f"user {user.name!r} is disabled", "grant": None}
    if user.is_superuser:
        return {"allowed": True, "reason": f"user {user.name!r} is a superuser (bypass, "
                "audited)", "grant": None}
    scope, role = policy.decide(roles, key)
    if scope == "none":
        return {"allowed": False, "grant": None,
                "reason": f"no role of {user.name!r} ({', '.join(sorted(roles)) or 'none'}) "
                          f"grants {key!r}; grant it to one of them"}
    grant = {"role": role, "permission": key, "scope": scope}
    if record is None:
        return {"allowed": True, "grant": grant,
                "reason": f"role {role!r} grants {key!r} with scope {scope!r}"}
    teams = policy.expand_teams(user_teams(user)[0])
    ok = (scope == "all" or record.owner_id == user.id
          or (scope == "team" and record.team_id in teams))
    where = {"all": "every record", "team": "records of the user's teams or owned by them",
             "own": "records the user owns"}[scope]
    verdict = "covers" if ok else "does not cover"
    return {"allowed": ok, "grant": grant,
            "reason": f"role {role!r} grants {key!r} on {where}, which {verdict} record "
                      f"{record.id} (owner {record.owner_id}, team {record.team_id})"}
