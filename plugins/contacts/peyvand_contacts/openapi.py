"""The contacts plugin's own API routes, described for the OpenAPI document
(``register_openapi``): timelines, vCards, duplicates, merges and import jobs.

Written by hand from the routes (:mod:`.duplicates`, :mod:`.merging`, :mod:`.timeline`,
:mod:`.vcards`, :mod:`.importing.jobs`); a test walks the app's routes and fails when one
under ``/api/v1/contacts/`` is missing here. The generic record routes of people,
organisations and notes are described by the kernel.

Errors answer as the blueprint's handlers do: 422 ``{"errors": {field: [message]}}``, 403,
404, 409 (a merge or undo refused), 412 (a record changed meanwhile), and 400
``{"error", "message"}`` for other refusals (an import with nothing to undo…).
"""

from __future__ import annotations

from peyvand_sdk.openapi import INVALID, NOT_FOUND
from peyvand_sdk.openapi import json_body as _body
from peyvand_sdk.openapi import json_response as _json
from peyvand_sdk.openapi import path_id as _path_id
from peyvand_sdk.openapi import query as _query
from peyvand_sdk.openapi import ref as _ref

TAG = ["contacts"]
BASE = "/api/v1/contacts"

ERROR = _ref("peyvand.error")
REFUSED = _json(ERROR, "Refused; the message says why.")
CONFLICT = _json(ERROR, "Refused: the message lists what changed since (HTTP 409 Conflict). "
                        "Nothing was changed.")


def _cursor(description: str = "The `next_cursor` of the previous page; leave it out for "
                               "the first page.") -> dict:
    return _query("cursor", {"type": "string"}, description)


def _limit(default: int, maximum: int) -> dict:
    return _query("limit", {"type": "integer", "minimum": 1, "maximum": maximum,
                            "default": default}, "Items per page.")


def _page_of(schema: dict) -> dict:
    return {"type": "object", "required": ["data", "next_cursor"], "properties": {
        "data": {"type": "array", "items": schema},
        "next_cursor": {"type": ["string", "null"],
                        "description": "Pass as `cursor` for the next page; null on the last."}}}


FORCE = {"type": "object", "properties": {"force": {
    "type": "boolean", "default": False,
    "description": "Undo what can be undone and leave the conflicting changes as they are."}}}
FORCE_QUERY = _query("force", {"type": "string", "enum": ["1", "true"]},
                     "Same as `{\"force\": true}` in the body.")
STAMP = {"type": ["string", "null"], "format": "date-time"}

SCHEMAS = {
    "contacts.timeline_item": {
        "type": "object", "title": "Timeline item", "x-label-fa": "رویداد گاه‌شمار",
        "description": "One item of a contact's timeline, from any enabled plugin (a note, "
                       "the record's creation, an import, a deal, a call…).",
        "required": ["at", "key", "kind", "title"],
        "properties": {
            "at": {"type": "string", "format": "date-time", "description": "When, in UTC."},
            "key": {"type": "string", "description": "Unique per item, e.g. "
                                                     "`contacts.note:12` or `sales.deal:4:won`."},
            "kind": {"type": "string", "examples": ["note", "created", "import", "deal"]},
            "entity": {"type": ["string", "null"],
                       "description": "The record the item is about, `<plugin>.<name>`."},
            "id": {"type": ["integer", "null"]},
            "title": {"type": "string"},
            "summary": {"type": ["string", "null"]},
        },
        "additionalProperties": True,
    },
    "contacts.duplicate_hit": {
        "type": "object", "title": "Likely duplicate", "x-label-fa": "مخاطب احتمالاً تکراری",
        "required": ["id", "title", "match"],
        "properties": {
            "id": {"type": "integer", "description": "The existing person's id."},
            "title": {"type": "string", "description": "Their name."},
            "match": {"type": "string", "enum": ["email", "phone", "name"],
                      "description": "What matched."},
            "value": {"description": "The matching value; null when the field is hidden "
                                     "from you.", "type": ["string", "null"]},
        },
    },
    "contacts.duplicate_group": {
        "type": "object", "title": "Duplicate group", "x-label-fa": "گروه تکراری‌ها",
        "description": "Records sharing a value under one rule (`count` of them; at most 50 "
                       "listed), or for the fuzzy rule a pair of similar names with their "
                       "`score`.",
        "required": ["rule", "count", "records"],
        "properties": {
            "rule": {"type": "string", "enum": ["email", "phone", "national_id", "name",
                                                "fuzzy"]},
            "value": {"description": "The shared value (null for fuzzy pairs and hidden "
                                     "fields)."},
            "score": {"type": "number", "description": "Fuzzy pairs only: similarity, %."},
            "count": {"type": "integer", "minimum": 2},
            "records": {"type": "array", "items": {
                "type": "object", "required": ["id", "title"],
                "properties": {"id": {"type": "integer"}, "title": {"type": ["string", "null"]}},
                "additionalProperties": True,
                "description": "The record's key fields (those you may see), `owner_id`, "
                               "`team_id`, `created_at`, `updated_at`."}},
            "dismissed": {"type": "array", "items": {
                "type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
                "description": "Pairs marked \"not duplicates\" that were left out."},
        },
    },
    "contacts.merge_result": {
        "type": "object", "title": "Merge", "x-label-fa": "ادغام",
        "required": ["id", "entity", "survivor", "merged_ids", "dry_run"],
        "properties": {
            "id": {"type": ["integer", "null"], "description": "The merge's id (for undo); "
                                                              "null on a dry run."},
            "entity": {"type": "string", "enum": ["person", "organization"]},
            "survivor": {"type": "object", "description": "The surviving record after the "
                                                          "merge, as the record API shows it."},
            "merged_ids": {"type": "array", "items": {"type": "integer"},
                           "description": "The records moved to the trash."},
            "changes": {"type": "object", "description": "`{field: [before, after]}` on the "
                                                         "survivor."},
            "sources": {"type": "object", "description": "`{field: record id}`: where each "
                                                         "value came from."},
            "repointed": {"type": "object", "additionalProperties": {"type": "integer"},
                          "description": "`{\"table.column\": rows}` moved to the survivor."},
            "dry_run": {"type": "boolean"},
        },
    },
    "contacts.merge": {
        "type": "object", "title": "Merge log entry", "x-label-fa": "سابقه ادغام",
        "required": ["id", "entity", "survivor_id", "merged_ids", "status"],
        "properties": {
            "id": {"type": "integer"},
            "entity": {"type": "string", "enum": ["person", "organization"]},
            "survivor_id": {"type": "integer"},
            "merged_ids": {"type": "array", "items": {"type": "integer"}},
            "status": {"type": "string", "examples": ["done", "undone"]},
            "created_at": STAMP,
            "user": {"type": ["string", "null"]},
            "changes": {"type": "object"},
            "sources": {"type": "object"},
            "repointed": {"type": "integer", "description": "Rows of other tables moved."},
            "undone_at": STAMP,
            "undone_by": {"type": ["string", "null"]},
        },
    },
    "contacts.import_job": {
        "type": "object", "title": "Import job", "x-label-fa": "کار درون‌ریزی",
        "description": "An import run in the background; poll it until `state` is `done` or "
                       "`failed`.",
        "required": ["id", "state", "file_name"],
        "properties": {
            "id": {"type": "integer"},
            "state": {"type": "string", "enum": ["queued", "running", "done", "failed"]},
            "file_name": {"type": "string"},
            "user": {"type": ["string", "null"]},
            "created_at": STAMP, "started_at": STAMP, "finished_at": STAMP,
            "phase": {"type": ["string", "null"], "description": "While it runs: `read`, "
                                                                "`match` or `write`."},
            "rows_total": {"type": ["integer", "null"]},
            "rows_done": {"type": ["integer", "null"]},
            **{name: {"type": ["integer", "null"]} for name in (
                "created", "updated", "merged", "skipped", "failed", "organizations_created",
                "errors")},
            "batch_id": {"type": ["integer", "null"], "description": "The batch it wrote "
                                                                     "(what undo takes back)."},
            "outcome": {"type": ["string", "null"]},
            "error": {"type": ["string", "null"], "description": "Why it failed."},
            "options": {"type": "object", "description": "The options it was started with."},
            "errors_url": {"type": "string", "description": "Once done: the error report."},
            "undone": {"type": "boolean"},
        },
        "additionalProperties": True,
    },
    "contacts.import_row_error": {
        "type": "object", "title": "Import row error", "x-label-fa": "خطای ردیف درون‌ریزی",
        "properties": {"row": {"type": "integer"}, "field": {"type": ["string", "null"]},
                       "column": {"type": ["string", "null"]}, "value": {},
                       "message": {"type": "string"}},
    },
}

IMPORT_FORM = {
    "type": "object", "required": ["file"],
    "properties": {
        "file": {"type": "string", "contentMediaType": "application/octet-stream",
                 "description": "The spreadsheet: .csv, .tsv, .txt, .xlsx, .xlsm, .xls, "
                                ".xlsb or .ods."},
        "mapping": {"type": "string", "description": "A saved mapping's name, or the mapping "
                                                     "as JSON (`{\"columns\": {...}}`); left "
                                                     "out, the columns are guessed."},
        "match": {"type": "array", "items": {"type": "string"},
                  "description": "Match rules such as `email=skip` or `phone=update`, repeated "
                                 "or comma-separated."},
        "all_or_nothing": {"type": "boolean",
                           "description": "Write nothing when any row fails."},
        "dry_run": {"type": "boolean", "description": "Check everything, write nothing."},
        "encoding": {"type": "string", "description": "The text file's encoding (guessed "
                                                      "when left out)."},
        "sheet": {"type": "string", "description": "A workbook's sheet, by name or number."},
    },
}
MULTIPART_IMPORT = {"required": True, "content": {"multipart/form-data": {
    "schema": IMPORT_FORM, "encoding": {"file": {"contentType": "application/octet-stream"}}}}}


def _timeline(entity: str, en: str, fa: str, note: str) -> dict:
    return {
        "parameters": [_path_id("record_id", f"The {en}'s id.")],
        "get": {
            "operationId": f"contacts_{entity}_timeline", "tags": TAG,
            "summary": f"The timeline of {'a' if entity == 'person' else 'an'} {en}",
            "x-label-fa": f"گاه‌شمار {fa}",
            "description": "Everything every enabled plugin records about the contact (notes, "
                           "calls, deals, imports…), newest first, as the caller may read it. "
                           + note,
            "parameters": [_limit(25, 100), _cursor()],
            "responses": {
                "200": _json(_page_of(_ref("contacts.timeline_item")), "One page of items."),
                "404": NOT_FOUND, "422": INVALID,
            },
        },
    }


def _merge(entity: str, en: str, fa: str) -> dict:
    return {"post": {
        "operationId": f"contacts_{entity}_merge", "tags": TAG,
        "summary": f"Merge {en} records into one", "x-label-fa": f"ادغام {fa}",
        "description": (
            "Merges `merged` into `survivor` in one transaction: the survivor keeps its values, "
            "fills its empty fields from the others in the order given, and takes the value "
            "of the record named in `fields` for a field; related lists (e-mails, phones, "
            "addresses, tags) are joined; other plugins' rows pointing at the merged records "
            "move to the survivor; the merged records go to the trash. Audited; "
            "`POST /api/v1/contacts/merges/{merge_id}/undo` takes it back. With `dry_run` "
            "(in the body or `?dry_run=true`) nothing is written and the answer shows the "
            "result."),
        "parameters": [_query("dry_run", {"type": "string", "enum": ["1", "true"]},
                              "Same as `\"dry_run\": true` in the body.")],
        "requestBody": _body({
            "type": "object", "required": ["survivor", "merged"],
            "properties": {
                "survivor": {"type": "integer", "description": "The record that remains."},
                "merged": {"type": "array", "items": {"type": "integer"}, "minItems": 1,
                           "maxItems": 50, "description": "The records merged into it."},
                "fields": {"type": "object", "additionalProperties": {"type": "integer"},
                           "description": "`{field: record id}`: take this field's value "
                                          "from that record."},
                "dry_run": {"type": "boolean", "default": False},
            }}, "What to merge.", example={"survivor": 12, "merged": [15, 18],
                                           "fields": {"email": 15}}),
        "responses": {
            "201": _json(_ref("contacts.merge_result"), "Merged."),
            "200": _json(_ref("contacts.merge_result"), "Dry run: what the merge would do; "
                                                        "nothing was written."),
            "404": NOT_FOUND,
            "409": CONFLICT,
            "412": {"$ref": "#/components/responses/PreconditionFailed"},
            "422": INVALID,
        },
    }}


PATHS = {
    f"{BASE}/persons/{{record_id}}/timeline": _timeline(
        "person", "person", "شخص", "Items of the person's organisation are not included."),
    f"{BASE}/organizations/{{record_id}}/timeline": _timeline(
        "organization", "organisation", "سازمان",
        "Only the organisation's own items; its people's are on theirs."),
    f"{BASE}/persons/{{record_id}}/vcard": {
        "parameters": [_path_id("record_id", "The person's id.")],
        "get": {
            "operationId": "contacts_person_vcard", "tags": TAG,
            "summary": "A person as a vCard", "x-label-fa": "کارت ویزیت (vCard) شخص",
            "description": "A vCard 3.0 file (UTF-8) with the person's names, every e-mail "
                           "and phone number with its type, organisation, job title and "
                           "addresses; fields hidden from the caller are left out.",
            "responses": {
                "200": {"description": "The .vcf file (`Content-Disposition: attachment`).",
                        "content": {"text/vcard": {"schema": {"type": "string"}}}},
                "404": NOT_FOUND,
            },
        },
    },
    f"{BASE}/persons/vcard": {"post": {
        "operationId": "contacts_persons_from_vcard", "tags": TAG,
        "summary": "Create people from a vCard file", "x-label-fa": "ساختن اشخاص از vCard",
        "description": "One person per card (at most 1,000 cards), each checked like a create "
                       "through the API and saved on its own: a card that fails is reported "
                       "and the others are created. Each card's likely duplicates are listed.",
        "requestBody": {"required": True, "description": "The .vcf in UTF-8: the raw body, or "
                                                         "a `file` upload.",
                        "content": {
                            "text/vcard": {"schema": {"type": "string"}},
                            "multipart/form-data": {"schema": {
                                "type": "object", "required": ["file"],
                                "properties": {"file": {"type": "string",
                                                        "contentMediaType": "text/vcard"}}}}}},
        "responses": {
            "201": _json({"$ref": "#/components/schemas/contacts.vcard_import"},
                         "At least one person was created."),
            "200": _json({"$ref": "#/components/schemas/contacts.vcard_import"},
                         "No card could be created; see each card's errors."),
            "422": INVALID,
        },
    }},
    f"{BASE}/persons/check-duplicates": {"post": {
        "operationId": "contacts_check_duplicates", "tags": TAG,
        "summary": "Find likely duplicates of a person", "x-label-fa": "یافتن تکراری‌های شخص",
        "description": "Before creating a person: existing people (that the caller may "
                       "read) with one of these e-mail addresses or phone numbers (primary or "
                       "secondary, compared once normalised), or the same name in the same "
                       "organisation. At most 10.",
        "requestBody": _body({"type": "object", "properties": {
            "first_name": {"type": ["string", "null"]},
            "last_name": {"type": ["string", "null"]},
            "email": {"type": ["string", "null"]},
            "emails": {"type": "array", "items": {}, "description": "As the person API takes "
                                                                    "them."},
            "phone": {"type": ["string", "null"]},
            "phones": {"type": "array", "items": {}},
            "organization_id": {"type": ["integer", "null"]},
        }}, "The person's fields as you would create them.",
            example={"first_name": "مریم", "last_name": "کریمی", "phone": "09121234567"}),
        "responses": {
            "200": _json({"type": "object", "required": ["data"], "properties": {
                "data": {"type": "array", "items": _ref("contacts.duplicate_hit")}}},
                "The likely duplicates (empty when none)."),
            "422": INVALID,
        },
    }},
    f"{BASE}/duplicates": {"get": {
        "operationId": "contacts_duplicates", "tags": TAG,
        "summary": "List likely duplicates", "x-label-fa": "فهرست تکراری‌ها",
        "description": "Groups of people (or organisations) the caller may read that share an "
                       "e-mail, a phone number, a national id or a name (in one organisation), "
                       "rule by rule, and with the fuzzy rule (when an admin set "
                       "`contacts.fuzzy_name_threshold`) pairs with similar names. Pairs "
                       "dismissed as \"not duplicates\" are left out.",
        "parameters": [
            _query("entity", {"type": "string", "enum": ["person", "organization"],
                              "default": "person"}, "Which records."),
            _query("rule", {"type": "string"}, "Comma-separated rules among `email`, `phone`, "
                                               "`national_id`, `name`, `fuzzy` (all by "
                                               "default)."),
            _limit(50, 200), _cursor(),
        ],
        "responses": {
            "200": _json({"type": "object", "required": ["data", "next_cursor", "rules"],
                          "properties": {
                              "data": {"type": "array",
                                       "items": _ref("contacts.duplicate_group")},
                              "next_cursor": {"type": ["string", "null"]},
                              "rules": {"type": "array", "items": {"type": "string"},
                                        "description": "The rules applied."},
                              "threshold": {"type": "integer", "description": "The fuzzy "
                                            "threshold, % (0: the fuzzy rule is off)."}}},
                         "One page of groups."),
            "422": INVALID,
        },
    }},
    f"{BASE}/duplicates/dismiss": {"post": {
        "operationId": "contacts_duplicates_dismiss", "tags": TAG,
        "summary": "Mark records as not duplicates", "x-label-fa": "تکراری نیستند",
        "description": "Every pair of these records stops being suggested as duplicates. The "
                       "caller must be allowed to update each record; audited on each.",
        "requestBody": _body({"type": "object", "required": ["ids"], "properties": {
            "entity": {"type": "string", "enum": ["person", "organization"],
                       "default": "person"},
            "ids": {"type": "array", "items": {"type": "integer"}, "minItems": 2}}},
            "The records.", example={"entity": "person", "ids": [12, 15]}),
        "responses": {
            "200": _json({"type": "object", "required": ["dismissed"], "properties": {
                "dismissed": {"type": "integer", "description": "Pairs newly dismissed."}}},
                "Dismissed."),
            "404": NOT_FOUND, "422": INVALID,
        },
    }},
    f"{BASE}/persons/merge": _merge("person", "person", "اشخاص"),
    f"{BASE}/organizations/merge": _merge("organization", "organisation", "سازمان‌ها"),
    f"{BASE}/merges": {"get": {
        "operationId": "contacts_merges", "tags": TAG,
        "summary": "List merges", "x-label-fa": "فهرست ادغام‌ها",
        "description": "Merges whose surviving record the caller may read, newest first.",
        "parameters": [
            _query("entity", {"type": "string", "enum": ["person", "organization"]},
                   "Only merges of people or of organisations."),
            _limit(50, 200), _cursor(),
        ],
        "responses": {"200": _json(_page_of(_ref("contacts.merge")), "One page of merges."),
                      "422": INVALID},
    }},
    f"{BASE}/merges/{{merge_id}}": {
        "parameters": [_path_id("merge_id", "The merge's id.")],
        "get": {
            "operationId": "contacts_merge_get", "tags": TAG,
            "summary": "One merge", "x-label-fa": "جزئیات ادغام",
            "description": "Which records were merged, where each value came from, and "
                           "whether it was undone.",
            "responses": {"200": _json(_ref("contacts.merge"), "The merge."),
                          "404": NOT_FOUND},
        },
    },
    f"{BASE}/merges/{{merge_id}}/undo": {
        "parameters": [_path_id("merge_id", "The merge's id.")],
        "post": {
            "operationId": "contacts_merge_undo", "tags": TAG,
            "summary": "Undo a merge", "x-label-fa": "واگردانی ادغام",
            "description": "Restores the merged records from the trash, the survivor's "
                           "previous values and the rows re-pointed to it, in one "
                           "transaction. Refused (409) when, since the merge, the survivor "
                           "was trashed, a field the merge set was changed again, a merged "
                           "record changed, or a re-pointed row moved; `force` undoes the "
                           "rest and keeps those changes.",
            "parameters": [FORCE_QUERY],
            "requestBody": {**_body(FORCE, "Optional.", required=False)},
            "responses": {
                "200": _json({"type": "object", "required": ["id", "status"], "properties": {
                    "id": {"type": "integer"}, "status": {"const": "undone"},
                    "restored": {"type": "array", "items": {"type": "integer"}},
                    "fields_restored": {"type": "array", "items": {"type": "string"}},
                    "rows_restored": {"type": "integer"},
                    "conflicts_kept": {"type": "array", "items": {}}}}, "Undone."),
                "404": NOT_FOUND, "409": CONFLICT,
            },
        },
    },
    f"{BASE}/imports": {
        "get": {
            "operationId": "contacts_imports", "tags": TAG,
            "summary": "List imports", "x-label-fa": "فهرست درون‌ریزی‌ها",
            "description": "The caller's imports (everyone's with the `all` scope of "
                           "`contacts.person.import`), newest first.",
            "parameters": [_limit(50, 200), _cursor()],
            "responses": {"200": _json(_page_of(_ref("contacts.import_job")),
                                       "One page of imports."),
                          "422": INVALID},
        },
        "post": {
            "operationId": "contacts_import_start", "tags": TAG,
            "summary": "Start an import of people", "x-label-fa": "شروع درون‌ریزی اشخاص",
            "description": "Stores the file and queues the import, which `peyvand worker` "
                           "runs as the caller (their permissions and field rules). Poll "
                           "the `Location` for progress. Needs `contacts.person.import`.",
            "requestBody": MULTIPART_IMPORT,
            "responses": {
                "202": {**_json(_ref("contacts.import_job"), "Queued."),
                        "headers": {"Location": {"description": "The import's URL.",
                                                 "schema": {"type": "string"}}}},
                "422": INVALID,
            },
        },
    },
    f"{BASE}/imports/preview": {"post": {
        "operationId": "contacts_import_preview", "tags": TAG,
        "summary": "Preview an import", "x-label-fa": "پیش‌نمایش درون‌ریزی",
        "description": "Reads the first rows of the file as the import would and answers "
                       "the encoding, the headers, the mapping used, what each row would do "
                       "and every error. Writes nothing.",
        "parameters": [_query("rows", {"type": "integer", "minimum": 1, "maximum": 200,
                                       "default": 20},
                              "How many rows to read (also accepted as a form field).")],
        "requestBody": MULTIPART_IMPORT,
        "responses": {
            "200": _json({"type": "object", "required": ["headers", "mapping", "rows"],
                          "properties": {
                              "file_name": {"type": "string"},
                              "format": {"type": "string"},
                              "encoding": {"type": ["string", "null"]},
                              "headers": {"type": "array", "items": {"type": "string"}},
                              "mapping": {"type": "object", "description": "`{column: "
                                                                           "field}`."},
                              "not_imported": {"type": "array", "items": {}},
                              "rules": {"type": "array", "items": {"type": "string"}},
                              "warnings": {"type": "array", "items": {}},
                              "rows_read": {"type": "integer"},
                              "summary": {"type": "object", "properties": {
                                  n: {"type": "integer"} for n in (
                                      "created", "updated", "merged", "skipped", "failed")}},
                              "rows": {"type": "array", "items": {
                                  "type": "object", "properties": {
                                      "row": {"type": "integer"},
                                      "action": {"type": "string"},
                                      "person_id": {"type": ["integer", "null"]},
                                      "matched_on": {"type": ["string", "null"]},
                                      "changes": {"type": "object"},
                                      "errors": {"type": "array", "items": _ref(
                                          "contacts.import_row_error")}}}},
                              "errors": {"type": "array",
                                         "items": _ref("contacts.import_row_error")}}},
                         "What the import would do with these rows."),
            "422": INVALID,
        },
    }},
    f"{BASE}/imports/{{import_id}}": {
        "parameters": [_path_id("import_id", "The import's id.")],
        "get": {
            "operationId": "contacts_import_get", "tags": TAG,
            "summary": "An import and its progress", "x-label-fa": "وضعیت درون‌ریزی",
            "description": "Its state, the rows read so far while it runs, and the counts "
                           "once done.",
            "responses": {"200": _json(_ref("contacts.import_job"), "The import."),
                          "404": NOT_FOUND},
        },
    },
    f"{BASE}/imports/{{import_id}}/errors.csv": {
        "parameters": [_path_id("import_id", "The import's id.")],
        "get": {
            "operationId": "contacts_import_errors", "tags": TAG,
            "summary": "An import's error report", "x-label-fa": "گزارش خطاهای درون‌ریزی",
            "description": "A CSV (UTF-8 with BOM, opens in Excel) of the rows that failed: "
                           "row, column, field, value, error.",
            "responses": {
                "200": {"description": "The report.",
                        "content": {"text/csv": {"schema": {"type": "string"}}}},
                "400": _json(ERROR, "The import is not done yet."),
                "404": NOT_FOUND,
            },
        },
    },
    f"{BASE}/imports/{{import_id}}/undo": {
        "parameters": [_path_id("import_id", "The import's id.")],
        "post": {
            "operationId": "contacts_import_undo", "tags": TAG,
            "summary": "Undo an import", "x-label-fa": "واگردانی درون‌ریزی",
            "description": "People it created go to the trash, people it updated get their "
                           "previous values back, organisations it created (unused "
                           "elsewhere) go to the trash. Refused when it wrote nothing or was "
                           "undone already, and, unless `force`, when its records changed "
                           "since.",
            "parameters": [FORCE_QUERY],
            "requestBody": _body(FORCE, "Optional.", required=False),
            "responses": {
                "200": _json({"type": "object", "required": ["id", "batch_id"], "properties": {
                    "id": {"type": "integer"}, "batch_id": {"type": "integer"},
                    "removed": {"type": "integer"}, "restored": {"type": "integer"},
                    "organizations_removed": {"type": "integer"},
                    "kept_organizations": {"type": "array", "items": {"type": "integer"},
                                           "description": "Organisations it created that "
                                                          "others use now, kept."},
                    "summary": {"type": "string"}}}, "Undone."),
                "400": REFUSED, "404": NOT_FOUND,
            },
        },
    },
}

SCHEMAS["contacts.vcard_import"] = {
    "type": "object", "title": "vCard import", "x-label-fa": "نتیجه درون‌ریزی vCard",
    "required": ["created", "cards"],
    "properties": {
        "created": {"type": "array", "items": {"type": "integer"},
                    "description": "Ids of the people created."},
        "cards": {"type": "array", "items": {
            "type": "object", "required": ["card", "id"], "properties": {
                "card": {"type": "integer", "description": "The card's number, from 1."},
                "id": {"type": ["integer", "null"], "description": "The person created, or "
                                                                   "null when refused."},
                "errors": {"type": "object", "description": "Why it was refused, by field."},
                "duplicates": {"type": "array", "items": _ref("contacts.duplicate_hit")}}}},
    },
}


def describe() -> list[dict]:
    """What ``register_openapi`` returns."""
    return [{"paths": PATHS, "schemas": SCHEMAS}]
