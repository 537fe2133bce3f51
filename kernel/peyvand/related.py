"""Related data: values an entity keeps outside its own table but reads and writes with its
records (an extension point for plugins; the kernel's tags use it too).

A plugin whose records carry lists (several typed phone numbers, line items…) subclasses
:class:`RelatedData` and passes instances to ``Entity(related=(...))``. Their ``fields`` then
behave like the schema's own everywhere: validated on input, returned by the record and list
endpoints, listed in the OpenAPI document, named by field rules (hidden / read-only), written to
the audit trail and the ``record-*`` events when they change, exported (as one cell each).

How the web pages show the fields: :meth:`RelatedData.display_items` (optional) turns a value
into items the kernel shows one per line on record pages (the primary first and marked, an LTR
value isolated with ``<bdi dir="ltr">``, a ``tel:``/``mailto:`` link, a type label) and as
"primary +N" in list cells; without it, the value is shown generically (a list of items, never
Python text).

Contract (what keeps lists fast): the kernel calls :meth:`RelatedData.load` **once per page**
with the ids of every record on it, never once per record, so an implementation answers with
one query (or a fixed few) whatever the page size.
"""

from __future__ import annotations

import json
from collections.abc import Mapping


class RelatedData:
    """Base class of an entity's related data. Override :meth:`load` and :meth:`save`.

    :attr fields: ``{name: marshmallow field}`` the API gains (``"phones": fields.List(...)``).
    :attr follows: ``{related field: schema field}``: the related field is hidden or read-only
        for a role whenever that schema field is (``{"phones": "phone"}``), so a field rule on
        the primary value covers the whole list.
    :attr columns: columns of the entity's own table that :meth:`load` needs with each record
        (read in the same query as the page, so the loader need not read the table again).
    """

    fields: Mapping = {}
    follows: Mapping[str, str] = {}
    columns: tuple[str, ...] = ()
    #: The fields the generic create/edit form lets the user edit, through :meth:`form_input`
    #: and :meth:`form_value` (none by default: related data is then only shown).
    form_fields: tuple[str, ...] = ()
    #: ``{related field: (schema field, ...)}``: the schema fields the generic create/edit
    #: form leaves out while it shows this object's inputs for that field (``{"phones":
    #: ("phone",)}``), so the form writes the list only and never a single value beside it.
    form_replaces: Mapping[str, tuple[str, ...]] = {}

    def empty(self, name: str):
        """The value of ``name`` for a record that has none (``[]`` by default)."""
        return []

    def load(self, entity, ids: list[int], rows: dict[int, dict]) -> dict[int, dict]:
        """``{id: {field: value}}`` for the records ``ids`` (a page: answer in one query).

        ``rows`` is ``{id: (value, ...)}``: the values of :attr:`columns`, in that order, as
        the database driver returned them. Values are in their API form (JSON-able). Ids left out
        get :meth:`empty` values.
        """
        raise NotImplementedError

    def clean(self, entity, values: dict, record=None) -> dict:
        """Check or normalise the validated input of this object's fields before the save
        hooks run (``record`` is ``None`` on create); raise
        :class:`peyvand.records.InvalidRecord` to refuse. Returns the values to use."""
        return values

    def save(self, entity, record, values: dict, action: str) -> None:
        """Store ``values`` (``{field: new value}``, only the fields that changed) for
        ``record``, after its row was written, inside the write's transaction. ``action`` is
        ``"create"`` or ``"update"``. ``before_record_save`` hooks saw these values in
        ``changes`` (``{field: (old, new)}``) and may have replaced them there."""
        raise NotImplementedError

    # -- the generic create/edit form (optional) ---------------------------------------------
    def form_input(self, entity, name: str, value, errors: dict, add: bool = False):
        """The inputs of field ``name`` (one of :attr:`form_fields`) on the generic create and
        edit forms, as safe HTML (``markupsafe.Markup``, rendered inside the ``<form>`` after
        the schema's fields; a plugin renders a template of its blueprint).

        ``value`` is the API form of the field to show: the stored value on the edit form,
        the empty value on the create form, and what :meth:`form_value` read from the
        submitted form when the form is shown again (a refused save, or "add another").
        ``errors`` is ``{key: [message]}`` in the user's language, the keys naming this
        field's items as the API does (``phones[1].value``, ``phones``); show each beside its
        input. ``add`` is true when the user pressed a submit button named ``_add`` whose
        value is ``name``: the kernel shows the form again without saving, and the inputs
        should offer one more empty item (a button that works without JavaScript). Only
        called when the user may write the field and every schema field it replaces (none
        hidden nor read-only by a field rule); otherwise the form shows those schema fields
        as usual.
        """
        raise NotImplementedError

    def form_value(self, entity, name: str, form):
        """The value of field ``name`` (its API form, as the service update takes it) from
        the submitted ``form`` (a ``werkzeug`` ``MultiDict``), for the fields whose inputs the
        form showed. The kernel sends it with the schema's fields in one service write
        (validation, field rules, optimistic locking, audit as for the API). Leave out empty
        items the user did not fill in."""
        raise NotImplementedError

    def display_items(self, name: str, value) -> list[dict] | None:
        """How the web pages show ``value`` of field ``name``: a list of items (``None``: the
        kernel shows the value generically). Called inside the request, so labels can be
        translated with ``peyvand_sdk.gettext``. Each item is a dict:

        * ``text``: the value as shown; or ``parts``: a list of strings the kernel joins with
          the language's comma, skipping empty ones (an address's line, city, postal code);
          an item with nothing to show is left out;
        * ``label``: its type in the user's language (``"Mobile"``/``"موبایل"``), or ``None``;
        * ``href``: a ``tel:``, ``mailto:``, ``http:`` or ``https:`` link (kept as given:
          ASCII), or ``None``; other schemes are dropped;
        * ``primary``: ``True`` for the main item (shown first and marked);
        * ``ltr``: ``True`` for a left-to-right value (phone number, e-mail, code): shown in
          ``<bdi dir="ltr">`` so its ``+``, ``@`` and brackets stay in place in Persian;
        * ``digits``: ``True`` to show the text's digits in the user's digits (Persian ones in
          Persian: phone numbers, postal codes).

        Record pages show one item per line; list cells the primary item and "+N" for the rest;
        the history tab every item on one line.
        """
        return None

    def export_text(self, name: str, value) -> str | None:
        """``value`` of field ``name`` as one spreadsheet cell (CSV/XLSX export)."""
        if value in (None, [], {}):
            return None
        return json.dumps(value, ensure_ascii=False)


def related_for(entity) -> list[RelatedData]:
    """Every :class:`RelatedData` of ``entity``: its own, then the kernel's tags."""
    from .tags import TAGS

    return [*getattr(entity, "related", ()), TAGS]


def related_fields(entity) -> dict[str, RelatedData]:
    """``{field name: RelatedData}`` of ``entity``."""
    return {name: rel for rel in related_for(entity) for name in rel.fields}
