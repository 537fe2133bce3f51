"""Generic record operations for any entity: list with keyset pagination, get, create, update,
soft delete and restore, each audited and run through the save hooks.

The REST API calls these; imports and jobs will call the same functions, so every path applies
the same validation, hooks and audit.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import json
from dataclasses import dataclass

import peewee
from marshmallow import ValidationError

from . import audit
from .access import current_actor
from .entities import Entity
from .errors import PeyvandError, Veto
from .storage import current_database, utcnow

SYSTEM_FIELDS = ("id", "version", "created_at", "updated_at", "owner_id", "team_id")
TRUTHY = {"1", "true", "yes", "on"}
FALSY = {"0", "false", "no", "off"}
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
    #: The cursor that lists the page before this one (``list(before=...)``); ``None`` on the
    #: first page.
    prev_cursor: str | None = None


class EntityService:
    """Reads and writes one entity's records in the currently bound tenant."""

    def __init__(self, entity: Entity, hooks, custom=()):
        self.entity = entity
        self.model = entity.model
        self.hooks = hooks
        self.custom = list(custom)
        self.custom_by_key = {d.key: d for d in self.custom}
        from .related import related_for

        # Values kept outside the entity's table (its RelatedData objects, the kernel's tags).
        self.related = related_for(entity)
        self.related_by_field = {name: rel for rel in self.related for name in rel.fields}
        schema = entity.schema
        extra = {d.key: d.marshmallow_field() for d in self.custom}
        extra.update((name, f) for rel in self.related for name, f in rel.fields.items())
        if extra:
            # The plugin's schema plus related fields and the admin's custom fields, validated
            # the same way.
            schema = type(f"{schema.__name__}Extended", (schema,), extra)
        self.schema = schema()
        self.partial_schema = schema(partial=True)
        self.fields = list(self.schema.fields)
        self.model_fields = [f for f in self.fields if f not in self.custom_by_key
                             and f not in self.related_by_field]
        self.audited = (set(entity.audited or self.model_fields) | set(self.custom_by_key)
                        | set(self.related_by_field))
        self._sql: dict[tuple, str] = {}
        self._outputs: dict[tuple, tuple] = {}

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
        dumped = self.schema.dump({f: getattr(record, f, None) for f in self.model_fields})
        if self.custom:  # stored custom values are already in their API form
            from .custom_fields import load_values

            dumped.update(load_values(self.entity.id, self.custom, [record.id])[record.id])
        for name in ("version", "owner_id", "team_id"):
            data[name] = getattr(record, name)
        for name in ("created_at", "updated_at"):
            value = getattr(record, name)
            data[name] = value.isoformat() + "Z" if value else None
        data.update(dumped)
        hidden = self.field_rules()[0]
        for rel, names in self._related_outputs(hidden, only):
            own = {record.id: tuple(getattr(record, c) for c in rel.columns)}
            loaded = rel.load(self.entity, [record.id], own).get(record.id, {})
            data.update((n, loaded.get(n, rel.empty(n))) for n in names)
        if only or hidden:
            data = {k: v for k, v in data.items()
                    if (not only or k in only or k == "id") and k not in hidden}
        return data

    def _related_outputs(self, hidden, fields) -> list[tuple]:
        """``[(RelatedData, [field, ...])]`` to load for output: visible and asked for."""
        out = []
        for rel in self.related:
            names = [n for n in rel.fields if n not in hidden and (not fields or n in fields)]
            if names:
                out.append((rel, names))
        return out

    def export_value(self, name: str, value):
        """A field's API value as it goes into an exported cell (before neutralising):
        related data as its own text form."""
        rel = self.related_by_field.get(name)
        return rel.export_text(name, value) if rel is not None else value

    def _column(self, name: str):
        if (name not in self.fields and name not in SYSTEM_FIELDS) or (
                name in self.field_rules()[0]):
            raise InvalidRecord({name: ["unknown field"]})
        if name in self.custom_by_key:
            return FieldDefRef(self.custom_by_key[name])
        column = getattr(self.model, name, None)
        if not isinstance(column, peewee.Field):
            raise InvalidRecord({name: ["this field cannot be filtered or sorted on"]})
        return column

    def _value(self, column, raw: str, key: str):
        """``raw`` (query-string text) as the column's database value."""
        try:
            if isinstance(column, peewee.BooleanField):
                lowered = raw.strip().lower()
                if lowered not in TRUTHY | FALSY:
                    raise ValueError("use true or false")
                return lowered in TRUTHY
            return column.db_value(raw)
        except (ValueError, TypeError, decimal.InvalidOperation) as exc:
            raise InvalidRecord({key: [f"not a valid value: {exc}"]}) from None

    def _filters(self, filters: dict[str, str], mark: str, like: str):
        """``(shape, [sql fragment], [params])`` for the list filters."""
        shape, fragments, params = [], [], []
        for key, raw in filters.items():
            if key == "tag" and "tag" not in self.fields:
                # Tags: a name, or a list of names the record must all carry.
                from .tags import tag_filter_sql

                part, values = tag_filter_sql(self.entity.id,
                                              raw if isinstance(raw, list) else [raw], mark)
                fragments += part
                params += values
                shape.append((key, tuple(part)))
                continue
            name, _, op = key.partition("__")
            column = self._column(name)
            if op and op not in OPERATORS:
                raise InvalidRecord({key: [f"unknown operator; use one of {', '.join(OPERATORS)}"]})
            if isinstance(column, FieldDefRef):
                part, values = self._custom_filter(column.field, op, raw, key, mark, like)
                fragments.append(part)
                params += values
                shape.append((key, len(values)))
                continue
            col = f'"t"."{column.column_name}"'
            if op and op not in OPERATORS:
                raise InvalidRecord({key: [f"unknown operator; use one of {', '.join(OPERATORS)}"]})
            if op == "in":
                values = [self._value(column, v, key) for v in raw.split(",")]
                fragments.append(f"{col} IN ({', '.join([mark] * len(values))})")
                params += values
                shape.append((key, len(values)))
                continue
            if op == "empty":
                empty = raw.strip().lower() in TRUTHY
                fragments.append(f"{col} IS {'' if empty else 'NOT '}NULL")
                shape.append((key, empty))
                continue
            if op == "contains":
                escaped = raw.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                fragments.append(f"{col} {like} {mark} ESCAPE '\\'")
                params.append(f"%{escaped}%")
            else:
                operator = {"gte": ">=", "lte": "<=", "gt": ">", "lt": "<", "": "="}[op]
                fragments.append(f"{col} {operator} {mark}")
                params.append(self._value(column, raw, key))
            shape.append((key, None))
        return shape, fragments, params

    def _custom_filter(self, d, op: str, raw: str, key: str, mark: str, like: str):
        """A filter on a custom field: a sub-select on its indexed value rows."""
        sub = (f'SELECT "record_id" FROM "peyvand_custom_value" WHERE "field_id" = {d.id}')
        if op == "empty":
            empty = raw.strip().lower() in TRUTHY
            return f'"t"."id" {"NOT " if empty else ""}IN ({sub})', []
        try:
            if op == "in":
                values = [d.parse_filter(v) for v in raw.split(",")]
                cond = f'"{d.column}" IN ({", ".join([mark] * len(values))})'
            elif op == "contains":
                escaped = raw.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                values = [f"%{escaped}%"]
                cond = f'"{d.column}" {like} {mark} ESCAPE \'\\\''
            else:
                operator = {"gte": ">=", "lte": "<=", "gt": ">", "lt": "<", "": "="}[op]
                values = [d.parse_filter(raw)]
                cond = f'"{d.column}" {operator} {mark}'
        except (ValueError, ArithmeticError) as exc:
            raise InvalidRecord({key: [f"not a valid value: {exc}"]}) from None
        return f'"t"."id" IN ({sub} AND {cond})', values

    def _scope_sql(self, action: str, mark: str):
        """``(shape, [fragment], [params])`` of the actor's record scope."""
        from .permissions import scope_of

        actor = current_actor()
        if actor is None:
            return ("system",), [], []
        scope = scope_of(actor, self.entity.id, action)
        if scope == "all":
            return ("all",), [], []
        if scope == "team" and actor.teams:
            teams = sorted(actor.teams)
            return (("team", len(teams)),
                    [f'("t"."team_id" IN ({", ".join([mark] * len(teams))}) '
                     f'OR "t"."owner_id" = {mark})'],
                    [*teams, actor.id])
        if scope in ("team", "own"):
            return ("own",), ['"t"."owner_id" = ' + mark], [actor.id]
        return ("none",), ["1 = 0"], []

    def _output(self, fields: list[str] | None):
        """Output columns and, per column, a converter from the driver's value to JSON."""
        hidden = self.field_rules()[0]
        names = ["id", "version", "owner_id", "team_id", "created_at", "updated_at",
                 *self.model_fields]
        names = [n for n in names if n not in hidden and (not fields or n in fields or n == "id")]
        # Custom and related outputs depend on the fields asked for and the hidden ones too.
        key = (tuple(names), tuple(fields) if fields else None, hidden)
        cached = self._outputs.get(key)
        if cached is None:
            columns, converters = [], []
            by_column = self.model._meta.columns
            for name in names:
                column = self.model._meta.fields.get(name) or by_column.get(name)
                if column is None:
                    raise InvalidRecord({name: ["this field is not stored in a column"]})
                columns.append(f'"t"."{column.column_name}"')
                converters.append(_converter(column, self.schema.fields.get(name)))
            custom = [d for d in self.custom
                      if d.key not in hidden and (not fields or d.key in fields)]
            related = self._related_outputs(hidden, fields)
            # Columns the related loaders need ride along after the output columns, a block
            # per loader.
            blocks, start = [], len(names)
            for rel, _ in related:
                columns += [f'"t"."{self.model._meta.fields[c].column_name}"'
                            for c in rel.columns]
                blocks.append((start, start + len(rel.columns)))
                start += len(rel.columns)
            cached = self._outputs[key] = (names, ", ".join(columns), converters, custom,
                                           (related, blocks))
        return cached

    def list(self, *, filters: dict[str, str] | None = None, sort: str | None = None,
             limit: int = 50, cursor: str | None = None, fields: list[str] | None = None,
             with_total: bool = False, trash: bool = False, action: str = "read",
             before: str | None = None) -> Page:
        """One page of records the actor may ``action``, by keyset (cursor) pagination.

        ``cursor`` (a page's ``next_cursor``) lists the records after it; ``before`` (a page's
        ``prev_cursor``) lists the ``limit`` records just before it, in the same order, so a
        page can link back as cheaply as forward.

        The SQL of each query shape is built once and reused; rows are turned into JSON-ready
        dicts by converters derived from the schema, not by model instances and a schema dump.
        """
        self._allowed(action)
        db = self.model._meta.database
        mark = db.param
        like = "ILIKE" if isinstance(current_database(), peewee.PostgresqlDatabase) else "LIKE"
        sort = sort or self.entity.default_sort
        descending = sort.startswith("-")
        sort_column = self._column(sort.lstrip("-"))
        join, join_params = "", []
        if isinstance(sort_column, FieldDefRef):
            d = sort_column.field
            if d.multiple:
                raise InvalidRecord({"sort": [f"{d.key} holds several values; sort on another "
                                              "field"]})
            # A missing value sorts first (ascending), through a constant of the column's kind.
            empty = "-1e18" if d.column == "value_num" else "''"
            join = (f' LEFT JOIN "peyvand_custom_value" AS "cv" ON "cv"."record_id" = "t"."id" '
                    f'AND "cv"."field_id" = {d.id}')
            sort_sql = f'COALESCE("cv"."{d.column}", {empty})'
        else:
            sort_sql = f'"t"."{sort_column.column_name}"'
        by_id = sort_sql == '"t"."id"'
        filter_shape, where, params = self._filters(filters or {}, mark, like)
        where.insert(0, f'"t"."deleted_at" IS {"NOT " if trash else ""}NULL')
        scope_shape, scope_where, scope_params = self._scope_sql(action, mark)
        where += scope_where
        params += scope_params
        total = None
        if with_total:
            sql = f'SELECT COUNT(*) FROM "{self.model._meta.table_name}" AS "t" WHERE ' + \
                " AND ".join(where)
            total = db.execute_sql(sql, params).fetchone()[0]
        cursor_params = []
        backwards = bool(before) and not cursor
        if backwards:
            cursor = before
            descending = not descending  # walk back from ``before``, then turn the rows round
        if cursor:
            try:
                value, last_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
                last_id = int(last_id)
            except (ValueError, TypeError):
                key = "before" if backwards else "cursor"
                raise InvalidRecord({key: ["not a cursor this API returned"]}) from None
            cmp = "<" if descending else ">"
            if by_id:
                cursor_sql = f'"t"."id" {cmp} {mark}'
                cursor_params = [last_id]
            else:
                col = sort_sql
                cursor_sql = (f'({col} {cmp} {mark} OR ({col} = {mark} AND "t"."id" {cmp} '
                              f'{mark}))')
                if not isinstance(sort_column, FieldDefRef):
                    value = sort_column.db_value(value)
                elif sort_column.field.column == "value_num":
                    # A float: COALESCE(...) has no column affinity, and SQLite would compare a
                    # Decimal (bound as text) as text.
                    value = float(value)
                cursor_params = [value, value, last_id]
        names, select, converters, custom, (related, blocks) = self._output(fields)
        shape = (tuple(filter_shape), scope_shape, trash, sort, bool(cursor), backwards, limit,
                 select)
        sql = self._sql.get(shape)
        if sql is None:
            order = "DESC" if descending else "ASC"
            clauses = where + ([cursor_sql] if cursor else [])
            order_by = f'"t"."id" {order}' if by_id else f'{sort_sql} {order}, "t"."id" {order}'
            # A non-id sort key rides along at the end of each row, for the next cursor.
            extra = "" if by_id else f", {sort_sql}"
            sql = (f'SELECT {select}{extra} FROM "{self.model._meta.table_name}" AS "t"{join} '
                   f'WHERE {" AND ".join(clauses)} ORDER BY {order_by} LIMIT {int(limit) + 1}')
            self._sql[shape] = sql
        rows = db.execute_sql(sql, join_params + params + cursor_params).fetchall()

        def cursor_of(row) -> str:
            key = None if by_id else row[-1]
            if isinstance(key, decimal.Decimal):
                key = str(key)
            if isinstance(key, (datetime.date, datetime.datetime)):
                key = key.isoformat(sep=" ")
            return base64.urlsafe_b64encode(
                json.dumps([key, row[0]], default=str).encode()).decode()

        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = prev_cursor = None
        if backwards:
            rows.reverse()
            # What follows starts with the record ``before`` pointed at.
            next_cursor = cursor_of(rows[-1]) if rows else None
            prev_cursor = cursor_of(rows[0]) if more else None
        else:
            next_cursor = cursor_of(rows[-1]) if more else None
            prev_cursor = cursor_of(rows[0]) if cursor and rows else None
        width = len(names)
        data = [{name: convert(value) for name, convert, value
                 in zip(names, converters, row[:width], strict=True)} for row in rows]
        if custom and data:
            from .custom_fields import load_values

            values = load_values(self.entity.id, custom, [row["id"] for row in data])
            for row in data:
                row.update(values[row["id"]])
        if related and data:
            ids = [row["id"] for row in data]
            for (rel, rel_names), (start, stop) in zip(related, blocks, strict=True):
                # One load per page, never one per row.
                loaded = rel.load(self.entity, ids, {row[0]: row[start:stop] for row in rows})
                empty = {name: rel.empty(name) for name in rel_names}
                every = len(rel_names) == len(rel.fields)
                for row in data:
                    got = loaded.get(row["id"])
                    if got is not None and every:
                        row.update(got)
                    else:
                        row.update({n: (got or empty).get(n, empty[n]) for n in rel_names})
        return Page(data, next_cursor, total, prev_cursor)

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
            errors = {}
            for name, messages in exc.messages.items():
                if name in self.related_by_field:  # lists of items: name the item
                    _flatten(name, messages, errors)
                else:
                    errors[name] = messages
            raise InvalidRecord(errors) from None

    def _pop_related(self, values: dict, record) -> dict:
        """Take the related fields out of validated ``values``, cleaned by their owners."""
        out = {}
        for rel in self.related:
            mine = {n: values.pop(n) for n in list(values) if n in rel.fields}
            if mine:
                out.update(rel.clean(self.entity, mine, record))
        return out

    def _save_related(self, record, changes: dict, action: str) -> None:
        """Store the related fields in ``changes`` (as the save hooks left them)."""
        for rel in self.related:
            mine = {n: changes[n][1] for n in rel.fields if n in changes}
            if mine:
                rel.save(self.entity, record, mine, action)

    def _run_before(self, record, changes, action):
        try:
            self.hooks.before_record_save(entity=self.entity, record=record, changes=changes,
                                          action=action)
        except Veto as veto:
            raise InvalidRecord(veto.errors or {veto.field or "_schema": [str(veto)]}) from None

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
        custom = {k: values.pop(k) for k in list(values) if k in self.custom_by_key}
        related = self._pop_related(values, None)
        record = self.model(**values)
        if actor is not None:
            from .permissions import allows_record

            record.owner_id = actor.id
            record.team_id = actor.primary_team
            if not allows_record(actor, self.entity.id, "create", record):
                from .permissions import Forbidden

                raise Forbidden(f"your roles may not create {self.entity.id} records here")
        changes = {k: (None, v) for k, v in {**values, **custom, **related}.items()}
        self._run_before(record, changes, "create")
        record.save(force_insert=True)
        if custom:
            from .custom_fields import save_values

            save_values(self.entity.id, self.custom, record.id, custom)
        self._save_related(record, changes, "create")
        self._audit(record, "create", changes, via, user)
        self.hooks.after_record_save(entity=self.entity, record=record, changes=changes,
                                     action="create")
        return record

    def update(self, record_id: int, data: dict, *, if_match: int | None = None,
               via: str = "api", user=None):
        values = self._validate(data, partial=True)
        record = self.get(record_id, action="update")
        custom = {k: values.pop(k) for k in list(values) if k in self.custom_by_key}
        custom_changes = {}
        if custom:
            from .custom_fields import load_values

            before = load_values(self.entity.id, self.custom, [record.id])[record.id]
            custom_changes = {k: (before[k], _plain_custom(v)) for k, v in custom.items()
                              if before[k] != _plain_custom(v)}
        related = self._pop_related(values, record)
        related_changes = {}
        for rel in self.related:
            mine = {n: v for n, v in related.items() if n in rel.fields}
            if mine:
                own = {record.id: tuple(getattr(record, c) for c in rel.columns)}
                before = rel.load(self.entity, [record.id], own).get(record.id, {})
                for name, new in mine.items():
                    old = before.get(name, rel.empty(name))
                    if old != new:
                        related_changes[name] = (old, new)
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
        if not changes and not custom_changes and not related_changes:
            return record
        changes.update(custom_changes)
        changes.update(related_changes)
        self._run_before(record, changes, "update")
        old_version = record.version
        record.version = old_version + 1
        record.updated_at = utcnow()
        # Compare-and-set on the version, so two concurrent writers cannot both win.
        updated = (self.model.update({**{getattr(self.model, k): getattr(record, k)
                                         for k in changes if k not in self.custom_by_key
                                         and k not in self.related_by_field},
                                      self.model.version: record.version,
                                      self.model.updated_at: record.updated_at})
                   .where((self.model.id == record.id) & (self.model.version == old_version))
                   .execute())
        if updated != 1:
            raise StaleVersion(f"{self.entity.id} {record_id} was changed by someone else; "
                               "reload it and apply your change again")
        if custom_changes:
            from .custom_fields import save_values

            save_values(self.entity.id, self.custom, record.id,
                        {k: custom[k] for k in custom_changes})
        self._save_related(record, changes, "update")
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


def _flatten(prefix: str, messages, out: dict) -> None:
    """Nested marshmallow errors as flat keys: ``{"phones": {1: {"value": [...]}}}`` gives
    ``{"phones[1].value": [...]}``."""
    if isinstance(messages, dict):
        for key, inner in messages.items():
            name = (prefix if key == "_schema" else f"{prefix}[{key}]" if isinstance(key, int)
                    else f"{prefix}.{key}")
            _flatten(name, inner, out)
    else:
        out.setdefault(prefix, []).extend(messages if isinstance(messages, list)
                                          else [messages])


def _timestamp(value):
    if value is None:
        return None
    if isinstance(value, str):  # SQLite hands back its text form
        return value.replace(" ", "T") + "Z"
    return value.isoformat() + "Z"


def _date(value):
    if value is None or isinstance(value, str):
        return value
    return value.isoformat()


def _converter(column: peewee.Field, schema_field):
    """A function turning the driver's value for ``column`` into the API's JSON value."""
    from marshmallow import fields as mf

    if isinstance(column, peewee.DateTimeField):
        return _timestamp
    if isinstance(column, peewee.DateField):
        return _date
    if isinstance(column, peewee.BooleanField):
        return lambda v: None if v is None else bool(v)
    if schema_field is None or isinstance(schema_field, (mf.String, mf.Integer)) and not \
            isinstance(schema_field, mf.Decimal):
        return _identity
    python_value = column.python_value

    def through_schema(value):
        if value is None:
            return None
        return schema_field._serialize(python_value(value), None, None)

    return through_schema


def _identity(value):
    return value


class FieldDefRef:
    """Stands for a custom field where a model column would be (filters, sorting)."""

    def __init__(self, field):
        self.field = field
        self.name = field.key


def _plain_custom(value):
    """A validated custom value in the form the API shows it, to compare with stored ones."""
    if isinstance(value, list):
        return sorted(value)
    if isinstance(value, decimal.Decimal):
        from .custom_fields import decimal_text

        return decimal_text(value)
    if isinstance(value, datetime.datetime):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value
