"""Purge of the trash: records deleted more than ``PEYVAND_TRASH_DAYS`` ago go for good, with
their custom values and attachments."""

from __future__ import annotations

import datetime

from . import audit
from .storage import utcnow


def purge(kernel, tenant: str, *, older_than_days: int | None = None) -> dict[str, int]:
    """``{entity id: records purged}`` for ``tenant``; runs with the tenant bound."""
    from .attachments import Attachment, remove
    from .custom_fields import CustomValue

    days = kernel.settings.trash_days if older_than_days is None else older_than_days
    cutoff = utcnow() - datetime.timedelta(days=days)
    folder = kernel.storage.files_dir(tenant)
    db = kernel.storage.database_for(tenant)
    done = {}
    for entity_id, entity in sorted(kernel.entities(tenant).items()):
        model = entity.model
        ids = [i for (i,) in model.select(model.id)
               .where(model.deleted_at.is_null(False) & (model.deleted_at < cutoff)).tuples()]
        if not ids:
            continue
        with db.atomic():
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                CustomValue.delete().where((CustomValue.entity == entity_id)
                                           & CustomValue.record_id.in_(chunk)).execute()
                remove(folder, Attachment.select().where((Attachment.entity == entity_id)
                                                         & Attachment.record_id.in_(chunk)))
                model.delete().where(model.id.in_(chunk)).execute()
            audit.record_many(entity_id, [(i, "purge", {}) for i in ids], via="job")
        done[entity_id] = len(ids)
    return done


def purge_task(tenant, payload=None):
    """The body of the periodic task ``peyvand.purge_trash``."""
    from .kernel import active_kernel

    return purge(active_kernel(), tenant)
