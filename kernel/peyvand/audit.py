"""The audit trail: who changed which field of which record, when, and through what.

Rows are written in the same transaction as the change they describe. The product offers no
way to edit or delete them.
"""

from __future__ import annotations

import datetime
import decimal
import json

import peewee

from .entities import Model
from .storage import current_tenant, utcnow

VIA = ("web", "api", "cli", "import", "job")


class Audit(Model):
    id = peewee.AutoField()
    at = peewee.DateTimeField(index=True)
    tenant = peewee.CharField(max_length=40)
    user_id = peewee.IntegerField(null=True)
    user_name = peewee.CharField(max_length=150, null=True)
    via = peewee.CharField(max_length=16)
    action = peewee.CharField(max_length=16)
    entity = peewee.CharField(max_length=100)
    record_id = peewee.IntegerField()
    changes = peewee.TextField()

    class Meta:
        table_name = "peyvand_audit"
        indexes = ((("entity", "record_id", "id"), False),)


class IdempotencyKey(Model):
    """``Idempotency-Key`` of an API create and the record it made."""

    key = peewee.CharField(max_length=200)
    entity = peewee.CharField(max_length=100)
    record_id = peewee.IntegerField()
    created_at = peewee.DateTimeField(index=True, default=utcnow)

    class Meta:
        table_name = "peyvand_idempotency"
        indexes = ((("entity", "key"), True),)


def _plain(value):
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def record(entity_id: str, record_id: int, action: str, changes: dict, *, via: str,
           user_id: int | None = None, user_name: str | None = None) -> None:
    """Append one audit row; ``changes`` is ``{field: (old, new)}``."""
    Audit.insert(
        at=utcnow(), tenant=current_tenant() or "", user_id=user_id, user_name=user_name,
        via=via, action=action, entity=entity_id, record_id=record_id,
        changes=json.dumps({k: [_plain(o), _plain(n)] for k, (o, n) in changes.items()},
                           ensure_ascii=False),
    ).execute()


def record_many(entity_id: str, rows, *, via: str, user_id: int | None = None,
                user_name: str | None = None) -> int:
    """Append audit rows in bulk: ``rows`` yields ``(record_id, action, changes)``.

    For imports and other batch writes, where one INSERT per change would dominate the cost.
    """
    import peewee

    from .storage import current_database

    db = current_database()
    now = utcnow()
    # The driver's executemany with one prepared statement: peewee would build the SQL text of
    # every row again, which was a fifth of an import's time.
    at = now.isoformat(" ") if isinstance(db, peewee.SqliteDatabase) else now
    tenant = current_tenant() or ""
    sql = ('INSERT INTO "peyvand_audit" ("at", "tenant", "user_id", "user_name", "via", '
           '"action", "entity", "record_id", "changes") VALUES ({})'
           .format(", ".join([db.param] * 9)))
    count = 0
    batch = []
    cursor = db.cursor()
    for record_id, action, changes in rows:
        batch.append((at, tenant, user_id, user_name, via, action, entity_id, record_id,
                      json.dumps({k: [_plain(o), _plain(n)] for k, (o, n) in changes.items()},
                                 ensure_ascii=False)))
        if len(batch) == 1000:
            cursor.executemany(sql, batch)
            count += len(batch)
            batch = []
    if batch:
        cursor.executemany(sql, batch)
        count += len(batch)
    return count


def history(entity_id: str, record_id: int, limit: int = 200) -> list[dict]:
    """The record's audit rows, newest first."""
    rows = (Audit.select().where((Audit.entity == entity_id) & (Audit.record_id == record_id))
            .order_by(Audit.id.desc()).limit(limit))
    return [{"at": r.at.isoformat() + "Z", "user": r.user_name, "via": r.via,
             "action": r.action, "changes": json.loads(r.changes)} for r in rows]
