"""The kernel's REST endpoints under ``/api/v1``.

Every entity a enabled plugin declares gets list/get/create/update/delete/restore at
``/api/v1/<plugin>/<plural>[/<id>]``. Each request is one transaction: on any error nothing it
wrote remains.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request
from werkzeug.exceptions import NotFound

from .. import audit, openapi
from ..access import bind
from ..audit import IdempotencyKey
from ..permissions import Forbidden
from ..records import InvalidRecord, RecordNotFound, StaleVersion

blueprint = Blueprint("peyvand_api", __name__, url_prefix="/api/v1")

LIST_PARAMS = {"limit", "cursor", "sort", "fields", "total", "trash"}
MAX_LIMIT = 500


def _kernel():
    return current_app.extensions["peyvand"]


def _service(plugin: str, plural: str):
    kernel = _kernel()
    for entity in kernel.entities(g.tenant).values():
        if entity.plugin == plugin and entity.plural == plural:
            return kernel.service(entity.id, g.tenant)
    raise NotFound(f"no entity at /api/v1/{plugin}/{plural}")


def _with_etag(response, record):
    response.headers["ETag"] = f'"{record.version}"'
    return response


def _if_match():
    value = request.headers.get("If-Match")
    if value is None:
        return None
    try:
        return int(value.strip().removeprefix("W/").strip('"'))
    except ValueError:
        raise InvalidRecord({"If-Match": ["send the ETag you received, e.g. \"3\""]}) from None


def _json_body():
    data = request.get_json(silent=True)
    if data is None:
        raise InvalidRecord({"_schema": ["send a JSON object with Content-Type: "
                                         "application/json"]})
    return data


def authenticate():
    """Every call under ``/api/v1/`` — the kernel's and every plugin's — carries
    ``Authorization: Bearer <token>``; the token's user acts. Registered on the app, so a
    plugin's API blueprint is protected without doing anything."""
    if not request.path.startswith("/api/v1/") or request.endpoint == "peyvand_api.login_token":
        return None
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "peyvand_public", False):
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    actor = None
    if scheme.lower() == "bearer" and raw.strip():
        actor = _kernel().authenticate(raw.strip(), g.tenant)
    if actor is None:
        response = jsonify({
            "error": "Unauthorized",
            "message": "send a valid API token as `Authorization: Bearer <token>`; create one "
                       "with `peyvand tokens create USER` (tokens expire and can be revoked)"})
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="peyvand"'
        return response
    g.actor = actor
    g._peyvand_actor = bind(actor)
    if actor.superuser:
        # The superuser bypass is explicit, and every use of it is recorded.
        audit.record("peyvand.superuser", 0, "bypass",
                     {"request": (None, f"{request.method} {request.full_path}")},
                     via="api", user_id=actor.id, user_name=actor.name)


@blueprint.errorhandler(Forbidden)
def forbidden(exc: Forbidden):
    return jsonify({"error": "Forbidden", "message": str(exc)}), 403


def _in_language(errors):
    """Validation messages in the language the client asks for with ``Accept-Language``
    (Persian or English; English when it asks for neither)."""
    if request.accept_languages.best_match(("en", "fa")) != "fa":
        return errors
    from ..web.i18n import translate_error

    previous = getattr(g, "lang", None)
    g.lang = "fa"
    try:
        return _translate(errors, translate_error)
    finally:
        g.lang = previous


def _translate(value, translate):
    if isinstance(value, dict):
        return {k: _translate(v, translate) for k, v in value.items()}
    if isinstance(value, list):
        return [_translate(v, translate) for v in value]
    return translate(value) if isinstance(value, str) else value


@blueprint.errorhandler(InvalidRecord)
def invalid(exc: InvalidRecord):
    return jsonify({"errors": _in_language(exc.errors)}), 422


@blueprint.errorhandler(RecordNotFound)
def not_found(exc: RecordNotFound):
    return jsonify({"error": "Not Found", "message": str(exc)}), 404


@blueprint.errorhandler(StaleVersion)
def stale(exc: StaleVersion):
    return jsonify({"error": "Precondition Failed", "message": str(exc)}), 412


@blueprint.get("/plugins")
def list_plugins():
    """Every installed plugin: name, version, state for this tenant, capabilities, hooks, error."""
    return jsonify({"data": _kernel().describe(g.tenant)})


@blueprint.get("/<plugin>/<plural>")
def list_records(plugin, plural):
    service = _service(plugin, plural)
    args = request.args
    try:
        limit = min(max(int(args.get("limit", 50)), 1), MAX_LIMIT)
    except ValueError:
        raise InvalidRecord({"limit": [f"a whole number from 1 to {MAX_LIMIT}"]}) from None
    filters = {k: v for k, v in args.items() if k not in LIST_PARAMS}
    if "tag" in args:  # ?tag=A&tag=B: records carrying every one of them
        filters["tag"] = args.getlist("tag")
    fields = [f for f in args.get("fields", "").split(",") if f] or None
    page = service.list(filters=filters, sort=args.get("sort"), limit=limit,
                        cursor=args.get("cursor"), fields=fields,
                        with_total=args.get("total") in ("1", "true"),
                        trash=args.get("trash") in ("1", "true"))
    body = {"data": page.rows, "next_cursor": page.next_cursor}
    if page.total is not None:
        body["total"] = page.total
    return jsonify(body)


@blueprint.get("/<plugin>/<plural>/export")
def export_records(plugin, plural):
    """The filtered list as ``?format=csv|xlsx`` (needs the export right; audited)."""
    from ..exporting import FORMATS, export

    service = _service(plugin, plural)
    fmt = request.args.get("format", "csv")
    if fmt not in FORMATS:
        raise InvalidRecord({"format": [f"one of {', '.join(FORMATS)}"]})
    filters = {k: v for k, v in request.args.items() if k not in LIST_PARAMS | {"format"}}
    if "tag" in request.args:
        filters["tag"] = request.args.getlist("tag")
    data, _ = _write(lambda: export(service, filters, fmt, sort=request.args.get("sort")))
    mimetype = ("text/csv" if fmt == "csv" else
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response = current_app.response_class(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{plugin}-{plural}.{fmt}"'
    return response


@blueprint.get("/<plugin>/<plural>/<int:record_id>")
def get_record(plugin, plural, record_id):
    service = _service(plugin, plural)
    record = service.get(record_id)
    return _with_etag(jsonify(service.to_dict(record)), record)


def _write(fn):
    """Run ``fn`` in one transaction of the tenant's database."""
    db = _kernel().storage.database_for(g.tenant)
    with db.atomic():
        return fn()


@blueprint.post("/<plugin>/<plural>")
def create_record(plugin, plural):
    service = _service(plugin, plural)
    data = _json_body()
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 0 < len(key) <= 200:
        raise InvalidRecord({"Idempotency-Key": ["use 1 to 200 characters, e.g. a UUID"]})

    def create():
        if key:
            earlier = (IdempotencyKey.select(IdempotencyKey.record_id)
                       .where((IdempotencyKey.entity == service.entity.id)
                              & (IdempotencyKey.key == key)).scalar())
            if earlier is not None:
                return service.get(earlier, include_trash=True), 200
        record = service.create(data, via="api")
        if key:
            IdempotencyKey.create(key=key, entity=service.entity.id, record_id=record.id)
        return record, 201

    record, status = _write(create)
    response = jsonify(service.to_dict(record))
    response.status_code = status
    response.headers["Location"] = f"/api/v1/{plugin}/{plural}/{record.id}"
    return _with_etag(response, record)


@blueprint.patch("/<plugin>/<plural>/<int:record_id>")
def update_record(plugin, plural, record_id):
    service = _service(plugin, plural)
    data = _json_body()
    if_match = _if_match()
    record = _write(lambda: service.update(record_id, data, if_match=if_match, via="api"))
    return _with_etag(jsonify(service.to_dict(record)), record)


@blueprint.delete("/<plugin>/<plural>/<int:record_id>")
def delete_record(plugin, plural, record_id):
    service = _service(plugin, plural)
    _write(lambda: service.delete(record_id, via="api"))
    return "", 204


@blueprint.post("/<plugin>/<plural>/<int:record_id>/restore")
def restore_record(plugin, plural, record_id):
    service = _service(plugin, plural)
    keep = _kernel().settings.trash_days
    record = _write(lambda: service.restore(record_id, keep_days=keep, via="api"))
    return _with_etag(jsonify(service.to_dict(record)), record)


@blueprint.get("/search")
def search():
    """Hits from every enabled plugin's ``search`` hook, best first."""
    query = request.args.get("q", "").strip()
    try:
        limit = min(max(int(request.args.get("limit", 20)), 1), 100)
    except ValueError:
        raise InvalidRecord({"limit": ["a whole number from 1 to 100"]}) from None
    if not query:
        raise InvalidRecord({"q": ["type something to search for"]})
    hits = [hit for hits in _kernel().hooks(g.tenant).search(query=query, limit=limit)
            for hit in hits or []]
    hits.sort(key=lambda h: (-h["score"], h["entity"], h["id"]))
    return jsonify({"data": hits[:limit]})


@blueprint.get("/audit")
def audit_trail():
    entity_id = request.args.get("entity", "")
    if entity_id not in _kernel().entities(g.tenant):
        raise InvalidRecord({"entity": [f"unknown entity {entity_id!r}"]})
    try:
        record_id = int(request.args.get("id", ""))
    except ValueError:
        raise InvalidRecord({"id": ["a record id is required"]}) from None
    return jsonify({"data": audit.history(entity_id, record_id)})




@blueprint.get("/openapi.json")
def openapi_document():
    """The OpenAPI 3.1 description of this tenant's API: kernel routes, enabled entities and
    the enabled plugins' own routes. A plugin whose description is refused (a path outside its
    prefix, or one already described) is a server fault, named in the answer."""
    from ..errors import PluginError

    try:
        return jsonify(openapi.document(_kernel(), g.tenant))
    except PluginError as exc:
        return jsonify({"error": "Internal Server Error", "message": str(exc)}), 500


# Route modules register on the blueprint above.
from . import access, attachments, custom_fields, settings  # noqa: E402,F401,I001
from . import background  # noqa: E402,F401,I001
from . import tags  # noqa: E402,F401,I001
