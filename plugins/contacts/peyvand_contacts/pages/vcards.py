"""Import a .vcf (a phone's address book, one card or many) from the web workspace.

``/app/contacts/vcard-import``: the user (who may create people) uploads the file and sees a
line per card: created (linked), with a warning naming the people already in the CRM it may
duplicate (linked, and a link to merge them), or not created and why (the card's number and
name, and each problem). The work is the API's (:func:`peyvand_contacts.vcards.import_cards`,
as ``POST /api/v1/contacts/persons/vcard``): in one transaction, each card in its own
savepoint, so a card with errors is left out and the others are created, and a file that
cannot be read (not a vCard, not UTF-8, no card, too many cards, too large) creates nothing.
"""

from __future__ import annotations

from flask import render_template, request, url_for

from peyvand_sdk import InvalidRecord, require_permission, tenant_db

from . import _, can, error_text, reason_of, record_url

#: The largest .vcf the page takes (a phone's whole address book with photos fits easily).
MAX_BYTES = 5 * 1024 * 1024


def _too_large() -> str:
    return _("The file is larger than %(size)s MB; export fewer contacts at a time (or "
             "without photos).", size=MAX_BYTES // (1024 * 1024))


def _rows(result: dict) -> list[dict]:
    """The API's answer per card, with links, names and translated reasons."""
    can_merge = can("contacts.person", "update", "delete")
    rows = []
    for card in result["cards"]:
        duplicates = [{"id": d["id"], "title": d.get("title") or f"#{d['id']}",
                       "url": record_url("person", d["id"])}
                      for d in card.get("duplicates") or [] if d.get("id") != card.get("id")]
        row = {"card": card["card"], "name": card.get("name") or "", "id": card.get("id"),
               "duplicates": duplicates, "merge_url": None,
               "reason": error_text(card["errors"]) if card.get("errors") else None}
        if row["id"]:
            row["url"] = record_url("person", row["id"])
            if duplicates and can_merge:
                ids = ",".join(str(i) for i in [*(d["id"] for d in duplicates), row["id"]])
                row["merge_url"] = url_for("contacts_web.merge", entity="person", ids=ids)
        rows.append(row)
    return rows


def vcard_import():
    """GET: the upload form; POST: import the file and list what became of each card."""
    require_permission("contacts.person", "create")
    error, rows, status = None, None, 200
    if request.method == "POST":
        from ..vcards import decode, import_cards

        upload = request.files.get("file")
        try:
            if upload is None or not upload.filename:
                raise InvalidRecord({"file": [_("Choose the .vcf file to import.")]})
            raw = upload.stream.read(MAX_BYTES + 1)
            if len(raw) > MAX_BYTES:
                error, status = _too_large(), 413
            else:
                with tenant_db.atomic():
                    result = import_cards(decode(raw), via="web")
                rows = _rows(result)
        except InvalidRecord as exc:
            message = getattr(exc, "message", None)
            error = reason_of(exc) if message is not None else error_text(
                exc.errors.get("file", exc.errors))
            status = 422
    created = sum(1 for r in rows or [] if r["id"])
    return render_template(
        "contacts/vcard_import.html", error=error, rows=rows, created=created,
        failed=sum(1 for r in rows or [] if not r["id"]),
        warned=sum(1 for r in rows or [] if r["id"] and r["duplicates"]),
        max_mb=MAX_BYTES // (1024 * 1024)), status


def register(bp) -> None:
    bp.add_url_rule("/vcard-import", "vcard_import", vcard_import, methods=["GET", "POST"])
