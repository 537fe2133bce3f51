"""Who is acting, and what they may see: the one place every access path asks.

The web session, an API token, a CLI ``--as USER`` or a job binds an :class:`Actor` for the
duration of the work; :func:`restrict` turns the actor's grants into a SQL filter, so lists,
exports, search hits and timelines apply the same rules. With no actor bound the code is the
system itself (migrations, demo data, background maintenance) and sees everything.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass, field

_actor: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("peyvand_actor",
                                                                       default=None)


@dataclass(frozen=True)
class Actor:
    """The user a piece of work runs for, and through what (``web``, ``api``, ``cli``…)."""

    id: int | None
    name: str
    via: str = "api"
    roles: frozenset[str] = field(default_factory=frozenset)
    teams: frozenset[int] = field(default_factory=frozenset)
    primary_team: int | None = None
    superuser: bool = False
    policy: object = field(default=None, compare=False, repr=False)


def public(view):
    """Mark a plugin's view as open to anyone: an API view answers without a token (a feed
    with its own secret URL); a page outside ``/api/`` needs no login and its POSTs no CSRF
    token (a public form other sites post to). Everything else under ``/api/v1/`` requires
    ``Authorization: Bearer``, and every other POST a CSRF token. A public view checks what it
    accepts itself (rate limits, secrets) and acts as the system, not as whoever may be
    logged in."""
    view.peyvand_public = True
    return view


def current_actor() -> Actor | None:
    """The actor bound to this context, or ``None`` for system work."""
    return _actor.get()


@contextmanager
def acting_as(actor: Actor | None):
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


def bind(actor: Actor | None):
    """Bind ``actor`` without a ``with`` block; pass the result to :func:`unbind`."""
    return _actor.set(actor)


def unbind(token) -> None:
    _actor.reset(token)


def permission_scope(entity_id_or_key: str, action: str | None = None) -> str:
    """The acting user's scope (``none``, ``own``, ``team``, ``all``) for a permission key
    (``"finance.invoice.approve"``) or an entity and action (``"contacts.person", "export"``).
    System work (no actor bound) has ``all``."""
    actor = _actor.get()
    if actor is None or actor.superuser:
        return "all"
    key = f"{entity_id_or_key}.{action}" if action else entity_id_or_key
    return actor.policy.decide(actor.roles, key)[0]


def require_permission(entity_id_or_key: str, action: str | None = None) -> str:
    """Like :func:`permission_scope`, but raise :class:`peyvand.permissions.Forbidden` (HTTP
    403, a clean CLI error) when the scope is ``none``; returns the scope otherwise."""
    scope = permission_scope(entity_id_or_key, action)
    if scope == "none":
        from .permissions import Forbidden

        actor = _actor.get()
        key = f"{entity_id_or_key}.{action}" if action else entity_id_or_key
        raise Forbidden(f"{actor.name} ({', '.join(sorted(actor.roles)) or 'no roles'}) lacks "
                        f"the permission {key!r}; an admin can grant it")
    return scope


def hidden_fields(entity_id: str) -> frozenset[str]:
    """Fields of ``entity_id`` the acting user's roles hide: leave them out of anything you
    show (search hits, timeline items, reports)."""
    actor = _actor.get()
    if actor is None or actor.superuser:
        return frozenset()
    return actor.policy.fields(actor.roles, entity_id)[0]


def restrict(query, entity_id: str, action: str = "read"):
    """Limit a peewee ``query`` over ``entity_id``'s model to the records the actor may
    ``action``. Plugins call this on every query whose rows reach a user (search hits,
    timelines, report rows)."""
    actor = _actor.get()
    if actor is None:
        return query
    from .permissions import scope_clause

    clause = scope_clause(actor, entity_id, action)
    return query if clause is True else query.where(clause)


@contextmanager
def acting_for_user(user_id: int, *, roles=None, via: str = "job"):
    """Bind the user ``user_id`` of the bound tenant as the actor, for background work done on
    that user's behalf (an upload processed by a worker): the same grants, scopes and field
    rules as when they asked, with their roles narrowed to ``roles`` when the request's token
    narrowed them. Raises :class:`peyvand.errors.PeyvandError` when the user no longer exists
    or is disabled."""
    from .errors import PeyvandError
    from .identity import User
    from .kernel import active_kernel
    from .storage import current_tenant

    tenant = current_tenant()
    user = User.get_or_none(User.id == user_id)
    if user is None or not user.is_active:
        raise PeyvandError(f"user {user_id} no longer exists or is disabled; the work done "
                           "on their behalf cannot run")
    try:
        from flask import current_app, has_app_context

        kernel = current_app.extensions["peyvand"] if has_app_context() else active_kernel()
    except ImportError:  # pragma: no cover - Flask is a kernel dependency
        kernel = active_kernel()
    with acting_as(kernel.actor_for(user, tenant, via=via, roles=roles)) as actor:
        yield actor


@contextmanager
def cli_actor(kernel, tenant: str, as_user: str | None):
    """Bind the user a CLI command acts as: ``--as USER``, by default the first admin.

    The audit trail shows ``via: cli``. Fails clearly when the tenant has no such user (or no
    admin yet: create one with ``peyvand users create NAME --role admin``).
    """
    from .identity import Role, User, UserRole, get_user

    with kernel.storage.bound(tenant):
        if as_user:
            user = get_user(as_user)
        else:
            user = (User.select().join(UserRole).join(Role)
                    .where((Role.key == "admin") & User.is_active).order_by(User.id).first())
            if user is None:
                from .identity import IdentityError

                raise IdentityError(f"tenant {tenant!r} has no administrator to act as; create "
                                    "one with `peyvand users create NAME --role admin` or pass "
                                    "--as USER")
        if not user.is_active:
            from .identity import IdentityError

            raise IdentityError(f"user {user.name!r} is disabled")
        with acting_as(kernel.actor_for(user, tenant, via="cli")) as actor:
            yield actor
