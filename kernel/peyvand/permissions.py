"""Permission evaluation (grants × scopes). Filled in with the identity work of issue #5."""

from __future__ import annotations


def scope_clause(actor, entity_id: str, action: str):
    """The SQL condition limiting ``entity_id`` rows to what ``actor`` may ``action``.

    ``True`` means no limit. Until roles exist every bound actor is an administrator.
    """
    return True
