"""Hooks the contacts plugin publishes for other plugins (sales, finance, email, telephony…).

Implement them with ``@hookimpl(optionalhook=True)`` so your plugin still loads where contacts
is not installed. Both are called in the tenant's database context with the acting user bound.
"""

from peyvand_sdk import hookspec


@hookspec
def contact_timeline(entity, record_id, before, limit):
    """Contribute items to the timeline of a person or an organisation (calls, e-mails, deals,
    invoices, tasks…), shown newest first on the contact's page and by
    ``GET /api/v1/contacts/persons/<id>/timeline`` (and ``.../organizations/<id>/timeline``).

    Return only what the viewer may read: restrict your queries with
    ``peyvand_sdk.restrict`` (or check ``permission_scope``), as for search hits. The contacts
    plugin merges every plugin's items, orders them by ``(at, key)`` descending and cuts the
    page; its cursor is the last item shown.

    :param entity: ``"contacts.person"`` or ``"contacts.organization"``.
    :param record_id: the contact's id. For an organisation, include items of the
        organisation itself (items of its people are theirs).
    :param before: ``None`` for the first page, else ``(at, key)`` of the last item already
        shown: return items with ``at <= before[0]`` (the merge drops those already shown).
    :param limit: return at most this many, newest first.
    :return: a list of dicts ``{"at": datetime (naive UTC), "key": str unique per item, such
        as "sales.deal:42:won", "kind": str such as "deal", "label": str (optional), "entity":
        "<plugin>.<name>" or None, "id": int or None, "title": str, "summary": str | None}``.
        ``label`` names the item's kind for people, already in the viewer's language (your
        plugin's ``gettext``: ``"Deal won"`` / ``"معامله برنده شد"``); the contact's page shows
        it beside the item. Without it the page shows the contacts plugin's name for the kind
        when it is one of its own (note, created, imported, merged), else the name of the
        linked record's entity, else "Event" — never the raw ``kind``, which stays a stable
        key for API clients.
    """


@hookspec
def contacts_merged(entity, survivor_id, merged_ids):
    """Re-point your records from merged contacts to the survivor.

    Called inside the merge's transaction, after the contacts plugin has chosen the surviving
    record and before it moves the others to the trash. Update every column of yours that
    refers to one of ``merged_ids`` (a deal's ``person_id``, an invoice's
    ``organization_id``…) so it refers to ``survivor_id``.

    :param entity: ``"contacts.person"`` or ``"contacts.organization"``.
    :param survivor_id: the id of the record that remains.
    :param merged_ids: the ids of the records merged into it.
    :return: a list of the changes made, so the merge can be undone:
        ``{"table": str, "column": str, "id": int, "old": int}`` per row changed (the row's
        primary key is ``id``). Undo writes ``old`` back into ``column`` of those rows.
    """
