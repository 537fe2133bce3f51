"""The import wizard: upload → mapping → preview → run with live progress → result.

``/app/contacts/import``                       upload (CSV/TSV/XLSX/XLS/ODS; encoding override)
``/app/contacts/import/<draft>/mapping``       the columns, guessed and editable; save as a
                                               named mapping; match rules
``/app/contacts/import/<draft>/preview``       what the first rows would do (created, updated,
                                               skipped, merged, every error); writes nothing
``/app/contacts/import/<draft>/run``           (POST) starts the import as a background job
``/app/contacts/imports/<id>``                 live progress, then the result: counts, the
                                               error report, undo

Between the steps the uploaded file waits in a *draft* folder of the tenant's files
(``<files>/<tenant>/contacts-import-drafts/<token>/``) that only its uploader can use; drafts
are removed when the import starts, and any left behind after :data:`DRAFT_HOURS` hours. The
preview and the run are the API's (:mod:`peyvand_contacts.importing.jobs`): the same checks,
the same job, the same progress file; ``peyvand worker`` runs the import.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import os
import re
import secrets
import shutil
import time
from pathlib import Path

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.datastructures import FileStorage, MultiDict

from peyvand_sdk import (
    InvalidRecord,
    PeyvandError,
    current_actor,
    current_kernel,
    current_language,
    current_tenant,
    custom_fields,
    require_permission,
    tenant_db,
)

from . import _, can, error_text, reason_of

DRAFTS = "contacts-import-drafts"
DRAFT_HOURS = 24
PREVIEW_ROWS = 20
SAMPLE_ROWS = 3
SHOWN_ERRORS = 100
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "cp1256")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_SAFE = re.compile(r"[^\w.\-]+")


def N_(message: str) -> str:
    """Marks ``message`` for the catalogue; it is translated where it is shown."""
    return message


#: What a column can be imported as (the pipeline's fields), as the mapping screen names them.
FIELD_LABELS = {
    "first_name": N_("First name"),
    "last_name": N_("Last name"),
    "full_name": N_("Full name (split into first and last name)"),
    "email": N_("E-mail"),
    "mobile": N_("Mobile"),
    "phone": N_("Phone"),
    "organization": N_("Organisation (found by name, or created)"),
    "job_title": N_("Job title"),
    "national_id": N_("National ID"),
    "city": N_("City"),
    "source": N_("Source"),
    "lifecycle_stage": N_("Lifecycle stage"),
    "consent_email": N_("E-mail consent"),
    "consent_sms": N_("SMS consent"),
}
ACTION_LABELS = {
    "update_empty": N_("Fill in their empty fields"),
    "overwrite": N_("Overwrite their fields with the file's values"),
    "skip": N_("Leave them as they are (skip the row)"),
    "create": N_("Create a new person anyway"),
}
ON_LABELS = {"email": N_("Same e-mail"), "phone": N_("Same phone number"),
             "name": N_("Same first and last name and organisation")}
ROW_ACTIONS = {"create": N_("Create"), "update": N_("Update"), "merge": N_("Merge"),
               "skip": N_("Skip"), "fail": N_("Error")}
STATE_LABELS = {"queued": N_("Waiting"), "running": N_("Running"), "done": N_("Finished"),
                "failed": N_("Failed")}
PHASE_LABELS = {"read": N_("Reading and checking the rows"),
                "write": N_("Writing the people")}


# --------------------------------------------------------------------------- drafts

def _home() -> Path:
    return Path(current_kernel().settings.home)


def _drafts_root() -> Path:
    return current_kernel().storage.files_dir(current_tenant()) / DRAFTS


def _sweep(root: Path) -> None:
    """Remove drafts older than :data:`DRAFT_HOURS` (abandoned wizards)."""
    if not root.is_dir():
        return
    cutoff = time.time() - DRAFT_HOURS * 3600
    for folder in root.iterdir():
        try:
            if folder.is_dir() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


class Draft:
    """An uploaded file waiting for its mapping and preview, and the choices made so far."""

    def __init__(self, token: str, folder: Path, data: dict):
        self.token, self.folder, self.data = token, folder, data

    @property
    def path(self) -> Path:
        return self.folder / self.data["stored"]

    @property
    def file_name(self) -> str:
        return self.data["file_name"]

    def save(self) -> None:
        tmp = self.folder / "draft.json.tmp"
        tmp.write_text(json.dumps(self.data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.folder / "draft.json")

    def form(self) -> MultiDict:
        """The options as the API's upload form carries them."""
        form = MultiDict()
        if self.data.get("mapping") is not None:
            form["mapping"] = json.dumps({"columns": self.data["mapping"]}, ensure_ascii=False)
        for rule in self.data.get("rules") or []:
            form.add("match", rule)
        if self.data.get("encoding"):
            form["encoding"] = self.data["encoding"]
        if self.data.get("all_or_nothing"):
            form["all_or_nothing"] = "1"
        return form

    def upload(self, stream) -> dict:
        return {"file": FileStorage(stream=stream, filename=self.file_name)}


def _create_draft(upload, encoding: str | None) -> Draft:
    from ..importing.readers import SUPPORTED_EXTENSIONS

    name = os.path.basename((upload.filename or "").replace("\\", "/"))[:255]
    suffix = Path(name).suffix.lower()
    if not name or suffix not in SUPPORTED_EXTENSIONS:
        raise InvalidRecord({"file": [_("Choose a CSV or Excel file (%(types)s).",
                                        types=", ".join(sorted(SUPPORTED_EXTENSIONS)))]})
    root = _drafts_root()
    _sweep(root)
    token = secrets.token_urlsafe(18)
    folder = root / token
    folder.mkdir(parents=True)
    stored = (_SAFE.sub("_", Path(name).stem)[:80] or "upload") + suffix
    upload.save(str(folder / stored))
    actor = current_actor()
    draft = Draft(token, folder, {"user_id": getattr(actor, "id", None), "file_name": name,
                                  "stored": stored, "encoding": encoding or None,
                                  "created": datetime.datetime.now(datetime.UTC).isoformat()})
    draft.save()
    return draft


def _draft(token: str) -> Draft:
    """The logged-in user's draft ``token`` (404 for anyone else's, or a stale one)."""
    require_permission("contacts.person", "import")
    if not _TOKEN.match(token):
        abort(404)
    folder = _drafts_root() / token
    try:
        data = json.loads((folder / "draft.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        abort(404)
    actor = current_actor()
    if data.get("user_id") != getattr(actor, "id", None):
        abort(404)
    draft = Draft(token, folder, data)
    if not draft.path.is_file():
        abort(404)
    return draft


# --------------------------------------------------------------------------- step 1: upload

def upload_page():
    from ..importing.jobs import list_imports

    require_permission("contacts.person", "import")
    error = None
    status = 200
    if request.method == "POST":
        encoding = request.form.get("encoding") or None
        if encoding is not None and encoding not in ENCODINGS:
            abort(400)
        upload = request.files.get("file")
        try:
            if upload is None or not upload.filename:
                raise InvalidRecord({"file": [_("Choose the file to import.")]})
            draft = _create_draft(upload, encoding)
            headers, _rows = _read_start(draft)
        except InvalidRecord as exc:
            error, status = error_text(exc.errors.get("file", exc.errors)), 422
        except _Unreadable as exc:
            shutil.rmtree(draft.folder, ignore_errors=True)
            error, status = str(exc), 422
        else:
            return redirect(url_for("contacts_web.import_mapping", token=draft.token))
    recent, _more = list_imports(10)
    return render_template("contacts/import_upload.html", error=error, recent=recent,
                           encodings=ENCODINGS, state_labels=STATE_LABELS,
                           can_vcard=can("contacts.person", "create")), status


class _Unreadable(Exception):
    """The file cannot be read (the reader's message names what is wrong)."""


def _read_start(draft: Draft, samples: int = SAMPLE_ROWS) -> tuple[list[str], list[list[str]]]:
    """The headers and the first rows of the draft's file."""
    from ..importing.readers import ImportFileError, read_rows

    try:
        with read_rows(draft.path, filename=draft.file_name,
                       encoding=draft.data.get("encoding")) as source:
            rows = []
            for _number, cells in source.numbered_rows():
                rows.append(cells)
                if len(rows) >= samples:
                    break
            return list(source.headers), rows
    except (ImportFileError, UnicodeError, LookupError) as exc:
        raise _Unreadable(_("The file cannot be read: %(reason)s",
                            reason=reason_of(exc))) from None


# --------------------------------------------------------------------------- step 2: mapping

def _field_choices() -> list[tuple[str, str]]:
    lang = current_language()
    choices = [(key, _(label)) for key, label in FIELD_LABELS.items()]
    for definition in custom_fields("contacts.person"):
        label = getattr(definition, "label", None) or {}
        choices.append((definition.key, label.get(lang) or label.get("en") or definition.name))
    return choices


def _saved_mappings() -> list[str]:
    folder = _home() / "import-mappings"
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def _rule_choice(rules) -> tuple[list[str], str]:
    """``(match on, action)`` of a list of rules ``on=action`` (the form has one action)."""
    from ..importing.pipeline import DEFAULT_RULES

    rules = [str(r) for r in rules] if rules else [str(r) for r in DEFAULT_RULES]
    ons = [r.partition("=")[0] for r in rules]
    actions = {r.partition("=")[2] or "update_empty" for r in rules}
    return ons, (actions.pop() if len(actions) == 1 else "update_empty")


def mapping_page(token: str):
    from ..importing.pipeline import ImportFailed, load_mapping, resolve_mapping, save_mapping

    draft = _draft(token)
    try:
        headers, samples = _read_start(draft)
    except _Unreadable as exc:
        flash(str(exc), "error")
        return redirect(url_for("contacts_web.import_upload"))
    custom = custom_fields("contacts.person")
    known = {key for key, _label in _field_choices()}
    errors: list[str] = []
    mapping = draft.data.get("mapping")
    rules = draft.data.get("rules")
    saved_name = request.args.get("saved")
    if request.method == "GET" and saved_name:
        try:
            given, saved_rules = load_mapping(saved_name, _home())
            mapping = resolve_mapping(headers, given, custom)
            rules = [str(r) for r in saved_rules] if saved_rules else rules
        except ImportFailed as exc:
            errors.append(reason_of(exc))
    if mapping is None:
        mapping = resolve_mapping(headers, None, custom)
    if request.method == "POST":
        mapping = {}
        for index, header in enumerate(headers):
            target = request.form.get(f"map:{index}") or None
            if target is not None and target not in known:
                abort(400)
            mapping[header] = target
        ons = [on for on in request.form.getlist("match_on") if on in ON_LABELS]
        action = request.form.get("match_action") or "update_empty"
        if action not in ACTION_LABELS:
            abort(400)
        rules = [f"{on}={action}" for on in ons]
        taken: dict[str, str] = {}
        for header, target in mapping.items():
            if target is None:
                continue
            if target in taken:
                errors.append(_("Two columns go to “%(field)s”: %(a)s and %(b)s. Choose one.",
                                field=dict(_field_choices())[target], a=taken[target],
                                b=header))
            taken[target] = header
        if not taken:
            errors.append(_("Choose at least one column to import."))
        if not ons:
            errors.append(_("Choose how to recognise people already in the CRM."))
        save_as = (request.form.get("save_as") or "").strip()
        if not errors and save_as:
            from ..importing.pipeline import parse_rule

            try:
                save_mapping(_home(), save_as, mapping, [parse_rule(r) for r in rules])
            except ImportFailed:
                errors.append(_("Name the mapping with letters, digits, “-”, “_” or “.” "
                                "only."))
            else:
                flash(_("The mapping is saved as “%(name)s”.", name=save_as), "success")
        if not errors:
            draft.data.update(mapping=mapping, rules=rules,
                              all_or_nothing=request.form.get("all_or_nothing") == "1")
            draft.save()
            return redirect(url_for("contacts_web.import_preview", token=token))
    ons, action = _rule_choice(rules)
    columns = [{"index": i, "header": h, "target": mapping.get(h) if mapping.get(h) in known
                else None, "samples": [row[i] if i < len(row) else "" for row in samples]}
               for i, h in enumerate(headers)]
    return render_template(
        "contacts/import_mapping.html", draft=draft, columns=columns, choices=_field_choices(),
        saved=_saved_mappings(), saved_name=saved_name, errors=errors, match_on=ons,
        match_action=action, on_labels=ON_LABELS, action_labels=ACTION_LABELS,
        all_or_nothing=draft.data.get("all_or_nothing", False)), (422 if errors else 200)


# --------------------------------------------------------------------------- step 3: preview

def preview_page(token: str):
    from ..importing.jobs import preview

    draft = _draft(token)
    if draft.data.get("mapping") is None:
        return redirect(url_for("contacts_web.import_mapping", token=token))
    error = None
    result = None
    with open(draft.path, "rb") as stream:
        try:
            result = preview(draft.form(), draft.upload(stream), PREVIEW_ROWS)
        except (InvalidRecord, PeyvandError) as exc:
            error = reason_of(exc)
    labels = dict(_field_choices())
    return render_template("contacts/import_preview.html", draft=draft, result=result,
                           error=error, labels=labels, row_actions=ROW_ACTIONS,
                           preview_rows=PREVIEW_ROWS), (422 if error else 200)


def run(token: str):
    from ..importing.jobs import start

    draft = _draft(token)
    if draft.data.get("mapping") is None:
        return redirect(url_for("contacts_web.import_mapping", token=token))
    with open(draft.path, "rb") as stream:
        job = start(draft.form(), draft.upload(stream))
    shutil.rmtree(draft.folder, ignore_errors=True)
    return redirect(url_for("contacts_web.import_status", import_id=job.id))


# --------------------------------------------------------------------------- progress & result

def _job(import_id: int):
    from ..importing.jobs import visible

    return visible(import_id)          # 404 unless the uploader (or import scope "all")


def _progress(info: dict) -> dict:
    total, done = info.get("rows_total"), info.get("rows_done") or 0
    percent = None
    if info["state"] == "done":
        percent = 100
    elif total:
        # Reading is most of the work's length; writing is the last tenth.
        share = 0.9 if info.get("phase") != "write" else 1.0
        percent = min(99, int(done * 100 * share / total))
    state_label = STATE_LABELS.get(info["state"], info["state"])
    phase_label = PHASE_LABELS.get(info.get("phase") or "")
    return {"state": info["state"], "phase": info.get("phase"), "rows_done": done,
            "rows_total": total, "percent": percent, "state_label": _(state_label),
            "phase_label": _(phase_label) if phase_label else "",
            "rows_text": _("%(done)s of %(total)s rows", done=done, total=total)
            if total else ""}


def _errors_shown(job) -> list[dict]:
    from ..importing.jobs import errors_csv

    try:
        text = errors_csv(job).decode("utf-8-sig")
    except PeyvandError:
        return []
    rows = list(csv.DictReader(io.StringIO(text)))
    return rows[:SHOWN_ERRORS]


def status_page(import_id: int):
    from ..importing.jobs import describe

    job = _job(import_id)
    info = describe(job)
    errors = _errors_shown(job) if info["state"] == "done" and info.get("errors") else []
    return render_template(
        "contacts/import_status.html", job=info, progress=_progress(info), errors=errors,
        labels=dict(_field_choices()), shown_errors=SHOWN_ERRORS,
        refused=request.args.get("refused"))


def status_json(import_id: int):
    from ..importing.jobs import describe

    info = describe(_job(import_id))
    return jsonify(_progress(info))


def errors_download(import_id: int):
    from ..importing.jobs import errors_csv

    job = _job(import_id)
    try:
        data = errors_csv(job)
    except PeyvandError:
        abort(404)
    response = Response(data, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="import-{job.id}-errors.csv"'
    return response


def undo(import_id: int):
    from ..importing.jobs import undo as undo_job
    from ..importing.pipeline import ImportFailed

    job = _job(import_id)
    force = request.form.get("force") == "1"
    try:
        with tenant_db.atomic():
            result = undo_job(job, force=force)
    except (ImportFailed, PeyvandError) as exc:
        flash(_("The import was not undone: %(reason)s", reason=reason_of(exc)), "error")
        return redirect(url_for("contacts_web.import_status", import_id=import_id, refused=1))
    flash(_("The import is undone: %(removed)s people removed, %(restored)s given their "
            "previous values back.", removed=result["removed"], restored=result["restored"]),
          "success")
    return redirect(url_for("contacts_web.import_status", import_id=import_id))


def register(bp) -> None:
    bp.add_url_rule("/import", "import_upload", upload_page, methods=["GET", "POST"])
    bp.add_url_rule("/import/<token>/mapping", "import_mapping", mapping_page,
                    methods=["GET", "POST"])
    bp.add_url_rule("/import/<token>/preview", "import_preview", preview_page)
    bp.add_url_rule("/import/<token>/run", "import_run", run, methods=["POST"])
    bp.add_url_rule("/imports/<int:import_id>", "import_status", status_page)
    bp.add_url_rule("/imports/<int:import_id>/status", "import_status_json", status_json)
    bp.add_url_rule("/imports/<int:import_id>/errors.csv", "import_errors", errors_download)
    bp.add_url_rule("/imports/<int:import_id>/undo", "import_undo", undo, methods=["POST"])
