"""What the contacts plugin adds to a person's or an organisation's record page (the kernel's
generic page, hook ``register_record_tabs``): the Notes and Timeline tabs, and a person's
vCard download (a link tab).

A tab is rendered only when it is opened (``?tab=contacts.notes``). *Notes* lists the
contact's notes (as the viewer may read them: a salesperson their own, a manager their team's)
with the customer's mood, and a form to add one. *Timeline* shows every plugin's items
(:func:`peyvand_contacts.timeline.items`: notes, imports, merges, deals, leads, activities…),
newest first, a page at a time, with an "Older" link carrying the last item shown as its
cursor; each item with the name of its kind (:func:`peyvand_contacts.timeline.kind_label`).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from peyvand_sdk import (
    InvalidRecord,
    current_actor,
    current_kernel,
    current_language,
    current_tenant,
    hidden_fields,
    permission_scope,
    require_permission,
    tenant_db,
)

from . import _, error_text, service

TIMELINE_PAGE = 20
NOTES_PAGE = 50
PLURALS = {"contacts.person": "persons", "contacts.organization": "organizations"}
LINKS = {"contacts.person": "person_id", "contacts.organization": "organization_id"}


def _record_url(entity_id: str, record_id: int, tab: str | None = None) -> str:
    url = url_for("peyvand_web.record_page", plugin="contacts", plural=PLURALS[entity_id],
                  record_id=record_id)
    return f"{url}?tab={tab}" if tab else url


def _item_url(item: dict) -> str | None:
    entity_id, record_id = item.get("entity"), item.get("id")
    if not entity_id or not record_id:
        return None
    entity = current_kernel().entities(current_tenant()).get(entity_id)
    if entity is None or permission_scope(entity_id, "read") == "none":
        return None
    return url_for("peyvand_web.record_page", plugin=entity.plugin, plural=entity.plural,
                   record_id=record_id)


# --------------------------------------------------------------------------- timeline

def render_timeline(entity, record):
    from ..timeline import items as timeline_items

    cursor = request.args.get("before") or None
    try:
        items, next_cursor = timeline_items(entity, record.id, limit=TIMELINE_PAGE,
                                            cursor=cursor)
    except InvalidRecord:           # a cursor that is not one of ours: the newest page
        cursor = None
        items, next_cursor = timeline_items(entity, record.id, limit=TIMELINE_PAGE)
    from ..timeline import kind_label

    for item in items:
        item["kind_label"] = kind_label(item)
        if item.get("entity") == "contacts.note":
            item["url"] = None          # shown in place; the Notes tab has them all
        elif str(item.get("key", "")).startswith("contacts.merge:") and item.get("id"):
            item["url"] = url_for("contacts_web.merge_detail", merge_id=item["id"])
        else:
            item["url"] = _item_url(item)
    older = f"?tab=contacts.timeline&before={next_cursor}" if next_cursor else None
    return render_template("contacts/_timeline.html", items=items, older=older,
                           paged=cursor is not None)


# --------------------------------------------------------------------------- notes

def _moods() -> list[tuple[str, str]]:
    from ..notes import MOOD_LABELS, MOODS

    lang = current_language()
    return [(m, MOOD_LABELS[m].get(lang) or MOOD_LABELS[m]["en"]) for m in MOODS]


def _authors(ids) -> dict[int, str]:
    from peyvand_sdk import find_users

    ids = sorted({i for i in ids if i})
    if not ids:
        return {}
    return {u["id"]: u.get("display_name") or u["name"]
            for u in find_users(ids=ids, active_only=False)}


def _may(action: str, note: dict) -> bool:
    """Whether the viewer may ``action`` this note (their scope: all, their team's, their own),
    so its Edit and Delete links show only to those the generic pages would let through."""
    scope = permission_scope("contacts.note", action)
    if scope in ("none", "all"):
        return scope == "all"
    actor = current_actor()
    return actor is not None and (note.get("owner_id") == actor.id or (
        scope == "team" and note.get("team_id") in actor.teams))


def render_notes(entity, record):
    notes_service = service("contacts.note")
    page = notes_service.list(filters={LINKS[entity]: str(record.id)}, sort="-id",
                              limit=NOTES_PAGE, cursor=request.args.get("cursor") or None)
    hidden = hidden_fields("contacts.note")
    moods = dict(_moods())
    authors = _authors(r.get("owner_id") for r in page.rows)
    notes = [{"id": r["id"], "body": r.get("body"), "mood": r.get("mood"),
              "mood_label": moods.get(r.get("mood")), "at": r.get("created_at"),
              "author": authors.get(r.get("owner_id")),
              "edit": _may("update", r) and url_for(
                  "peyvand_web.edit_record", plugin="contacts", plural="notes", record_id=r["id"]),
              "delete": _may("delete", r) and url_for(
                  "peyvand_web.delete_record", plugin="contacts", plural="notes",
                  record_id=r["id"])} for r in page.rows]
    can_add = (permission_scope("contacts.note", "create") != "none"
               and "body" not in hidden)
    more = f"?tab=contacts.notes&cursor={page.next_cursor}" if page.next_cursor else None
    return render_template(
        "contacts/_notes.html", notes=notes, can_add=can_add, more=more,
        moods=_moods() if "mood" not in hidden else [],
        action=url_for("contacts_web.add_note", plural=PLURALS[entity], record_id=record.id),
        paged=bool(request.args.get("cursor")))


def add_note(plural: str, record_id: int):
    """Add a note to a person or an organisation (the Notes tab's form)."""
    entity_id = {v: k for k, v in PLURALS.items()}.get(plural)
    if entity_id is None:
        abort(404)
    require_permission("contacts.note", "create")
    service(entity_id).get(record_id)                 # 404 outside the user's scope
    data = {LINKS[entity_id]: record_id, "body": (request.form.get("body") or "").strip(),
            "mood": request.form.get("mood") or None}
    if data["mood"] is None:
        data.pop("mood")
    if not data["body"]:
        flash(_("Write the note first."), "error")
        return redirect(_record_url(entity_id, record_id, "contacts.notes"))
    try:
        with tenant_db.atomic():
            service("contacts.note").create(data, via="web")
    except InvalidRecord as exc:
        flash(_("The note was not saved: %(reason)s", reason=error_text(exc.errors)), "error")
    else:
        flash(_("Note added."), "success")
    return redirect(_record_url(entity_id, record_id, "contacts.notes"))


# --------------------------------------------------------------------------- vCard

def vcard(record_id: int):
    """A person as a vCard 3.0 file, as the user may see them (``vcards.vcard_response``)."""
    from ..vcards import vcard_response

    return vcard_response(record_id)


def _vcard_url(record) -> str:
    return url_for("contacts_web.vcard", record_id=record.id)


# --------------------------------------------------------------------------- registration

def record_tabs() -> list[dict]:
    tabs = []
    for entity in PLURALS:
        tabs.append({"id": "contacts.notes", "label": {"en": "Notes", "fa": "یادداشت‌ها"},
                     "entity": entity, "permission": "contacts.note.read",
                     "render": render_notes, "order": 10})
        tabs.append({"id": "contacts.timeline", "label": {"en": "Timeline", "fa": "گاه‌شمار"},
                     "entity": entity, "render": render_timeline, "order": 20})
    tabs.append({"id": "contacts.vcard", "label": {"en": "vCard (.vcf)",
                                                   "fa": "کارت ویزیت (vCard)"},
                 "entity": "contacts.person", "url": _vcard_url, "order": 90})
    return tabs


def register(bp) -> None:
    bp.add_url_rule("/<plural>/<int:record_id>/notes", "add_note", add_note, methods=["POST"])
    bp.add_url_rule("/persons/<int:record_id>/vcard", "vcard", vcard)
