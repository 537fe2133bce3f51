"""Generic record operations for any entity: list with keyset pagination, get, create, update,
soft delete and restore, each audited and run through the save hooks.

The REST API calls these; imports and jobs will call the same functions, so every path applies
the same validation, hooks and audit.
"""

from __future__ import annotations

import base64
import datetime
import json
from dataclasses import dataclass

import peewee
from marshmallow import ValidationError

from . import audit
from .access import current_actor
from .entities import Entity
from .errors import PeyvandError, Veto
from .storage import utcnow

SYSTEM_FIELDS = ("id", "version", "created_at", "updated_at", "owner_id", "team_id")
OPERATORS = ("in", "gte", "lte", "gt", "lt", "contains", "empty")


class RecordNotFound(PeyvandError):
    pass


class StaleVersion(PeyvandError):
    pass


class InvalidRecord(PeyvandError):
    """Validation failed: ``errors`` is ``{field: [message, ...]}``."""

    def __init__(self, errors: dict):
        super().__init__("validation failed")
        self.errors = errors


@dataclass
class Page:
    rows: list[dict]
    next_cursor: str | None
    total: int | None = None


class EntityService:
    """Reads and writes one entity's records in the currently bound tenant."""

    def __init__(self, entity: Entity, hooks):
        self.entity = entity
        self.model = entity.model
        self.hooks = hooks
        self.schema = entity.schema()
        self.partial_schema = entity.schema(partial=True)
        self.fields = list(self.schema.fields)
        self.audited = set(entity.audited or self.fields)

    # -- access ----------------------------------------------------------------------------------
    def _allowed(self, action: str):
        """The current actor (``None`` for system work); 403 if its roles lack ``action``."""
        from .permissions import Forbidden, scope_of

        actor = current_actor()
        if actor is not None and scope_of(actor, self.entity.id, action) == "none":
            raise Forbidden(f"your roles ({', '.join(sorted(actor.roles)) or 'none'}) may not "
                            f"{action} {self.entity.id}; an admin can grant it")
        return actor

    def _scoped(self, query, action: str):
        from .permissions import scope_clause

        actor = current_actor()
        if actor is None:
            return query
        clause = scope_clause(actor, self.entity.id, action)
        return query if clause is True else query.where(clause)

    def field_rules(self) -> tuple[frozenset, frozenset]:
        """``(hidden, read_only)`` for the current actor."""
        actor = current_actor()
        if actor is None or actor.superuser:
            return frozenset(), frozenset()
        return actor.policy.fields(actor.roles, self.entity.id)

    # -- reading -------------------------------------------------------------------------------
    def to_dict(self, record, only: list[str] | None = None) -> dict:
        data = {"id": record.id}
        dumped = self.schema.dump({f: getattr(record, f, None) for f in self.fields})
        for name in ("version", "owner_id", "team_id"):
            data[name] = getattr(record, name)
        for name in ("created_at", "updated_at"):
            value = getattr(record, name)
            data[name] = value.isoformat() + "Z" if value else None
        data.update(dumped)
        hidden = self.field_rules()[0]
        if only or hidden:
            data = {k: v for k, v in data.items()
                    if (not only or k in only or k == "id") and k not in hidden}
        return data

    def _column(self, name: str):
        if (name not in self.fields and name not in SYSTEM_FIELDS) or (
                name in self.field_rules()[0]):
            raise InvalidRecord({name: ["unknown field"]})
        column = getattr(self.model, name, None)
        if not isinstance(column, peewee.Field):
            raise InvalidRecord({name: ["this field cannot be filtered or sorted on"]})
        return column

    def _filters(self, filters: dict[str, str]):
        clauses = []
        for key, raw in filters.items():
            name, _, op = key.partition("__")
            column = self._column(name)
            if op and op not in OPERATORS:
                raise InvalidRecord({key: [f"unknown operator; use one of {', '.join(OPERATORS)}"]})
            try:
                if op == "in":
                    clauses.append(column.in_([column.db_value(v) for v in raw.split(",")]))
                elif op == "contains":
                    clauses.append(column.contains(raw))
                elif op == "empty":
                    empty = raw.lower() in ("1", "true", "yes")
                    clauses.append(column.is_null(empty))
                elif op in ("gte", "lte", "gt", "lt"):
                    value = column.db_value(raw)
                    clauses.append({"gte": column >= value, "lte": column <= value,
                                    "gt": column > value, "lt": column < value}[op])
                else:
                    clauses.append(column == column.db_value(raw))
            except (ValueError, TypeError) as exc:
                raise InvalidRecord({key: [f"not a valid value: {exc}"]}) from None
        return clauses

    def list(self, *, filters: dict[str, str] | None = None, sort: str | None = None,
             limit: int = 50, cursor: str | None = None, fields: list[str] | None = None,
             with_total: bool = False, trash: bool = False, action: str = "read") -> Page:
        self._allowed(action)
        sort = sort or self.entity.default_sort
        descending = sort.startswith("-")
        sort_column = self._column(sort.lstrip("-"))
        id_column = self.model.id
        query = self.model.select()
        where = [self.model.deleted_at.is_null(not trash), *self._filters(filters or {})]
        total = None
        query = self._scoped(query, action)
        if with_total:
            total = self._scoped(self.model.select(), action).where(*where).count()
        if cursor:
            try:
                value, last_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
            except (ValueError, TypeError):
                raise InvalidRecord({"cursor": ["not a cursor this API returned"]}) from None
            if sort_column is id_column:
                where.append(id_column < last_id if descending else id_column > last_id)
            else:
                value = sort_column.db_value(value)
                if descending:
                    where.append((sort_column < value)
                                 | ((sort_column == value) & (id_column < last_id)))
                else:
                    where.append((sort_column > value)
                                 | ((sort_column == value) & (id_column > last_id)))
        order = [sort_column.desc() if descending else sort_column.asc()]
        if sort_column is not id_column:
            order.append(id_column.desc() if descending else id_column.asc())
        rows = list(query.where(*where).order_by(*order).limit(limit + 1))
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            last = rows[-1]
            key = getattr(last, sort_column.name)
            if isinstance(key, (datetime.date, datetime.datetime)):
                key = key.isoformat(sep=" ")
            next_cursor = base64.urlsafe_b64encode(
                json.dumps([key if sort_column is not id_column else None, last.id],
                           default=str).encode()).decode()
        return Page([self.to_dict(r, fields) for r in rows], next_cursor, total)

    def get(self, record_id: int, *, include_trash: bool = False, action: str = "read"):
        """The record, or :class:`RecordNotFound` — also when it lies outside the actor's
        scope, so its existence does not leak."""
        self._allowed(action)
        query = self._scoped(self.model.select().where(self.model.id == record_id), action)
        if not include_trash:
            query = query.where(self.model.deleted_at.is_null())
        record = query.first()
        if record is None:
            raise RecordNotFound(f"{self.entity.id} {record_id} does not exist")
        return record

    # -- writing -------------------------------------------------------------------------------
    def _validate(self, data: dict, partial: bool) -> dict:
        if not isinstance(data, dict):
            raise InvalidRecord({"_schema": ["send a JSON object"]})
        hidden, read_only = self.field_rules()
        refused = {name: ["read-only for your role"] for name in data
                   if name in read_only or name in hidden}
        if refused:
            raise InvalidRecord(refused)
        try:
            return (self.partial_schema if partial else self.schema).load(data)
        except ValidationError as exc:
            raise InvalidRecord(exc.messages) from None

    def _run_before(self, record, changes, action):
        try:
            self.hooks.before_record_save(entity=self.entity, record=record, changes=changes,
                                          action=action)
        except Veto as veto:
            raise InvalidRecord({veto.field or "_schema": [str(veto)]}) from None

    def _audit(self, record, action, changes, via, user):
        user = user or current_actor()
        if user is not None and getattr(user, "via", None):
            via = user.via
        changes = {k: v for k, v in changes.items() if k in self.audited}
        audit.record(self.entity.id, record.id, action, changes, via=via,
                     user_id=getattr(user, "id", None), user_name=getattr(user, "name", None))

    def create(self, data: dict, *, via: str = "api", user=None):
        actor = self._allowed("create")
        values = self._validate(data, partial=False)
        record = self.model(**values)
        if actor is not None:
            from .permissions import allows_record

            record.owner_id = actor.id
            record.team_id = actor.primary_team
            if not allows_record(actor, self.entity.id, "create", record):
                from .permissions import Forbidden

                raise Forbidden(f"your roles may not create {self.entity.id} records here")
        changes = {k: (None, v) for k, v in values.items()}
        self._run_before(record, changes, "create")
        record.save(force_insert=True)
        self._audit(record, "create", changes, via, user)
        self.hooks.after_record_save(entity=self.entity, record=record, changes=changes,
                                     action="create")
        return record

    def update(self, record_id: int, data: dict, *, if_match: int | None = None,
               via: str = "api", user=None):
        values = self._validate(data, partial=True)
        record = self.get(record_id, action="update")
        if if_match is not None and if_match != record.version:
            raise StaleVersion(
                f"{self.entity.id} {record_id} was changed by someone else (version "
                f"{record.version}, you sent {if_match}); reload it and apply your change again")
        changes = {}
        for name, new in values.items():
            old = getattr(record, name)
            if old != new:
                changes[name] = (old, new)
                setattr(record, name, new)
        if not changes:
            return record
        self._run_before(record, changes, "update")
        old_version = record.version
        record.version = old_version + 1
        record.updated_at = utcnow()
        # Compare-and-set on the version, so two concurrent writers cannot both win.
        updated = (self.model.update({**{getattr(self.model, k): getattr(record, k)
                                         for k in changes},
                                      self.model.version: record.version,
                                      self.model.updated_at: record.updated_at})
                   .where((self.model.id == record.id) & (self.model.version == old_version))
                   .execute())
        if updated != 1:
            raise StaleVersion(f"{self.entity.id} {record_id} was changed by someone else; "
                               "reload it and apply your change again")
        self._audit(record, "update", changes, via, user)
        self.hooks.after_record_save(entity=self.entity, record=record, changes=changes,
                                     action="update")
        return record

    def delete(self, record_id: int, *, via: str = "api", user=None) -> None:
        record = self.get(record_id, action="delete")
        record.deleted_at = utcnow()
        record.version += 1
        record.save(only=[self.model.deleted_at, self.model.version])
        self._audit(record, "delete", {}, via, user)
        self.hooks.after_record_save(entity=self.entity, record=record, changes={},
                                     action="delete")

    def restore(self, record_id: int, *, keep_days: int, via: str = "api", user=None):
        record = self.get(record_id, include_trash=True, action="delete")
        if record.deleted_at is None:
            return record
        if record.deleted_at < utcnow() - datetime.timedelta(days=keep_days):
            raise RecordNotFound(f"{self.entity.id} {record_id} was deleted more than "
                                 f"{keep_days} days ago and can no longer be restored")
        record.deleted_at = None
        record.version += 1
        record.save(only=[self.model.deleted_at, self.model.version])
        self._audit(record, "restore", {}, via, user)
        self.hooks.after_record_save(entity=self.entity, record=record, changes={},
                                     action="restore")
        return record
