"""Tags on the generic record page: coloured chips under the title, with add and remove.

Every entity carries ``tags`` (:mod:`peyvand.tags`); the record page shows them as chips in
the tags' colours. Users who may update the record add a tag (an existing one from the list,
or a new name if they may manage tags) and remove one with ``POST
/app/<plugin>/<plural>/<id>/tags`` (``add=NAME`` or ``remove=NAME``): an ordinary update of
the record's ``tags``, so its version, audit trail, events and rights apply.
"""

from __future__ import annotations

from flask import flash, redirect, request

from ..records import InvalidRecord
from . import blueprint, forms
from .i18n import _

#: Existing tags offered in the "add a tag" list at most.
OFFERED = 300


def text_colour(colour: str) -> str:
    """Black or white, whichever reads better on ``colour`` (``#rrggbb``)."""
    try:
        r, gr, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    except (ValueError, TypeError):
        return "#000"
    return "#111" if (r * 299 + gr * 587 + b * 114) / 1000 >= 150 else "#fff"


def chips(view, record, row: dict) -> dict | None:
    """What the record page shows of the record's tags, or ``None`` when the entity has no
    tags field or it is hidden from the user:
    ``{"chips": [{name, colour, text}], "can_edit", "offered": [names], "action"}``."""
    from ..tags import Tag, all_tags, tag_key

    related = getattr(view.service, "related_by_field", {}) or {}
    hidden, read_only = view.service.field_rules()
    if "tags" not in related or "tags" in hidden:
        return None
    from .pages import can

    names = row.get("tags") or []
    colours = {}
    if names:
        colours = {t.key: t.colour for t in Tag.select(Tag.key, Tag.colour).where(
            Tag.key.in_([tag_key(n) for n in names]))}
    shown = []
    for name in names:
        colour = colours.get(tag_key(name), "#e3ebf7")
        shown.append({"name": name, "colour": colour, "text": text_colour(colour)})
    can_edit = "tags" not in read_only and can(view.id, "update", record)
    offered = []
    if can_edit:
        have = {tag_key(n) for n in names}
        offered = [t.name for t in all_tags()[:OFFERED] if t.key not in have]
    return {"chips": shown, "can_edit": can_edit, "offered": offered,
            "action": view.url("record_tags", record_id=record.id)}


@blueprint.post("/app/<plugin>/<plural>/<int:record_id>/tags")
def record_tags(plugin, plural, record_id):
    """Add (``add=NAME``) or remove (``remove=NAME``) one tag of a record."""
    from ..tags import tag_key
    from .pages import _require, _view, _write

    view = _view(plugin, plural)
    _require(view.id, "update")
    record = view.service.get(record_id, action="update")
    names = list(view.service.to_dict(record).get("tags") or [])
    added = " ".join((request.form.get("add") or "").split())
    removed = request.form.get("remove")
    if added:
        if tag_key(added) in {tag_key(n) for n in names}:
            return redirect(view.url("record_page", record_id=record_id))
        names.append(added)
    elif removed is not None:
        names = [n for n in names if tag_key(n) != tag_key(removed)]
    else:
        return redirect(view.url("record_page", record_id=record_id))
    try:
        _write(lambda: view.service.update(record_id, {"tags": names}, via="web"))
    except InvalidRecord as exc:
        messages = forms.translated_errors(exc.errors).get("tags") or [
            " ".join(m for ms in forms.translated_errors(exc.errors).values() for m in ms)]
        if added and "there is no tag" in " ".join(str(m) for m in exc.errors.get("tags", [])):
            messages = [_("There is no tag “%(name)s”. Pick one from the list, or ask an "
                          "administrator to create it.", name=added)]
        flash(" ".join(messages), "error")
    else:
        if added:
            flash(_("Tagged “%(name)s”.", name=added), "success")
    return redirect(view.url("record_page", record_id=record_id))

