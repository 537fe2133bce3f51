"""Tag definitions: list (everyone), create, rename or recolour, delete (``peyvand.tags.manage``).

Records are tagged through their own ``tags`` field (see :mod:`peyvand.tags`)."""

from __future__ import annotations

from flask import current_app, g, jsonify, request

from .. import tags
from ..access import require_permission
from ..records import InvalidRecord
from . import blueprint


def _write(fn):
    db = current_app.extensions["peyvand"].storage.database_for(g.tenant)
    with db.atomic():
        return fn()


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidRecord({"_schema": ['send a JSON object: {"name": "...", "colour": '
                                         '"#rrggbb"}']})
    unknown = sorted(set(body) - {"name", "colour"})
    if unknown:
        raise InvalidRecord({k: ["unknown field; a tag has name and colour"] for k in unknown})
    return body


@blueprint.get("/tags")
def tags_list():
    """Every tag of the tenant, by name: ``{"data": [{"id", "name", "colour"}]}``."""
    return jsonify({"data": [tags.describe(t) for t in tags.all_tags()]})


@blueprint.post("/tags")
def tags_create():
    require_permission(tags.MANAGE)
    body = _body()

    def create():
        try:
            return tags.create_tag(body.get("name"), body.get("colour"))
        except tags.TagError as exc:
            raise InvalidRecord({exc.field: [str(exc)]}) from None

    tag = _write(create)
    response = jsonify(tags.describe(tag))
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/tags/{tag.id}"
    return response


@blueprint.patch("/tags/<int:tag_id>")
def tags_update(tag_id):
    require_permission(tags.MANAGE)
    body = _body()

    def update():
        tag = tags.get_tag(tag_id)
        try:
            return tags.update_tag(tag, name=body.get("name"), colour=body.get("colour"))
        except tags.TagError as exc:
            raise InvalidRecord({exc.field: [str(exc)]}) from None

    return jsonify(tags.describe(_write(update)))


@blueprint.delete("/tags/<int:tag_id>")
def tags_delete(tag_id):
    require_permission(tags.MANAGE)
    _write(lambda: tags.delete_tag(tags.get_tag(tag_id)))
    return "", 204
