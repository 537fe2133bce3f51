"""Imports through the API, run in the background by ``peyvand worker``, with progress to poll.

``POST /api/v1/contacts/imports`` stores the upload under the tenant's files folder
(``<files>/<tenant>/contacts-imports/<id>/``), records a :class:`ImportJob` and queues the task
``contacts.import`` in the same transaction (202). The worker runs the same pipeline as
``peyvand contacts import`` (:func:`~.pipeline.import_people`) **as the uploader** (their
grants, scopes and field rules, the roles their token had), writes progress every few
thousand rows to ``progress.json`` beside the upload (never to the database: the write phase
holds the import's transaction, and SQLite's write lock, until it commits), and records the
outcome *inside* the import's transaction, so a worker killed mid-import leaves nothing half
done and runs it again. The uploaded file is removed once the import finished or failed; the
error report (``errors.csv``) is kept with the folder, which the periodic task
``contacts.cleanup_imports`` removes after :data:`KEEP_DAYS` days.

``POST /api/v1/contacts/imports/preview`` reads the first rows of a file synchronously and
answers what the wizard shows: encoding, headers, the guessed (or given) mapping and the
outcome of each row, with every error.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import os
import re
import shutil
from pathlib import Path

import peewee

from peyvand_contacts.messages import N_
from peyvand_sdk import (
    InvalidRecord,
    Model,
    PeyvandError,
    RecordNotFound,
    Task,
    acting_for_user,
    current_actor,
    current_kernel,
    current_tenant,
    enqueue_task,
    require_permission,
    tenant_db,
)

TASK = "contacts.import"
CLEANUP_TASK = "contacts.cleanup_imports"
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
#: Finished imports' folders (their error report) are removed after this many days.
KEEP_DAYS = 14
#: Progress is written every this many rows (and when a phase starts or ends).
PROGRESS_EVERY = 5000
FOLDER = "contacts-imports"
_SAFE = re.compile(r"[^\w.\-]+")


class ImportJob(Model):
    """An import started through the API (migration 0006)."""

    id = peewee.AutoField()
    state = peewee.CharField(max_length=16)         # queued / running / done / failed
    file_name = peewee.CharField(max_length=255)    # as uploaded
    stored_name = peewee.CharField(max_length=255)  # the file in the import's folder
    options = peewee.TextField()                    # JSON: mapping, rules, flags
    user_id = peewee.IntegerField(null=True)
    user_name = peewee.CharField(max_length=150, null=True)
    roles = peewee.TextField(null=True)             # JSON: the roles the uploader acted with
    created_at = peewee.DateTimeField(index=True)
    started_at = peewee.DateTimeField(null=True)
    finished_at = peewee.DateTimeField(null=True)
    rows_total = peewee.IntegerField(null=True)
    rows_done = peewee.IntegerField(default=0)
    created = peewee.IntegerField(default=0)
    updated = peewee.IntegerField(default=0)
    merged = peewee.IntegerField(default=0)
    skipped = peewee.IntegerField(default=0)
    failed = peewee.IntegerField(default=0)
    organizations_created = peewee.IntegerField(default=0)
    errors_count = peewee.IntegerField(default=0)
    batch_id = peewee.IntegerField(null=True)
    outcome = peewee.CharField(max_length=16, null=True)   # the pipeline's: done/preview/...
    error = peewee.TextField(null=True)
    details = peewee.TextField(null=True)           # JSON: warnings, mapping, preview rows
    job_id = peewee.BigIntegerField(null=True)
    files_removed = peewee.BooleanField(default=False)

    class Meta:
        table_name = "contacts_import_job"


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def folder_of(tenant: str, import_id: int) -> Path:
    return current_kernel().storage.files_dir(tenant) / FOLDER / str(import_id)


# --------------------------------------------------------------------------- options

def _flag(value) -> bool:
    return str(value or "").strip().lower() in ("1", "true", "yes", "on")


def parse_options(form) -> dict:
    """The import's options from the upload's form fields, as JSON-able data; 422 when a
    mapping or a rule is unusable."""
    from .pipeline import ImportFailed, load_mapping, mapping_from_data, parse_rule

    options: dict = {"dry_run": _flag(form.get("dry_run")),
                     "all_or_nothing": _flag(form.get("all_or_nothing"))}
    for key in ("encoding", "sheet"):
        if form.get(key):
            options[key] = str(form.get(key))
    spec = (form.get("mapping") or "").strip()
    rules = None
    try:
        if spec.startswith("{"):
            try:
                data = json.loads(spec)
            except ValueError as exc:
                raise ImportFailed(f"the mapping is not valid JSON: {exc}") from None
            mapping, rules = mapping_from_data(data)
            options["mapping"] = mapping
        elif spec:
            if "/" in spec or "\\" in spec:    # a saved mapping's name, not a path here
                raise ImportFailed(f"mapping {spec!r}: give a saved mapping's name or JSON")
            mapping, rules = load_mapping(spec, current_kernel().settings.home)
            options["mapping"] = mapping
            options["mapping_name"] = spec
        match = [m for raw in form.getlist("match") for m in str(raw).split(",") if m.strip()] \
            if hasattr(form, "getlist") else []
        if match:
            rules = tuple(parse_rule(m) for m in match)
        if rules:
            options["rules"] = [{"on": r.on, "action": r.action} for r in rules]
    except ImportFailed as exc:
        raise InvalidRecord({"mapping" if "rule" not in str(exc) and "match" not in str(exc)
                             else "match": [str(exc)]}) from None
    return options


def _import_options(options: dict, **extra):
    from .pipeline import DEFAULT_RULES, ImportOptions, parse_rule

    sheet = options.get("sheet")
    if isinstance(sheet, str) and sheet.isdigit():
        sheet = int(sheet)
    rules = tuple(parse_rule(r) for r in options["rules"]) if options.get("rules") else (
        DEFAULT_RULES)
    return ImportOptions(mapping=options.get("mapping"), rules=rules,
                         dry_run=bool(options.get("dry_run")),
                         all_or_nothing=bool(options.get("all_or_nothing")),
                         encoding=options.get("encoding"), sheet=sheet, **extra)


def _upload(files):
    from .readers import SUPPORTED_EXTENSIONS

    upload = files.get("file") if files else None
    if upload is None or not upload.filename:
        raise InvalidRecord({"file": ["upload the file as the form field `file` "
                                      "(multipart/form-data)"]})
    name = os.path.basename(upload.filename.replace("\\", "/"))[:255]
    if Path(name).suffix.lower() not in SUPPORTED_EXTENSIONS:
        raise InvalidRecord({"file": [f"{name}: use one of "
                                      f"{', '.join(sorted(SUPPORTED_EXTENSIONS))}"]})
    return upload, name


# --------------------------------------------------------------------------- starting

def start(form, files) -> ImportJob:
    """Store the upload, record the import and queue it (one transaction)."""
    require_permission("contacts.person", "import")
    options = parse_options(form)
    upload, name = _upload(files)
    actor = current_actor()
    tenant = current_tenant()
    stored = (_SAFE.sub("_", Path(name).stem)[:80] or "upload") + Path(name).suffix.lower()
    folder = None
    try:
        with tenant_db.atomic():
            job = ImportJob.create(
                state=QUEUED, file_name=name, stored_name=stored,
                options=json.dumps(options, ensure_ascii=False), created_at=_now(),
                user_id=getattr(actor, "id", None), user_name=getattr(actor, "name", None),
                roles=json.dumps(sorted(actor.roles)) if actor is not None else None)
            folder = folder_of(tenant, job.id)
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / stored
            upload.save(str(path))
            from .cli import estimate_rows

            job.rows_total = estimate_rows(path)
            job.job_id = enqueue_task(TASK, {"import_id": job.id}, key=f"import-{job.id}")
            job.save(only=[ImportJob.rows_total, ImportJob.job_id])
    except BaseException:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return job


# --------------------------------------------------------------------------- running

class _Progress:
    """Writes ``progress.json`` now and then (atomically), never the database."""

    def __init__(self, folder: Path, total: int | None):
        self.path = folder / "progress.json"
        self.total = total
        self.last = (None, -PROGRESS_EVERY)

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        if phase == "read" and total is not None:
            self.total = total
        last_phase, last_done = self.last
        if phase == last_phase and done - last_done < PROGRESS_EVERY and done != total:
            return
        self.last = (phase, done)
        rows_total = self.total
        if phase == "write":
            rows_done = rows_total if rows_total is not None else done
        else:
            rows_done = done
        data = {"phase": phase, "rows_done": rows_done, "rows_total": rows_total,
                "written": done if phase == "write" else 0,
                "to_write": total if phase == "write" else None}
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, self.path)

    def read(self) -> dict | None:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None


def _record(import_id: int, result, folder: Path) -> None:
    """The outcome, written in the import's own transaction (or a new one for a dry run)."""
    report = folder / "errors.csv"
    result.write_error_report(report)
    details = {"format": result.format, "encoding": result.encoding,
               "mapping": result.mapping, "not_imported": result.not_imported,
               "rules": [str(r) for r in result.rules], "warnings": result.warnings,
               "preview": [preview_item(p) for p in result.preview]}
    (ImportJob.update(state=DONE, finished_at=_now(), rows_total=result.rows,
                      rows_done=result.rows, created=result.created, updated=result.updated,
                      merged=result.merged, skipped=result.skipped, failed=result.failed,
                      organizations_created=result.organizations_created,
                      errors_count=len(result.errors), batch_id=result.batch_id,
                      outcome=result.status, error=None,
                      details=json.dumps(details, ensure_ascii=False, default=str))
     .where(ImportJob.id == import_id).execute())


def _failed(import_id: int, message: str) -> None:
    with tenant_db.atomic():
        (ImportJob.update(state=FAILED, finished_at=_now(), error=message[:2000])
         .where(ImportJob.id == import_id).execute())


def _remove_upload(folder: Path, stored: str) -> None:
    (folder / stored).unlink(missing_ok=True)
    (folder / "progress.json").unlink(missing_ok=True)


def run(tenant, payload) -> None:
    """The task ``contacts.import`` (runs with its own transactions)."""
    from .pipeline import ImportFailed, import_people

    import_id = int(payload["import_id"])
    job = ImportJob.get_or_none(ImportJob.id == import_id)
    if job is None or job.state in (DONE, FAILED):
        return      # gone, or done already (a repeated message)
    with tenant_db.atomic():
        (ImportJob.update(state=RUNNING, started_at=_now(), error=None)
         .where(ImportJob.id == import_id).execute())
    folder = folder_of(tenant, import_id)
    path = folder / job.stored_name
    if not path.is_file():
        _failed(import_id, "the uploaded file is gone from the files folder; upload it again")
        return
    progress = _Progress(folder, job.rows_total)
    options = json.loads(job.options)
    roles = json.loads(job.roles) if job.roles else None
    try:
        with acting_for_user(job.user_id, roles=roles, via="api"):
            result = import_people(path, filename=job.file_name,
                                   options=_import_options(options),
                                   hooks=current_kernel().hooks(tenant), progress=progress,
                                   on_written=lambda r: _record(import_id, r, folder))
        if result.status != "done":       # a dry run, refused or nothing to do: no write
            with tenant_db.atomic():
                _record(import_id, result, folder)
    except (ImportFailed, PeyvandError) as exc:
        _failed(import_id, str(exc))
    except Exception as exc:   # a bug or the database: recorded, not retried blindly
        _failed(import_id, f"the import stopped: {type(exc).__name__}: {exc}")
    _remove_upload(folder, job.stored_name)


def cleanup(tenant, payload=None) -> int:
    """The periodic task ``contacts.cleanup_imports``: remove the folders of imports finished
    more than :data:`KEEP_DAYS` days ago; return how many."""
    cutoff = _now() - datetime.timedelta(days=KEEP_DAYS)
    old = list(ImportJob.select(ImportJob.id).where(
        ImportJob.state.in_([DONE, FAILED]) & (ImportJob.finished_at < cutoff)
        & ~ImportJob.files_removed))
    for job in old:
        shutil.rmtree(folder_of(tenant, job.id), ignore_errors=True)
    if old:
        (ImportJob.update(files_removed=True)
         .where(ImportJob.id.in_([j.id for j in old])).execute())
    return len(old)


def tasks() -> list[Task]:
    return [Task(TASK, run, retries=2, own_transactions=True),
            Task(CLEANUP_TASK, cleanup, every=6 * 3600)]


# --------------------------------------------------------------------------- reading

def preview_item(item) -> dict:
    return {"row": item.row, "action": item.action, "person_id": item.person_id,
            "merged_into": item.merged_into, "matched_on": item.matched_on,
            "name": item.name, "changes": {k: [o, n] for k, (o, n) in item.changes.items()},
            "who": dict(zip(("name", "email", "phone"), item.who or ("", None, None),
                            strict=True)),
            "errors": [error_item(e) for e in item.errors], "text": str(item)}


def error_item(error) -> dict:
    return {"row": error.row, "field": error.field, "column": error.column,
            "value": error.value, "message": error.message}


def visible(import_id: int) -> ImportJob:
    """The import, if the actor may see it (the uploader, or import scope ``all``)."""
    scope = require_permission("contacts.person", "import")
    job = ImportJob.get_or_none(ImportJob.id == import_id)
    actor = current_actor()
    if job is None or (scope != "all" and actor is not None and job.user_id != actor.id):
        raise RecordNotFound(f"there is no import {import_id}")
    return job


def describe(job: ImportJob) -> dict:
    out = {"id": job.id, "state": job.state, "file_name": job.file_name,
           "user": job.user_name,
           "created_at": _stamp(job.created_at), "started_at": _stamp(job.started_at),
           "finished_at": _stamp(job.finished_at), "rows_total": job.rows_total,
           "rows_done": job.rows_done, "phase": None, "created": job.created,
           "updated": job.updated, "merged": job.merged, "skipped": job.skipped,
           "failed": job.failed, "organizations_created": job.organizations_created,
           "errors": job.errors_count, "batch_id": job.batch_id, "outcome": job.outcome,
           "error": job.error, "options": {k: v for k, v in json.loads(job.options).items()
                                           if k != "mapping"}}
    if job.state in (QUEUED, RUNNING):
        live = _Progress(folder_of(current_tenant(), job.id), job.rows_total).read()
        if live:
            out.update(phase=live["phase"], rows_done=live["rows_done"],
                       rows_total=live["rows_total"] or job.rows_total)
    if job.details:
        out.update(json.loads(job.details))
    if job.state == DONE:
        out["errors_url"] = f"/api/v1/contacts/imports/{job.id}/errors.csv"
        if job.batch_id is not None:
            from ..models import ImportBatch

            batch = ImportBatch.get_or_none(ImportBatch.id == job.batch_id)
            out["undone"] = batch is not None and batch.status == "undone"
    return out


def _stamp(value):
    return value.isoformat() + "Z" if value else None


def list_imports(limit: int = 50, before: int | None = None) -> tuple[list[dict], int | None]:
    scope = require_permission("contacts.person", "import")
    query = ImportJob.select().order_by(ImportJob.id.desc()).limit(limit + 1)
    actor = current_actor()
    if scope != "all" and actor is not None:
        query = query.where(ImportJob.user_id == actor.id)
    if before is not None:
        query = query.where(ImportJob.id < before)
    rows = list(query)
    more = len(rows) > limit
    rows = rows[:limit]
    return [describe(j) for j in rows], (rows[-1].id if more else None)


def errors_csv(job: ImportJob) -> bytes:
    report = folder_of(current_tenant(), job.id) / "errors.csv"
    if report.is_file():
        return report.read_bytes()
    if job.state != DONE:
        raise PeyvandError(f"import {job.id} is {job.state}: its error report comes when it "
                           "is done")
    out = io.StringIO()
    csv.writer(out).writerow(["row", "column", "field", "value", "error"])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


NOTHING_WRITTEN = N_("import %(job)s wrote nothing (%(outcome)s); there is nothing to undo")


def undo(job: ImportJob, force: bool = False) -> dict:
    from .pipeline import undo_import

    if job.batch_id is None:
        from ..messages import Message, Term
        from .pipeline import ImportFailed

        raise ImportFailed(Message(NOTHING_WRITTEN, job=job.id,
                                   outcome=Term(job.outcome or job.state)))
    result = undo_import(job.batch_id, force=force)
    return {"id": job.id, "batch_id": job.batch_id, "removed": result.removed,
            "restored": result.restored, "organizations_removed": result.organizations_removed,
            "kept_organizations": result.kept_organizations, "summary": result.summary()}


def preview(form, files, rows: int = 20) -> dict:
    """The first ``rows`` rows of an upload as the import would see them; writes nothing."""
    from .pipeline import ImportFailed, import_people

    require_permission("contacts.person", "import")
    options = parse_options(form)
    upload, name = _upload(files)
    data = upload.read()
    try:
        result = import_people(data, filename=name, options=_import_options(
            {**options, "dry_run": True}, preview_rows=rows, max_rows=rows),
            hooks=current_kernel().hooks(current_tenant()))
    except ImportFailed as exc:
        error = InvalidRecord({"mapping" if "mapping" in str(exc) else "file": [str(exc)]})
        error.message = exc.message          # the pages translate it
        raise error from None
    return {"file_name": result.file_name, "format": result.format,
            "encoding": result.encoding, "headers": list(result.mapping),
            "mapping": result.mapping, "not_imported": result.not_imported,
            "rules": [str(r) for r in result.rules], "warnings": result.warnings,
            "rows_read": result.rows,
            "summary": {"created": result.created, "updated": result.updated,
                        "merged": result.merged, "skipped": result.skipped,
                        "failed": result.failed},
            "rows": [preview_item(p) for p in result.preview],
            "errors": [error_item(e) for e in result.errors]}


# --------------------------------------------------------------------------- API

def register(bp) -> None:
    from flask import Response, jsonify, request

    @bp.post("/imports")
    def imports_start():
        """multipart: ``file``, ``mapping`` (a saved name or JSON), ``match`` (``email=skip``,
        repeatable), ``all_or_nothing``, ``dry_run``, ``encoding``, ``sheet`` → 202."""
        job = start(request.form, request.files)
        response = jsonify(describe(job))
        response.status_code = 202
        response.headers["Location"] = f"/api/v1/contacts/imports/{job.id}"
        return response

    @bp.post("/imports/preview")
    def imports_preview():
        raw = request.args.get("rows") or request.form.get("rows") or "20"
        if not raw.isdigit() or not 1 <= int(raw) <= 200:
            raise InvalidRecord({"rows": ["a whole number from 1 to 200"]})
        return jsonify(preview(request.form, request.files, int(raw)))

    @bp.get("/imports")
    def imports_list():
        raw = request.args.get("cursor")
        limit = request.args.get("limit", "50")
        if (raw and not raw.isdigit()) or not limit.isdigit() or not 1 <= int(limit) <= 200:
            raise InvalidRecord({"cursor": ["a cursor this API returned"], "limit": ["1-200"]})
        page, next_id = list_imports(int(limit), int(raw) if raw else None)
        return jsonify({"data": page, "next_cursor": str(next_id) if next_id else None})

    @bp.get("/imports/<int:import_id>")
    def imports_get(import_id: int):
        return jsonify(describe(visible(import_id)))

    @bp.get("/imports/<int:import_id>/errors.csv")
    def imports_errors(import_id: int):
        job = visible(import_id)
        response = Response(errors_csv(job), mimetype="text/csv")
        response.headers["Content-Disposition"] = (
            f'attachment; filename="import-{job.id}-errors.csv"')
        return response

    @bp.post("/imports/<int:import_id>/undo")
    def imports_undo(import_id: int):
        job = visible(import_id)
        data = request.get_json(silent=True) or {}
        force = bool(data.get("force")) if isinstance(data, dict) else False
        return jsonify(undo(job, force=force or request.args.get("force") in ("1", "true")))
