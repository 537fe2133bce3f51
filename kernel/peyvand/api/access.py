"""Permission endpoints: explain a decision; read, export and import the role policy."""

from __future__ import annotations

from flask import current_app, g, jsonify, request

from ..identity import IdentityError, get_user
from ..permissions import Forbidden, explain
from ..records import InvalidRecord, RecordNotFound
from ..roles import export_policy, import_policy
from . import blueprint


def _kernel():
    return current_app.extensions["peyvand"]


def _require_admin():
    actor = g.actor
    if not (actor.superuser or "admin" in actor.roles):
        raise Forbidden("only administrators may read or change roles and grants")


@blueprint.get("/permissions/explain")
def permissions_explain():
    """``?user=U&action=A&entity=E[&id=I]`` → ``{"allowed", "reason", "grant"}``."""
    _require_admin()
    args = request.args
    missing = {k: ["required"] for k in ("user", "action", "entity") if not args.get(k)}
    if missing:
        raise InvalidRecord(missing)
    kernel = _kernel()
    try:
        user = get_user(args["user"])
    except IdentityError as exc:
        raise InvalidRecord({"user": [str(exc)]}) from None
    entity_id = args["entity"]
    if entity_id not in kernel.entities(g.tenant):
        raise InvalidRecord({"entity": [f"unknown entity {entity_id!r}"]})
    record = None
    if args.get("id"):
        model = kernel.entities(g.tenant)[entity_id].model
        record = model.get_or_none(model.id == int(args["id"]))
        if record is None:
            raise RecordNotFound(f"{entity_id} {args['id']} does not exist")
    return jsonify(explain(kernel, g.tenant, user, args["action"], entity_id, record))


@blueprint.get("/roles")
def roles_export():
    _require_admin()
    return jsonify(export_policy())


@blueprint.put("/roles")
def roles_import():
    _require_admin()
    document = request.get_json(silent=True)
    db = _kernel().storage.database_for(g.tenant)
    with db.atomic():
        result = import_policy(document, actor=g.actor)
    _kernel().bump_generation()
    return jsonify(result)



@blueprint.post("/auth/token")
def login_token():
    """Exchange a user name and password (and, for an account with two-factor login, its
    ``"code"``: a TOTP code or a recovery code) for an API token that expires in a day.

    Failures are slowed (a growing delay), then locked per account and per address; a wrong
    two-factor code counts as a failure.
    """
    import time

    from ..identity import address_failures, create_token
    from ..two_factor import authenticate

    body = request.get_json(silent=True) or {}
    missing = {k: ["required"] for k in ("name", "password") if not body.get(k)}
    if missing:
        raise InvalidRecord(missing)
    address = request.remote_addr or ""
    kernel = _kernel()
    db = kernel.storage.database_for(g.tenant)
    code = body.get("code")
    try:
        # Outside a transaction: the failure counters must stay written when this fails.
        user = authenticate(str(body["name"]), str(body["password"]),
                            str(code) if code else None, address, kernel.settings.home)
    except IdentityError as exc:
        time.sleep(min(0.1 * address_failures(address), 2.0))
        return jsonify({"error": "Unauthorized", "message": str(exc)}), 401
    with db.atomic():
        token = create_token(user, days=1, label="login")
    return jsonify({"token": token, "expires_in_days": 1})
