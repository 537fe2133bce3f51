"""The kernel's REST endpoints under ``/api/v1``."""

from flask import Blueprint, g, jsonify

blueprint = Blueprint("peyvand_api", __name__, url_prefix="/api/v1")


@blueprint.get("/plugins")
def list_plugins():
    """Every installed plugin: name, version, state for this tenant, capabilities, hooks, error."""
    from ..app import current_kernel

    return jsonify({"data": current_kernel().describe(g.tenant)})
