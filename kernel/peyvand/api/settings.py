"""Tenant settings over the API: everyone reads, admins change."""

from __future__ import annotations

from flask import current_app, g, jsonify, request

from ..records import InvalidRecord, RecordNotFound
from ..settings_store import SettingError, declared, set_setting, values
from . import blueprint
from .access import _require_admin


def _kernel():
    return current_app.extensions["peyvand"]


@blueprint.get("/settings")
def settings_list():
    kernel = _kernel()
    current = values(kernel, g.tenant)
    return jsonify({"data": [
        {"key": key, "type": s.type, "value": current[key], "default": s.default,
         "label": dict(s.label), "description": dict(s.description),
         "choices": list(s.choices), "plugin": s.plugin}
        for key, s in declared(kernel, g.tenant).items()]})


@blueprint.put("/settings/<key>")
def settings_set(key):
    """``{"value": ...}``; 422 naming what the value must be."""
    _require_admin()
    kernel = _kernel()
    if key not in declared(kernel, g.tenant):
        raise RecordNotFound(f"no enabled plugin declares the setting {key!r}")
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or "value" not in body:
        raise InvalidRecord({"value": ["send {\"value\": ...}"]})
    db = kernel.storage.database_for(g.tenant)
    try:
        with db.atomic():
            value = set_setting(kernel, g.tenant, key, body["value"], user_id=g.actor.id,
                                user_name=g.actor.name)
    except SettingError as exc:
        raise InvalidRecord({"value": [str(exc)]}) from None
    kernel.bump_generation()
    return jsonify({"key": key, "value": value})
