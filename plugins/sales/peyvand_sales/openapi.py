"""The sales plugin's own API routes, described for the OpenAPI document
(``register_openapi``): the board and deal moves, lead actions and capture, activities and the
calendar feed, forecast and targets, assignment rules, lead forms, reports and the admin lists.

Written by hand from the ``routes_*`` modules; request bodies that a marshmallow schema checks
are described from that schema (``json_schema``), so the two cannot drift apart. A test walks
the app's routes and fails when one under ``/api/v1/sales/`` is missing here. The generic
record routes of pipelines, deals, leads and activities are described by the kernel.

Errors answer as the blueprint's handler does (:func:`.api.blueprint`): 422
``{"errors": {field: [message]}}`` (also for a veto), 403, 404, 412 (a record changed
meanwhile), 400 for other refusals.
"""

from __future__ import annotations

from peyvand_sdk.openapi import INVALID, NOT_FOUND, PRECONDITION_FAILED
from peyvand_sdk.openapi import json_body as _body
from peyvand_sdk.openapi import json_response as _json
from peyvand_sdk.openapi import path_id as _path_id
from peyvand_sdk.openapi import query as _query
from peyvand_sdk.openapi import ref as _ref

TAG = ["sales"]
BASE = "/api/v1/sales"

STALE = PRECONDITION_FAILED
ETAG = {"ETag": {"$ref": "#/components/headers/ETag"}}
MANAGE = "Needs `sales.settings.manage`."


def _data_of(schema: dict) -> dict:
    return {"type": "object", "required": ["data"],
            "properties": {"data": {"type": "array", "items": schema}}}


def _op(op_id: str, summary: str, fa: str, description: str, responses: dict,
        **extra) -> dict:
    return {"operationId": f"sales_{op_id}", "tags": TAG, "summary": summary,
            "x-label-fa": fa, "description": description, **extra, "responses": responses}


PERIOD_PARAMS = [
    _query("period", {"type": "string", "pattern": r"^\d{4}(-(Q[1-4]|\d{2}))?$"},
           "`YYYY`, `YYYY-Qn` or `YYYY-MM` (Persian digits too), e.g. `1403-Q2`; this "
           "Jalali quarter when left out. Years before 1700 are Jalali."),
    _query("calendar", {"type": "string", "enum": ["jalali", "gregorian"]},
           "The period's calendar, when its year does not tell."),
]
PERIOD = {"type": "object", "properties": {
    "key": {"type": ["string", "null"]}, "calendar": {"type": "string"},
    "kind": {"type": "string", "enum": ["year", "quarter", "month"]},
    "start": {"type": "string", "format": "date"},
    "end": {"type": "string", "format": "date", "description": "The last day, included."}}}
CURRENCY = {"type": "string", "enum": ["IRR", "IRT", "USD", "EUR", "AED"], "default": "IRR"}
TZ = _query("tz", {"type": "string", "default": "Asia/Tehran"},
            "An IANA time zone name for \"today\" and the dates.")
MONEY = {"type": "object", "additionalProperties": {"type": "string"},
         "description": "`{currency: amount}`, amounts as decimal strings."}
COUNT_AMOUNT = {"type": "object", "properties": {"count": {"type": "integer"},
                                                 "amount": {"type": "string"}}}
TARGET = {"type": "object", "properties": {
    "id": {"type": "integer"}, "user_id": {"type": ["integer", "null"]},
    "team_id": {"type": ["integer", "null"]}, "period": {"type": "string"},
    "start": {"type": "string", "format": "date"}, "end": {"type": "string", "format": "date"},
    "amount": {"type": "string"}, "currency": {"type": "string"},
    "updated_at": {"type": "string", "format": "date-time"},
    "updated_by": {"type": ["integer", "null"]}}}


def _schemas() -> dict:
    from peyvand_sdk import json_schema

    from .assignment import RulesSchema
    from .forms import FormSchema
    from .leads import ConvertSchema
    from .routes_deals import OptionSchema
    from .routes_forecast import TargetsSchema
    from .scoring import ScoringSchema

    form_in = json_schema(FormSchema, title="Lead form")
    form_patch = {k: v for k, v in form_in.items() if k != "required"}
    form_patch["title"] = "Lead form changes"
    option = json_schema(OptionSchema)
    option["properties"]["label"]["description"] = "`{\"en\": ..., \"fa\": ...}`."
    return {
        "sales.option": {**option, "title": "List entry", "x-label-fa": "گزینه فهرست"},
        "sales.scoring": {**json_schema(ScoringSchema), "title": "Lead scoring",
                          "x-label-fa": "امتیازدهی سرنخ"},
        "sales.assignment_rules": {**json_schema(RulesSchema), "title": "Assignment rules",
                                   "x-label-fa": "قواعد تخصیص سرنخ"},
        "sales.targets_input": {**json_schema(TargetsSchema), "title": "Targets",
                                "x-label-fa": "اهداف فروش"},
        "sales.lead_conversion": {**json_schema(ConvertSchema), "title": "Lead conversion",
                                  "x-label-fa": "تبدیل سرنخ"},
        "sales.lead_form.input": {**form_in, "x-label-fa": "فرم جذب سرنخ"},
        "sales.lead_form.patch": {**form_patch, "x-label-fa": "تغییرات فرم جذب سرنخ"},
        "sales.lead_form": {
            "type": "object", "title": "Lead form", "x-label-fa": "فرم جذب سرنخ",
            "description": "A lead capture form, with its public URL and the HTML to embed.",
            "required": ["id", "slug", "title", "fields", "url"],
            "properties": {
                **json_schema(FormSchema, for_input=False)["properties"],
                "id": {"type": "integer"},
                "slug": {"type": "string"},
                "submissions": {"type": "integer"}, "spam": {"type": "integer"},
                "last_submission_at": {"type": ["string", "null"], "format": "date-time"},
                "created_at": {"type": "string", "format": "date-time"},
                "updated_at": {"type": "string", "format": "date-time"},
                "url": {"type": "string", "format": "uri",
                        "description": "The public page visitors fill in."},
                "snippet": {"type": "string", "description": "HTML to paste into a site."},
            },
        },
        "sales.board": {
            "type": "object", "title": "Board", "x-label-fa": "تابلوی قیف فروش",
            "required": ["pipeline", "columns"],
            "properties": {
                "pipeline": {"type": "object", "properties": {"id": {"type": "integer"},
                                                              "name": {"type": "string"}}},
                "columns": {"type": "array", "items": {
                    "type": "object", "required": ["key", "count", "deals", "next_cursor"],
                    "properties": {
                        "key": {"type": "string"}, "label": {"type": "object"},
                        "probability": {"type": "integer"},
                        "count": {"type": "integer", "description": "Open deals in the "
                                                                    "stage."},
                        "amount": {**MONEY, "description": "Left out when amounts are "
                                                           "hidden from you."},
                        "weighted": MONEY,
                        "deals": {"type": "array", "items": _ref("sales.deal")},
                        "next_cursor": {"type": ["string", "null"],
                                        "description": "Continue the column through "
                                                       "`GET /api/v1/sales/deals`."}}}},
            },
        },
        "sales.report": {
            "type": "object", "title": "Report", "x-label-fa": "گزارش",
            "required": ["key", "label", "permission", "params", "columns"],
            "properties": {
                "key": {"type": "string", "examples": ["sales.pipeline_by_stage"]},
                "label": {"type": "object"}, "description": {"type": "object"},
                "permission": {"type": "string"},
                "params": {"type": "array", "items": {"type": "object"}},
                "columns": {"type": "array", "items": {"type": "object", "properties": {
                    "key": {"type": "string"}, "type": {"type": "string"},
                    "label": {"type": "object"}}}},
            },
            "additionalProperties": True,
        },
    }


def _paths() -> dict:
    lead_id = [_path_id("lead_id", "The lead's id.")]
    deal_id = [_path_id("deal_id", "The deal's id.")]
    form_id = [_path_id("form_id", "The lead form's id.")]
    kind = [{"name": "kind", "in": "path", "required": True, "description": "Which list.",
             "schema": {"type": "string", "enum": ["lead_source", "won_reason", "lost_reason",
                                                   "disqualify_reason"]}}]
    lead = _ref("sales.lead")
    lead_answer = {"200": _json(lead, "The lead.", headers=ETAG), "404": NOT_FOUND, "422": INVALID}
    forms = "Needs `sales.form.manage`."
    return {
        # -- lists, board, deals ---------------------------------------------------------
        f"{BASE}/options": {"get": _op(
            "options", "All admin-editable lists", "همه فهرست‌های فروش",
            "Lead sources, won, lost and disqualify reasons, with their labels, in display "
            "order (for anyone who reads deals or leads).",
            {"200": _json({"type": "object", "properties": {"data": {
                "type": "object", "additionalProperties": {
                    "type": "array", "items": _ref("sales.option")}}}},
                "`{\"data\": {list: [entry]}}`.")})},
        f"{BASE}/options/{{kind}}": {
            "parameters": kind,
            "get": _op("options_get", "One admin-editable list", "یک فهرست فروش",
                       "Its entries in display order, inactive ones included.",
                       {"200": _json(_data_of(_ref("sales.option")), "The entries."),
                        "404": NOT_FOUND}),
            "put": _op("options_put", "Replace a list", "جایگزینی فهرست",
                       "Entries in display order; keys left out are deactivated (records "
                       "keep them). Audited. " + MANAGE,
                       {"200": _json(_data_of(_ref("sales.option")), "The list now."),
                        "404": NOT_FOUND, "422": INVALID},
                       requestBody=_body(_data_of(_ref("sales.option")), "The entries.",
                                         example={"data": [{"key": "website", "label": {
                                             "en": "Website", "fa": "وب‌سایت"}}]})),
        },
        f"{BASE}/pipelines/{{pipeline_id}}/board": {
            "parameters": [_path_id("pipeline_id", "The pipeline's id.")],
            "get": _op(
                "board", "A pipeline's board", "تابلوی قیف فروش",
                "One column per stage: open deals' count, amount and weighted amount per "
                "currency, and the first `limit` deals.",
                {"200": _json(_ref("sales.board"), "The board."), "404": NOT_FOUND,
                 "422": INVALID},
                parameters=[
                    _query("limit", {"type": "integer", "minimum": 1, "maximum": 200,
                                     "default": 20}, "Deals per column."),
                    _query("sort", {"type": "string", "default": "-id", "enum": [
                        "-id", "id", "expected_close", "-expected_close", "amount", "-amount",
                        "stage_entered_at", "-stage_entered_at", "-updated_at"]},
                        "Order of the deals in a column."),
                    _query("owner_id", {"type": "integer"}, "Only this user's deals."),
                    _query("team_id", {"type": "integer"}, "Only this team's deals."),
                    _query("currency", {"type": "string"}, "Only deals in this currency."),
                ])},
        f"{BASE}/deals/{{deal_id}}/move": {
            "parameters": deal_id,
            "post": _op(
                "deal_move", "Move a deal", "جابه‌جایی معامله",
                "The kanban drop: to another stage or pipeline, or won or lost. The stage is "
                "checked against the pipeline and the caller's right to update the deal; "
                "the stage history follows. Send the version you read (`version` or "
                "`If-Match`) to be refused (412) if someone changed the deal meanwhile.",
                {"200": _json(_ref("sales.deal"), "The deal after the move.", headers=ETAG),
                 "404": NOT_FOUND, "412": STALE, "422": INVALID},
                parameters=[{"$ref": "#/components/parameters/IfMatch"}],
                requestBody=_body({"type": "object", "additionalProperties": False,
                                   "properties": {
                                       "stage": {"type": "string"},
                                       "pipeline_id": {"type": "integer"},
                                       "status": {"type": "string",
                                                  "enum": ["open", "won", "lost"]},
                                       "won_reason": {"type": ["string", "null"]},
                                       "lost_reason": {"type": ["string", "null"]},
                                       "version": {"type": "integer"}}},
                                  "Where to (at least one of stage, status, pipeline_id).",
                                  example={"stage": "proposal", "version": 3}))},
        f"{BASE}/deals/{{deal_id}}/lines": {
            "parameters": deal_id,
            "get": _op(
                "deal_lines", "A deal's product lines", "اقلام معامله",
                "Lines from the plugins that sell products, their totals and the amount they "
                "give the deal. Refused (403) when deal amounts are hidden from you.",
                {"200": _json({"type": "object", "properties": {
                    "deal_id": {"type": "integer"}, "currency": {"type": "string"},
                    "lines": {"type": "array", "items": {"type": "object"}},
                    "totals": {"type": "object"}, "amount": {"type": "string"},
                    "computed_amount": {"type": ["string", "null"]}}}, "The lines."),
                 "404": NOT_FOUND})},
        f"{BASE}/deals/{{deal_id}}/stages": {
            "parameters": deal_id,
            "get": _op(
                "deal_stages", "A deal's stage history", "تاریخچه مراحل معامله",
                "Each stay in a stage, oldest first, and the seconds spent per stage.",
                {"200": _json({"type": "object", "properties": {
                    "data": {"type": "array", "items": {"type": "object", "properties": {
                        "pipeline_id": {"type": "integer"}, "stage": {"type": "string"},
                        "entered_at": {"type": "string", "format": "date-time"},
                        "left_at": {"type": ["string", "null"], "format": "date-time"},
                        "seconds": {"type": "integer"}, "current": {"type": "boolean"},
                        "user_id": {"type": ["integer", "null"]}}}},
                    "seconds_per_stage": {"type": "object",
                                          "additionalProperties": {"type": "integer"}}}},
                    "The history."),
                 "404": NOT_FOUND})},
        # -- leads ---------------------------------------------------------------------------
        f"{BASE}/leads/{{lead_id}}/qualify": {
            "parameters": lead_id,
            "post": _op("lead_qualify", "Qualify a lead", "تأیید صلاحیت سرنخ",
                        "Sets its status to `qualified`.", lead_answer)},
        f"{BASE}/leads/{{lead_id}}/disqualify": {
            "parameters": lead_id,
            "post": _op("lead_disqualify", "Disqualify a lead", "رد صلاحیت سرنخ",
                        "Sets its status to `disqualified` with a reason.", lead_answer,
                        requestBody=_body({"type": "object", "required": ["reason"],
                                           "properties": {"reason": {
                                               "type": "string", "minLength": 1,
                                               "description": "A key of the "
                                                              "`disqualify_reason` list."}}},
                                          "Why.", example={"reason": "no_budget"}))},
        f"{BASE}/leads/{{lead_id}}/matches": {
            "parameters": lead_id,
            "get": _op("lead_matches", "People matching a lead", "اشخاص منطبق با سرنخ",
                       "Existing people (that you may read) with the lead's e-mail or phone.",
                       {"200": _json(_data_of({"type": "object", "properties": {
                           "id": {"type": "integer"},
                           "first_name": {"type": ["string", "null"]},
                           "last_name": {"type": ["string", "null"]},
                           "email": {"type": ["string", "null"]},
                           "phone": {"type": ["string", "null"]},
                           "organization_id": {"type": ["integer", "null"]},
                           "matched_on": {"type": "array", "items": {
                               "type": "string", "enum": ["email", "phone"]}}}}),
                           "The matches."),
                        "404": NOT_FOUND})},
        f"{BASE}/leads/{{lead_id}}/convert": {
            "parameters": lead_id,
            "post": _op(
                "lead_convert", "Convert a lead", "تبدیل سرنخ",
                "In one transaction: a person (the one given, a match on e-mail or phone, or "
                "a new one), an organisation (given, matched or new from the company) and, "
                "unless `create_deal` is false, a deal (fields in `deal` override the "
                "defaults). Refused when the lead was converted or is disqualified.",
                {"200": _json({"type": "object", "required": ["lead", "person"],
                               "properties": {
                                   "lead": lead,
                                   "person": {"type": "object", "properties": {
                                       "id": {"type": "integer"},
                                       "matched": {"type": "boolean"}}},
                                   "organization": {"type": ["object", "null"]},
                                   "deal": {"anyOf": [_ref("sales.deal"),
                                                      {"type": "null"}]}}},
                              "What was created or matched."),
                 "404": NOT_FOUND, "422": INVALID},
                requestBody=_body(_ref("sales.lead_conversion"), "Options (may be `{}`).",
                                  example={"create_deal": True, "deal": {"amount": "5000000"}}))},
        f"{BASE}/leads/capture": {"post": _op(
            "lead_capture", "Capture a lead for assignment", "ثبت سرنخ برای تخصیص",
            "For a website backend or an SMS gateway: creates a lead like "
            "`POST /api/v1/sales/leads`, but the assignment rules choose its owner instead of "
            "the caller, who needs `sales.lead.create`.",
            {"201": _json(lead, "The lead as created."), "422": INVALID},
            requestBody=_body(_ref("sales.lead.input"), "The lead."))},
        f"{BASE}/scoring": {
            "get": _op("scoring", "Lead scoring", "امتیازدهی سرنخ",
                       "The criteria (with ids) and the qualifying threshold.",
                       {"200": _json(_ref("sales.scoring"), "The scoring.")}),
            "put": _op("scoring_put", "Replace lead scoring", "تغییر امتیازدهی سرنخ",
                       "Replaces the criteria and threshold; every lead is scored again. "
                       "Audited. " + MANAGE,
                       {"200": _json({"allOf": [_ref("sales.scoring"), {
                           "type": "object", "properties": {"rescored": {
                               "type": "integer", "description": "Leads whose score "
                                                                 "changed."}}}]},
                           "The scoring now."),
                        "422": INVALID},
                       requestBody=_body(_ref("sales.scoring"), "The whole scoring.")),
        },
        # -- activities ----------------------------------------------------------------------
        f"{BASE}/my-work": {"get": _op(
            "my_work", "My open activities", "کارهای من",
            "The caller's open activities in buckets (`overdue`, `today`, `upcoming`, "
            "`no_date`, `reminders` already delivered), with a count of each.",
            {"200": _json({"type": "object", "properties": {
                "now": {"type": "string", "format": "date-time"}, "tz": {"type": "string"},
                "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
                **{b: {"type": "array", "items": _ref("sales.activity")}
                   for b in ("overdue", "today", "upcoming", "no_date", "reminders")}}},
                "The buckets."),
             "422": INVALID},
            parameters=[TZ, _query("limit", {"type": "integer", "minimum": 1, "maximum": 500,
                                             "default": 50}, "Activities per bucket.")])},
        f"{BASE}/calendar": {"get": _op(
            "calendar", "Team calendar", "تقویم تیم",
            "Dated activities from `start` to `end` that the caller may read (a manager sees "
            "the team's). At most 92 days.",
            {"200": _json(_data_of(_ref("sales.activity")), "The activities."),
             "422": INVALID},
            parameters=[
                _query("start", {"type": "string", "format": "date"}, "First day.", True),
                _query("end", {"type": "string", "format": "date"},
                       "The day after the last.", True),
                TZ, _query("owner_id", {"type": "integer"}, "Only this user's."),
                _query("limit", {"type": "integer", "minimum": 1, "maximum": 2000,
                                 "default": 500}, "The most activities.")])},
        f"{BASE}/calendar-feed": {
            "get": _op("calendar_feed_state", "My calendar feed", "خوراک تقویم من",
                       "Whether the caller has a live iCalendar feed URL.",
                       {"200": _json({"type": "object", "properties": {
                           "active": {"type": "boolean"},
                           "created_at": {"type": ["string", "null"], "format": "date-time"},
                           "last_used_at": {"type": ["string", "null"],
                                            "format": "date-time"}}}, "Its state.")}),
            "post": _op("calendar_feed_issue", "New calendar feed URL",
                        "نشانی تازه خوراک تقویم",
                        "A new secret URL of the caller's iCalendar feed, shown only now; any "
                        "earlier URL stops working.",
                        {"201": _json({"type": "object", "required": ["url", "path"],
                                       "properties": {"url": {"type": "string",
                                                              "format": "uri"},
                                                      "path": {"type": "string"}}},
                                      "The URL.")}),
            "delete": _op("calendar_feed_revoke", "Revoke the calendar feed",
                          "لغو خوراک تقویم", "The feed URL stops working.",
                          {"204": {"description": "Revoked."}}),
        },
        f"{BASE}/calendar/{{token}}.ics": {
            "parameters": [{"name": "token", "in": "path", "required": True,
                            "schema": {"type": "string"},
                            "description": "The secret from `POST /calendar-feed`."}],
            "get": _op("calendar_ics", "A calendar feed (iCalendar)", "خوراک تقویم (iCalendar)",
                       "For calendar apps: no API token, the secret in the URL is the key.",
                       {"200": {"description": "The feed.", "content": {
                           "text/calendar": {"schema": {"type": "string"}}}},
                        "404": _json(_ref("peyvand.error"), "No such feed (revoked?).")},
                       security=[])},
        # -- forecast and targets ------------------------------------------------------------
        f"{BASE}/forecast": {"get": _op(
            "forecast", "Sales forecast", "پیش‌بینی فروش",
            "Won deals and open ones by forecast category (commit, best case, pipeline) in "
            "the period, per owner or team, with targets and attainment.",
            {"200": _json({"type": "object", "properties": {
                "period": PERIOD, "currency": {"type": "string"},
                "by": {"type": "string", "enum": ["owner", "team"]},
                "totals": {"type": "object", "properties": {
                    "won": COUNT_AMOUNT, "commit": COUNT_AMOUNT, "best_case": COUNT_AMOUNT,
                    "pipeline": COUNT_AMOUNT, "weighted": {"type": "string"}}},
                "rows": {"type": "array", "items": {"type": "object", "description": (
                    "`owner_id` or `team_id`, the same sums as `totals`, `target` and "
                    "`attainment` (won ÷ target).")}}}}, "The forecast."),
             "422": INVALID},
            parameters=[*PERIOD_PARAMS,
                        _query("currency", CURRENCY, "Deals in this currency."),
                        _query("by", {"type": "string", "enum": ["owner", "team"],
                                      "default": "owner"}, "One row per owner or per team."),
                        _query("pipeline_id", {"type": "integer"}, "Only this pipeline.")])},
        f"{BASE}/targets": {
            "get": _op("targets", "Sales targets", "اهداف فروش",
                       "The targets the caller may see (`sales.target.read`).",
                       {"200": _json(_data_of(TARGET), "The targets."), "422": INVALID},
                       parameters=[*PERIOD_PARAMS,
                                   _query("currency", {"type": "string"}, "Only this one.")]),
            "put": _op("targets_put", "Set sales targets", "تعیین اهداف فروش",
                       "Sets (or with `amount: null` removes) targets of users or teams for "
                       "a period; audited. Scope `team` of `sales.target.set` covers the "
                       "caller's teams only.",
                       {"200": _json({"type": "object", "properties": {
                           "period": PERIOD, "data": {"type": "array", "items": TARGET}}},
                           "The targets set."),
                        "422": INVALID},
                       requestBody=_body(_ref("sales.targets_input"), "The targets.",
                                         example={"period": "1403-Q2", "currency": "IRR",
                                                  "targets": [{"user_id": 3,
                                                               "amount": "500000000"}]})),
        },
        # -- assignment ----------------------------------------------------------------------
        f"{BASE}/assignment-rules": {
            "get": _op("assignment_rules", "Lead assignment rules", "قواعد تخصیص سرنخ",
                       "The rules in order with their turn state, and the users passed over "
                       "(on leave). Needs `sales.assignment.manage`.",
                       {"200": _json(_ref("sales.assignment_rules"), "The rules.")}),
            "put": _op("assignment_rules_put", "Replace lead assignment rules",
                       "تغییر قواعد تخصیص سرنخ",
                       "The rules in order (a rule sent with its `id` keeps its turn; rules "
                       "left out are deleted) and the skipped users. Audited. Needs "
                       "`sales.assignment.manage`.",
                       {"200": _json(_ref("sales.assignment_rules"), "The rules now."),
                        "422": INVALID},
                       requestBody=_body(_ref("sales.assignment_rules"), "All the rules.")),
        },
        # -- lead forms ----------------------------------------------------------------------
        f"{BASE}/lead-forms": {
            "get": _op("lead_forms", "List lead forms", "فهرست فرم‌های جذب سرنخ", forms,
                       {"200": _json(_data_of(_ref("sales.lead_form")), "The forms.")}),
            "post": _op("lead_form_create", "Create a lead form", "ساختن فرم جذب سرنخ",
                        "A public form for a website; the answer has its URL and the HTML "
                        "to embed. Audited. " + forms,
                        {"201": _json(_ref("sales.lead_form"), "Created."), "422": INVALID},
                        requestBody=_body(_ref("sales.lead_form.input"), "The form.",
                                          example={"title": {"fa": "تماس با ما"},
                                                   "fields": [{"name": "last_name",
                                                               "required": True},
                                                              {"name": "phone"}]})),
        },
        f"{BASE}/lead-forms/fields": {"get": _op(
            "lead_form_fields", "Fields a lead form may ask for",
            "فیلدهای قابل استفاده در فرم", "The lead's fields and its custom fields. " + forms,
            {"200": _json(_data_of({"type": "object", "properties": {
                "name": {"type": "string"}, "kind": {"type": "string"},
                "custom": {"type": "boolean"}, "label": {"type": "object"}}}),
                "The fields.")})},
        f"{BASE}/lead-forms/{{form_id}}": {
            "parameters": form_id,
            "get": _op("lead_form_get", "One lead form", "دریافت فرم جذب سرنخ", forms,
                       {"200": _json(_ref("sales.lead_form"), "The form."),
                        "404": NOT_FOUND}),
            "patch": _op("lead_form_update", "Change a lead form", "ویرایش فرم جذب سرنخ",
                         "Only the fields sent change. Audited. " + forms,
                         {"200": _json(_ref("sales.lead_form"), "The form."),
                          "404": NOT_FOUND, "422": INVALID},
                         requestBody=_body(_ref("sales.lead_form.patch"),
                                           "What to change.")),
            "delete": _op("lead_form_delete", "Delete a lead form", "حذف فرم جذب سرنخ",
                          "Its URL stops working; leads it brought keep their `form_id`. "
                          "Audited. " + forms,
                          {"204": {"description": "Deleted."}, "404": NOT_FOUND}),
        },
        # -- reports -------------------------------------------------------------------------
        f"{BASE}/reports": {"get": _op(
            "reports", "Sales reports", "گزارش‌های فروش",
            "The report definitions the caller may run (label, parameters, columns).",
            {"200": _json(_data_of(_ref("sales.report")), "The reports.")})},
        f"{BASE}/reports/{{key}}": {
            "parameters": [{"name": "key", "in": "path", "required": True,
                            "description": "The report's key, from `GET /reports`.",
                            "schema": {"type": "string"},
                            "example": "sales.pipeline_by_stage"}],
            "get": _op(
                "report_run", "Run a sales report", "اجرای گزارش فروش",
                "Rows of the report for the period, as the caller may see them. Give "
                "`period` (default: this Jalali quarter) or `start` and `end` (both "
                "included), and the report's own parameters (e.g. `pipeline_id`) as query "
                "parameters.",
                {"200": _json({"type": "object", "required": ["report", "period", "columns",
                                                              "rows"],
                               "properties": {
                                   "report": _ref("sales.report"), "period": PERIOD,
                                   "columns": {"type": "array", "items": {"type": "object"}},
                                   "rows": {"type": "array", "items": {"type": "object"}}}},
                              "The report."),
                 "404": _json(_ref("peyvand.error"), "No report with this key."),
                 "422": INVALID},
                parameters=[*PERIOD_PARAMS,
                            _query("start", {"type": "string", "format": "date"},
                                   "First day (with `end`, instead of `period`)."),
                            _query("end", {"type": "string", "format": "date"},
                                   "Last day, included.")])},
    }


def describe() -> list[dict]:
    """What ``register_openapi`` returns."""
    return [{"paths": _paths(), "schemas": _schemas()}]
