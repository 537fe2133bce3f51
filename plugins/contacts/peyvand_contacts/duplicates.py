"""Likely duplicates, by the import's own rules: the same normalised e-mail, the same
normalised mobile, the same folded name in the same organisation (and, where an admin sets a
threshold, similar names in the same organisation). Only records the user may read are shown.

Two uses:

* :func:`find` — the duplicates of a contact being typed by hand
  (``POST /api/v1/contacts/persons/check-duplicates``);
* :func:`suggestions` — the duplicates list of a whole tenant
  (``GET /api/v1/contacts/duplicates``, ``peyvand contacts duplicates``).

How the list stays cheap at 100,000 contacts and more: every rule is a ``GROUP BY`` of an
indexed column holding the normalised value (``email``, ``phone``, ``national_id`` are
normalised on every write; ``name_key`` holds the folded name, see :mod:`.namekeys`), read
page by page with a keyset cursor over the grouped key. Nothing compares every pair. The
fuzzy rule walks the people of each organisation in ``name_key`` order (an index) and compares
each name with the few distinct names just before it (a sorted-neighbourhood comparison), so
it costs O(n) comparisons; it finds names that differ by a typo or a letter, not names that
sort far apart (a different first letter).

A pair someone marked "not duplicates" (:func:`dismiss`) is never suggested again.
"""

from __future__ import annotations

import base64
import datetime
import json
from collections import deque

import peewee
from flask import Blueprint, jsonify, request

from peyvand_sdk import (
    Forbidden,
    InvalidRecord,
    RecordNotFound,
    current_actor,
    get_setting,
    hidden_fields,
    record_audit,
    require_permission,
    restrict,
)

from .emails import InvalidEmail, normalize_email
from .namekeys import SEPARATOR, display, person_name_key
from .phones import InvalidPhone, normalize_phone
from .text import fold

ENTITIES = {"person": "contacts.person", "organization": "contacts.organization"}
#: The rules, in the order the list shows them (a group already shown under an earlier rule
#: is not repeated under a later one).
RULES = ("email", "phone", "national_id", "name", "fuzzy")
#: The setting holding the fuzzy rule's threshold (similarity 1-100; 0 turns the rule off).
THRESHOLD_SETTING = "contacts.fuzzy_name_threshold"
#: Distinct names each name is compared with (the fuzzy rule's window).
WINDOW = 8
#: Records shown per group at most (``count`` says how many share the key).
GROUP_RECORDS = 50
PERSON_FIELDS = ("first_name", "last_name", "email", "phone", "organization_id", "job_title",
                 "national_id", "city", "lifecycle_stage")
ORGANIZATION_FIELDS = ("name", "email", "phone", "national_id", "economic_code", "city",
                       "website")


# --------------------------------------------------------------------------- while typing

def _typed(data: dict, single: str, many: str, normalise, invalid) -> list[str]:
    """The normalised values of ``single`` and of the items of the list ``many``."""
    raw = [data.get(single)]
    items = data.get(many)
    if isinstance(items, list):
        raw += [i.get("value") for i in items if isinstance(i, dict)]
    out = []
    for value in raw:
        if value:
            try:
                out.append(normalise(str(value)))
            except invalid:
                continue
    return list(dict.fromkeys(out))


def find(data: dict, limit: int = 10) -> list[dict]:
    """Likely duplicates of the person ``data`` (API fields; ``emails``/``phones`` lists
    count too), matched against every e-mail and number of the people the user may read."""
    from .models import Detail, Person

    emails = _typed(data, "email", "emails", normalize_email, InvalidEmail)
    phones = _typed(data, "phone", "phones", normalize_phone, InvalidPhone)
    hits: dict[int, dict] = {}

    def add(rows, match, value):
        for person in rows:
            hits.setdefault(person.id, {"id": person.id, "title": " ".join(
                n for n in (person.first_name, person.last_name) if n), "match": match,
                "value": value})

    live = Person.deleted_at.is_null()

    def having(kind, column, value):
        """People whose primary or secondary ``kind`` is ``value``."""
        secondary = Detail.select(Detail.record_id).where(
            (Detail.kind == kind) & (Detail.value == value) & (Detail.entity == "person"))
        return restrict(Person.select().where(live & ((column == value)
                                                      | Person.id.in_(secondary))),
                        "contacts.person").order_by(Person.id).limit(limit)

    for email in emails:
        add(having("email", Person.email, email), "email", email)
    for phone in phones:
        add(having("phone", Person.phone, phone), "phone", phone)
    name = fold(" ".join(str(data.get(k) or "") for k in ("first_name", "last_name")))
    if name.strip() and data.get("organization_id"):
        try:
            org_id = int(data["organization_id"])
        except (TypeError, ValueError):
            raise InvalidRecord({"organization_id": ["an organisation's id"]}) from None
        key = person_name_key(data.get("first_name"), data.get("last_name"))
        add(restrict(Person.select().where(live & (Person.organization == org_id)
                                           & (Person.name_key == key)),
                     "contacts.person").limit(limit), "name", name)
    hidden = hidden_fields("contacts.person")
    out = []
    for hit in list(hits.values())[:limit]:
        if hit["match"] in hidden:  # the match itself would reveal a hidden value
            hit = {**hit, "value": None}
        out.append(hit)
    return out


# --------------------------------------------------------------------------- the list

def _model(entity: str):
    from .models import Organization, Person

    return Person if entity == "person" else Organization


def entity_of(value: str | None) -> str:
    """``person`` or ``organization`` from a query or command argument (422 otherwise)."""
    value = (value or "person").strip().lower()
    aliases = {"persons": "person", "people": "person", "contacts.person": "person",
               "organisation": "organization", "organizations": "organization",
               "organisations": "organization", "contacts.organization": "organization"}
    value = aliases.get(value, value)
    if value not in ENTITIES:
        raise InvalidRecord({"entity": ["person or organization"]})
    return value


def threshold() -> int:
    """The admin's fuzzy threshold (0: the fuzzy rule is off)."""
    try:
        value = int(get_setting(THRESHOLD_SETTING) or 0)
    except (TypeError, ValueError):
        return 0
    return min(max(value, 0), 100)


def _key_columns(model, rule: str) -> list:
    if rule in ("name", "fuzzy"):
        if hasattr(model, "organization"):
            return [model.organization, model.name_key]
        return [model.name_key]
    return [getattr(model, rule)]


def _empty_key(model) -> str:
    return "\x1f" if hasattr(model, "organization") else ""


def _live_with_key(model, rule: str):
    where = model.deleted_at.is_null()
    for column in _key_columns(model, rule):
        where &= column.is_null(False)
    if rule in ("name", "fuzzy"):
        where &= model.name_key != _empty_key(model)
    return where


def _after(columns, values):
    if len(columns) == 1:
        return columns[0] > values[0]
    return peewee.Tuple(*columns) > peewee.Tuple(*values)


#: The rules whose key is also held by ``contacts_detail`` rows (secondary values).
DETAIL_RULES = ("email", "phone")


def _exact_keys(model, entity_id: str, rule: str, after, batch: int) -> list[tuple]:
    """``[(key..., count)]``: the next ``batch`` keys that at least two readable live records
    share, in key order after ``after``. For the e-mail and phone rules a key is also shared
    through secondary values (:func:`_detail_keys`); their ``count`` is then ``0`` (the
    members are counted when they are read)."""
    columns = _key_columns(model, rule)
    query = model.select(*columns, peewee.fn.COUNT(model.id)).where(_live_with_key(model, rule))
    query = restrict(query, entity_id)
    if after is not None:
        query = query.where(_after(columns, after))
    query = (query.group_by(*columns).having(peewee.fn.COUNT(model.id) > 1)
             .order_by(*columns).limit(batch))
    keys = [tuple(row) for row in query.tuples()]
    if rule not in DETAIL_RULES:
        return keys
    shared = _detail_keys(model, entity_id, rule, after, batch)
    if not shared:
        return keys
    merged = dict.fromkeys(shared, 0)
    merged.update({key[0]: key[1] for key in keys})
    # Each list holds the first ``batch`` keys of its kind after ``after``, so the first
    # ``batch`` of their union are the first ``batch`` keys of the rule.
    return [(value, merged[value]) for value in sorted(merged)[:batch]]


def _entity_key(model) -> str:
    return "person" if hasattr(model, "organization") else "organization"


def _detail_keys(model, entity_id: str, rule: str, after, batch: int) -> list:
    """The next ``batch`` values, in order after ``after``, that a readable live record holds
    as a secondary e-mail or phone (a ``contacts_detail`` row) while another live record holds
    it too, as its primary value or as a secondary one.

    One walk of the ``(kind, value)`` index of ``contacts_detail`` (no pair of records is ever
    compared): each secondary row is kept when the ``email``/``phone`` index of the contact
    table or the ``(kind, value)`` index again finds the same value on another record. Whether
    that other record is readable is settled when the members are read (:func:`_members`)."""
    from .models import Detail

    entity = _entity_key(model)
    other, other_detail = model.alias("other"), Detail.alias("other_detail")
    holder = model.alias("holder")
    on_primary = (other.select(peewee.SQL("1"))
                  .where((getattr(other, rule) == Detail.value) & (other.id != Detail.record_id)
                         & other.deleted_at.is_null()))
    on_secondary = (other_detail.select(peewee.SQL("1"))
                    .join(holder, on=(holder.id == other_detail.record_id))
                    .where((other_detail.kind == rule) & (other_detail.value == Detail.value)
                           # ``|| ''``: the lookup must use the (kind, value) index, not
                           # the (entity, ...) one, which would read every row of the entity
                           & (other_detail.entity.concat("") == entity)
                           & (other_detail.record_id != Detail.record_id)
                           & holder.deleted_at.is_null()))
    query = (model.select(Detail.value)
             .join(Detail, on=(Detail.record_id == model.id))
             .where((Detail.kind == rule) & (Detail.entity == entity) & Detail.value.is_null(False)
                    & model.deleted_at.is_null()
                    & (peewee.fn.EXISTS(on_primary) | peewee.fn.EXISTS(on_secondary))))
    query = restrict(query, entity_id)
    if after is not None:
        query = query.where(Detail.value > after[0])
    query = query.group_by(Detail.value).order_by(Detail.value).limit(batch)
    return [value for (value,) in query.tuples()]


def _secondaries(entity: str, ids) -> dict[int, dict[str, set]]:
    """``{record id: {"email": {values}, "phone": {values}}}``: the secondary e-mails and
    phones of the records ``ids``."""
    from .models import Detail

    ids = sorted(set(ids))
    out: dict[int, dict[str, set]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for record_id, kind, value in (Detail.select(Detail.record_id, Detail.kind, Detail.value)
                                       .where((Detail.entity == entity)
                                              & Detail.kind.in_(DETAIL_RULES)
                                              & Detail.record_id.in_(chunk)
                                              & Detail.value.is_null(False)).tuples()):
            out.setdefault(record_id, {}).setdefault(kind, set()).add(value)
    return out


def _members(model, entity_id: str, rule: str, keys: list[tuple]) -> dict[tuple, list]:
    """The readable live records of each key, by id (for the e-mail and phone rules, the
    records holding the value as their primary or as a secondary value)."""
    columns = _key_columns(model, rule)
    width = len(columns)
    wanted = sorted({key[:width] for key in keys})
    out: dict[tuple, list] = {key: [] for key in wanted}
    for start in range(0, len(wanted), 200):
        chunk = wanted[start:start + 200]
        # Each column's values: the index (on the first, or on both) finds the rows; a row
        # whose combination was not asked for is dropped below.
        condition = _live_with_key(model, rule)
        for i, column in enumerate(columns):
            condition &= column.in_(sorted({key[i] for key in chunk}))
        holders: dict[int, set] = {}
        if rule in DETAIL_RULES:
            from .models import Detail

            values = [key[0] for key in chunk]
            for record_id, value in (Detail.select(Detail.record_id, Detail.value)
                                     .where((Detail.kind == rule)
                                            & (Detail.entity == _entity_key(model))
                                            & Detail.value.in_(values)).tuples()):
                holders.setdefault(record_id, set()).add(value)
            if holders:
                condition = model.deleted_at.is_null() & (
                    columns[0].in_(values) | model.id.in_(sorted(holders)))
        query = restrict(model.select().where(condition), entity_id).order_by(model.id)
        for record in query:
            found = {tuple(record.__data__.get(c.name) for c in columns)}
            found.update((value,) for value in holders.get(record.id, ()))
            for key in found:
                if key in out:
                    out[key].append(record)
    return out


def _value(record, rule: str):
    """The record's key under ``rule``, or ``None`` when it has none."""
    if rule == "name":
        if not record.name_key or record.name_key == _empty_key(type(record)):
            return None
        if hasattr(record, "organization_id"):
            org = record.organization_id
            return None if org is None else (org, record.name_key)
        return record.name_key
    return getattr(record, rule)


def _values(record, rule: str, secondary: dict) -> set:
    """Every key of the record under ``rule`` (its secondary e-mails and phones too)."""
    value = _value(record, rule)
    out = set() if value is None else {value}
    if rule in DETAIL_RULES:
        out |= secondary.get(record.id, {}).get(rule, set())
    return out


def _covered(records, rule: str, rules: tuple[str, ...], secondary: dict | None = None) -> bool:
    """True when every record of a group shares a key of an earlier rule (the group was
    shown there); ``secondary`` holds the records' secondary values (:func:`_secondaries`)."""
    secondary = secondary or {}
    for earlier in rules[:rules.index(rule)]:
        if earlier == "fuzzy":
            continue
        common = None
        for r in records:
            values = _values(r, earlier, secondary)
            common = values if common is None else common & values
            if not common:
                break
        if common:
            return True
    return False


def _dismissed(entity: str, ids) -> set[tuple[int, int]]:
    from .dedupe_models import DuplicateDismissal

    ids = sorted(set(ids))
    out = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        out.update(DuplicateDismissal.select(DuplicateDismissal.low_id,
                                             DuplicateDismissal.high_id)
                   .where((DuplicateDismissal.entity == entity)
                          & DuplicateDismissal.low_id.in_(chunk)).tuples())
    return out


def _without_dismissed(records: list, dismissed: set) -> tuple[list, list]:
    """The records that still have a pair not marked "not duplicates" in the group, and the
    dismissed pairs among them."""
    ids = [r.id for r in records]
    keep, pairs = [], []
    for r in records:
        if any((min(r.id, j), max(r.id, j)) not in dismissed for j in ids if j != r.id):
            keep.append(r)
    kept = [r.id for r in keep]
    for i, a in enumerate(kept):
        for b in kept[i + 1:]:
            if (min(a, b), max(a, b)) in dismissed:
                pairs.append([min(a, b), max(a, b)])
    return keep, pairs


def _summary(entity: str, record, org_names: dict, hidden: frozenset) -> dict:
    fields = PERSON_FIELDS if entity == "person" else ORGANIZATION_FIELDS
    out = {"id": record.id}
    if entity == "person":
        out["title"] = " ".join(n for n in (record.first_name, record.last_name) if n)
    else:
        out["title"] = record.name
    for name in fields:
        if name not in hidden:
            out[name] = getattr(record, name)
    if entity == "person" and "organization_id" not in hidden:
        out["organization"] = org_names.get(record.organization_id)
    for name in ("owner_id", "team_id"):
        out[name] = getattr(record, name)
    for name in ("created_at", "updated_at"):
        value = getattr(record, name)
        out[name] = value.isoformat() + "Z" if isinstance(value, datetime.datetime) else value
    return out


def _org_names(records) -> dict[int, str]:
    from .models import Organization

    ids = sorted({getattr(r, "organization_id", None) for r in records} - {None})
    if not ids:
        return {}
    return dict(Organization.select(Organization.id, Organization.name)
                .where(Organization.id.in_(ids)).tuples())


def _shown_value(rule: str, key: tuple, hidden: frozenset, entity: str):
    if rule in hidden or (rule == "name" and ({"first_name", "last_name", "name"} & hidden)):
        return None
    if rule == "name":
        return display(key[-1]) if entity == "person" else key[-1]
    return key[0]


def _fuzzy_rows(model, entity_id: str, after, chunk: int = 2000):
    """Readable live records with a name, ``(org, name_key, id)`` in that order, after the
    position ``after``."""
    person = hasattr(model, "organization")
    order = ([model.organization, model.name_key, model.id] if person
             else [model.name_key, model.id])
    base = restrict(model.select(*order).where(_live_with_key(model, "fuzzy")), entity_id)
    position = after
    while True:
        query = base
        if position is not None:
            query = query.where(_after(order, position))
        rows = list(query.order_by(*order).limit(chunk).tuples())
        for row in rows:
            yield row if person else (None, *row)
        if len(rows) < chunk:
            return
        position = rows[-1]


def _fuzzy_window(model, entity_id: str, after) -> deque:
    """The window as it was when the scan reached ``after`` (the rows just before it)."""
    person = hasattr(model, "organization")
    order = ([model.organization, model.name_key, model.id] if person
             else [model.name_key, model.id])
    query = restrict(model.select(*order).where(_live_with_key(model, "fuzzy")), entity_id)
    query = query.where(~_after(order, after)).order_by(*[c.desc() for c in order])
    rows = [row if person else (None, *row) for row in query.limit(WINDOW * 4).tuples()]
    window: deque = deque(maxlen=WINDOW)
    org_now = rows[0][0] if rows else None
    for org, key, record_id in reversed(rows):
        if org != org_now:
            continue
        if window and window[-1][0] == key:
            window[-1][1].append(record_id)
        else:
            window.append((key, [record_id]))
    return window


def _fuzzy_pairs(model, entity_id: str, limit_score: int, after, need: int):
    """``([(id_a, id_b, score)], next position or None)``: names at least ``limit_score``
    similar (and not equal) within an organisation (people: the lower of the last names' and
    the first names' similarity) or anywhere (organisations)."""
    from rapidfuzz.fuzz import ratio

    person = hasattr(model, "organization")
    window = _fuzzy_window(model, entity_id, after) if after is not None else deque(
        maxlen=WINDOW)
    org_now = object() if after is None else (after[0] if person else None)
    pairs = []
    last = None
    for org, key, record_id in _fuzzy_rows(model, entity_id, after):
        last = (org, key, record_id) if person else (key, record_id)
        if org != org_now:
            window.clear()
            org_now = org
        if window and window[-1][0] == key:
            window[-1][1].append(record_id)      # the same name: the name rule's business
            continue
        parts = key.split(SEPARATOR) if person else None
        for other_key, ids in window:
            if person:     # both the last and the first name must be similar
                other = other_key.split(SEPARATOR)
                score = min(ratio(a, b) for a, b in zip(parts, other, strict=False))
            else:
                score = ratio(key, other_key)
            if score >= limit_score:
                pairs.extend((other, record_id, round(score)) for other in ids[:5])
        window.append((key, [record_id]))
        if len(pairs) >= need:
            return pairs, last
    return pairs, None


def _encode(state) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, default=str).encode()).decode()


def _decode(cursor: str, rules) -> tuple[int, list | None]:
    try:
        index, after = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        index = int(index)
        if not 0 <= index <= len(rules) or (after is not None and not isinstance(after, list)):
            raise ValueError
    except (ValueError, TypeError):
        raise InvalidRecord({"cursor": ["not a cursor this API returned"]}) from None
    return index, after


def parse_rules(text: str | None, entity: str) -> tuple[str, ...]:
    if not text:
        rules = RULES
    else:
        rules = tuple(r.strip().lower() for r in text.split(",") if r.strip())
        unknown = [r for r in rules if r not in RULES]
        if unknown:
            raise InvalidRecord({"rule": [f"unknown rule(s) {', '.join(unknown)}; use "
                                          f"{', '.join(RULES)}"]})
        rules = tuple(r for r in RULES if r in rules)
    if "fuzzy" in rules and not threshold():
        rules = tuple(r for r in rules if r != "fuzzy")
    return rules


def suggestions(entity: str = "person", *, rules: tuple[str, ...] | None = None,
                limit: int = 50, cursor: str | None = None) -> dict:
    """One page of likely duplicates among the records the actor may read:
    ``{"data": [group], "next_cursor": str | None, "rules": [...], "threshold": int}``.

    A group is ``{"rule", "value", "count", "records": [key fields], "dismissed": [[a, b]]}``
    for the exact rules (``count``: how many readable records share the value; at most
    :data:`GROUP_RECORDS` are listed) and ``{"rule": "fuzzy", "score", "records": [a, b]}``
    for the fuzzy rule.
    """
    entity = entity_of(entity)
    entity_id = ENTITIES[entity]
    require_permission(entity_id, "read")
    rules = parse_rules(None, entity) if rules is None else rules
    model = _model(entity)
    index, after = _decode(cursor, rules) if cursor else (0, None)
    hidden = hidden_fields(entity_id)
    limit_score = threshold()
    out: list[dict] = []
    while index < len(rules) and len(out) < limit:
        rule = rules[index]
        need = limit - len(out)
        if rule == "fuzzy":
            pairs, position = _fuzzy_pairs(model, entity_id, limit_score,
                                           tuple(after) if after else None, need)
            out.extend(_fuzzy_groups(model, entity, pairs, rules, hidden))
        else:
            keys = _exact_keys(model, entity_id, rule, tuple(after) if after else None, need)
            position = keys[-1][:-1] if len(keys) == need else None
            out.extend(_exact_groups(model, entity, entity_id, rule, keys, rules, hidden))
        if position is None:
            index, after = index + 1, None
        else:
            after = list(position)
    next_cursor = _encode([index, after]) if index < len(rules) else None
    return {"data": out, "next_cursor": next_cursor, "rules": list(rules),
            "threshold": limit_score}


def _exact_groups(model, entity, entity_id, rule, keys, rules, hidden) -> list[dict]:
    if not keys:
        return []
    members = _members(model, entity_id, rule, keys)
    ids = [r.id for group in members.values() for r in group]
    dismissed = _dismissed(entity, ids)
    secondary = _secondaries(entity, ids) if rules.index(rule) > 0 else {}
    org_names = _org_names([r for group in members.values() for r in group])
    out = []
    for *key, _count in keys:
        records = members.get(tuple(key), [])
        if len(records) < 2 or _covered(records, rule, rules, secondary):
            continue
        records, pairs = _without_dismissed(records, dismissed)
        if len(records) < 2:
            continue
        out.append({"rule": rule, "value": _shown_value(rule, tuple(key), hidden, entity),
                    "count": len(records),
                    "records": [_summary(entity, r, org_names, hidden)
                                for r in records[:GROUP_RECORDS]],
                    "dismissed": pairs})
    return out


def _fuzzy_groups(model, entity, pairs, rules, hidden) -> list[dict]:
    if not pairs:
        return []
    ids = sorted({i for a, b, _ in pairs for i in (a, b)})
    records = {r.id: r for r in model.select().where(model.id.in_(ids))}
    dismissed = _dismissed(entity, ids)
    secondary = _secondaries(entity, ids)
    org_names = _org_names(records.values())
    out = []
    for a, b, score in pairs:
        pair = [records[a], records[b]]
        if (min(a, b), max(a, b)) in dismissed or _covered(pair, "fuzzy", rules, secondary):
            continue
        out.append({"rule": "fuzzy", "value": None, "score": score, "count": 2,
                    "records": [_summary(entity, r, org_names, hidden) for r in pair],
                    "dismissed": []})
    return out


def dismiss(entity: str, ids: list[int]) -> int:
    """Mark every pair of ``ids`` "not duplicates" (the actor must be allowed to update each
    record); return how many pairs were new. Audited on each record."""
    from .dedupe_models import DuplicateDismissal

    entity = entity_of(entity)
    entity_id = ENTITIES[entity]
    require_permission(entity_id, "update")
    if not isinstance(ids, list) or len(ids) < 2 or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise InvalidRecord({"ids": ["two or more record ids"]})
    ids = sorted(set(ids))
    if len(ids) < 2:
        raise InvalidRecord({"ids": ["two or more different record ids"]})
    model = _model(entity)
    found = {i for (i,) in restrict(model.select(model.id).where(
        model.id.in_(ids) & model.deleted_at.is_null()), entity_id, "update").tuples()}
    missing = [i for i in ids if i not in found]
    if missing:
        raise RecordNotFound(f"{entity_id} {missing[0]} does not exist (or you may not "
                             "change it)")
    actor = current_actor()
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    rows = [{"entity": entity, "low_id": a, "high_id": b, "created_at": now,
             "user_id": getattr(actor, "id", None), "user_name": getattr(actor, "name", None)}
            for i, a in enumerate(ids) for b in ids[i + 1:]]
    before = DuplicateDismissal.select().where(
        (DuplicateDismissal.entity == entity) & DuplicateDismissal.low_id.in_(ids)
        & DuplicateDismissal.high_id.in_(ids)).count()
    for start in range(0, len(rows), 100):
        DuplicateDismissal.insert_many(rows[start:start + 100]).on_conflict_ignore().execute()
    via = getattr(actor, "via", None) or "api"
    for record_id in ids:
        record_audit(entity_id, record_id, "not-duplicate",
                     {"not_duplicate_of": (None, [i for i in ids if i != record_id])},
                     via=via, user_id=getattr(actor, "id", None),
                     user_name=getattr(actor, "name", None))
    return len(rows) - before


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidRecord({name: [f"a whole number from {low} to {high}"]}) from None
    if not low <= value <= high:
        raise InvalidRecord({name: [f"a whole number from {low} to {high}"]})
    return value


def blueprint() -> Blueprint:
    bp = Blueprint("contacts_api", __name__, url_prefix="/api/v1/contacts")

    @bp.post("/persons/check-duplicates")
    def check_duplicates():
        """``{first_name, last_name, email, phone, organization_id}`` → likely duplicates."""
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise InvalidRecord({"_schema": ["send the person's fields as a JSON object"]})
        return jsonify({"data": find(data)})

    @bp.get("/duplicates")
    def duplicates_list():
        """``?entity=person|organization&rule=email,phone&limit=50&cursor=…``."""
        entity = entity_of(request.args.get("entity"))
        rules = parse_rules(request.args.get("rule") or request.args.get("rules"), entity)
        return jsonify(suggestions(entity, rules=rules, limit=_int_arg("limit", 50, 1, 200),
                                   cursor=request.args.get("cursor")))

    @bp.post("/duplicates/dismiss")
    def duplicates_dismiss():
        """``{"entity": "person", "ids": [12, 15]}``: these are not duplicates."""
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise InvalidRecord({"_schema": ["send {\"entity\", \"ids\"} as a JSON object"]})
        from peyvand_sdk import tenant_db

        with tenant_db.atomic():
            added = dismiss(data.get("entity") or "person", data.get("ids"))
        return jsonify({"dismissed": added})

    from .importing.jobs import register as register_imports
    from .merging import register

    register(bp)
    register_imports(bp)
    from .timeline import register as register_timeline

    register_timeline(bp)
    from .vcards import register as register_vcards

    register_vcards(bp)

    @bp.errorhandler(InvalidRecord)
    def invalid(exc):
        return jsonify({"errors": exc.errors}), 422

    @bp.errorhandler(Forbidden)
    def forbidden(exc):
        return jsonify({"error": "Forbidden", "message": str(exc)}), 403

    @bp.errorhandler(RecordNotFound)
    def not_found(exc):
        return jsonify({"error": "Not Found", "message": str(exc)}), 404

    return bp


def settings() -> list:
    from peyvand_sdk import Setting

    return [Setting(
        THRESHOLD_SETTING, "integer", 0,
        label={"en": "Duplicates: fuzzy name similarity (%)",
               "fa": "تکراری‌ها: میزان شباهت نام (درصد)"},
        description={"en": "Also suggest people of the same organisation (and organisations) "
                           "whose names are at least this similar, 1-100 (about 85 finds typos);"
                           " 0 turns it off.",
                     "fa": "اشخاص یک سازمان (و سازمان‌هایی) که نامشان دست‌کم این اندازه شبیه "
                           "است نیز پیشنهاد شوند، ۱ تا ۱۰۰ (حدود ۸۵ غلط‌های تایپی را می‌یابد)؛"
                           " ۰ یعنی خاموش."})]
