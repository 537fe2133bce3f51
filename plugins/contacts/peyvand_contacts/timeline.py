"""A contact's timeline: every enabled plugin's ``contact_timeline`` items, newest first.

:func:`page` is what ``GET /api/v1/contacts/persons/<id>/timeline`` (and
``.../organizations/<id>/timeline``) answers, and what a web page calls: the viewer must be
able to read the contact (else :class:`~peyvand_sdk.RecordNotFound`, a 404), each plugin returns
only what the viewer may read, and the items are merged by ``(at, key)`` descending and cut
into pages. The cursor is the last item shown, so a page never repeats an item nor skips one,
even when items are added meanwhile.

The contacts plugin contributes (:func:`contribute`): the contact's notes (with the mood), its
creation, the imports that created or updated it, and the merges into it (and their undo).

Each item may carry a ``label``: the name of its kind, already in the viewer's language
(``"Deal won"``, ``"معامله برنده شد"``), which the Timeline tab shows beside the item. The
contacts plugin labels its own kinds; :func:`kind_label` gives an item's label, or a sensible
one for an item without it (contacts' name for its kind, else the linked record's entity name,
else "Event") — never the raw ``kind``.
"""

from __future__ import annotations

import base64
import datetime
import json

from peyvand_sdk import InvalidRecord, current_kernel, current_tenant, hidden_fields, restrict

from .messages import N_

ENTITIES = {"contacts.person": "person", "contacts.organization": "organization"}
DEFAULT_LIMIT = 25
MAX_LIMIT = 100
#: The most items asked of the plugins for one page (when many share one moment).
MAX_ASK = 10_000
#: The names of contacts' own kinds of item (msgids of the plugin's catalogue).
KIND_LABELS = {"note": N_("Note"), "created": N_("New contact"), "import": N_("Imported"),
               "merge": N_("Merged"), "merge_undone": N_("Merge undone")}


def kind_label(item: dict) -> str:
    """The name of ``item``'s kind in the viewer's language: the plugin's ``label`` when it
    gave one, else contacts' name for the kind, else the name of the entity the item links
    to, else "Event"."""
    from peyvand_sdk import current_language, gettext

    label = item.get("label")
    if isinstance(label, dict):           # {"en": ..., "fa": ...} is accepted too
        label = label.get(current_language()) or label.get("en")
    if isinstance(label, str) and label.strip():
        return label.strip()
    own = KIND_LABELS.get(item.get("kind"))
    if own:
        return gettext(own)
    entity = item.get("entity")
    if entity:
        known = current_kernel().entities(current_tenant()).get(entity)
        names = getattr(known, "label", None) or {}
        if names.get(current_language()) or names.get("en"):
            return names.get(current_language()) or names.get("en")
    return gettext("Event")


def encode_cursor(at: datetime.datetime, key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([at.isoformat(), key]).encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime.datetime, str]:
    try:
        at, key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.datetime.fromisoformat(at).replace(tzinfo=None), str(key)
    except (ValueError, TypeError):
        raise InvalidRecord({"cursor": ["not a cursor this API returned; start again without "
                                        "it"]}) from None


def _naive(at) -> datetime.datetime | None:
    """A plugin's ``at`` as a naive UTC datetime; ``None`` when it is not a moment."""
    if isinstance(at, str):
        try:
            at = datetime.datetime.fromisoformat(at.replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(at, datetime.date) and not isinstance(at, datetime.datetime):
        at = datetime.datetime(at.year, at.month, at.day)
    if not isinstance(at, datetime.datetime):
        return None
    if at.tzinfo is not None:
        at = at.astimezone(datetime.UTC).replace(tzinfo=None)
    return at


def items(entity_id: str, record_id: int, *, limit: int = DEFAULT_LIMIT,
          cursor: str | None = None) -> tuple[list[dict], str | None]:
    """``(items, next_cursor)``: one page of the contact's timeline for the acting user.

    Items are ``{"at": datetime (naive UTC), "key", "kind", "entity", "id", "title",
    "summary", ...}`` as the plugins give them. Raises ``RecordNotFound`` when the user may not
    read the contact, ``InvalidRecord`` for a bad limit or cursor.
    """
    if entity_id not in ENTITIES:
        raise InvalidRecord({"entity": ["contacts.person or contacts.organization"]})
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidRecord({"limit": [f"a whole number from 1 to {MAX_LIMIT}"]})
    kernel = current_kernel()
    kernel.service(entity_id, current_tenant()).get(record_id)  # 404 outside the scope
    shown, more = collect(entity_id, record_id, decode_cursor(cursor) if cursor else None,
                          limit)
    next_cursor = encode_cursor(shown[-1]["at"], shown[-1]["key"]) if more and shown else None
    return shown, next_cursor


def collect(entity_id: str, record_id: int, before, limit: int) -> tuple[list[dict], bool]:
    """``(items, more)``: every enabled plugin's items older than ``before`` (``(at, key)``
    of the last item shown, or ``None``), merged newest first, at most ``limit``; ``more``
    says whether older items may follow. The caller checked that the viewer may read the
    contact."""
    # One more than the page from each plugin tells whether anything follows. A plugin may
    # return items at the moment of ``before`` that were shown already: when one filled its
    # answer with those, ask again for more, so ties on a moment never leave a gap.
    hook = current_kernel().hooks(current_tenant()).contact_timeline
    ask = limit + 1
    while True:
        merged: dict[str, dict] = {}
        full = starved = False
        for contributed in hook(entity=entity_id, record_id=record_id, before=before,
                                limit=ask) or []:
            contributed = [i for i in contributed or []
                           if isinstance(i, dict) and i.get("key")]
            fresh = 0
            for item in contributed:
                at = _naive(item.get("at"))
                if at is None:
                    continue
                item = {**item, "at": at, "key": str(item["key"])}
                if before is not None and (item["at"], item["key"]) >= before:
                    continue  # shown already (the contract lets plugins return at == before)
                fresh += 1
                merged.setdefault(item["key"], item)
            if len(contributed) >= ask:
                full = True
                starved |= fresh < limit  # its newest unseen page may be cut short
        if not starved or ask >= MAX_ASK:
            break
        ask *= 4
    ordered = sorted(merged.values(), key=lambda i: (i["at"], i["key"]), reverse=True)
    shown = ordered[:limit]
    return shown, bool(shown) and (len(ordered) > limit or full)


def page(entity_id: str, record_id: int, *, limit: int = DEFAULT_LIMIT,
         cursor: str | None = None) -> dict:
    """The API's answer: ``{"data": [item with "at" as ISO 8601 UTC], "next_cursor"}``."""
    shown, next_cursor = items(entity_id, record_id, limit=limit, cursor=cursor)
    return {"data": [{**i, "at": i["at"].isoformat() + "Z"} for i in shown],
            "next_cursor": next_cursor}


# --------------------------------------------------------------------------- contributions

def _older(query, at_column, key_of, before, limit: int) -> list:
    """Rows of ``query`` at or before ``before`` (newest first, at most ``limit``)."""
    if before is not None:
        query = query.where(at_column <= before[0])
    return list(query.order_by(at_column.desc()).limit(limit))


def contribute(entity_id: str, record_id: int, before, limit: int) -> list[dict]:
    """The contacts plugin's own items: notes, the record's creation, its imports."""
    from peyvand_sdk import gettext as _

    from .models import ImportBatch, ImportItem, Note, Organization, Person
    from .notes import MOOD_LABELS

    if entity_id not in ENTITIES:
        return []
    out: list[dict] = []
    hidden = hidden_fields("contacts.note")
    link = Note.person if entity_id == "contacts.person" else Note.organization
    notes = restrict(Note.select().where((link == record_id) & Note.deleted_at.is_null()),
                     "contacts.note")
    for note in _older(notes, Note.created_at, None, before, limit):
        body = None if "body" in hidden else note.body
        mood = None if "mood" in hidden else note.mood
        title = _("Note")
        if mood:
            from peyvand_sdk import current_language

            # The label already says "Note": the title says how the customer was.
            title = _("Customer's mood: %(mood)s",
                      mood=MOOD_LABELS[mood].get(current_language(), mood))
        out.append({"at": note.created_at, "key": f"contacts.note:{note.id}", "kind": "note",
                    "label": _("Note"), "entity": "contacts.note", "id": note.id,
                    "title": title,
                    "summary": body, "mood": mood, "author_id": note.owner_id})
    model = Person if entity_id == "contacts.person" else Organization
    created = model.select(model.id, model.created_at).where(model.id == record_id).first()
    if created is not None and (before is None or created.created_at <= before[0]):
        out.append({"at": created.created_at, "key": f"{entity_id}:{record_id}:created",
                    "kind": "created", "label": _("New contact"), "entity": entity_id,
                    "id": record_id,
                    "title": _("Added to the contacts"), "summary": None})
    imports = (ImportItem.select(ImportItem.id, ImportItem.action, ImportBatch.id,
                                 ImportBatch.created_at, ImportBatch.file_name,
                                 ImportBatch.user_name)
               .join(ImportBatch)
               .where((ImportItem.entity == ENTITIES[entity_id])
                      & (ImportItem.record_id == record_id)))
    for item in _older(imports, ImportBatch.created_at, None, before, limit):
        batch = item.batch
        title = (_("Imported from %(file)s") if item.action == "created"
                 else _("Updated by the import of %(file)s")) % {"file": batch.file_name}
        out.append({"at": batch.created_at, "key": f"contacts.import:{batch.id}:{item.id}",
                    "kind": "import", "label": _("Imported"), "entity": None, "id": batch.id,
                    "title": title, "summary": batch.user_name})
    out += _merges(entity_id, record_id, before, limit)
    if before is not None:
        out = [i for i in out if (i["at"], i["key"]) < before]
    out.sort(key=lambda i: (i["at"], i["key"]), reverse=True)
    return out[:limit]


def _merges(entity_id: str, record_id: int, before, limit: int) -> list[dict]:
    """The merges into the contact (``merge``) and their undo (``merge_undone``)."""
    import json

    from peyvand_sdk import gettext as _

    from .dedupe_models import Merge

    kind = ENTITIES[entity_id]
    query = Merge.select().where((Merge.entity == kind) & (Merge.survivor_id == record_id))
    out = []
    for log in _older(query, Merge.created_at, None, before, limit):
        merged = json.loads(log.merged_ids or "[]")
        out.append({"at": log.created_at, "key": f"contacts.merge:{log.id}", "kind": "merge",
                    "label": _("Merged"), "entity": None, "id": log.id,
                    "title": _("%(n)s records merged into this one", n=len(merged)),
                    "summary": log.user_name})
        if log.undone_at is not None and (before is None or log.undone_at <= before[0]):
            out.append({"at": log.undone_at, "key": f"contacts.merge:{log.id}:undone",
                        "kind": "merge_undone", "label": _("Merge undone"), "entity": None,
                        "id": log.id, "title": _("The merge was undone; the merged records are "
                                                 "back"), "summary": log.undone_by})
    return out


def register(bp) -> None:
    """``GET /persons/<id>/timeline`` and ``GET /organizations/<id>/timeline`` on the
    contacts API blueprint: ``?limit=`` (default 25, at most 100) and ``?cursor=``."""
    from flask import jsonify, request

    def answer(entity_id: str, record_id: int):
        raw = request.args.get("limit", str(DEFAULT_LIMIT))
        try:
            limit = int(raw)
        except ValueError:
            raise InvalidRecord({"limit": [f"a whole number from 1 to {MAX_LIMIT}"]}) from None
        return jsonify(page(entity_id, record_id, limit=limit,
                            cursor=request.args.get("cursor") or None))

    @bp.get("/persons/<int:record_id>/timeline")
    def person_timeline(record_id: int):
        """A person's timeline, newest first (every enabled plugin's items)."""
        return answer("contacts.person", record_id)

    @bp.get("/organizations/<int:record_id>/timeline")
    def organization_timeline(record_id: int):
        """An organisation's timeline (its own items; its people's are theirs)."""
        return answer("contacts.organization", record_id)
