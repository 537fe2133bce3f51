"""Permission checks for the plugin's own endpoints, on the kernel's one engine.

Record scopes always go through :func:`peyvand_sdk.restrict` (or the kernel's entity
services); this module only answers "may the actor do this at all" for a permission key.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager

from peyvand_sdk import Forbidden, Permission, current_actor

#: Keys beyond the entities' standard actions.
PERMISSIONS = [
    Permission("sales.settings.manage",
               label={"en": "Edit sales lists, scoring and pipelines' settings",
                      "fa": "ویرایش فهرست‌ها و امتیازدهی فروش"},
               defaults={"admin": "all"}),
    Permission("sales.assignment.manage",
               label={"en": "Manage lead assignment rules",
                      "fa": "مدیریت قواعد تخصیص سرنخ"},
               defaults={"admin": "all"}),
    Permission("sales.form.manage",
               label={"en": "Manage lead capture forms", "fa": "مدیریت فرم‌های جذب سرنخ"},
               defaults={"admin": "all"}),
    Permission("sales.target.read",
               label={"en": "See sales targets", "fa": "مشاهده اهداف فروش"},
               defaults={"admin": "all", "manager": "team", "salesperson": "own",
                         "readonly": "all"}),
    Permission("sales.target.set",
               label={"en": "Set sales targets", "fa": "تعیین اهداف فروش"},
               defaults={"admin": "all", "manager": "team"}),
]

_system = contextvars.ContextVar("peyvand_sales_system_write", default=False)


def scope(key: str) -> str:
    """The actor's scope (``none``/``own``/``team``/``all``) for permission ``key``; ``all``
    for system work (no actor) and superusers."""
    actor = current_actor()
    if actor is None or actor.superuser:
        return "all"
    return actor.policy.decide(actor.roles, key)[0]


def require(key: str, doing: str) -> str:
    """The actor's scope for ``key``; :class:`Forbidden` (403) if it is ``none``."""
    found = scope(key)
    if found == "none":
        actor = current_actor()
        raise Forbidden(f"your roles ({', '.join(sorted(actor.roles)) or 'none'}) may not "
                        f"{doing} ({key}); an admin can grant it")
    return found


@contextmanager
def system_write():
    """Inside this block the plugin itself writes server-maintained fields (converting a
    lead), which clients may not set."""
    token = _system.set(True)
    try:
        yield
    finally:
        _system.reset(token)


def in_system_write() -> bool:
    return _system.get()
