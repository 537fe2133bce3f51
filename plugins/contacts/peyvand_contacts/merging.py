"""Merge two or more people (or organisations) into one, and undo a merge.

:func:`merge` works on the records' API form, through the kernel's record service, so every
rule of an ordinary edit applies (validation, cleaning, field rules, versions, audit,
events), and related lists (``emails``, ``phones``, ``addresses``, tags) come along without
this module knowing them:

1. the survivor's fields: a field named in ``fields`` takes that record's value; any other
   keeps the survivor's, or when the survivor's is empty takes the first non-empty value of
   the merged records (in the order given). Fields hidden from or read-only for the user are
   left as they are (naming one in ``fields`` is refused). Related lists are unioned (the
   survivor's items first; an item already there is not repeated); a list's primary item
   follows the choice of the field it stands for (``phones`` follows ``phone``);
2. contacts' own references move to the survivor (an organisation's people, notes);
3. ``contacts_merged`` lets other plugins re-point their rows; they return
   ``{table, column, id, old}`` per row;
4. the merged records go to the trash;

all in one transaction, audited on the survivor (``merge``: which records, where each value
came from) and on each merged record (``merged``: into which), and logged in
``contacts_merge`` / ``contacts_merge_change`` so that :func:`undo` can take it back.

Undo rule: refused (nothing changes) when, since the merge, the survivor was trashed, a field
the merge set on the survivor was changed again, a merged record left the trash or changed
there (or was purged), or a re-pointed row no longer points at the survivor; the message
lists each. ``force=True`` undoes the rest and leaves those as they are now. Edits to fields
the merge did not touch are kept.
"""

from __future__ import annotations

import datetime
import json
import re

from peyvand_sdk import (
    InvalidRecord,
    PeyvandError,
    RecordNotFound,
    current_actor,
    current_kernel,
    current_tenant,
    record_audit,
    require_permission,
    tenant_db,
)

from .messages import N_, Coded, Message, Term, field_term

ENTITIES = {"person": "contacts.person", "organization": "contacts.organization"}
MAX_MERGED = 50
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")


class MergeRefused(Coded, PeyvandError):
    """A merge or an undo that cannot be done as asked (HTTP 409); the message says why
    (``exc.message``, a :class:`~peyvand_contacts.messages.Message`: the pages translate it).
    """


#: Why an undo is refused, and each conflict it lists (msgids of the plugin's catalogue).
UNDONE_ALREADY = N_("merge %(merge)s was undone already")
CANNOT_UNDO = N_("cannot undo merge %(merge)s: %(conflicts)s. Undo with force to take back "
                 "the rest and keep those as they are now")
FIELD_CHANGED = N_("field %(field)s of %(entity)s %(id)s was changed after the merge")
PURGED = N_("%(entity)s %(id)s was deleted for good (purged from the trash) and cannot come "
            "back")
RESTORED = N_("%(entity)s %(id)s was restored or changed after the merge")
MOVED = N_("%(table)s row %(row)s no longer points at %(entity)s %(id)s")
MORE = N_("and %(n)s more")
CHANGED_SINCE = N_("%(entity)s %(id)s was changed since you looked at it (version %(seen)s "
                   "then, %(now)s now); look at the merge again")
ENTITY_TERMS = {"person": N_("person"), "organization": N_("organisation")}


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def _empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _service(entity_id: str):
    return current_kernel().service(entity_id, current_tenant())


def _related(service) -> dict:
    """``{field: RelatedData}`` of the service (lists kept outside the table)."""
    return dict(getattr(service, "related_by_field", {}) or {})


def _item_key(item):
    if isinstance(item, dict):
        return json.dumps({k: v for k, v in item.items() if k not in ("primary", "type")},
                          sort_keys=True, ensure_ascii=False, default=str)
    return json.dumps(item, sort_keys=True, ensure_ascii=False, default=str)


def union_lists(lists: list[list], primary_from: int | None = None) -> list:
    """The items of ``lists`` (the survivor's first), each once. For items with a
    ``primary`` flag, exactly one stays primary and first: the primary item of list number
    ``primary_from`` when given, else the first list's primary, else the first item."""
    seen, out, origin = {}, [], []
    for index, items in enumerate(lists):
        for item in items or []:
            key = _item_key(item)
            if key in seen:
                if index == primary_from and isinstance(item, dict) and item.get("primary"):
                    origin[seen[key]] = (index, True)
                continue
            seen[key] = len(out)
            out.append(dict(item) if isinstance(item, dict) else item)
            origin.append((index, bool(isinstance(item, dict) and item.get("primary"))))
    flagged = [i for i, item in enumerate(out) if isinstance(item, dict) and "primary" in item]
    if not flagged:
        return out
    chosen = None
    for wanted in ([primary_from] if primary_from is not None else []) + [0]:
        chosen = next((i for i in flagged if origin[i] == (wanted, True)), None)
        if chosen is not None:
            break
    if chosen is None:
        chosen = flagged[0]
    for i in flagged:
        out[i]["primary"] = i == chosen
    return [out[chosen], *(item for i, item in enumerate(out) if i != chosen)]


# --------------------------------------------------------------------------- planning

def _load(entity: str, survivor_id, merged_ids):
    if entity not in ENTITIES:
        raise InvalidRecord({"entity": ["person or organization"]})
    entity_id = ENTITIES[entity]
    require_permission(entity_id, "update")
    require_permission(entity_id, "delete")
    if isinstance(survivor_id, bool) or not isinstance(survivor_id, int):
        raise InvalidRecord({"survivor": ["the id of the record that remains"]})
    if (not isinstance(merged_ids, list) or not merged_ids or any(
            isinstance(i, bool) or not isinstance(i, int) for i in merged_ids)):
        raise InvalidRecord({"merged": ["a list of the ids of the records to merge into the "
                                        "survivor"]})
    if len(set(merged_ids)) != len(merged_ids) or survivor_id in merged_ids:
        raise InvalidRecord({"merged": ["each record once, and not the survivor"]})
    if len(merged_ids) > MAX_MERGED:
        raise InvalidRecord({"merged": [f"at most {MAX_MERGED} records at a time"]})
    service = _service(entity_id)
    survivor = service.get(survivor_id, action="update")
    merged = [service.get(i, action="delete") for i in merged_ids]
    return entity_id, service, survivor, merged


def plan(service, survivor, merged, fields: dict | None) -> tuple[dict, dict, dict]:
    """``(update, sources, before)``: the survivor's new values to write (API form), the
    record each changed value came from, and the survivor's values before."""
    hidden, read_only = service.field_rules()
    related = _related(service)
    records = {survivor.id: service.to_dict(survivor),
               **{m.id: service.to_dict(m) for m in merged}}
    order = [m.id for m in merged]
    before = records[survivor.id]
    fields = fields or {}
    if not isinstance(fields, dict):
        raise InvalidRecord({"fields": ["{field name: record id to take it from}"]})
    problems = {}
    for name, source in fields.items():
        if name not in service.fields or name in hidden:
            problems[name] = ["not a field of this record"]
        elif name in read_only:
            problems[name] = ["read-only for your role"]
        elif isinstance(source, bool) or source not in records:
            problems[name] = ["the id of the survivor or of one of the merged records"]
    if problems:
        raise InvalidRecord({"fields": problems})
    update, sources = {}, {}
    follows = {}
    for rel in related.values():
        follows.update(getattr(rel, "follows", {}) or {})
    for name in service.fields:
        if name in hidden or name in read_only or name in related:
            continue
        have = before.get(name)
        if name in fields:
            source = fields[name]
            value = records[source].get(name)
        elif _empty(have):
            source = next((i for i in order if not _empty(records[i].get(name))), None)
            value = records[source].get(name) if source is not None else have
        else:
            continue
        if source is not None and source != survivor.id and value != have:
            update[name], sources[name] = value, source
    for name in related:
        if name in hidden or name in read_only:
            continue
        lists = [before.get(name) or [], *(records[i].get(name) or [] for i in order)]
        scalar = follows.get(name)
        choice = fields.get(scalar) if scalar else fields.get(name)
        primary_from = None
        if choice is not None:
            primary_from = 0 if choice == survivor.id else order.index(choice) + 1
        elif scalar in update:
            primary_from = order.index(sources[scalar]) + 1
        value = union_lists(lists, primary_from)
        if value != (before.get(name) or []):
            update[name] = value
            sources[name] = [i for i in order if records[i].get(name)]
            if scalar:
                # The list's primary item sets the field it stands for.
                update.pop(scalar, None)
                sources[scalar] = sources.get(scalar, sources[name])
    return update, sources, before


# --------------------------------------------------------------------------- merging

def _hooks():
    return current_kernel().hooks(current_tenant())


def _check_changes(returned) -> list[dict]:
    out = []
    for batch in returned or []:
        for item in batch or []:
            try:
                table, column = str(item["table"]), str(item["column"])
                row_id = int(item["id"])
                old = item["old"]
                old = None if old is None else int(old)
            except (KeyError, TypeError, ValueError):
                raise PeyvandError(f"a contacts_merged implementation returned {item!r}; each "
                                   "change must be {table, column, id, old}") from None
            if not (_NAME.match(table) and _NAME.match(column)):
                raise PeyvandError(f"a contacts_merged implementation named table {table!r} "
                                   f"column {column!r}; use plain SQL names")
            out.append({"table": table, "column": column, "id": row_id, "old": old})
    return out


def _own_references(entity: str, survivor_id: int, merged_ids: list[int], user) -> list[dict]:
    """Point contacts' own rows at the survivor: the people of a merged organisation, notes."""
    from . import models

    changes = []
    now = _now()
    targets = []
    if entity == "organization":
        targets.append((models.Person, "organization", "contacts.person"))
    note = getattr(models, "Note", None)
    if note is not None and entity in note._meta.fields:
        targets.append((note, entity, "contacts.note"))
    for model, field_name, entity_id in targets:
        field = model._meta.fields[field_name]
        rows = list(model.select(model.id, field).where(field.in_(merged_ids))
                    .order_by(model.id).tuples())
        if not rows:
            continue
        ids = [r[0] for r in rows]
        for start in range(0, len(ids), 500):
            (model.update({field: survivor_id, model.version: model.version + 1,
                           model.updated_at: now})
             .where(model.id.in_(ids[start:start + 500])).execute())
        for row_id, old in rows:
            changes.append({"table": model._meta.table_name, "column": field.column_name,
                            "id": row_id, "old": old})
            record_audit(entity_id, row_id, "update", {field.column_name: (old, survivor_id)},
                         via="merge", user_id=getattr(user, "id", None),
                         user_name=getattr(user, "name", None))
    if entity == "organization" and any(c["table"] == "contacts_person" for c in changes):
        from .search import refresh_people_of

        refresh_people_of(survivor_id, models.Organization.get_by_id(survivor_id).name)
    return changes


def merge(entity: str, survivor_id: int, merged_ids: list[int], fields: dict | None = None,
          *, dry_run: bool = False, versions: dict | None = None) -> dict:
    """Merge ``merged_ids`` into ``survivor_id`` (see the module's docstring); return what
    was done: ``{"id", "entity", "survivor" (the record after), "merged_ids", "changes",
    "sources", "repointed": {"table.column": rows}, "dry_run"}``. With ``dry_run`` everything
    is computed and rolled back: the answer shows the merged record without writing it.
    ``versions`` (``{record id: version}``, as a preview showed them) refuses the merge
    (:class:`MergeRefused`) when one of those records changed since."""
    entity = str(entity)
    with tenant_db.atomic() as transaction:
        result = _merge(entity, survivor_id, merged_ids, fields, versions)
        if dry_run:
            transaction.rollback()
            result["id"] = None
    result["dry_run"] = dry_run
    return result


def _merge(entity, survivor_id, merged_ids, fields, versions=None) -> dict:
    from .dedupe_models import Merge, MergeChange

    entity_id, service, survivor, merged = _load(entity, survivor_id, merged_ids)
    if versions is not None:
        if not isinstance(versions, dict):
            raise InvalidRecord({"versions": ["{record id: version}"]})
        for record in [survivor, *merged]:
            seen = versions.get(record.id, versions.get(str(record.id)))
            if seen is not None and seen != record.version:
                raise MergeRefused(Message(CHANGED_SINCE, id=record.id, seen=seen,
                                           now=record.version,
                                           entity=Term(entity, ENTITY_TERMS[entity])))
    update, sources, before = plan(service, survivor, merged, fields)
    actor = current_actor()
    via = getattr(actor, "via", None) or "api"
    who = {"user_id": getattr(actor, "id", None), "user_name": getattr(actor, "name", None)}
    if update:
        survivor = service.update(survivor.id, update, if_match=survivor.version)
    after = service.to_dict(survivor)
    changes = {k: [before.get(k), after.get(k)] for k in update}
    repointed = _own_references(entity, survivor.id, merged_ids, actor)
    repointed += _check_changes(_hooks().contacts_merged(
        entity=entity_id, survivor_id=survivor.id, merged_ids=list(merged_ids)))
    versions = {}
    for record in merged:
        service.delete(record.id)
        versions[record.id] = record.version + 1
        record_audit(entity_id, record.id, "merged", {"merged_into": (None, survivor.id)},
                     via=via, **who)
    log = Merge.create(entity=entity, survivor_id=survivor.id,
                       merged_ids=json.dumps(list(merged_ids)), status="done",
                       created_at=_now(), survivor_version=survivor.version,
                       merged_versions=json.dumps(versions),
                       changes=json.dumps(changes, ensure_ascii=False, default=str),
                       sources=json.dumps(sources), **who)
    rows = [{"merge": log.id, "table": c["table"], "column": c["column"], "row_id": c["id"],
             "old": c["old"], "new": survivor.id} for c in repointed]
    for start in range(0, len(rows), 100):
        MergeChange.insert_many(rows[start:start + 100]).execute()
    record_audit(entity_id, survivor.id, "merge",
                 {"merge_id": (None, log.id), "merged_ids": (None, list(merged_ids)),
                  "sources": (None, sources)}, via=via, **who)
    counts: dict[str, int] = {}
    for c in repointed:
        key = f"{c['table']}.{c['column']}"
        counts[key] = counts.get(key, 0) + 1
    return {"id": log.id, "entity": entity, "survivor": after, "merged_ids": list(merged_ids),
            "changes": changes, "sources": sources, "repointed": counts}


# --------------------------------------------------------------------------- listing

def describe(log) -> dict:
    changed = json.loads(log.changes)
    return {"id": log.id, "entity": log.entity, "survivor_id": log.survivor_id,
            "merged_ids": json.loads(log.merged_ids), "status": log.status,
            "created_at": log.created_at.isoformat() + "Z" if log.created_at else None,
            "user": log.user_name, "changes": changed, "sources": json.loads(log.sources),
            "repointed": log.repointed.count(),
            "undone_at": log.undone_at.isoformat() + "Z" if log.undone_at else None,
            "undone_by": log.undone_by}


def list_merges(entity: str | None = None, limit: int = 50, before: int | None = None
                ) -> tuple[list[dict], int | None]:
    """Merges whose survivor the actor may read, newest first: ``(page, next cursor)``."""
    from peyvand_sdk import restrict

    from .dedupe_models import Merge
    from .models import Organization, Person

    out, last = [], before
    kinds = [entity] if entity else list(ENTITIES)
    for kind in kinds:
        require_permission(ENTITIES[kind], "read")
    while len(out) < limit:
        query = Merge.select().where(Merge.entity.in_(kinds)).order_by(Merge.id.desc())
        if last is not None:
            query = query.where(Merge.id < last)
        logs = list(query.limit(limit * 2))
        if not logs:
            last = None
            break
        readable = set()
        for kind, model in (("person", Person), ("organization", Organization)):
            ids = [m.survivor_id for m in logs if m.entity == kind]
            if ids:
                readable |= {(kind, i) for (i,) in restrict(
                    model.select(model.id).where(model.id.in_(ids)), ENTITIES[kind]).tuples()}
        for log in logs:
            last = log.id
            if (log.entity, log.survivor_id) in readable:
                out.append(describe(log))
                if len(out) == limit:
                    break
        if len(logs) < limit * 2 and len(out) < limit:
            last = None
            break
    return out, (last if len(out) == limit else None)


# --------------------------------------------------------------------------- undo

def _columns(table: str) -> set[str]:
    return {c.name for c in tenant_db.get_columns(table)}


def undo(merge_id: int, *, force: bool = False) -> dict:
    """Take merge ``merge_id`` back (the module's docstring has the rule); one transaction."""
    with tenant_db.atomic():
        return _undo(merge_id, force)


def _undo(merge_id: int, force: bool) -> dict:
    from peyvand_sdk import acting_as

    from .dedupe_models import Merge, MergeChange

    log = Merge.get_or_none(Merge.id == merge_id)
    if log is None or log.entity not in ENTITIES:
        raise RecordNotFound(f"there is no merge {merge_id}")
    entity_id = ENTITIES[log.entity]
    require_permission(entity_id, "update")
    require_permission(entity_id, "delete")
    service = _service(entity_id)
    survivor = service.get(log.survivor_id, action="update")   # 404 outside the user's scope
    if log.status != "done":
        raise MergeRefused(Message(UNDONE_ALREADY, merge=merge_id))
    versions = {int(k): v for k, v in json.loads(log.merged_versions).items()}
    merged = {i: service.get(i, include_trash=True, action="delete")
              for i in json.loads(log.merged_ids)
              if _exists(service, i)}
    conflicts, skip_fields, skip_rows = [], set(), set()
    who_is = Term(log.entity, ENTITY_TERMS[log.entity])
    changes = json.loads(log.changes)
    with acting_as(None):   # compare every field the merge set, hidden or not
        now = service.to_dict(service.get(survivor.id))
    for name, (_old, new) in changes.items():
        if name in now and now[name] != new:
            conflicts.append(Message(FIELD_CHANGED, field=field_term(name), entity=who_is,
                                     id=survivor.id))
            skip_fields.add(name)
    for record_id, version in versions.items():
        record = merged.get(record_id)
        if record is None:
            conflicts.append(Message(PURGED, entity=who_is, id=record_id))
        elif record.deleted_at is None or record.version != version:
            conflicts.append(Message(RESTORED, entity=who_is, id=record_id))
    repointed = list(MergeChange.select().where(MergeChange.merge == log.id)
                     .order_by(MergeChange.id))
    by_table: dict[str, list] = {}
    for change in repointed:
        by_table.setdefault(change.table, []).append(change)
    p = tenant_db.param
    for table, rows in by_table.items():
        if not _NAME.match(table) or not tenant_db.table_exists(table):
            continue
        current = {}
        ids = [r.row_id for r in rows]
        for column in {r.column for r in rows}:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                for row_id, value in tenant_db.execute_sql(
                        f'SELECT id, "{column}" FROM "{table}" WHERE id IN '
                        f"({', '.join([p] * len(chunk))})", chunk):
                    current[(column, row_id)] = value
        for r in rows:
            key = (r.column, r.row_id)
            if key in current and current[key] != r.new:
                conflicts.append(Message(MOVED, table=table, row=r.row_id, entity=who_is,
                                         id=survivor.id))
                skip_rows.add(r.id)
    if conflicts and not force:
        shown = conflicts[:10] + ([Message(MORE, n=len(conflicts) - 10)]
                                  if len(conflicts) > 10 else [])
        raise MergeRefused(Message(CANNOT_UNDO, merge=merge_id, conflicts=shown))

    actor = current_actor()
    who = {"user_id": getattr(actor, "id", None), "user_name": getattr(actor, "name", None)}
    via = getattr(actor, "via", None) or "api"
    restored = []
    for record_id, record in merged.items():
        if record.deleted_at is not None:
            service.restore(record_id, keep_days=current_kernel().settings.trash_days)
            record_audit(entity_id, record_id, "unmerged", {"merged_into": (survivor.id, None)},
                         via=via, **who)
            restored.append(record_id)
    previous = {name: old for name, (old, _new) in changes.items() if name not in skip_fields}
    if previous:
        service.update(survivor.id, previous)
    written = 0
    for table, rows in by_table.items():
        if not _NAME.match(table) or not tenant_db.table_exists(table):
            continue
        columns = _columns(table)
        for r in rows:
            if r.id in skip_rows or r.column not in columns:
                continue
            sets = [f'"{r.column}" = {p}']
            params = [r.old]
            if "version" in columns:
                sets.append('"version" = "version" + 1')
            if "updated_at" in columns:
                sets.append(f'"updated_at" = {p}')
                params.append(_now())
            cursor = tenant_db.execute_sql(
                f'UPDATE "{table}" SET {", ".join(sets)} WHERE id = {p} AND "{r.column}" = {p}',
                [*params, r.row_id, r.new])
            written += cursor.rowcount or 0
            if table in ("contacts_person", "contacts_note"):
                record_audit("contacts.note" if table == "contacts_note" else "contacts.person",
                             r.row_id, "update", {r.column: (r.new, r.old)}, via="merge", **who)
    if log.entity == "organization" and "contacts_person" in by_table:
        from .models import Organization
        from .search import refresh_people_of

        for org_id in {survivor.id, *restored}:
            org = Organization.get_or_none(Organization.id == org_id)
            if org is not None:
                refresh_people_of(org_id, org.name)
    (Merge.update(status="undone", undone_at=_now(), undone_by=who["user_name"])
     .where(Merge.id == log.id).execute())
    record_audit(entity_id, survivor.id, "merge-undo",
                 {"merge_id": (None, log.id), "restored": (None, restored)}, via=via, **who)
    return {"id": log.id, "status": "undone", "restored": restored,
            "fields_restored": sorted(previous), "rows_restored": written,
            "conflicts_kept": [str(c) for c in conflicts]}


def _exists(service, record_id: int) -> bool:
    try:
        service.get(record_id, include_trash=True, action="delete")
    except RecordNotFound:
        return False
    return True


# --------------------------------------------------------------------------- API

def register(bp) -> None:
    """The merge endpoints, on the contacts API blueprint."""
    from flask import jsonify, request

    def body() -> dict:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise InvalidRecord({"_schema": ["send a JSON object: {\"survivor\": id, "
                                             "\"merged\": [ids], \"fields\": {...}}"]})
        return data

    def merge_view(entity: str):
        data = body()
        dry_run = data.get("dry_run", False) or request.args.get("dry_run") in ("1", "true")
        result = merge(entity, data.get("survivor"), data.get("merged"), data.get("fields"),
                       dry_run=bool(dry_run), versions=data.get("versions"))
        return jsonify(result), 200 if dry_run else 201

    @bp.post("/persons/merge")
    def merge_persons():
        """``{"survivor": 12, "merged": [15, 18], "fields": {"email": 15}, "dry_run": false,
        "versions": {"12": 3, "15": 1}}`` (``versions``, optional: refuse with 409 when one of
        the records changed since)"""
        return merge_view("person")

    @bp.post("/organizations/merge")
    def merge_organizations():
        return merge_view("organization")

    @bp.get("/merges")
    def merges():
        """``?entity=person|organization&limit=50&cursor=…``: newest first."""
        entity = request.args.get("entity")
        if entity is not None and entity not in ENTITIES:
            raise InvalidRecord({"entity": ["person or organization"]})
        try:
            limit = min(max(int(request.args.get("limit", 50)), 1), 200)
            cursor = request.args.get("cursor")
            before = int(cursor) if cursor else None
        except ValueError:
            raise InvalidRecord({"cursor": ["a cursor this API returned"]}) from None
        page, next_cursor = list_merges(entity, limit, before)
        return jsonify({"data": page,
                        "next_cursor": str(next_cursor) if next_cursor else None})

    @bp.get("/merges/<int:merge_id>")
    def merge_detail(merge_id: int):
        from peyvand_sdk import restrict

        from .dedupe_models import Merge
        from .models import Organization, Person

        log = Merge.get_or_none(Merge.id == merge_id)
        if log is not None and log.entity in ENTITIES:
            require_permission(ENTITIES[log.entity], "read")
            model = Person if log.entity == "person" else Organization
            if restrict(model.select(model.id).where(model.id == log.survivor_id),
                        ENTITIES[log.entity]).exists():
                return jsonify(describe(log))
        raise RecordNotFound(f"there is no merge {merge_id}")

    @bp.post("/merges/<int:merge_id>/undo")
    def merge_undo(merge_id: int):
        data = request.get_json(silent=True) or {}
        force = bool(data.get("force")) if isinstance(data, dict) else False
        return jsonify(undo(merge_id, force=force or request.args.get("force") in ("1", "true")))

    @bp.errorhandler(MergeRefused)
    def refused(exc):
        return jsonify({"error": "Conflict", "message": str(exc)}), 409

    @bp.errorhandler(PeyvandError)
    def other(exc):
        status = {"StaleVersion": 412, "RecordNotFound": 404, "Forbidden": 403}.get(
            type(exc).__name__, 400)
        errors = getattr(exc, "errors", None)
        if isinstance(errors, dict):
            return jsonify({"errors": errors}), 422
        return jsonify({"error": type(exc).__name__, "message": str(exc)}), status
