"""Admin endpoints for custom fields: list, add, remove — live at once, no restart."""

from __future__ import annotations

from dataclasses import asdict

from flask import current_app, g, jsonify, request

from ..custom_fields import CustomFieldError, add_field, definitions, remove_field
from ..records import InvalidRecord, RecordNotFound
from . import blueprint
from .access import _require_admin


def _kernel():
    return current_app.extensions["peyvand"]


def _describe(d) -> dict:
    out = asdict(d)
    out["choices"] = list(d.choices)
    out["key"] = d.key
    return out


@blueprint.get("/custom-fields")
def custom_fields_list():
    _require_admin()
    return jsonify({"data": [_describe(d) for d in definitions(request.args.get("entity"))]})


@blueprint.post("/custom-fields")
def custom_fields_add():
    """``{"entity", "name", "type", "label": {"en", "fa"}, "choices", "link", "required"}``."""
    _require_admin()
    body = request.get_json(silent=True) or {}
    label = body.get("label") or {}
    kernel = _kernel()
    db = kernel.storage.database_for(g.tenant)
    try:
        with db.atomic():
            field = add_field(kernel.entities(g.tenant), str(body.get("entity", "")),
                              str(body.get("name", "")), str(body.get("type", "")),
                              label_en=label.get("en"), label_fa=label.get("fa"),
                              choices=body.get("choices") or (), link_entity=body.get("link"),
                              required=bool(body.get("required")))
    except CustomFieldError as exc:
        raise InvalidRecord({"_schema": [str(exc)]}) from None
    kernel.bump_generation()
    return jsonify(_describe(field)), 201


@blueprint.delete("/custom-fields/<entity>/<name>")
def custom_fields_remove(entity, name):
    _require_admin()
    kernel = _kernel()
    db = kernel.storage.database_for(g.tenant)
    try:
        with db.atomic():
            gone = remove_field(entity, name)
    except CustomFieldError as exc:
        raise RecordNotFound(str(exc)) from None
    kernel.bump_generation()
    return jsonify({"removed": f"{entity}.cf_{name}", "values_deleted": gone})
