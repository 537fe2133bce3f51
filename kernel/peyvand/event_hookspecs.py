"""Kernel hooks for events and background handlers.

They are published by the kernel's own plugin (``peyvand.builtin``), so every plugin may
implement them without ``optionalhook``. Implement them with ``peyvand_sdk.hookimpl``.
"""

from __future__ import annotations

from .hookspecs import hookspec


@hookspec
def register_events():
    """Declare the event types this plugin emits with :func:`peyvand_sdk.emit_event`.

    :return: a list of :class:`peyvand_sdk.EventType` (``name`` in kebab-case such as
        ``"points-awarded"``, unique across plugins; ``description`` in English and Persian;
        ``entity``, the entity id the event is about, whose payload then carries the record's
        ``"id"``; ``payload``, ``{key: meaning}`` for the documentation). ``emit_event``
        refuses a name no enabled plugin declares, and ``docs/events.md`` lists exactly these
        declarations (a test keeps them in step). ``record-*`` names belong to the kernel.
    """


@hookspec
def register_event_handlers():
    """Subscribe this plugin's tasks to events, to run in the background after the change
    that emitted the event committed.

    :return: a list of ``(event name, task name)`` pairs; the task is one of this plugin's
        ``register_tasks`` tasks, the event any declared event name (``"record-created"``,
        ``"points-awarded"``…) or ``"*"`` for all. The task's ``run(tenant, payload)`` receives the
        event (``{"id", "type", "tenant", "occurred_at", "actor", "entity", "data"}``). It runs
        at least once per event, in one transaction with the job's completion, so its own
        database writes happen exactly once; use ``payload["id"]`` (the event id) as the
        idempotency key of anything it does outside the database.
    """
