"""Events: what happened to the data, written to an outbox in the same transaction as the change.

Every create, update, delete and restore of a record writes one row to ``peyvand_outbox``
(``record-created``, ``record-updated``, ``record-deleted``, ``record-restored``) from the
kernel's ``after_record_save`` hook, which runs inside the write's transaction: the event exists
if and only if the change committed. Plugins emit their own declared events
(``register_events``) with :func:`emit_event`, in the transaction of whatever they are doing.

A relay in ``peyvand worker`` (:mod:`peyvand.jobs`) moves outbox rows to the jobs of their
handlers and webhook subscriptions. The envelope every consumer receives::

    {"id": "<uuid>", "type": "record-updated", "tenant": "default",
     "occurred_at": "2025-06-01T08:30:00.123456Z",
     "actor": {"id": 3, "name": "reza", "via": "api"} | null,
     "entity": "loyalty.account" | null,
     "data": {"entity": "loyalty.account", "id": 17, "changes": {"points": [10, 20]}}}
"""

from __future__ import annotations

import datetime
import decimal
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import peewee

from .access import current_actor
from .custom_fields import PREFIX as CUSTOM_PREFIX
from .entities import Model
from .errors import PeyvandError, PluginError
from .storage import current_database, current_tenant, utcnow

#: The record actions of ``after_record_save`` and the events they write.
RECORD_EVENTS = {
    "create": "record-created",
    "update": "record-updated",
    "delete": "record-deleted",
    "restore": "record-restored",
}
EVENT_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


class EventError(PeyvandError):
    pass


@dataclass(frozen=True)
class EventType:
    """An event a plugin emits, as it declares it in ``register_events``.

    :param name: kebab-case, unique across plugins (``"points-awarded"``).
    :param description: ``{"en": ..., "fa": ...}``: when it is emitted.
    :param entity: the entity id the event is about (``"loyalty.account"``), or ``None``. The
        payload then carries the record's ``"id"``, and a webhook delivers the event only to a
        subscription whose owner may read that record, without the fields hidden from them.
    :param payload: ``{key: meaning}`` of the payload, for the documentation.
    """

    name: str
    description: Mapping[str, str]
    entity: str | None = None
    payload: Mapping[str, str] = field(default_factory=dict)
    plugin: str | None = field(default=None, compare=False)


class Outbox(Model):
    id = peewee.BigAutoField()
    event_id = peewee.CharField(max_length=36, unique=True)
    name = peewee.CharField(max_length=100)
    entity = peewee.CharField(max_length=100, null=True)
    record_id = peewee.BigIntegerField(null=True)
    payload = peewee.TextField()
    created_at = peewee.DateTimeField()
    relayed_at = peewee.DateTimeField(null=True, index=True)

    class Meta:
        table_name = "peyvand_outbox"


# -- the registry ------------------------------------------------------------------------------

def event_types(kernel, tenant: str | None = None) -> dict[str, EventType]:
    """``{name: EventType}`` declared by the plugins enabled for ``tenant`` (every loaded
    plugin when ``tenant`` is ``None``), the kernel's record events included."""
    names = None if tenant is None else kernel.enabled(tenant)

    def build():
        out: dict[str, EventType] = {}
        for plugin, declared in kernel.collect("register_events", names):
            if not isinstance(declared, EventType):
                raise PluginError(f"plugin {plugin!r}: register_events must return EventType "
                                  f"objects, not {type(declared).__name__}")
            if not EVENT_NAME.match(declared.name):
                raise PluginError(f"plugin {plugin!r} declares event {declared.name!r}: use "
                                  "kebab-case, e.g. 'points-awarded'")
            if declared.name.startswith("record-") and not kernel.records[plugin].internal:
                raise PluginError(f"plugin {plugin!r} declares event {declared.name!r}: "
                                  "'record-*' events belong to the kernel")
            if declared.name in out:
                raise PluginError(f"event {declared.name!r} is declared by both "
                                  f"{out[declared.name].plugin!r} and {plugin!r}")
            out[declared.name] = replace(declared, plugin=plugin)
        return out

    return kernel.cache(f"events:{tenant or '*'}", build)


def kernel_event_types() -> list[EventType]:
    """The kernel's own declarations (``register_events`` of :mod:`peyvand.builtin`)."""
    changes = "{field: [old, new]} of the fields the write changed"
    return [
        EventType("record-created", {"en": "A record of any entity was created.",
                                     "fa": "رکوردی ساخته شد."},
                  payload={"entity": "entity id, e.g. loyalty.account", "id": "record id",
                           "changes": changes + " (old values are null)"}),
        EventType("record-updated", {"en": "A record was changed.",
                                     "fa": "رکوردی ویرایش شد."},
                  payload={"entity": "entity id", "id": "record id", "changes": changes}),
        EventType("record-deleted", {"en": "A record was moved to the trash.",
                                     "fa": "رکوردی به سطل بازیافت رفت."},
                  payload={"entity": "entity id", "id": "record id", "changes": "{}"}),
        EventType("record-restored", {"en": "A record was restored from the trash.",
                                      "fa": "رکوردی از سطل بازیافت برگشت."},
                  payload={"entity": "entity id", "id": "record id", "changes": "{}"}),
    ]


# -- writing events ----------------------------------------------------------------------------

def _plain(value):
    if isinstance(value, datetime.datetime):
        return value.isoformat() + ("Z" if value.tzinfo is None else "")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_plain)


def _actor() -> dict | None:
    actor = current_actor()
    if actor is None:
        return None
    return {"id": actor.id, "name": actor.name, "via": actor.via}


_INSERT = ('INSERT INTO "peyvand_outbox" ("event_id", "name", "entity", "record_id", '
           '"payload", "created_at") VALUES ({0}, {0}, {0}, {0}, {0}, {0})')


def _write(name: str, entity: str | None, record_id: int | None, data: dict) -> str:
    """Append one event to the outbox of the bound tenant, in the current transaction."""
    db = current_database()
    tenant = current_tenant()
    if db is None or tenant is None:
        raise EventError("events are written in a tenant's context; bind one with "
                         "`with kernel.storage.bound(tenant):`")
    event_id = str(uuid.uuid4())
    now = utcnow()
    envelope = {"id": event_id, "type": name, "tenant": tenant,
                "occurred_at": now.isoformat() + "Z", "actor": _actor(), "entity": entity,
                "data": data}
    try:
        body = dumps(envelope)
    except (TypeError, ValueError) as exc:
        raise EventError(f"event {name!r}: the payload is not JSON: {exc}") from None
    # Raw SQL: this runs on every write of every record, in the write's transaction.
    stamp = now.isoformat(" ") if isinstance(db, peewee.SqliteDatabase) else now
    db.execute_sql(_INSERT.format(db.param), (event_id, name, entity, record_id, body, stamp))
    return event_id


def record_event(entity, record, changes: dict, action: str) -> str | None:
    """The body of the kernel's ``after_record_save``: one ``record-*`` event per write."""
    name = RECORD_EVENTS.get(action)
    if name is None:
        return None
    from .related import related_fields

    public = _public_fields(entity.schema)
    related = related_fields(entity)
    data = {"entity": entity.id, "id": record.id,
            "changes": {k: [old, new] for k, (old, new) in changes.items()
                        if k in public or k in related or k.startswith(CUSTOM_PREFIX)}}
    return _write(name, entity.id, record.id, data)


_PUBLIC: dict[type, frozenset[str]] = {}


def _public_fields(schema: type) -> frozenset[str]:
    """The fields an entity shows through the API (its schema's and the record scope's), so
    server-internal columns (search indexes…) stay out of events."""
    fields = _PUBLIC.get(schema)
    if fields is None:
        declared = getattr(schema, "_declared_fields", None) or {}
        fields = _PUBLIC[schema] = frozenset(declared) | {"owner_id", "team_id"}
    return fields


def _kernel():
    from flask import current_app, has_app_context

    if has_app_context() and "peyvand" in current_app.extensions:
        return current_app.extensions["peyvand"]
    import click

    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        root = ctx.find_root()
        if hasattr(root.command, "_kernel"):
            return root.command._kernel(root)
    from .kernel import active_kernel

    return active_kernel()


def emit_event(name: str, payload: Mapping | None = None) -> str:
    """Write the plugin event ``name`` with ``payload`` (a JSON-able dict) to the outbox of the
    bound tenant, in the current transaction; return the event's id.

    The event must be declared (``register_events``) by a plugin enabled for the tenant; an
    event about an entity carries the record's ``"id"`` in its payload. Emit inside the
    transaction of the change the event reports, so one exists if and only if the other does.
    """
    tenant = current_tenant()
    if tenant is None:
        raise EventError("emit_event needs a tenant's context; bind one with "
                         "`with kernel.storage.bound(tenant):`")
    if name in RECORD_EVENTS.values():
        raise EventError(f"{name!r} events are written by the kernel for every record write")
    declared = event_types(_kernel(), tenant).get(name)
    if declared is None:
        raise EventError(f"no plugin enabled for tenant {tenant!r} declares event {name!r}; "
                         "declare it in the plugin's register_events hook")
    data = dict(payload or {})
    record_id = None
    if declared.entity is not None:
        record_id = data.get("id")
        if not isinstance(record_id, int) or isinstance(record_id, bool):
            raise EventError(f"event {name!r} is about {declared.entity}: its payload needs "
                             "the record's integer 'id'")
    return _write(name, declared.entity, record_id, data)


# -- documentation -----------------------------------------------------------------------------

def markdown(kernel, plugins: list[str]) -> str:
    """``docs/events.md``: every event type the kernel and ``plugins`` emit."""
    from .kernel import KERNEL_PLUGIN

    declared = event_types(kernel)
    lines = [
        "# Events",
        "",
        "Generated by `peyvand events docs` from the plugins' `register_events` declarations",
        "and entities; `tests/test_events_docs.py` fails when this file and the code disagree.",
        "",
        "Every event reaches handlers and webhooks as one JSON envelope:",
        "",
        "```json",
        '{"id": "<uuid, the de-duplication key>", "type": "record-updated", '
        '"tenant": "default",',
        ' "occurred_at": "2025-06-01T08:30:00.123456Z",',
        ' "actor": {"id": 3, "name": "reza", "via": "api"},',
        ' "entity": "loyalty.account",',
        ' "data": {"entity": "loyalty.account", "id": 17, "changes": {"points": [10, 20]}}}',
        "```",
        "",
        "`actor` is `null` for system work (jobs, migrations). `entity` is `null` for an event",
        "that is about no record.",
        "",
        "## Kernel: record events",
        "",
        "Written for every entity of every enabled plugin, in the transaction of the write.",
        "",
    ]
    lines += _table([e for e in declared.values() if e.plugin == KERNEL_PLUGIN])
    for plugin in plugins:
        entities = sorted(f"`{e.plugin}.{e.name}`" if e.plugin else f"`{plugin}.{e.name}`"
                          for _, e in kernel.collect("register_entities", [plugin]))
        own = [e for e in declared.values() if e.plugin == plugin]
        lines += ["", f"## {plugin}", ""]
        lines.append("Record events (`record-created`, `record-updated`, `record-deleted`, "
                     "`record-restored`) for: " + (", ".join(entities) or "no entity") + ".")
        lines.append("")
        if own:
            lines += _table(own)
        else:
            lines.append("Plugin events: none.")
    return "\n".join(lines) + "\n"


def _table(types: list[EventType]) -> list[str]:
    rows = ["| event | about | when | payload |", "|---|---|---|---|"]
    for e in sorted(types, key=lambda t: t.name):
        payload = "; ".join(f"`{k}`: {v}" for k, v in e.payload.items()) or "-"
        when = e.description.get("en", "")
        if e.description.get("fa"):
            when += f" ({e.description['fa']})"
        if e.entity:
            about = f"`{e.entity}`"
        else:
            about = "the written record" if e.name in RECORD_EVENTS.values() else "-"
        rows.append(f"| `{e.name}` | {about} | {when} | {payload} |")
    return rows
