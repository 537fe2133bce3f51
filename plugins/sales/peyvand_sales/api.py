"""The plugin's own endpoints under ``/api/v1/sales`` (board, moves, conversion, inbox,
forecast…), beside the generic entity API the kernel gives every entity.

Every call carries an API token like the rest of the API (the private calendar feed, which
carries its own secret in the URL, is the one exception); the token's user acts, so the
kernel's permission engine, field rules and audit apply. Each request is one transaction.
Errors answer like the kernel's: 422 ``{"errors": {field: [message]}}``, 403, 404, 412.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from peyvand_sdk import (
    Forbidden,
    PeyvandError,
    Veto,
    current_kernel,
    current_tenant,
    tenant_db,
)


#: Endpoints reached without an API token (they check a secret of their own).
class Invalid(PeyvandError):
    """Input refused: ``errors`` is ``{field: [message]}`` (HTTP 422)."""

    def __init__(self, errors: dict):
        super().__init__("validation failed")
        self.errors = errors


def service(entity_id: str):
    """The kernel's record service for one of the tenant's entities (validation, permissions,
    hooks and audit included)."""
    return current_kernel().service(entity_id, current_tenant())


def body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Invalid({"_schema": ["send a JSON object with Content-Type: application/json"]})
    return data


def if_match() -> int | None:
    value = request.headers.get("If-Match")
    if value is None:
        return None
    try:
        return int(value.strip().removeprefix("W/").strip('"'))
    except ValueError:
        raise Invalid({"If-Match": ["send the ETag you received, e.g. \"3\""]}) from None


def int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Invalid({name: [f"a whole number from {low} to {high}"]}) from None
    if not low <= value <= high:
        raise Invalid({name: [f"a whole number from {low} to {high}"]})
    return value


def write(fn):
    """Run ``fn`` in one transaction of the tenant's database."""
    with tenant_db.atomic():
        return fn()


def with_etag(response, record):
    response.headers["ETag"] = f'"{record.version}"'
    return response


def blueprint() -> Blueprint:
    bp = Blueprint("sales_api", __name__, url_prefix="/api/v1/sales")

    @bp.errorhandler(PeyvandError)
    def peyvand_error(exc):
        if isinstance(exc, Forbidden):
            return jsonify({"error": "Forbidden", "message": str(exc)}), 403
        if isinstance(exc, Veto):
            return jsonify({"errors": {exc.field or "_schema": [str(exc)]}}), 422
        errors = getattr(exc, "errors", None)
        if isinstance(errors, dict):
            return jsonify({"errors": errors}), 422
        # The kernel's record services raise these (by name: plugins import only the SDK).
        status = {"RecordNotFound": 404, "StaleVersion": 412}.get(type(exc).__name__, 400)
        name = {404: "Not Found", 412: "Precondition Failed"}.get(status, type(exc).__name__)
        return jsonify({"error": name, "message": str(exc)}), status

    from . import (
        routes_activities,
        routes_assignment,
        routes_deals,
        routes_forecast,
        routes_forms,
        routes_leads,
        routes_reports,
    )

    for module in (routes_deals, routes_leads, routes_activities, routes_forecast,
                   routes_assignment, routes_forms, routes_reports):
        module.register(bp)
    return bp

