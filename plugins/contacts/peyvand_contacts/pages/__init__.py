"""The contacts plugin's own pages in the web workspace (blueprint ``contacts_web``).

People and organisations keep the kernel's generic list, record and form pages; these pages
add what is particular to contacts, under ``/app/contacts/``:

* ``duplicates/check`` — the "likely duplicates" panel of the new-person form (a part of the
  generic form, hook ``register_form_parts``; filled in while the user types);
* ``duplicates``, ``merge``, ``merges`` — the duplicates list, the merge screen (a choice per
  field, preview, confirm) and the merges with their undo (:mod:`.dedupe`);
* ``import`` — the import wizard: upload, mapping, preview, run with live progress, result
  with the error report and undo (:mod:`.imports`);
* ``vcard-import`` — import a .vcf (one card or many), with what became of each card
  (:mod:`.vcards`);
* the Notes and Timeline tabs of a person's and an organisation's record page, and
  ``<plural>/<id>/notes`` where the Notes tab's form adds a note (:mod:`.record`).

Every page runs as the logged-in user (the kernel binds them), so the same permission checks
as the API apply; links and buttons a user may not use are not shown, and the server refuses
them anyway. Text goes through the plugin's catalogue
(``translations/fa/LC_MESSAGES/messages.po``).
"""

from __future__ import annotations

import functools
from pathlib import Path

from flask import Blueprint, render_template, url_for

from peyvand_sdk import (
    Forbidden,
    InvalidRecord,
    RecordNotFound,
    current_kernel,
    current_tenant,
    gettext,
    permission_scope,
)

PACKAGE = Path(__file__).resolve().parent.parent
ENTITIES = {"person": "contacts.person", "organization": "contacts.organization"}

_ = gettext


def can(entity_id: str, *actions: str) -> bool:
    """Whether the logged-in user's roles grant every one of ``actions`` on ``entity_id``
    (some scope other than ``none``)."""
    return all(permission_scope(entity_id, action) != "none" for action in actions)


def service(entity_id: str):
    return current_kernel().service(entity_id, current_tenant())


def record_url(entity: str, record_id: int) -> str:
    plural = "persons" if entity in ("person", "contacts.person") else "organizations"
    return url_for("peyvand_web.record_page", plugin="contacts", plural=plural,
                   record_id=record_id)


def title_of(entity: str, row: dict) -> str:
    if entity in ("person", "contacts.person"):
        text = " ".join(str(n) for n in (row.get("first_name"), row.get("last_name")) if n)
    else:
        text = str(row.get("name") or "")
    return text or f"#{row.get('id')}"


def error_text(errors) -> str:
    """``InvalidRecord.errors`` as one line in the viewer's language: ``field: message;
    other: message`` (field labels and messages through the catalogues)."""
    from ..messages import errors_text

    return errors_text(errors)


def reason_of(exc: BaseException) -> str:
    """A lower layer's error in the viewer's language (its coded message, translated; see
    :mod:`peyvand_contacts.messages`) — never ``str(exc)`` as it is."""
    from ..messages import error_text as translated

    return translated(exc)


def error_page(code: int, title: str, message: str):
    return render_template("peyvand/error.html", code=code, title=title,
                           message=message), code


@functools.cache
def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("peyvand-contacts")
    except PackageNotFoundError:
        return "0"


def asset(name: str) -> str:
    """The URL of one of the plugin's static files (``static/contacts/<name>``)."""
    return url_for("contacts_web.static", filename=f"contacts/{name}", v=_version())


def blueprint() -> Blueprint:
    bp = Blueprint("contacts_web", __name__, url_prefix="/app/contacts",
                   template_folder=str(PACKAGE / "templates"),
                   static_folder=str(PACKAGE / "static"), static_url_path="/assets")

    @bp.app_context_processor
    def contacts_context():
        return {"contacts_asset": asset}

    from . import dedupe, imports, record, vcards

    dedupe.register(bp)
    imports.register(bp)
    record.register(bp)
    vcards.register(bp)

    @bp.errorhandler(Forbidden)
    def forbidden(exc):
        return error_page(403, _("Not allowed"),
                          _("Your role does not allow this. An administrator can grant it."))

    @bp.errorhandler(RecordNotFound)
    def not_found(exc):
        return error_page(404, _("Not found"),
                          _("This record does not exist, was deleted, or is not shared with "
                            "you."))

    @bp.errorhandler(404)
    def page_not_found(exc):
        return error_page(404, _("Not found"), _("There is no page at this address."))

    @bp.errorhandler(InvalidRecord)
    def invalid(exc):
        return error_page(400, _("Bad request"), reason_of(exc))

    return bp
