"""Duplicates in the web workspace: the warning while typing a new person, the duplicates
list, the merge screen and the merges with their undo.

The pages call the same functions as the API (:mod:`peyvand_contacts.duplicates`,
:mod:`peyvand_contacts.merging`) as the logged-in user, so scopes, hidden and read-only
fields and the audit trail are the API's.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from peyvand_sdk import (
    InvalidRecord,
    StaleVersion,
    Veto,
    current_language,
    hidden_fields,
    require_permission,
    tenant_db,
)

from . import ENTITIES, _, can, error_text, reason_of, record_url, service, title_of


def N_(message: str) -> str:
    """Marks ``message`` for the catalogue; it is translated where it is shown."""
    return message


RULE_LABELS = {
    "email": N_("Same e-mail"),
    "phone": N_("Same phone number"),
    "national_id": N_("Same national ID"),
    "name": N_("Same name"),
    "fuzzy": N_("Similar names"),
}
PAGE_GROUPS = 20
MERGES_PAGE = 30


def _entity(value: str | None) -> str:
    from ..duplicates import entity_of

    try:
        return entity_of(value)
    except InvalidRecord:
        abort(404)


def _ids(raw) -> list[int]:
    """Record ids from ``1,2,3`` or repeated fields; a bad one answers 400."""
    values = raw if isinstance(raw, list) else [raw]
    out = []
    for value in values:
        for part in str(value or "").replace("،", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit():
                abort(400)
            if int(part) not in out:
                out.append(int(part))
    return out


def _back(default: str) -> str:
    target = request.form.get("next") or ""
    if target.startswith("/app/contacts/") and "//" not in target and "\\" not in target:
        return target
    return default


# --------------------------------------------------------------------------- while typing

def check():
    """The "likely duplicates" panel of the new-person form, for the fields typed so far
    (the form's own fields, sent by ``dupcheck.js``: the single ``email``/``phone`` or the
    rows of the e-mail and phone lists); empty when nothing matches."""
    from ..duplicates import find
    from .listinputs import form_value

    require_permission("contacts.person", "read")
    form = request.form
    data = {k: (form.get(k) or "").strip() for k in (
        "first_name", "last_name", "email", "phone", "organization_id")}
    data = {k: v for k, v in data.items() if v}
    for name in ("emails", "phones"):
        items = form_value(name, form)
        if items:
            data[name] = items
    if not any(data.get(k) for k in ("email", "phone", "last_name", "emails", "phones")):
        return ""
    try:
        hits = find(data, limit=5)
    except InvalidRecord:      # an organisation number still being typed
        data.pop("organization_id", None)
        hits = find(data, limit=5)
    for hit in hits:
        hit["url"] = record_url("person", hit["id"])
        hit["reason"] = {"email": _("same e-mail"), "phone": _("same phone number"),
                         "name": _("same name in the same organisation")}.get(hit["match"],
                                                                              hit["match"])
    return render_template("contacts/_duplicates_found.html", hits=hits)


# --------------------------------------------------------------------------- the list

def duplicates_page():
    from ..duplicates import suggestions

    entity = _entity(request.args.get("entity"))
    entity_id = ENTITIES[entity]
    require_permission(entity_id, "read")
    try:
        page = suggestions(entity, limit=PAGE_GROUPS, cursor=request.args.get("cursor"))
    except InvalidRecord:
        abort(400)
    for group in page["data"]:
        group["label"] = _(RULE_LABELS.get(group["rule"], group["rule"]))
        group["ids"] = ",".join(str(r["id"]) for r in group["records"])
        for record in group["records"]:
            record["url"] = record_url(entity, record["id"])
    tabs = [(key, key == entity, url_for("contacts_web.duplicates", entity=key))
            for key in ENTITIES if can(ENTITIES[key], "read")]
    return render_template(
        "contacts/duplicates.html", entity=entity, entity_id=entity_id, groups=page["data"],
        next_cursor=page["next_cursor"], tabs=tabs, paged=bool(request.args.get("cursor")),
        threshold=page["threshold"], can_merge=can(entity_id, "update", "delete"),
        can_dismiss=can(entity_id, "update"))


def dismiss():
    from ..duplicates import dismiss as dismiss_pair

    entity = _entity(request.form.get("entity"))
    ids = _ids(request.form.get("ids"))
    with tenant_db.atomic():
        dismiss_pair(entity, ids)
    flash(_("Marked as not duplicates; they will not be suggested again."), "success")
    return redirect(_back(url_for("contacts_web.duplicates", entity=entity)))


# --------------------------------------------------------------------------- merging

#: The types of an e-mail, phone or address item (``details.py``), as the pages name them.
from ..details import TYPE_LABELS as ITEM_TYPES  # noqa: E402  (one list of type names)


def _list_text(items) -> str:
    comma = "، " if current_language() == "fa" else ", "
    out = []
    for item in items or []:
        if isinstance(item, dict):
            value = (item.get("value") or item.get("name") or item.get("label")
                     or comma.join(str(item[k]) for k in ("line", "city", "province",
                                                         "postal_code") if item.get(k)))
            kind = item.get("type")
            if kind:
                label = ITEM_TYPES.get(kind)
                shown = _(label) if label else str(kind).replace("_", " ")
                value = f"{value} ({shown})"
            out.append(str(value))
        else:
            out.append(str(item))
    return comma.join(out)


def _empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _merge_table(entity_id: str, svc, rows: list[dict], survivor: int,
                 chosen: dict | None = None) -> dict:
    """What the merge screen shows: fields whose values differ (a radio button per record),
    fields that are the same everywhere, lists that are combined and fields the user may
    not choose (read-only)."""
    hidden = hidden_fields(entity_id)
    _hidden, read_only = svc.field_rules()
    related = set(getattr(svc, "related_by_field", {}) or {})
    ordered = [next(r for r in rows if r["id"] == survivor),
               *[r for r in rows if r["id"] != survivor]]
    differ, same, lists, fixed = [], [], [], []
    for name in svc.fields:
        if name in hidden or name in _hidden:
            continue
        values = [r.get(name) for r in rows]
        if name in related:
            if any(values):
                lists.append({"name": name, "values": [(r["id"], _list_text(r.get(name)))
                                                       for r in rows]})
            continue
        if all(v == values[0] for v in values):
            if not _empty(values[0]):
                same.append({"name": name, "value": values[0], "row": rows[0]})
            continue
        if name in read_only:
            fixed.append({"name": name, "value": ordered[0].get(name), "row": ordered[0]})
            continue
        pick = (chosen or {}).get(name)
        if pick not in [r["id"] for r in rows]:
            pick = next((r["id"] for r in ordered if not _empty(r.get(name))), survivor)
        differ.append({"name": name, "pick": pick,
                       "choices": [(r["id"], r.get(name), r) for r in rows]})
    return {"differ": differ, "same": same, "lists": lists, "fixed": fixed}


def _default_survivor(rows: list[dict]) -> int:
    """The record with the most filled fields (the oldest on a tie)."""
    return max(rows, key=lambda r: (sum(not _empty(v) for v in r.values()), -r["id"]))["id"]


def _load_rows(entity_id: str, ids: list[int]):
    svc = service(entity_id)
    return svc, [svc.to_dict(svc.get(i)) for i in ids]


def merge_page():
    """GET: the choices; POST ``step=preview``: the merged record before it is written;
    ``step=confirm``: merge; ``step=edit``: back to the choices."""
    from ..merging import MAX_MERGED, MergeRefused, merge

    source = request.form if request.method == "POST" else request.args
    entity = _entity(source.get("entity"))
    entity_id = ENTITIES[entity]
    require_permission(entity_id, "update")
    require_permission(entity_id, "delete")
    ids = _ids(source.getlist("ids") or source.get("ids"))
    if len(ids) < 2:
        flash(_("Choose two or more records to merge."), "error")
        return redirect(url_for("contacts_web.duplicates", entity=entity))
    if len(ids) > MAX_MERGED + 1:
        abort(400)
    svc, rows = _load_rows(entity_id, ids)
    survivor = source.get("survivor", type=int)
    if survivor not in ids:
        survivor = _default_survivor(rows)
    chosen = {}
    for key, value in source.items():
        if key.startswith("take:") and value.isdigit():
            chosen[key[5:]] = int(value)
    table = _merge_table(entity_id, svc, rows, survivor, chosen)
    step = source.get("step") if request.method == "POST" else None
    fields = {item["name"]: item["pick"] for item in table["differ"]}
    merged_ids = [i for i in ids if i != survivor]
    # The versions the user is looking at: confirming after someone changed one is refused.
    seen = {}
    for key, value in source.items():
        if key.startswith("version:") and key[8:].isdigit() and value.isdigit():
            seen[int(key[8:])] = int(value)
    context = {"entity": entity, "entity_id": entity_id, "rows": rows, "ids": ids,
               "survivor": survivor, "table": table, "title_of": title_of,
               "record_url": record_url, "error": None}
    if step in ("preview", "confirm"):
        try:
            result = merge(entity, survivor, merged_ids, fields, dry_run=step == "preview",
                           versions=seen or None)
        except InvalidRecord as exc:
            context["error"] = error_text(exc.errors)
        except StaleVersion:
            context["error"] = _("Someone changed these records meanwhile; look at them "
                                 "again.")
        except (MergeRefused, Veto) as exc:
            context["error"] = _("The records were not merged: %(reason)s",
                                 reason=reason_of(exc))
        else:
            if step == "confirm":
                flash(_("Merged. The other records are in the trash; you can undo the merge "
                        "below."), "success")
                return redirect(url_for("contacts_web.merge_detail", merge_id=result["id"]))
            return render_template("contacts/merge_preview.html", result=result,
                                   versions={r["id"]: r.get("version") for r in rows},
                                   fields=fields, before=next(r for r in rows
                                                              if r["id"] == survivor),
                                   list_text=_list_text, **context)
        return render_template("contacts/merge.html", **context), 422
    return render_template("contacts/merge.html", **context)


def _merge_rows(items: list[dict]) -> list[dict]:
    """Titles and links of the records of a page of merges (trashed ones included)."""
    from ..models import Organization, Person

    by_entity: dict[str, set] = {}
    for m in items:
        by_entity.setdefault(m["entity"], set()).update([m["survivor_id"], *m["merged_ids"]])
    titles = {}
    for entity, ids in by_entity.items():
        model = Person if entity == "person" else Organization
        hidden = hidden_fields(ENTITIES[entity])
        for record in model.select().where(model.id.in_(sorted(ids))):
            row = {"id": record.id, **{k: getattr(record, k, None) for k in (
                "first_name", "last_name", "name") if k not in hidden}}
            titles[(entity, record.id)] = title_of(entity, row)
    for m in items:
        m["survivor_title"] = titles.get((m["entity"], m["survivor_id"]),
                                         f"#{m['survivor_id']}")
        m["survivor_url"] = record_url(m["entity"], m["survivor_id"])
        m["merged"] = [(i, titles.get((m["entity"], i), f"#{i}")) for i in m["merged_ids"]]
        m["can_undo"] = m["status"] == "done" and can(ENTITIES[m["entity"]], "update",
                                                      "delete")
    return items


def merges_page():
    from ..merging import list_merges

    entity = request.args.get("entity") or None
    if entity is not None:
        entity = _entity(entity)
    kinds = [entity] if entity else [k for k in ENTITIES if can(ENTITIES[k], "read")]
    if not kinds:
        require_permission("contacts.person", "read")   # 403: may read no contacts at all
    before = request.args.get("before", type=int)
    items, next_before = list_merges(kinds[0] if len(kinds) == 1 else None, MERGES_PAGE,
                                     before)
    return render_template("contacts/merges.html", merges=_merge_rows(items),
                           next_before=next_before, entity=entity, paged=bool(before))


def merge_detail(merge_id: int):
    from ..dedupe_models import Merge
    from ..merging import list_merges

    log = Merge.get_or_none(Merge.id == merge_id)
    if log is None or log.entity not in ENTITIES:
        abort(404)
    require_permission(ENTITIES[log.entity], "read")
    items, _next = list_merges(log.entity, 1, merge_id + 1)
    if not items or items[0]["id"] != merge_id:
        abort(404)
    item = _merge_rows(items)[0]
    entity_id = ENTITIES[item["entity"]]
    changes = [{"name": name, "old": old, "new": new, "source": item["sources"].get(name)}
               for name, (old, new) in item["changes"].items()]
    return render_template("contacts/merge_result.html", merge=item, entity_id=entity_id,
                           changes=changes, list_text=_list_text,
                           refused=request.args.get("refused"))


def merge_undo(merge_id: int):
    from ..merging import MergeRefused, undo

    force = request.form.get("force") == "1"
    if request.form.get("confirmed") != "1":     # GET, or a POST not sent from the page
        from .undo_confirm import merge_undo_page
        return merge_undo_page(merge_id)
    try:
        result = undo(merge_id, force=force)
    except MergeRefused as exc:
        flash(_("The merge was not undone: %(reason)s", reason=reason_of(exc)), "error")
        return redirect(url_for("contacts_web.merge_detail", merge_id=merge_id, refused=1))
    flash(_("The merge is undone; the merged records are back (%(n)s).",
            n=len(result["restored"])), "success")
    return redirect(url_for("contacts_web.merge_detail", merge_id=merge_id))


def register(bp) -> None:
    bp.add_url_rule("/duplicates/check", "check_duplicates", check, methods=["POST"])
    bp.add_url_rule("/duplicates", "duplicates", duplicates_page)
    bp.add_url_rule("/duplicates/dismiss", "dismiss", dismiss, methods=["POST"])
    bp.add_url_rule("/merge", "merge", merge_page, methods=["GET", "POST"])
    bp.add_url_rule("/merges", "merges", merges_page)
    bp.add_url_rule("/merges/<int:merge_id>", "merge_detail", merge_detail)
    bp.add_url_rule("/merges/<int:merge_id>/undo", "merge_undo", merge_undo,
                    methods=["GET", "POST"])
