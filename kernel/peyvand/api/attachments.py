"""Attachments on any record: upload, list, download, delete — checked like the record."""

from __future__ import annotations

from flask import current_app, g, jsonify, request, send_file

from .. import attachments, audit
from ..attachments import AttachmentError
from ..records import InvalidRecord, RecordNotFound
from . import _service, _write, blueprint


def _kernel():
    return current_app.extensions["peyvand"]


def _record(plugin, plural, record_id, action):
    service = _service(plugin, plural)
    return service, service.get(record_id, action=action)  # 404 outside the actor's scope


@blueprint.get("/<plugin>/<plural>/<int:record_id>/attachments")
def attachments_list(plugin, plural, record_id):
    service, record = _record(plugin, plural, record_id, "read")
    return jsonify({"data": [attachments.describe(a)
                             for a in attachments.for_record(service.entity.id, record.id)]})


@blueprint.post("/<plugin>/<plural>/<int:record_id>/attachments")
def attachments_upload(plugin, plural, record_id):
    """multipart/form-data with a ``file`` part; needs the update right on the record."""
    service, record = _record(plugin, plural, record_id, "update")
    upload = request.files.get("file")
    if upload is None:
        raise InvalidRecord({"file": ["send the file as multipart/form-data field 'file'"]})
    kernel = _kernel()
    folder = kernel.storage.files_dir(g.tenant)

    def store():
        try:
            saved = attachments.save(folder, service.entity.id, record.id, upload.filename,
                                     upload.stream,
                                     max_bytes=kernel.settings.max_upload_mb * 1024 * 1024,
                                     user_id=g.actor.id)
        except AttachmentError as exc:
            raise InvalidRecord({"file": [str(exc)]}) from None
        audit.record(service.entity.id, record.id, "attach",
                     {"attachment": (None, saved.filename)}, via="api", user_id=g.actor.id,
                     user_name=g.actor.name)
        return saved

    saved = _write(store)
    return jsonify(attachments.describe(saved)), 201


@blueprint.get("/<plugin>/<plural>/<int:record_id>/attachments/<int:attachment_id>")
def attachments_download(plugin, plural, record_id, attachment_id):
    service, record = _record(plugin, plural, record_id, "read")
    found = attachments.get(service.entity.id, record.id, attachment_id)
    if found is None:
        raise RecordNotFound(f"attachment {attachment_id} does not exist")
    path = _kernel().storage.files_dir(g.tenant) / "attachments" / found.path
    response = send_file(path, mimetype=found.content_type, as_attachment=True,
                         download_name=found.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blueprint.delete("/<plugin>/<plural>/<int:record_id>/attachments/<int:attachment_id>")
def attachments_delete(plugin, plural, record_id, attachment_id):
    service, record = _record(plugin, plural, record_id, "update")
    found = attachments.get(service.entity.id, record.id, attachment_id)
    if found is None:
        raise RecordNotFound(f"attachment {attachment_id} does not exist")
    folder = _kernel().storage.files_dir(g.tenant)

    def drop():
        audit.record(service.entity.id, record.id, "detach",
                     {"attachment": (found.filename, None)}, via="api", user_id=g.actor.id,
                     user_name=g.actor.name)
        attachments.remove(folder, [found])

    _write(drop)
    return "", 204
