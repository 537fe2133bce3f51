"""Search for the pages: the same ``search`` hook as ``GET /api/v1/search``.

Plugins that implement the ``search`` hook answer for their entities (folded, ranked, limited
to what the user may read). An entity whose plugin has no ``search`` hook but declares
``searchable`` fields is searched with a plain ``LIKE`` on those fields, in the spellings a
Persian query is commonly typed in (Arabic ي/ك or Persian ی/ک, Persian or ASCII digits), so
every entity is findable from the first day.
"""

from __future__ import annotations

import peewee

from ..access import current_actor, restrict
from ..permissions import scope_of

_ARABIC_TO_PERSIAN = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه"})
_PERSIAN_TO_ARABIC = str.maketrans({"ی": "ي", "ک": "ك"})
_TO_ASCII = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


def variants(query: str) -> list[str]:
    """The query as typed, with Persian letters, with Arabic letters, with ASCII digits."""
    base = " ".join(query.split())
    persian = base.translate(_ARABIC_TO_PERSIAN).translate(_TO_ASCII)
    return list(dict.fromkeys([base, persian, persian.translate(_PERSIAN_TO_ARABIC)]))


def _hooked_plugins(kernel, tenant: str) -> set[str]:
    return {name for name in kernel.enabled(tenant)
            if "search" in (kernel.records[name].hooks or ())}


def fallback_hits(kernel, tenant: str, entity, query: str, limit: int) -> list[dict]:
    """``LIKE`` matches on ``entity.searchable`` the actor may read, newest first."""
    actor = current_actor()
    if actor is not None and scope_of(actor, entity.id, "read") == "none":
        return []
    hidden = frozenset()
    if actor is not None and not actor.superuser:
        hidden = actor.policy.fields(actor.roles, entity.id)[0]
    model = entity.model
    columns = [getattr(model, f) for f in entity.searchable
               if f not in hidden and isinstance(getattr(model, f, None), peewee.Field)]
    if not columns:
        return []
    clause = None
    for text in variants(query):
        for column in columns:
            part = column.contains(text)
            clause = part if clause is None else clause | part
    title = getattr(model, entity.title_field, model.id)
    rows = (restrict(model.select(model.id, title).where(model.deleted_at.is_null() & clause),
                     entity.id)
            .order_by(model.id.desc()).limit(limit).tuples())
    return [{"entity": entity.id, "id": rid, "title": str(value if value is not None else rid),
             "subtitle": None, "score": 1.0} for rid, value in rows]


def search(kernel, tenant: str, query: str, limit: int = 20,
           entity_id: str | None = None) -> list[dict]:
    """Hits ``{entity, id, title, subtitle, score}``, best first, as ``/api/v1/search``
    answers them (plus the ``LIKE`` fallback for entities no hook covers)."""
    query = query.strip()
    if not query:
        return []
    hooked = _hooked_plugins(kernel, tenant)
    hits = []
    if hooked and (entity_id is None or entity_id.split(".")[0] in hooked):
        hits = [hit for found in kernel.hooks(tenant).search(query=query, limit=limit)
                for hit in found or []]
    for eid, entity in kernel.entities(tenant).items():
        if entity.plugin in hooked or not entity.searchable:
            continue
        if entity_id is not None and eid != entity_id:
            continue
        hits += fallback_hits(kernel, tenant, entity, query, limit)
    if entity_id is not None:
        hits = [h for h in hits if h["entity"] == entity_id]
    hits.sort(key=lambda h: (-h["score"], h["entity"], h["id"]))
    return hits[:limit]
