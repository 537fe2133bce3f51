"""A contact's e-mails, phone numbers and addresses as rows on the generic create/edit form
(the kernel's ``RelatedData.form_input``/``form_value``, implemented by
:class:`peyvand_contacts.details.ContactDetails`).

Each list is a fieldset of rows: the value (an address: line, city, province, postal code),
its type and a "primary" radio; a stored item has a "remove" box, and an empty row at the end
adds one. "Add another" is a submit button (``_add=<list>``): the kernel shows the form again
with what was typed and one more empty row, so it works without JavaScript;
``listrows.js`` adds the row in the page instead when scripts run. Inputs are named
``<list>-<row>-<key>`` (``phones-1-value``, ``addresses-0-city``) and ``<list>-primary``
holds the primary row's number; a row left empty or marked "remove" is left out.
"""

from __future__ import annotations

import re

from flask import g, render_template, request
from markupsafe import Markup

from . import _
from .dedupe import N_

#: list field -> the keys of one item the form edits (an address has no ``value``).
KEYS = {"emails": ("value",), "phones": ("value",),
        "addresses": ("line", "city", "province", "postal_code")}
KEY_LABELS = {"value": {"emails": N_("E-mail"), "phones": N_("Number")},
              "line": N_("Address"), "city": N_("City"), "province": N_("Province"),
              "postal_code": N_("Postal code")}
#: Rows the form reads per list at most (the API refuses more than MAX_ITEMS anyway).
MAX_ROWS = 100
ROW = re.compile(r"(emails|phones|addresses)-(\d{1,3})-([a-z_]+)\Z")


def _rows(name: str, form) -> dict[int, dict]:
    """``{row number: {key: text}}`` of list ``name`` in the submitted ``form``."""
    rows: dict[int, dict] = {}
    for key in form:
        found = ROW.match(key)
        if found and found[1] == name and int(found[2]) < MAX_ROWS:
            rows.setdefault(int(found[2]), {})[found[3]] = (form.get(key) or "").strip()
    return dict(sorted(rows.items()))


def _empty(name: str, row: dict) -> bool:
    return not any(row.get(k) for k in KEYS[name])


def form_value(name: str, form) -> list[dict]:
    """The items of list ``name`` typed in ``form``, in API form: rows left empty or marked
    "remove" are left out; the row of ``<name>-primary`` is the primary one."""
    primary = (form.get(f"{name}-primary") or "").strip()
    items = []
    for index, row in _rows(name, form).items():
        if row.get("remove") or _empty(name, row):
            continue
        item = {k: row.get(k) or None for k in KEYS[name]}
        if name != "addresses":
            item["value"] = item["value"] or ""
        item["type"] = row.get("type") or None
        item["primary"] = primary == str(index)
        items.append(item)
    return items


def _type_choices(name: str) -> list[tuple[str, str]]:
    from ..details import ADDRESS_TYPES, EMAIL_TYPES, PHONE_TYPES
    from .dedupe import ITEM_TYPES

    types = {"emails": EMAIL_TYPES, "phones": PHONE_TYPES, "addresses": ADDRESS_TYPES}[name]
    return [(t, _(ITEM_TYPES[t])) for t in types]


def _key_label(name: str, key: str) -> str:
    label = KEY_LABELS[key]
    return _(label[name] if isinstance(label, dict) else label)


def form_input(name: str, label: str, value, errors: dict, add: bool = False) -> Markup:
    """The rows of list ``name``: one per item of ``value``, then empty ones (one more when
    the user pressed "Add another"), with the errors that name a row beside it."""
    items = [dict(i) for i in value or []]
    empties = 1
    if request.method == "POST":  # shown again: keep the empty rows the user had, plus one
        sent = [r for r in _rows(name, request.form).values()
                if not r.get("remove") and _empty(name, r)]
        empties = max(1, len(sent) + (1 if add else 0))
    elif add:
        empties = 2
    rows = []
    for index in range(len(items) + empties):
        item = items[index] if index < len(items) else {}
        messages = [m for key, ms in errors.items()
                    if key.startswith(f"{name}[{index}]") for m in ms]
        rows.append({"index": index, "item": item, "new": index >= len(items),
                     "errors": messages})
    if not items:
        rows[0]["item"] = {"primary": True}
    assets = not g.get("contacts_list_assets")  # the style and script once per page
    g.contacts_list_assets = True
    return Markup(render_template(
        "contacts/_list_inputs.html", name=name, label=label, rows=rows,
        keys=[(k, _key_label(name, k)) for k in KEYS[name]], types=_type_choices(name),
        list_errors=list(errors.get(name, [])), assets=assets))
