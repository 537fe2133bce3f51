"""Files attached to any record: stored under the tenant's files folder, checked on the way in
(size limit, allowed types, content that matches its name), and read only by those who may
read the record itself."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import peewee

from .entities import Model
from .errors import PeyvandError
from .storage import utcnow

#: extension -> (content type, leading bytes the file must start with, or None)
ALLOWED = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    "webp": ("image/webp", (b"RIFF",)),
    "txt": ("text/plain", None),
    "csv": ("text/csv", None),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             (b"PK\x03\x04",)),
    "odt": ("application/vnd.oasis.opendocument.text", (b"PK\x03\x04",)),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", (b"PK\x03\x04",)),
    "zip": ("application/zip", (b"PK\x03\x04",)),
    "eml": ("message/rfc822", None),
}


class AttachmentError(PeyvandError):
    pass


class Attachment(Model):
    id = peewee.AutoField()
    entity = peewee.CharField(max_length=100)
    record_id = peewee.IntegerField()
    filename = peewee.CharField(max_length=255)
    content_type = peewee.CharField(max_length=100)
    size = peewee.BigIntegerField()
    sha256 = peewee.CharField(max_length=64)
    path = peewee.CharField(max_length=255)
    uploaded_by = peewee.IntegerField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "peyvand_attachment"
        indexes = ((("entity", "record_id"), False),)


def describe(a: Attachment) -> dict:
    return {"id": a.id, "filename": a.filename, "content_type": a.content_type, "size": a.size,
            "sha256": a.sha256, "uploaded_by": a.uploaded_by,
            "created_at": a.created_at.isoformat() + "Z"}


def _safe_name(filename: str) -> str:
    name = os.path.basename((filename or "").replace("\\", "/")).strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*')
    return name[:200] or "file"


def save(folder: Path, entity_id: str, record_id: int, filename: str, stream, *,
         max_bytes: int, user_id: int | None) -> Attachment:
    """Check and store one upload; the file is written before the row, and removed again if
    anything fails, so a failed upload leaves neither."""
    name = _safe_name(filename)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED:
        raise AttachmentError(f"{name}: files of type .{extension or '?'} are not accepted; "
                              f"allowed: {', '.join(sorted(ALLOWED))}")
    content_type, signatures = ALLOWED[extension]
    relative = Path(uuid.uuid4().hex[:2]) / uuid.uuid4().hex
    target = folder / "attachments" / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size, head = hashlib.sha256(), 0, b""
    try:
        with open(target, "wb") as out:
            while chunk := stream.read(64 * 1024):
                if not head:
                    head = chunk[:16]
                size += len(chunk)
                if size > max_bytes:
                    raise AttachmentError(f"{name} is larger than the limit of "
                                          f"{max_bytes // (1024 * 1024)} MB")
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise AttachmentError(f"{name} is empty")
        if signatures and not any(head.startswith(sig) for sig in signatures):
            raise AttachmentError(f"{name} does not look like a .{extension} file; rename it to "
                                  "its real type")
        return Attachment.create(entity=entity_id, record_id=record_id, filename=name,
                                 content_type=content_type, size=size,
                                 sha256=digest.hexdigest(), path=str(relative),
                                 uploaded_by=user_id)
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def for_record(entity_id: str, record_id: int) -> list[Attachment]:
    return list(Attachment.select().where((Attachment.entity == entity_id)
                                          & (Attachment.record_id == record_id))
                .order_by(Attachment.id))


def get(entity_id: str, record_id: int, attachment_id: int) -> Attachment | None:
    return Attachment.get_or_none((Attachment.id == attachment_id)
                                  & (Attachment.entity == entity_id)
                                  & (Attachment.record_id == record_id))


def remove(folder: Path, attachments) -> int:
    """Delete attachment rows and their files."""
    count = 0
    for a in attachments:
        a.delete_instance()
        (folder / "attachments" / a.path).unlink(missing_ok=True)
        count += 1
    return count
