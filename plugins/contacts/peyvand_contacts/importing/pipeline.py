"""Import people from CSV and Excel files without filling the system with duplicates.

One call, :func:`import_people`, runs the whole pipeline::

    read      readers.read_rows: CSV (encoding detected, or given) and XLSX/XLS/ODS
    map       mapping.guess_mapping from Persian/English headers, or a mapping the user gave
    normalise phones to E.164 (Iran by default), e-mails, national ids, lengths, booleans
    match     against the tenant's people and the earlier rows of the same file, by the
              configured rules (default: e-mail, then mobile; a match fills empty fields)
    write     in bulk, in one transaction, audited (via "import") and recorded as a batch
              (``contacts_import_batch`` / ``contacts_import_item``) that can be undone

Nothing is written on a dry run, or with ``all_or_nothing`` when any row failed. A row with
an invalid value is never written in part: it fails whole and is listed in the error report
as ``row 17, phone: Invalid phone number '12': it has too few digits`` (spreadsheet row
numbers; the header is row 1).

Cost model (what keeps 100,000 rows in seconds): existing e-mail and phone keys are loaded
with one query each into dicts; people who match are fetched by id in chunks of 500; rows
are written with ``executemany`` of tuples in one transaction, with ids allocated up front;
the audit goes through ``record_audit_many`` and ``search_text`` through the search module's
own functions. No marshmallow schema runs per row. The ``before_record_save`` and
``after_record_save`` hooks of the other plugins (the kernel's event outbox among them) are
called once per record written, with a model instance filled in one step; contacts' own
``before_record_save`` (:mod:`peyvand_contacts.cleaning`) is not called, because this module
applies the same normalisers and computes the same search text itself.
"""

from __future__ import annotations

import csv
import datetime
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import peewee
import phonenumbers

from peyvand_contacts.emails import InvalidEmail, normalize_email
from peyvand_contacts.entities import LIFECYCLE_STAGES, ORGANIZATION, PERSON
from peyvand_contacts.identifiers import InvalidIdentifier
from peyvand_contacts.identifiers import national_id as check_national_id
from peyvand_contacts.importing.mapping import (
    DEFAULT_PERSON_SYNONYMS,
    custom_field_synonyms,
    guess_mapping,
    header_key,
)
from peyvand_contacts.importing.readers import ImportFileError, read_rows
from peyvand_contacts.messages import N_, Coded, Message, Term
from peyvand_contacts.models import ImportBatch, ImportItem, Organization, Person
from peyvand_contacts.namekeys import organization_name_key, person_name_key
from peyvand_contacts.phones import InvalidPhone, normalize_phone
from peyvand_contacts.text import fold
from peyvand_sdk import (
    PeyvandError,
    Veto,
    current_actor,
    custom_fields,
    load_custom_values,
    permission_scope,
    record_audit_many,
    require_permission,
    restrict,
    save_custom_values_many,
    tenant_db,
)

__all__ = [
    "DEFAULT_RULES",
    "FIELDS",
    "ImportFailed",
    "ImportOptions",
    "ImportResult",
    "MatchRule",
    "RowError",
    "RowPreview",
    "UndoResult",
    "fast_email",
    "fast_phone",
    "import_people",
    "list_batches",
    "load_mapping",
    "mapping_from_data",
    "mapping_path",
    "parse_rule",
    "resolve_mapping",
    "save_mapping",
    "undo_import",
]

# --------------------------------------------------------------------------- fields

#: Fields a column can be mapped to.  ``full_name`` is split into first and last name (first
#: word / the rest) when those are not given; ``mobile`` and ``phone`` both feed the person's
#: one phone number, the mobile winning when a row has both.  ``organization`` is a name:
#: organisations are found by folded name, or created.
FIELDS = (
    "first_name", "last_name", "full_name", "email", "mobile", "phone", "organization",
    "job_title", "national_id", "city", "source", "lifecycle_stage", "consent_email",
    "consent_sms",
)
# Besides these, a column can go to an admin's custom field of ``contacts.person`` by its API
# key, ``cf_<name>``: guessed from a header that is exactly its key, name or English or
# Persian label, its text read by the field's ``parse`` (a value in the wrong form fails the
# row like any other field).

#: Fields that mapping.guess_mapping knows but a person has no column for: accepted in a
#: mapping and reported as not imported.
NOT_STORED = tuple(f for f in DEFAULT_PERSON_SYNONYMS if f not in FIELDS)

#: Header synonyms for :func:`~.mapping.guess_mapping`: the shared person synonyms and the
#: person fields it does not know.
SYNONYMS = {
    **DEFAULT_PERSON_SYNONYMS,
    "lifecycle_stage": ("مرحله", "مرحله مشتری", "lifecycle stage", "lifecycle", "=stage"),
    "source": ("منبع", "منبع آشنایی", "=source", "lead source"),
    "consent_email": ("رضایت ایمیل", "اجازه ایمیل", "email consent", "email opt in"),
    "consent_sms": ("رضایت پیامک", "اجازه پیامک", "sms consent", "sms opt in"),
}

# Person columns the import writes, in the order of a row's value vector.
_COLUMNS = (
    "first_name", "last_name", "email", "phone", "organization_id", "job_title", "national_id",
    "city", "source", "lifecycle_stage", "consent_email", "consent_sms",
)
_FIRST, _LAST, _EMAIL, _PHONE, _ORG, _JOB, _NID, _CITY, _SOURCE, _STAGE, _CEMAIL, _CSMS = range(
    len(_COLUMNS))
# The same, as peewee field names (the foreign key's field is "organization").
_FIELD_NAMES = tuple("organization" if c == "organization_id" else c for c in _COLUMNS)
# Columns that "update empty fields" may fill: the others always hold a value.
_FILLABLE = frozenset(range(_STAGE))
_CHUNK = 5000           # rows per executemany / audit call: bounds memory, not speed
_MAX_LENGTH = {"first_name": 100, "last_name": 100, "job_title": 100, "city": 100,
               "source": 50, "email": 254, "organization": 200}
_TRUE = frozenset({"1", "true", "yes", "y", "t", "x", "✓", "بله", "بلی", "آری", "دارد", "هست"})
_FALSE = frozenset({"0", "false", "no", "n", "f", "خیر", "نه", "ندارد", "نیست"})

# --------------------------------------------------------------------------- rules

RULE_KEYS = ("email", "phone", "name")
ACTIONS = ("skip", "update_empty", "overwrite", "create")
_ACTION_ALIASES = {"update": "update_empty", "fill": "update_empty", "update-empty": "update_empty",
                   "create_anyway": "create", "create-anyway": "create"}


@dataclass(frozen=True)
class MatchRule:
    """Match on ``on`` (``email``, ``phone`` or ``name`` = folded first and last name plus
    organisation) and then do ``action``: ``skip`` the row, ``update_empty`` (fill the fields
    the existing person lacks), ``overwrite`` (replace with the row's non-empty values) or
    ``create`` a new person anyway."""

    on: str
    action: str = "update_empty"

    def __post_init__(self):
        if self.on not in RULE_KEYS:
            raise ImportFailed(f"cannot match on {self.on!r}; use one of {', '.join(RULE_KEYS)}")
        if self.action not in ACTIONS:
            raise ImportFailed(f"unknown match action {self.action!r}; use one of "
                               f"{', '.join(ACTIONS)}")

    def __str__(self) -> str:
        return f"{self.on}={self.action}"


#: A person matches on normalised e-mail, else on normalised phone; a match fills empty fields.
DEFAULT_RULES = (MatchRule("email"), MatchRule("phone"))


def parse_rule(text: str | Mapping[str, str]) -> MatchRule:
    """``"email=skip"``, ``"phone"`` (update_empty) or ``{"on": "name", "action": "skip"}``."""
    if isinstance(text, Mapping):
        on, action = text.get("on", ""), text.get("action", "update_empty")
    else:
        on, _, action = str(text).partition("=")
        action = action or "update_empty"
    action = action.strip().lower()
    return MatchRule(on.strip().lower(), _ACTION_ALIASES.get(action, action))


class ImportFailed(Coded, PeyvandError):
    """The import cannot run at all (bad mapping, unreadable file, undo refused...). An undo
    refusal carries ``exc.message`` (a :class:`~peyvand_contacts.messages.Message`), which the
    pages translate."""


NO_BATCH = N_("there is no import batch %(batch)s; `peyvand contacts imports` lists them")
BATCH_NOT_DONE = N_("import batch %(batch)s is %(status)s; nothing to undo")
CHANGED_AFTER = N_("%(entity)s %(id)s was changed after the import (version %(then)s then, "
                   "%(now)s now)")
CANNOT_UNDO = N_("cannot undo import batch %(batch)s: %(conflicts)s. Use --force to undo anyway "
                 "(later edits to those records are lost)")
MORE = N_("and %(n)s more")
ENTITY_TERMS = {"person": N_("person"), "organization": N_("organisation")}


# --------------------------------------------------------------------------- options & results

@dataclass
class ImportOptions:
    #: ``{header: field or None}``; headers it does not name are not imported.  ``None``:
    #: guessed from the headers.
    mapping: Mapping[str, str | None] | None = None
    rules: Sequence[MatchRule] = DEFAULT_RULES
    dry_run: bool = False
    all_or_nothing: bool = False
    encoding: str | None = None
    sheet: str | int | None = None
    region: str = "IR"
    #: How many rows the result describes one by one (the preview).
    preview_rows: int = 20
    #: Read only the first this many data rows (a preview of a big file); ``None``: all.
    max_rows: int | None = None


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    column: str | None
    value: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.field}: {self.message}"


@dataclass
class RowPreview:
    row: int
    action: str                       # create / update / merge / skip / fail
    person_id: int | None = None      # the existing person updated or skipped
    merged_into: int | None = None    # the earlier row of this file the row joined
    matched_on: str | None = None
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    name: str = ""
    rule_skip: bool = False           # skipped because the matching rule says so
    who: tuple = ()                   # (full name, e-mail, phone) as the row gives them

    def __str__(self) -> str:
        if self.action == "fail":
            return f"row {self.row}: fail: " + "; ".join(
                f"{e.field}: {e.message}" for e in self.errors)
        if self.merged_into:
            target = f"row {self.merged_into}"
        elif self.person_id:
            target = f"person {self.person_id}"
        else:
            target = ""
        same = f"same {self.matched_on}" if self.matched_on else "matched"
        if self.action == "create":
            what = f"create ({same} as {target}, but the rule says create)" if target else (
                "create")
        elif self.action == "update":
            what = f"update {target} ({same})"
        elif self.action == "merge":
            what = f"merge into {target} ({same})"
        elif self.rule_skip:
            what = f"skip ({same} as {target}; the rule says skip)"
        else:
            what = f"skip ({same} as {target}; nothing new)"
        text = f"row {self.row}: {what}"
        if self.name:
            text += f": {self.name}"
        if self.changes:
            text += "; " + ", ".join(
                f"{k} {_show(o)} -> {_show(n)}" if o not in (None, "") else f"{k} = {_show(n)}"
                for k, (o, n) in self.changes.items())
        return text


def _show(value) -> str:
    return repr(value) if isinstance(value, str) else str(value)


@dataclass
class ImportResult:
    file_name: str
    format: str
    encoding: str | None
    mapping: dict[str, str | None]
    rules: tuple[MatchRule, ...]
    status: str = "preview"           # preview (dry run) / done / refused / nothing
    rows: int = 0
    created: int = 0
    updated: int = 0
    merged: int = 0
    skipped: int = 0
    failed: int = 0
    organizations_created: int = 0
    batch_id: int | None = None
    errors: list[RowError] = field(default_factory=list)
    preview: list[RowPreview] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def not_imported(self) -> list[str]:
        return [h for h, f in self.mapping.items() if f is None or f in NOT_STORED]

    def summary(self) -> str:
        text = (f"created {self.created}, updated {self.updated}, skipped {self.skipped}, "
                f"failed {self.failed}")
        if self.merged:
            text += f", merged {self.merged} duplicate rows"
        return text

    def write_error_report(self, path: str | Path) -> Path:
        """Write the errors as CSV (UTF-8 with BOM, so Excel shows Persian correctly)."""
        path = Path(path)
        with open(path, "w", encoding="utf-8-sig", newline="") as fh:
            out = csv.writer(fh)
            out.writerow(["row", "column", "field", "value", "error"])
            for e in self.errors:
                out.writerow([e.row, e.column or "", e.field, e.value, e.message])
        return path


# --------------------------------------------------------------------------- mappings on disk

_MAPPING_NAME = re.compile(r"^[\w.-]{1,100}$")


def mapping_path(home: str | Path, name: str) -> Path:
    if not _MAPPING_NAME.match(name) or name.startswith("."):
        raise ImportFailed(f"mapping name {name!r}: use letters, digits, '.', '_' or '-'")
    return Path(home) / "import-mappings" / f"{name}.json"


def save_mapping(home: str | Path, name: str, mapping: Mapping[str, str | None],
                 rules: Sequence[MatchRule] | None = None) -> Path:
    """Save a column mapping (and match rules) as ``<home>/import-mappings/<name>.json``."""
    path = mapping_path(home, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {"columns": dict(mapping)}
    if rules is not None:
        data["match"] = [{"on": r.on, "action": r.action} for r in rules]
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def load_mapping(spec: str | Path, home: str | Path | None = None
                 ) -> tuple[dict[str, str | None], tuple[MatchRule, ...] | None]:
    """Read a mapping from a JSON file, or by the name it was saved under.

    The file is ``{"columns": {header: field or null}, "match": [{"on", "action"}]}`` (what
    :func:`save_mapping` writes) or just ``{header: field or null}``.
    """
    path = Path(spec)
    if not path.is_file() and home is not None and _MAPPING_NAME.match(str(spec)):
        saved = mapping_path(home, str(spec))
        if saved.is_file():
            path = saved
        else:
            folder = Path(home) / "import-mappings"
            names = sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []
            raise ImportFailed(f"no mapping file or saved mapping named {str(spec)!r}"
                               + (f"; saved mappings: {', '.join(names)}" if names else ""))
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ImportFailed(f"mapping file {str(path)!r} not found") from None
    except (OSError, ValueError) as exc:
        raise ImportFailed(f"mapping file {str(path)!r} is not valid JSON: {exc}") from None
    return mapping_from_data(data, f"mapping file {str(path)!r}")


def mapping_from_data(data, where: str = "the mapping"
                      ) -> tuple[dict[str, str | None], tuple[MatchRule, ...] | None]:
    """A mapping given as data (what a mapping file holds, e.g. JSON sent to the API)."""
    if not isinstance(data, dict):
        raise ImportFailed(f"{where} must hold a JSON object")
    columns = data.get("columns", data if "match" not in data else {})
    if not isinstance(columns, dict) or not all(
            isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in columns.items()):
        raise ImportFailed(f"{where}: columns must map header -> field or null")
    rules = None
    if "match" in data:
        if not isinstance(data["match"], list):
            raise ImportFailed(f"{where}: match must be a list")
        rules = tuple(parse_rule(r) for r in data["match"])
    return {k: (v or None) for k, v in columns.items()}, rules


def resolve_mapping(headers: Sequence[str], given: Mapping[str, str | None] | None,
                    custom: Sequence = ()) -> dict[str, str | None]:
    """``{header: field or None}`` for the file's headers: guessed, or from ``given`` (whose
    headers are compared loosely, as :func:`~.mapping.header_key` does).  ``custom`` are the
    person's custom fields (``peyvand_sdk.custom_fields``): their ``cf_`` keys are fields too."""
    custom_keys = [d.key for d in custom]
    known = set(FIELDS) | set(NOT_STORED) | set(custom_keys)
    if given is None:
        mapping = guess_mapping(headers, {**SYNONYMS, **custom_field_synonyms(custom)})
        return {h: (f if f in known else None) for h, f in mapping.items()}
    by_key = {header_key(h): f for h, f in given.items()}
    mapping = {h: by_key.get(header_key(h)) for h in headers}
    unknown = sorted({f for f in mapping.values() if f is not None and f not in known})
    if unknown:
        raise ImportFailed(f"the mapping names unknown field(s) {', '.join(unknown)}; fields "
                           f"are: {', '.join([*FIELDS, *custom_keys])}")
    seen: dict[str, str] = {}
    for header, target in mapping.items():
        if target is None:
            continue
        if target in seen:
            raise ImportFailed(f"the mapping sends both {seen[target]!r} and {header!r} to "
                               f"{target}; map one column per field")
        seen[target] = header
    return mapping


# --------------------------------------------------------------------------- normalisers

# Iranian mobile numbers are most of what a contact list holds; parsing each one with
# phonenumbers costs ~20 us.  The fast path recognises the usual spellings of a mobile
# number and checks it against the same libphonenumber metadata (the general and mobile
# patterns of region IR) that phonenumbers.is_valid_number uses; anything else, or anything
# it cannot vouch for, goes through phones.normalize_phone.  A test compares both on
# thousands of numbers.
_IR = phonenumbers.PhoneMetadata.metadata_for_region("IR")
_IR_GENERAL = re.compile(_IR.general_desc.national_number_pattern)
_IR_MOBILE = re.compile(_IR.mobile.national_number_pattern)
_IR_MOBILE_OK = 10 in _IR.mobile.possible_length and 10 in _IR.general_desc.possible_length
_IR_MOBILE_SHAPE = re.compile(r"(?:\+98|0098|98|0)?(9\d{9})")
# Characters phones.normalize_phone also drops (a subset is enough: the rest take the slow
# path), and Persian/Arabic-Indic digits.
_PHONE_FAST_TABLE = str.maketrans(
    {**{ord(c): None for c in " -().\u00a0\u200c\u200e\u200f\u202a\u202b\u202c\u2066\u2067"
                              "\u2068\u2069\t"},
     **{0x06F0 + i: str(i) for i in range(10)}, **{0x0660 + i: str(i) for i in range(10)}})


def fast_phone(raw: str, region: str | None = "IR") -> str:
    """``phones.normalize_phone(raw, region)``, faster for Iranian mobile numbers."""
    if region == "IR" and _IR_MOBILE_OK:
        match = _IR_MOBILE_SHAPE.fullmatch(raw.translate(_PHONE_FAST_TABLE))
        if match is not None:
            nsn = match.group(1)
            if _IR_MOBILE.fullmatch(nsn) and _IR_GENERAL.fullmatch(nsn):
                return "+98" + nsn
    return normalize_phone(raw, region)


# An address that is plainly fine once trimmed and lower-cased: ASCII, one @, a dotted domain
# without empty labels.  Anything else goes through emails.normalize_email.
_SIMPLE_EMAIL = re.compile(r"[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)+")


def fast_email(raw: str) -> str:
    """``emails.normalize_email(raw)``, faster for plain ASCII addresses."""
    if raw.isascii():
        email = raw.strip().lower()
        if _SIMPLE_EMAIL.fullmatch(email):
            return email
    return normalize_email(raw)


def _text(limit: int):
    def check(value: str) -> str:
        if len(value) > limit:
            raise ValueError(f"longer than {limit} characters ({len(value)})")
        return value
    return check


def _stage(value: str) -> str:
    stage = value.strip().lower().replace(" ", "_").replace("-", "_")
    if stage not in LIFECYCLE_STAGES:
        raise ValueError(f"{value!r} is not a lifecycle stage; use one of "
                         f"{', '.join(LIFECYCLE_STAGES)}")
    return stage


def _boolean(value: str) -> bool:
    key = fold(value)
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise ValueError(f"{value!r} is not yes or no (use 1/0, yes/no, بله/خیر)")


def _national_id(value: str) -> str:
    return check_national_id(value)


# --------------------------------------------------------------------------- the plan

class _NewOrg:
    __slots__ = ("name", "id", "row")

    def __init__(self, name: str, row: int):
        self.name, self.row, self.id = name, row, None


class _Target:
    """A person this import creates or may change; ``values`` follow ``_COLUMNS``."""

    __slots__ = ("id", "values", "old", "version", "row", "touched", "custom", "custom_old",
                 "foreign")

    def __init__(self, values: list, *, id: int | None = None, version: int = 0,
                 row: int = 0, custom: dict | None = None):
        self.id = id                  # None until written, for a new person
        self.values = values
        # Column index -> value before the import; made when an existing person changes.
        self.old: dict[int, Any] | None = None
        # cf_ key -> value (the API's form) of the custom fields the file maps, and for an
        # existing person, cf_ key -> value before the import of those the import changes.
        self.custom: dict[str, Any] = custom or {}
        self.custom_old: dict[str, Any] | None = None
        self.version = version
        self.row = row                # the row that created it (new) or first changed it
        self.touched = False          # an earlier row of this file created or changed it
        self.foreign = False          # an existing person the acting user may not update

    @property
    def new(self) -> bool:
        return self.version == 0

    def custom_changed(self) -> list[str]:
        """The cf_ keys whose value this import changes on an existing person."""
        old = self.custom_old
        return [k for k, v in old.items() if v != self.custom.get(k)] if old else []


def _database() -> peewee.Database:
    """The database bound for the current tenant (``tenant_db`` is a proxy to it)."""
    db = tenant_db.begin.__self__   # a bound method of the real database
    return db


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def _search_text_function():
    """``search.person_search_text`` when the search column exists, else ``None``."""
    if "search_text" not in Person._meta.fields:
        return None
    from peyvand_contacts.search import person_search_text

    return person_search_text


def _organization_search_text_function():
    if "search_text" not in Organization._meta.fields:
        return None
    from peyvand_contacts.search import organization_search_text

    return organization_search_text


Progress = Callable[[str, int, int | None], None]


def import_people(source, *, filename: str | None = None,
                  options: ImportOptions | None = None, hooks=None,
                  progress: Progress | None = None,
                  on_written: Callable[[ImportResult], None] | None = None) -> ImportResult:
    """Import people from ``source`` (a path, bytes or a binary file) into the bound tenant.

    ``hooks`` is the tenant's hook relay (``kernel.hooks(tenant)``); when given, other plugins'
    ``before_record_save`` (which may veto a record) and ``after_record_save`` run for every
    person written.  ``progress(phase, done, total)`` is called now and then with phase
    ``"read"`` (total unknown: ``None``) and ``"write"``.

    ``on_written(result)`` is called inside the write's transaction once everything is
    written, so what it writes commits together with the import (a background job records
    its outcome there).

    A row that matches a person the acting user may not update (outside their scope: matching
    is tenant-wide) fails with an error instead of changing that person.

    Raises :class:`ImportFailed` when the file cannot be read or the mapping is unusable;
    row problems never raise: they are in ``result.errors``.
    """
    require_permission("contacts.person", "import")  # the acting user's right, if one is bound
    options = options or ImportOptions()
    try:
        source_file = read_rows(source, filename=filename, encoding=options.encoding,
                                sheet=options.sheet)
    except ImportFileError as exc:
        raise ImportFailed(exc.message or str(exc)) from None
    _bind_entity()
    custom = custom_fields(PERSON.id)
    with source_file:
        mapping = resolve_mapping(source_file.headers, options.mapping, custom)
        result = ImportResult(file_name=source_file.filename, format=source_file.format,
                              encoding=source_file.encoding, mapping=mapping,
                              rules=tuple(options.rules))
        if options.mapping is not None:
            present = {header_key(h) for h in source_file.headers}
            lost = [h for h, f in options.mapping.items() if f and header_key(h) not in present]
            if lost:
                result.warnings.append("the mapping names columns this file does not have: "
                                       + ", ".join(lost))
        targets = set(mapping.values())
        if not targets & {"last_name", "full_name"}:
            result.warnings.append("no column is mapped to last_name or full_name: rows can "
                                   "update people but not create them")
        try:
            rows = _normalise_rows(source_file, mapping, options, result, progress, custom)
        except ImportFileError as exc:    # found while reading on: bad bytes, a broken row
            raise ImportFailed(exc.message or str(exc)) from None
    planner = _Planner(options, result, hooks, custom)
    planner.plan(rows)
    del rows
    if options.dry_run:
        result.status = "preview"
        return result
    if options.all_or_nothing and result.failed:
        result.status = "refused"
        return result
    if not (planner.creates or planner.updates):
        result.status = "nothing"
        return result
    planner.write(progress, on_written)
    result.status = "done"
    return result


def _normalise_rows(source_file, mapping, options, result, progress, custom=()):
    """Read every row into ``(row number, values, errors, extra)``: ``values`` follow
    ``_COLUMNS`` (``organization_id`` holds the organisation's name for now), ``errors`` is
    ``None`` or a list of :class:`RowError`, ``extra`` the row's non-empty custom field values
    by ``cf_`` key (``None`` when the row has none)."""
    by_key = {d.key: d for d in custom}
    extras: list[tuple[int, str, Callable]] = []      # (cell index, cf_ key, parse)
    region = options.region.upper() if options.region else None
    text_checks = {f: _text(n) for f, n in _MAX_LENGTH.items()}
    checks: dict[str, Callable[[str], Any]] = {
        "first_name": text_checks["first_name"], "last_name": text_checks["last_name"],
        "job_title": text_checks["job_title"], "city": text_checks["city"],
        "source": text_checks["source"], "lifecycle_stage": _stage,
        "consent_email": _boolean, "consent_sms": _boolean, "national_id": _national_id,
        "organization": text_checks["organization"],
    }
    slot = {"first_name": _FIRST, "last_name": _LAST, "email": _EMAIL, "organization": _ORG,
            "job_title": _JOB, "national_id": _NID, "city": _CITY, "source": _SOURCE,
            "lifecycle_stage": _STAGE, "consent_email": _CEMAIL, "consent_sms": _CSMS}
    plain: list[tuple[int, int, str, Callable]] = []   # (cell index, slot, field, check)
    email_col = mobile_col = phone_col = full_col = None
    for index, header in enumerate(source_file.headers):
        target = mapping.get(header)
        if target == "email":
            email_col = index
        elif target == "mobile":
            mobile_col = index
        elif target == "phone":
            phone_col = index
        elif target == "full_name":
            full_col = index
        elif target in by_key:
            d = by_key[target]
            parse = d.parse if d.type in ("long_text", "text", "link") else _shared(d.parse)
            extras.append((index, target, parse))
        elif target in slot:
            check = checks[target]
            if target in _REPEATED:
                check = _shared(check)
            plain.append((index, slot[target], target, check))
    headers = source_file.headers
    width = len(_COLUMNS)
    email_limit = _MAX_LENGTH["email"]
    out = []
    append = out.append
    count = 0
    max_rows = options.max_rows
    for row_number, cells in source_file.numbered_rows():
        if max_rows is not None and count >= max_rows:
            break
        count += 1
        if progress is not None and not count % 5000:
            progress("read", count, None)
        values: list = [None] * width
        errors = extra = None
        for index, position, name, check in plain:
            cell = cells[index]
            if cell:
                try:
                    values[position] = check(cell)
                except ValueError as exc:   # InvalidIdentifier is a ValueError
                    errors = errors or []
                    errors.append(RowError(row_number, name, headers[index], cell,
                                           _message(exc)))
        if full_col is not None and values[_LAST] is None and values[_FIRST] is None:
            full = " ".join(cells[full_col].split())
            if full:
                first, _, last = full.partition(" ")
                if not last:
                    first, last = "", first
                if len(first) > 100 or len(last) > 100:
                    errors = errors or []
                    errors.append(RowError(row_number, "full_name", headers[full_col], full,
                                           "longer than 100 characters per name"))
                else:
                    values[_FIRST] = first or None
                    values[_LAST] = last
        if email_col is not None:
            cell = cells[email_col]
            if cell:
                try:
                    email = fast_email(cell)
                    if len(email) > email_limit:
                        raise ValueError(f"longer than {email_limit} characters")
                    values[_EMAIL] = email
                except ValueError as exc:
                    errors = errors or []
                    errors.append(RowError(row_number, "email", headers[email_col], cell,
                                           _message(exc)))
        phone_index = None
        if mobile_col is not None and cells[mobile_col]:
            phone_index, phone_field = mobile_col, "mobile"
        elif phone_col is not None and cells[phone_col]:
            phone_index, phone_field = phone_col, "phone"
        if phone_index is not None:
            cell = cells[phone_index]
            try:
                values[_PHONE] = fast_phone(cell, region)
            except InvalidPhone as exc:
                errors = errors or []
                errors.append(RowError(row_number, phone_field, headers[phone_index], cell,
                                       _message(exc)))
        for index, key, parse in extras:
            cell = cells[index]
            if cell:
                try:
                    value = parse(cell)
                except ValueError as exc:
                    errors = errors or []
                    errors.append(RowError(row_number, key, headers[index], cell,
                                           _message(exc)))
                    continue
                if value not in (None, []):
                    extra = extra or {}
                    extra[key] = value
        append((row_number, values, errors, extra))   # a failed row's values name it
    result.rows = count
    if progress is not None:
        progress("read", count, count)
    return out


# Fields whose values repeat from row to row: one string object per distinct value keeps a
# 100,000-row file several MiB smaller.
_REPEATED = frozenset({"organization", "city", "job_title", "source", "lifecycle_stage"})


def _shared(check: Callable[[str], Any]) -> Callable[[str], Any]:
    seen: dict[str, Any] = {}

    def shared(cell: str):
        value = seen.get(cell)
        if value is None:
            value = seen[cell] = check(cell)
        return value
    return shared


def _message(exc: Exception) -> str:
    if isinstance(exc, (InvalidPhone, InvalidEmail, InvalidIdentifier)):
        return str(exc)
    return str(exc) or type(exc).__name__


class _Planner:
    """Matches normalised rows to people and decides, row by row, what to write."""

    def __init__(self, options: ImportOptions, result: ImportResult, hooks, custom=()):
        self.options = options
        mapped = set(result.mapping.values())
        self.custom_keys = [d.key for d in custom if d.key in mapped]
        self.required = [d.key for d in custom if d.required]
        self.result = result
        self.hooks = hooks
        self.rules = tuple(options.rules)
        self.creates: list[_Target] = []
        self.updates: dict[int, _Target] = {}      # person id -> target with changes
        self.new_orgs: dict[str, _NewOrg] = {}     # folded name -> organisation to create
        self.org_ids: dict[str, int] = {}          # folded name -> existing organisation id
        self.org_names: dict[int, str] = {}        # existing organisation id -> name
        self.org_refs: dict[str, Any] = {}         # name as spelled in the file -> id / new
        self.index: dict[str, dict] = {on: {} for on in RULE_KEYS}
        # (column, value, person id) of people's secondary e-mails and phones: an overwrite
        # does not make a value the person already holds their primary one.
        self.held: set[tuple[int, str, int]] = set()
        self.existing: dict[int, _Target] = {}
        # (row, action, target) of every row, kept only when other plugins' hooks may veto.
        self.outcome: list[tuple[int, str, Any]] | None = (
            [] if self._foreign("before_record_save") else None)
        self.search_text = _search_text_function()
        self.by_name = any(r.on == "name" for r in self.rules)

    # -- loading what is there, one query per kind of key ----------------------------------
    def _load(self, rows) -> None:
        db = _database()
        rules = {r.on for r in self.rules}
        for org_id, name in db.execute_sql(
                'SELECT id, name FROM "contacts_organization" WHERE deleted_at IS NULL '
                "ORDER BY id"):
            self.org_names[org_id] = name
            self.org_ids.setdefault(fold(name), org_id)
        # Existing keys, one query each; ordered by id descending so the lowest id wins.
        if "email" in rules:
            self.index["email"] = {email.strip().lower(): person_id for email, person_id in
                                   db.execute_sql(
                'SELECT email, id FROM "contacts_person" WHERE email IS NOT NULL AND '
                "deleted_at IS NULL ORDER BY id DESC")}
            self._secondary(db, "email")
        if "phone" in rules:
            phones = self.index["phone"] = dict(db.execute_sql(
                'SELECT phone, id FROM "contacts_person" WHERE phone IS NOT NULL AND '
                "deleted_at IS NULL ORDER BY id DESC").fetchall())
            # Numbers stored before phones were normalised on every write.
            for phone in [p for p in phones if not (p[:1] == "+" and p[1:].isdigit())]:
                person_id = phones.pop(phone)
                try:
                    phone = fast_phone(phone)
                except InvalidPhone:
                    continue
                if phones.get(phone, person_id) >= person_id:
                    phones[phone] = person_id
            self._secondary(db, "phone")
        if "name" in rules:
            org_names = self.org_names
            self.index["name"] = {
                _name_key(first, last, org_names.get(org_id)): person_id
                for first, last, org_id, person_id in db.execute_sql(
                    'SELECT first_name, last_name, organization_id, id FROM "contacts_person" '
                    "WHERE deleted_at IS NULL ORDER BY id DESC")}
        # Fetch the people some row matches, by id in chunks (never one query per row).
        valid = [values for _, values, errors, _ in rows if not errors]
        wanted = set()
        for on, slot in (("email", _EMAIL), ("phone", _PHONE)):
            index = self.index[on]
            if index:
                wanted.update(index[k] for k in (v[slot] for v in valid) if k in index)
        if self.index["name"]:
            index = self.index["name"]
            wanted.update(index[k] for k in (_name_key(v[_FIRST], v[_LAST], v[_ORG])
                                             for v in valid if v[_LAST]) if k in index)
        columns = ", ".join(f'"{c}"' for c in ("id", "version", *_COLUMNS))
        ids = sorted(wanted)
        param = db.param
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            cursor = db.execute_sql(
                f'SELECT {columns} FROM "contacts_person" WHERE id IN '
                f"({', '.join([param] * len(chunk))})", chunk)
            for person_id, version, *values in cursor:
                values[_CEMAIL] = bool(values[_CEMAIL])
                values[_CSMS] = bool(values[_CSMS])
                self.existing[person_id] = _Target(values, id=person_id, version=version)
        if self.existing and permission_scope(PERSON.id, "update") != "all":
            # Matching is tenant-wide; writing is not: people outside the user's scope are
            # matched (so no duplicate is created) but never changed.
            ids = sorted(self.existing)
            allowed = set()
            for start in range(0, len(ids), 500):
                allowed.update(i for (i,) in restrict(
                    Person.select(Person.id).where(Person.id.in_(ids[start:start + 500])),
                    PERSON.id, "update").tuples())
            for person_id, target in self.existing.items():
                target.foreign = person_id not in allowed
        if self.custom_keys and self.existing:   # their custom values, 500 people a query
            keys = self.custom_keys
            for person_id, stored in load_custom_values(PERSON.id, list(self.existing)).items():
                self.existing[person_id].custom = {k: stored.get(k) for k in keys}

    def _secondary(self, db, kind: str) -> None:
        """Add people's secondary e-mails or phones (``contacts_detail``) to the index; a
        primary value wins over a secondary one, then the lowest id."""
        index = self.index[kind]
        found = dict(db.execute_sql(
            'SELECT d.value, d.record_id FROM "contacts_detail" AS d JOIN "contacts_person" AS p '
            f"ON p.id = d.record_id WHERE d.entity = 'person' AND d.kind = '{kind}' AND "
            "p.deleted_at IS NULL ORDER BY d.record_id DESC").fetchall())
        column = _EMAIL if kind == "email" else _PHONE
        for value, person_id in found.items():
            index.setdefault(value, person_id)
        if found:
            self.held.update((column, value, person_id) for value, person_id in db.execute_sql(
                'SELECT value, record_id FROM "contacts_detail" WHERE entity = ' + "'person' "
                f"AND kind = '{kind}'").fetchall())

    # -- organisations ---------------------------------------------------------------------
    def _organization(self, name: str, row: int):
        ref = self.org_refs.get(name)
        if ref is None:
            ref = self.org_refs[name] = self._find_organization(name, row)
        return ref

    def _find_organization(self, name: str, row: int):
        key = fold(name)
        org_id = self.org_ids.get(key)
        if org_id is not None:
            return org_id
        org = self.new_orgs.get(key)
        if org is None:
            org = self.new_orgs[key] = _NewOrg(name, row)
        return org

    def _org_name(self, ref) -> str | None:
        if ref is None:
            return None
        if isinstance(ref, _NewOrg):
            return ref.name
        return self.org_names.get(ref)

    # -- matching ----------------------------------------------------------------------------
    def _find(self, values) -> tuple[MatchRule, _Target] | tuple[None, None]:
        for rule in self.rules:
            if rule.on == "email":
                key = values[_EMAIL]
            elif rule.on == "phone":
                key = values[_PHONE]
            else:
                key = (_name_key(values[_FIRST], values[_LAST], self._org_name(values[_ORG]))
                       if values[_LAST] else None)
            if key is None:
                continue
            hit = self.index[rule.on].get(key)
            if hit is None:
                continue
            if isinstance(hit, int):
                hit = self.existing[hit]
            return rule, hit
        return None, None

    def _note(self, row: int, action: str, target) -> None:
        if self.outcome is not None:
            self.outcome.append((row, action, target))

    def _register(self, target: _Target) -> None:
        values = target.values
        if values[_EMAIL] is not None:
            self.index["email"].setdefault(values[_EMAIL], target)
        if values[_PHONE] is not None:
            self.index["phone"].setdefault(values[_PHONE], target)
        if self.by_name and values[_LAST]:
            key = _name_key(values[_FIRST], values[_LAST], self._org_name(values[_ORG]))
            self.index["name"].setdefault(key, target)

    def plan(self, rows) -> None:
        result = self.result
        self._load(rows)
        preview_limit = self.options.preview_rows
        preview = result.preview
        errors = result.errors
        for row_number, values, row_errors, extra in rows:
            detail = len(preview) < preview_limit
            if row_errors:
                errors.extend(row_errors)
                result.failed += 1
                self._note(row_number, "fail", None)
                if detail:
                    preview.append(RowPreview(row_number, "fail", errors=list(row_errors),
                                              **_named(values)))
                continue
            if values[_ORG] is not None:
                values[_ORG] = self._organization(values[_ORG], row_number)
            rule, target = self._find(values)
            if target is not None and target.foreign and rule.action != "create":
                error = RowError(row_number, rule.on, None, "", "matches a person you may not "
                                 "change (outside your access); ask someone who may, or leave "
                                 "the row out")
                errors.append(error)
                result.failed += 1
                self._note(row_number, "fail", None)
                if detail:
                    preview.append(RowPreview(row_number, "fail", errors=[error],
                                              **_named(values)))
                continue
            if target is None or rule.action == "create":
                self._create(row_number, values, rule, target, detail, extra)
                continue
            earlier = target.touched
            if rule.action == "skip":
                result.skipped += 1
                self._note(row_number, "skip", target)
                if detail:
                    preview.append(RowPreview(
                        row_number, "skip", person_id=target.id,
                        merged_into=target.row if earlier else None, matched_on=rule.on,
                        **_named(target.values), rule_skip=True))
                continue
            changes = self._apply(target, values, extra, overwrite=rule.action == "overwrite")
            if not changes:
                result.skipped += 1
                action = "skip"
            elif earlier:
                result.merged += 1
                action = "merge"
            else:
                result.updated += 1
                action = "update"
            self._note(row_number, action, target)
            if changes:
                if not target.touched:
                    target.touched, target.row = True, row_number
                if not target.new:
                    self.updates[target.id] = target
                self._register(target)
            if detail:
                preview.append(RowPreview(
                    row_number, action, person_id=target.id,
                    merged_into=target.row if earlier else None, matched_on=rule.on,
                    changes=changes, **_named(target.values)))
        self._run_before_hooks()
        result.organizations_created = len(self.organizations_to_create())
        # Only what will be written is needed from here on.
        self.existing.clear()
        self.index = {}

    def organizations_to_create(self) -> list[_NewOrg]:
        """The new organisations that a person being written points at, in file order."""
        used = {id(t.values[_ORG]) for t in (*self.creates, *self.updates.values())}
        return [o for o in self.new_orgs.values() if id(o) in used]

    def _create(self, row_number, values, rule, matched, detail, extra=None) -> None:
        result = self.result
        missing = [k for k in self.required if not (extra and k in extra)]
        if not values[_LAST] or missing:
            errors = [RowError(row_number, key, None, "",
                               "a new person needs a value for this required custom field")
                      for key in missing]
            if not values[_LAST]:
                errors.insert(0, RowError(row_number, "last_name", None, "",
                                          "a new person needs a last name (map a last-name or "
                                          "full-name column)"))
            result.errors.extend(errors)
            result.failed += 1
            self._note(row_number, "fail", None)
            if detail:
                result.preview.append(RowPreview(row_number, "fail", errors=errors,
                                                 **_named(values)))
            return
        if values[_STAGE] is None:
            values[_STAGE] = "lead"
        if values[_CEMAIL] is None:
            values[_CEMAIL] = False
        if values[_CSMS] is None:
            values[_CSMS] = False
        target = _Target(values, row=row_number, custom=dict(extra) if extra else None)
        target.touched = True
        self.creates.append(target)
        self._register(target)
        result.created += 1
        self._note(row_number, "create", target)
        if detail:
            result.preview.append(RowPreview(
                row_number, "create", matched_on=rule.on if rule else None,
                person_id=matched.id if matched is not None else None,
                merged_into=matched.row if matched is not None and matched.touched else None,
                changes=self._preview_of_new(values, target.custom), **_named(values)))

    def _preview_of_new(self, values, custom=None) -> dict:
        changes = {}
        for i, value in enumerate(values):
            if value is None or (i == _STAGE and value == "lead") or (
                    i in (_CEMAIL, _CSMS) and not value):
                continue     # defaults are not news
            if i == _ORG:
                changes["organization"] = (None, self._org_name(value))
            else:
                changes[_COLUMNS[i]] = (None, value)
        for key, value in (custom or {}).items():
            changes[key] = (None, value)
        return changes

    def _apply(self, target: _Target, values, extra=None, *, overwrite: bool) -> dict:
        """Copy the row's values (and custom values ``extra``) into ``target``; return
        ``{field: (old, new)}``.  Custom values follow the same rule as the columns: filled
        when empty, or replaced by ``overwrite``; an empty cell never erases one."""
        current = target.values
        old = target.old
        changes = {}
        for i, value in enumerate(values):
            if value is None:
                continue
            have = current[i]
            if overwrite:
                if have == value or (i in (_EMAIL, _PHONE) and target.id is not None
                                     and (i, value, target.id) in self.held):
                    continue
            elif have not in (None, "") or i not in _FILLABLE:
                continue
            if not target.new:
                if old is None:
                    old = target.old = {}
                old.setdefault(i, have)
            current[i] = value
            name = _COLUMNS[i]
            if i == _ORG:
                name, have, value = "organization", self._org_name(have), self._org_name(value)
            changes[name] = (have, value)
        if extra:
            custom = target.custom
            for key, value in extra.items():
                have = custom.get(key)
                if have == value or (not overwrite and have not in (None, "", [])):
                    continue
                if not target.new:
                    if target.custom_old is None:
                        target.custom_old = {}
                    target.custom_old.setdefault(key, have)
                custom[key] = value
                changes[key] = (have, value)
        return changes

    # -- other plugins' save hooks ---------------------------------------------------------
    def _foreign(self, hook: str) -> bool:
        if self.hooks is None:
            return False
        caller = getattr(self.hooks, hook, None)
        return caller is not None and any(
            impl.plugin_name != "contacts" for impl in caller.get_hookimpls())

    def _record(self, target: _Target, **extra) -> Person:
        """The person as a model instance, for other plugins' save hooks.

        Filled through ``__data__`` (peewee's dict of an instance's values, keyed by field
        name) rather than one attribute at a time: for 100,000 rows that is seconds.
        """
        data = dict(zip(_FIELD_NAMES, target.values, strict=True))
        org = data["organization"]
        if isinstance(org, _NewOrg):
            data["organization"] = org.id
        data["id"] = target.id
        data["version"] = target.version or 1
        data.update(extra)
        record = Person(__no_default__=True)
        record.__data__ = data
        record._dirty = set(data)
        return record

    def _changes(self, target: _Target) -> dict:
        if target.new:
            changes = {c: (None, v.id if isinstance(v, _NewOrg) else v)
                       for c, v in zip(_COLUMNS, target.values, strict=True) if v is not None}
            changes.update((k, (None, v)) for k, v in target.custom.items())
            return changes
        changes = {_COLUMNS[i]: (old, target.values[i]) for i, old in (target.old or {}).items()
                   if old != target.values[i]}
        changes.update((k, (target.custom_old[k], target.custom[k]))
                       for k in target.custom_changed())
        return changes

    def _run_before_hooks(self) -> None:
        """Let other plugins veto or adjust each person; a veto fails the rows behind it."""
        if not self._foreign("before_record_save"):
            return
        _bind_entity()
        vetoed: dict[int, Veto] = {}        # id(target) -> the veto
        for target in [*self.creates, *self.updates.values()]:
            record = self._record(target)
            changes = self._changes(target)
            try:
                self.hooks.before_record_save(entity=PERSON, record=record, changes=changes,
                                              action="create" if target.new else "update")
            except Veto as veto:
                vetoed[id(target)] = veto
                continue
            for i, column in enumerate(_COLUMNS):   # a hook may have adjusted values
                if i != _ORG:
                    value = getattr(record, column)
                    if value != target.values[i]:
                        if not target.new:
                            target.old = target.old or {}
                            target.old.setdefault(i, target.values[i])
                        target.values[i] = value
        if not vetoed:
            return
        self.creates = [t for t in self.creates if id(t) not in vetoed]
        self.updates = {k: t for k, t in self.updates.items() if id(t) not in vetoed}
        result = self.result
        result.created = result.updated = result.merged = result.skipped = result.failed = 0
        counters = {"create": "created", "update": "updated", "merge": "merged",
                    "skip": "skipped", "fail": "failed"}
        refused: dict[int, RowError] = {}
        for row, action, target in self.outcome:
            veto = vetoed.get(id(target)) if target is not None else None
            # Rows that wrote into a refused person fail; so do rows that only repeated a new
            # person that will not exist.  A row that left an existing person alone stays
            # skipped.
            if veto is not None and (action != "skip" or target.new):
                action = "fail"
                refused[row] = RowError(row, veto.field or "record", None, "", str(veto))
                result.errors.append(refused[row])
            setattr(result, counters[action], getattr(result, counters[action]) + 1)
        result.errors.sort(key=lambda e: e.row)
        for item in result.preview:
            if item.row in refused:
                item.action, item.changes, item.errors = "fail", {}, [refused[item.row]]

    # -- writing ---------------------------------------------------------------------------
    def write(self, progress: Progress | None, on_written=None) -> None:
        db = _database()
        sqlite = isinstance(db, peewee.SqliteDatabase)
        transaction = db.atomic(lock_type="IMMEDIATE") if sqlite else db.atomic()
        with transaction:
            self._write(db, sqlite, progress)
            if on_written is not None:
                self.result.status = "done"
                on_written(self.result)

    def _write(self, db, sqlite: bool, progress: Progress | None) -> None:
        result = self.result
        actor = current_actor()
        user_id = getattr(actor, "id", None)
        user_name = getattr(actor, "name", None)
        now = _utcnow()
        stamp = now.isoformat(" ") if sqlite else now
        total = len(self.creates) + len(self.updates)
        done = 0
        search_text = self.search_text
        org_names = self.org_names

        batch_id = ImportBatch.insert(
            created_at=now, file_name=result.file_name[:255], status="done",
            row_count=result.rows, created=result.created, updated=result.updated,
            merged=result.merged, skipped=result.skipped, failed=result.failed,
            user_id=user_id, user_name=user_name).execute()
        result.batch_id = batch_id
        items = _Items(db, batch_id)

        # Organisations named in the file and not found: created first, for their ids.
        orgs = self.organizations_to_create()
        if orgs:
            for org, org_id in zip(orgs, _allocate_ids(db, "contacts_organization", len(orgs)),
                                   strict=True):
                org.id = org_id
                org_names[org_id] = org.name
            columns = ["id", "version", "created_at", "updated_at", "owner_id", "name_key",
                       "name"]
            org_rows = [(o.id, 1, stamp, stamp, user_id, organization_name_key(o.name), o.name)
                        for o in orgs]
            org_search_text = _organization_search_text_function()
            if org_search_text is not None:
                columns.append("search_text")
                org_rows = [(*row, org_search_text(row[-1], None, None)) for row in org_rows]
            _executemany(db, _insert_sql(db, "contacts_organization", columns), org_rows)
            _bind_entity()
            record_audit_many(ORGANIZATION.id, ((o.id, "create", {"name": (None, o.name)})
                                                for o in orgs),
                              via="import", user_id=user_id, user_name=user_name)
            items.extend(("organization", o.id, "created", 1, None) for o in orgs)
            result.organizations_created = len(orgs)

        # New people: ids allocated up front, then one executemany of tuples.
        creates = self.creates
        if creates:
            for target, person_id in zip(creates, _allocate_ids(db, "contacts_person",
                                                                 len(creates)), strict=True):
                target.id = person_id
            columns = ["id", "version", "created_at", "updated_at", "owner_id", "name_key",
                       *_COLUMNS]
            if search_text is not None:
                columns.append("search_text")
            sql = _insert_sql(db, "contacts_person", columns)
            for start in range(0, len(creates), _CHUNK):
                chunk = creates[start:start + _CHUNK]
                batch = []
                for target in chunk:
                    values = target.values
                    org = values[_ORG]
                    if org is not None and not isinstance(org, int):
                        values[_ORG] = org = org.id
                    row = [target.id, 1, stamp, stamp, user_id,
                           person_name_key(values[_FIRST], values[_LAST]), *values]
                    if search_text is not None:
                        row.append(search_text(values[_FIRST], values[_LAST], values[_EMAIL],
                                               values[_PHONE], org_names.get(org)))
                    batch.append(row)
                _executemany(db, sql, batch)
                done += len(chunk)
                if progress is not None:
                    progress("write", done, total)
            items.extend(("person", t.id, "created", 1, None) for t in creates)
            # Their custom values: validated again and written with executemany.
            save_custom_values_many(PERSON.id, [(t.id, t.custom) for t in creates if t.custom])

        # Updated people: grouped by the set of columns they change (none: only custom
        # values change, and the version still goes up); compare-and-set on the version, so a
        # person edited meanwhile makes the whole import roll back.
        updates = list(self.updates.values())
        groups: dict[tuple[int, ...], list[_Target]] = {}
        custom_rows = []
        for target in updates:
            org = target.values[_ORG]
            if org is not None and not isinstance(org, int):
                target.values[_ORG] = org.id
            changed = tuple(sorted(i for i, old in (target.old or {}).items()
                                   if old != target.values[i]))
            custom_changed = target.custom_changed()
            if changed or custom_changed:
                groups.setdefault(changed, []).append(target)
            if custom_changed:
                custom_rows.append((target.id, {k: target.custom[k] for k in custom_changed}))
        # People's secondary e-mails and phones stay in their search text.
        extras = (_secondary_values(db, [t.id for g in groups.values() for t in g])
                  if search_text is not None else {})
        for changed, group in groups.items():
            sets = [_COLUMNS[i] for i in changed]
            if search_text is not None and changed:
                sets.append("search_text")
            renamed = _FIRST in changed or _LAST in changed
            if renamed:
                sets.append("name_key")
            sql = _update_sql(db, "contacts_person", [*sets, "version", "updated_at"])
            batch = []
            for target in group:
                values = target.values
                row = [values[i] for i in changed]
                if search_text is not None and changed:
                    row.append(search_text(values[_FIRST], values[_LAST], values[_EMAIL],
                                           values[_PHONE], org_names.get(values[_ORG]),
                                           *extras.get(target.id, ())))
                if renamed:
                    row.append(person_name_key(values[_FIRST], values[_LAST]))
                row.extend((target.version + 1, stamp, target.id, target.version))
                batch.append(row)
            changed_rows = _executemany(db, sql, batch)
            if changed_rows is not None and changed_rows != len(batch):
                raise ImportFailed("some of the people this import updates were changed by "
                                   "someone else while it ran; nothing was imported, run it "
                                   "again")
            for target in group:
                target.version += 1
                previous = {_COLUMNS[i]: target.old[i] for i in changed}
                previous.update((k, target.custom_old[k]) for k in target.custom_changed())
                items.append(("person", target.id, "updated", target.version,
                              json.dumps(previous, ensure_ascii=False)))
            done += len(group)
            if progress is not None:
                progress("write", done, total)
        save_custom_values_many(PERSON.id, custom_rows)

        # Audit (via "import") and other plugins' after_record_save, chunk by chunk, each
        # person's changes computed once for both.
        _bind_entity()
        written = [t for t in updates if t.custom_changed() or any(
            old != t.values[i] for i, old in (t.old or {}).items())]
        after = self.hooks.after_record_save if self._foreign("after_record_save") else None
        if after is not None:
            for org in orgs:
                record = Organization(name=org.name, owner_id=user_id, created_at=now,
                                      updated_at=now)
                record.id = org.id
                after(entity=ORGANIZATION, record=record, changes={"name": (None, org.name)},
                      action="create")
        for action, targets, extra in (
                ("create", creates, {"created_at": now, "updated_at": now, "owner_id": user_id}),
                ("update", written, {"updated_at": now})):
            for start in range(0, len(targets), _CHUNK):
                chunk = targets[start:start + _CHUNK]
                changes = [self._changes(t) for t in chunk]
                record_audit_many(PERSON.id, [(t.id, action, c) for t, c in
                                              zip(chunk, changes, strict=True)],
                                  via="import", user_id=user_id, user_name=user_name)
                if after is not None:
                    for target, change in zip(chunk, changes, strict=True):
                        after(entity=PERSON, record=self._record(target, **extra),
                              changes=change, action=action)
        items.flush()


class _Items:
    """Rows of ``contacts_import_item``, written 5,000 at a time."""

    def __init__(self, db, batch_id: int):
        self.db, self.batch_id, self.rows = db, batch_id, []
        self.sql = _insert_sql(db, "contacts_import_item",
                               ["batch_id", "entity", "record_id", "action", "version",
                                "previous"])

    def append(self, item: tuple) -> None:
        self.rows.append((self.batch_id, *item))
        if len(self.rows) >= _CHUNK:
            self.flush()

    def extend(self, items) -> None:
        for item in items:
            self.append(item)

    def flush(self) -> None:
        _executemany(self.db, self.sql, self.rows)
        self.rows = []


def _secondary_values(db, ids: list[int]) -> dict:
    """People's secondary e-mails and phones for their search text; one cheap query when the
    tenant has none (the usual case for a first import)."""
    if not ids or db.execute_sql(
            "SELECT 1 FROM \"contacts_detail\" WHERE entity = 'person' AND kind IN "
            "('email', 'phone') LIMIT 1").fetchone() is None:
        return {}
    from peyvand_contacts.search import secondary_values

    return secondary_values(db, "person", ids)


def _bind_entity() -> None:
    # The kernel sets an entity's plugin when it collects register_entities; outside a
    # kernel call (a script) the ids would read "None.person".
    for entity in (PERSON, ORGANIZATION):
        if entity.plugin is None:
            entity.plugin = "contacts"


def _name_key(first: str | None, last: str | None, organization: str | None) -> str:
    return "\x1f".join((fold(first or ""), fold(last or ""), fold(organization or "")))


def _named(values) -> dict:
    """A preview row's ``name`` (text) and ``who`` (name, e-mail, phone) from its values."""
    if values is None:
        return {}
    name = " ".join(v for v in (values[_FIRST], values[_LAST]) if v)
    return {"name": _display(values), "who": (name, values[_EMAIL], values[_PHONE])}


def _display(values) -> str:
    name = " ".join(v for v in (values[_FIRST], values[_LAST]) if v)
    extra = [v for v in (values[_EMAIL], values[_PHONE]) if v]
    return name + (f" <{', '.join(extra)}>" if extra else "")


# --------------------------------------------------------------------------- SQL helpers

def _insert_sql(db, table: str, columns: Sequence[str]) -> str:
    names = ", ".join(f'"{c}"' for c in columns)
    return f'INSERT INTO "{table}" ({names}) VALUES ({", ".join([db.param] * len(columns))})'


def _update_sql(db, table: str, columns: Sequence[str]) -> str:
    sets = ", ".join(f'"{c}" = {db.param}' for c in columns)
    return f'UPDATE "{table}" SET {sets} WHERE "id" = {db.param} AND "version" = {db.param}'


def _trash_sql(db, table: str) -> str:
    p = db.param
    return (f'UPDATE "{table}" SET "deleted_at" = {p}, "version" = {p}, "updated_at" = {p} '
            f'WHERE "id" = {p}')


def _executemany(db, sql: str, rows: Sequence[Sequence]) -> int | None:
    """Run ``sql`` for every row; return the number of rows it changed (when known)."""
    if not rows:
        return 0
    cursor = db.cursor()
    try:
        cursor.executemany(sql, rows)
        count = cursor.rowcount
    finally:
        cursor.close()
    return count if count is not None and count >= 0 else None


def _allocate_ids(db, table: str, count: int) -> list[int]:
    """Ids for ``count`` new rows of ``table``, reserved inside the write transaction.

    SQLite: the write lock is held (BEGIN IMMEDIATE), so the next ids are MAX(id)+1...
    PostgreSQL: taken from the table's sequence, so concurrent inserts never collide.
    """
    if isinstance(db, peewee.SqliteDatabase):
        start = db.execute_sql(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"').fetchone()[0]
        return list(range(start + 1, start + 1 + count))
    rows = db.execute_sql(
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
        (table, count)).fetchall()
    return sorted(r[0] for r in rows)


# --------------------------------------------------------------------------- batches

@dataclass
class UndoResult:
    batch_id: int
    removed: int = 0            # people this import created, now in the trash
    restored: int = 0           # people this import updated, back to their previous values
    organizations_removed: int = 0
    kept_organizations: list[int] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (f"batch {self.batch_id} undone: removed {self.removed} people, restored "
                f"{self.restored}")
        if self.organizations_removed:
            text += f", removed {self.organizations_removed} organisations"
        if self.kept_organizations:
            text += (f"; kept {len(self.kept_organizations)} organisations other people "
                     "still use")
        return text


def list_batches(limit: int = 50) -> list[ImportBatch]:
    """The most recent import batches of the bound tenant, newest first."""
    return list(ImportBatch.select().order_by(ImportBatch.id.desc()).limit(limit))


def undo_import(batch_id: int, *, force: bool = False) -> UndoResult:
    """Undo batch ``batch_id``: people it created go to the trash, people it updated get their
    previous values back, organisations it created (and nobody else uses) go to the trash.
    Audited via "import", in one transaction.

    Refused when the batch does not exist or was undone already, and — unless ``force`` —
    when any of its records changed after the import (the conflicts are listed).
    """
    require_permission("contacts.person", "import")
    db = _database()
    sqlite = isinstance(db, peewee.SqliteDatabase)
    with db.atomic(lock_type="IMMEDIATE") if sqlite else db.atomic():
        return _undo(db, sqlite, batch_id, force)


def _undo(db, sqlite: bool, batch_id: int, force: bool) -> UndoResult:
    batch = ImportBatch.get_or_none(ImportBatch.id == batch_id)
    if batch is None:
        raise ImportFailed(Message(NO_BATCH, batch=batch_id))
    if batch.status != "done":
        raise ImportFailed(Message(BATCH_NOT_DONE, batch=batch_id,
                                   status=Term(batch.status)))
    result = UndoResult(batch_id)
    items = list(ImportItem.select(ImportItem.entity, ImportItem.record_id, ImportItem.action,
                                   ImportItem.version, ImportItem.previous)
                 .where(ImportItem.batch == batch_id).order_by(ImportItem.id).tuples())
    people = [i for i in items if i[0] == "person"]
    orgs = [i for i in items if i[0] == "organization"]
    columns = ("id", "version", "deleted_at", *_COLUMNS)
    conflicts = []
    current = _fetch(db, "contacts_person", columns, [i[1] for i in people])
    current_orgs = _fetch(db, "contacts_organization", ("id", "version", "deleted_at", "name"),
                          [i[1] for i in orgs])
    for entity, record_id, _action, version, _prev in items:
        row = (current if entity == "person" else current_orgs).get(record_id)
        if row is None or row["deleted_at"] is not None:
            continue    # gone already: nothing to undo for it
        if row["version"] != version:
            conflicts.append(Message(CHANGED_AFTER, entity=Term(entity, ENTITY_TERMS[entity]),
                                     id=record_id, then=version, now=row["version"]))
    result.conflicts = [str(c) for c in conflicts]
    if conflicts and not force:
        shown = conflicts[:10]
        more = len(conflicts) - len(shown)
        raise ImportFailed(Message(CANNOT_UNDO, batch=batch_id,
                                   conflicts=shown + ([Message(MORE, n=more)] if more else [])))

    actor = current_actor()
    user_id, user_name = getattr(actor, "id", None), getattr(actor, "name", None)
    now = _utcnow()
    stamp = now.isoformat(" ") if sqlite else now
    search_text = _search_text_function()
    _bind_entity()

    # Created people: to the trash, as DELETE through the API does.
    removed = [current[i[1]] for i in people
               if i[2] == "created" and i[1] in current and current[i[1]]["deleted_at"] is None]
    _executemany(db, _trash_sql(db, "contacts_person"),
                 [(stamp, r["version"] + 1, stamp, r["id"]) for r in removed])
    record_audit_many(PERSON.id, ((r["id"], "delete", {}) for r in removed), via="import",
                      user_id=user_id, user_name=user_name)
    result.removed = len(removed)

    # Updated people: previous values back, grouped by the columns restored; previous custom
    # values (cf_ keys) back too, for the custom fields that still exist.
    org_names = dict(db.execute_sql('SELECT id, name FROM "contacts_organization"').fetchall())
    defined = {d.key for d in custom_fields(PERSON.id)}
    groups: dict[tuple[str, ...], list[tuple[dict, dict, dict]]] = {}
    for _, record_id, action, _, previous in people:
        row = current.get(record_id)
        if action != "updated" or row is None or row["deleted_at"] is not None:
            continue
        previous = json.loads(previous or "{}")
        before = {k: v for k, v in previous.items() if k in _COLUMNS}
        custom_before = {k: v for k, v in previous.items() if k in defined}
        if before or custom_before:
            groups.setdefault(tuple(sorted(before)), []).append((row, before, custom_before))
    custom_now = load_custom_values(PERSON.id, [row["id"] for group in groups.values()
                                                for row, _, custom in group if custom])
    custom_rows = []
    audit = []
    extras = (_secondary_values(db, [row["id"] for group in groups.values()
                                     for row, _, _ in group])
              if search_text is not None else {})
    for names, group in groups.items():
        renamed = "first_name" in names or "last_name" in names
        sets = [*names, *(["search_text"] if search_text is not None and names else []),
                *(["name_key"] if renamed else []), "version", "updated_at"]
        sql = ('UPDATE "contacts_person" SET '
               + ", ".join(f'"{c}" = {db.param}' for c in sets)
               + f' WHERE "id" = {db.param}')
        batch = []
        for row, before, custom_before in group:
            values = {**row, **before}
            out = [before[c] for c in names]
            if search_text is not None and names:
                out.append(search_text(values["first_name"], values["last_name"],
                                       values["email"], values["phone"],
                                       org_names.get(values["organization_id"]),
                                       *extras.get(row["id"], ())))
            if renamed:
                out.append(person_name_key(values["first_name"], values["last_name"]))
            out.extend((row["version"] + 1, stamp, row["id"]))
            batch.append(out)
            changes = {c: (row[c], before[c]) for c in names if row[c] != before[c]}
            now_custom = custom_now.get(row["id"], {})
            changes.update((k, (now_custom.get(k), v)) for k, v in custom_before.items()
                           if now_custom.get(k) != v)
            audit.append((row["id"], "update", changes))
            if custom_before:
                custom_rows.append((row["id"], custom_before))
        _executemany(db, sql, batch)
    save_custom_values_many(PERSON.id, custom_rows)
    record_audit_many(PERSON.id, audit, via="import", user_id=user_id, user_name=user_name)
    result.restored = len(audit)

    # Organisations it created: to the trash unless a live person still points at them.
    org_ids = [i[1] for i in orgs if i[2] == "created" and i[1] in current_orgs
               and current_orgs[i[1]]["deleted_at"] is None]
    in_use = set()
    for start in range(0, len(org_ids), 500):
        chunk = org_ids[start:start + 500]
        in_use.update(r[0] for r in db.execute_sql(
            'SELECT DISTINCT organization_id FROM "contacts_person" WHERE deleted_at IS NULL '
            f"AND organization_id IN ({', '.join([db.param] * len(chunk))})", chunk))
    dropped = [current_orgs[o] for o in org_ids if o not in in_use]
    result.kept_organizations = sorted(o for o in org_ids if o in in_use)
    _executemany(db, _trash_sql(db, "contacts_organization"),
                 [(stamp, r["version"] + 1, stamp, r["id"]) for r in dropped])
    record_audit_many(ORGANIZATION.id, ((r["id"], "delete", {}) for r in dropped), via="import",
                      user_id=user_id, user_name=user_name)
    result.organizations_removed = len(dropped)

    (ImportBatch.update(status="undone", undone_at=now)
     .where(ImportBatch.id == batch_id).execute())
    return result


def _fetch(db, table: str, columns: Sequence[str], ids: Iterable[int]) -> dict[int, dict]:
    """``{id: {column: value}}`` for ``ids``, 500 per query."""
    ids = list(ids)
    names = ", ".join(f'"{c}"' for c in columns)
    out = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        cursor = db.execute_sql(f'SELECT {names} FROM "{table}" WHERE id IN '
                                f"({', '.join([db.param] * len(chunk))})", chunk)
        for row in cursor:
            record = dict(zip(columns, row, strict=True))
            for flag in ("consent_email", "consent_sms"):
                if flag in record:
                    record[flag] = bool(record[flag])
            out[record["id"]] = record
    return out
