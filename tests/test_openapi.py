"""The OpenAPI 3.1 document (``/api/v1/openapi.json``) and the offline Swagger UI
(``/api/docs``)."""

import re
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft202012Validator
from marshmallow import fields, validate
from openapi_spec_validator import OpenAPIV31SpecValidator

from peyvand.errors import PluginError
from peyvand.openapi import build_document
from peyvand.records import SYSTEM_FIELDS
from peyvand_sdk import Manifest, hookimpl

pytestmark = pytest.mark.peyvand_plugins("contacts", "sales")

SPEC = "/api/v1/openapi.json"
ENTITY_PATHS = {
    "contacts": ("persons", "organizations"),
    "sales": ("pipelines", "deals"),
}


def spec(client) -> dict:
    response = client.get(SPEC)
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "application/json"
    return response.json


def conforms(document: dict, name: str, instance) -> list[str]:
    """Messages of ``instance`` against component schema ``name`` (empty when it conforms)."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    return [e.message for e in Draft202012Validator(schema).iter_errors(instance)]


def test_the_document_is_valid_openapi_3_1(peyvand_client):
    document = spec(peyvand_client)
    assert document["openapi"].startswith("3.1.")
    OpenAPIV31SpecValidator(document).validate()
    assert document["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"


def test_every_entity_path_of_contacts_and_sales_and_the_kernel_routes(peyvand_app,
                                                                      peyvand_client):
    paths = spec(peyvand_client)["paths"]
    for plugin, plurals in ENTITY_PATHS.items():
        for plural in plurals:
            base = f"/api/v1/{plugin}/{plural}"
            assert set(paths[base]) == {"get", "post"}
            assert set(paths[f"{base}/{{id}}"]) == {"parameters", "get", "patch", "delete"}
            assert set(paths[f"{base}/{{id}}/restore"]) == {"parameters", "post"}
    for route in ("/api/v1/plugins", "/api/v1/search", "/api/v1/audit", SPEC):
        assert "get" in paths[route]
    # And nothing the kernel does not serve: every entity it knows, no other.
    kernel = peyvand_app.extensions["peyvand"]
    entity_bases = {p for p, item in paths.items()
                    if item.get("get", {}).get("operationId", "").endswith("_list")}
    assert entity_bases == {f"/api/v1/{e.plugin}/{e.plural}"
                            for e in kernel.entities("default").values()}


def test_operations_document_headers_errors_and_list_parameters(peyvand_client):
    document = spec(peyvand_client)
    people = document["paths"]["/api/v1/contacts/persons"]
    one = document["paths"]["/api/v1/contacts/persons/{id}"]
    refs = {p.get("$ref", "").rsplit("/", 1)[-1] for p in people["post"]["parameters"]}
    assert "IdempotencyKey" in refs
    assert {p["$ref"].rsplit("/", 1)[-1] for p in one["patch"]["parameters"]} == {"IfMatch"}
    assert document["components"]["parameters"]["IfMatch"]["name"] == "If-Match"
    assert set(one["patch"]["responses"]) >= {"200", "404", "412", "422"}
    assert set(people["post"]["responses"]) >= {"201", "422"}
    assert "ETag" in people["post"]["responses"]["201"]["headers"]

    invalid = document["components"]["responses"]["Invalid"]["content"]["application/json"]
    assert invalid["schema"]["$ref"].endswith("/peyvand.validation_errors")

    params = {p["name"]: p for p in people["get"]["parameters"]}
    assert set(params) == {"limit", "cursor", "sort", "fields", "total", "trash", "tag",
                           "filter"}
    assert params["limit"]["schema"]["maximum"] == 500
    assert {"last_name", "-last_name", "-id"} <= set(params["sort"]["schema"]["enum"])
    filters = params["filter"]["schema"]["properties"]
    assert {"city", "lifecycle_stage__in", "last_name__contains", "email__empty",
            "created_at__gte", "organization_id__lt"} <= set(filters)
    deal_filters = {p["name"]: p for p in document["paths"]["/api/v1/sales/deals"]["get"][
        "parameters"]}["filter"]["schema"]["properties"]
    assert deal_filters["expected_close__gte"]["format"] == "date"
    assert "consent_sms__gte" not in filters  # no ordering on booleans


def _expected(field) -> dict:
    """What the document must say about a marshmallow field, read off its validators."""
    out = {}
    for validator in field.validators:
        if isinstance(validator, validate.Length):
            out["minLength"], out["maxLength"] = validator.min, validator.max
        if isinstance(validator, validate.OneOf):
            out["enum"] = list(validator.choices)
    return {k: v for k, v in out.items() if v is not None}


def test_schemas_match_the_marshmallow_schemas(peyvand_app, peyvand_client):
    document = spec(peyvand_client)
    schemas = document["components"]["schemas"]
    kernel = peyvand_app.extensions["peyvand"]
    checked = 0
    for entity in kernel.entities("default").values():
        record, new = schemas[entity.id], schemas[f"{entity.id}.input"]
        patch = schemas[f"{entity.id}.patch"]
        assert record["title"] == entity.label["en"]
        assert record["x-label-fa"] == entity.label["fa"]
        marsh = entity.schema()
        required = sorted(n for n, f in marsh.fields.items() if f.required)
        assert sorted(new.get("required", [])) == required
        assert "required" not in patch
        assert sorted(set(record["required"]) - set(SYSTEM_FIELDS)) == required
        assert set(SYSTEM_FIELDS) <= set(record["properties"])
        assert not set(SYSTEM_FIELDS) & set(new["properties"])  # the kernel sets them
        assert new["additionalProperties"] is False
        for name, field in marsh.fields.items():
            for schema in (record["properties"][name], new["properties"][name]):
                for key, value in _expected(field).items():
                    if key == "enum" and field.allow_none:
                        value = [*value, None]
                    assert schema[key] == value, (entity.id, name, key)
                    checked += 1
            kind = new["properties"][name]["type"]
            if field.allow_none:
                assert isinstance(kind, list) and "null" in kind, (entity.id, name)
            else:
                assert kind != "null" and "null" not in kind, (entity.id, name)
            if isinstance(field, fields.Decimal):
                assert kind == "string" and new["properties"][name]["format"] == "decimal"
            if isinstance(field, fields.Date):
                assert new["properties"][name]["format"] == "date"
    assert checked > 20
    person = schemas["contacts.person.input"]["properties"]
    assert person["last_name"] == {"type": "string", "minLength": 1, "maxLength": 100}
    assert person["lifecycle_stage"]["enum"] == ["subscriber", "lead", "customer",
                                                 "former_customer"]
    assert person["organization_id"]["type"] == ["integer", "null"]
    assert person["consent_sms"] == {"type": "boolean", "title": "Agrees to SMS",
                                     "x-label-fa": "رضایت دریافت پیامک"}   # its label


def test_answers_of_the_api_conform_to_the_document(peyvand_client):
    document = spec(peyvand_client)
    pipeline = peyvand_client.post("/api/v1/sales/pipelines", json={
        "name": "فروش", "stages": [{"key": "new", "probability": 10}]}).json
    person = peyvand_client.post("/api/v1/contacts/persons",
                                 json={"last_name": "کریمی", "lifecycle_stage": "lead"})
    assert person.status_code == 201
    deal = peyvand_client.post("/api/v1/sales/deals", json={
        "title": "قرارداد", "pipeline_id": pipeline["id"], "stage": "new",
        "amount": "1250000", "expected_close": "2025-03-20", "person_id": person.json["id"]})
    assert deal.status_code == 201, deal.json
    assert conforms(document, "contacts.person", person.json) == []
    assert conforms(document, "sales.deal", deal.json) == []
    assert conforms(document, "sales.pipeline", pipeline) == []

    listed = peyvand_client.get("/api/v1/sales/deals?total=true")
    page_schema = document["paths"]["/api/v1/sales/deals"]["get"]["responses"]["200"][
        "content"]["application/json"]["schema"]
    validator = Draft202012Validator({**page_schema, "components": document["components"]})
    assert list(validator.iter_errors(listed.json)) == []

    # What the document refuses, the API refuses too, in the documented shape.
    body = {"last_name": "", "lifecycle_stage": "vip"}
    assert conforms(document, "contacts.person.input", body)
    refused = peyvand_client.post("/api/v1/contacts/persons", json=body)
    assert refused.status_code == 422
    assert conforms(document, "peyvand.validation_errors", refused.json) == []
    assert set(refused.json["errors"]) == {"last_name", "lifecycle_stage"}
    stale = peyvand_client.patch(person.headers["Location"], json={"city": "تهران"},
                                 headers={"If-Match": '"9"'})
    assert stale.status_code == 412
    assert conforms(document, "peyvand.error", stale.json) == []

    plugins = peyvand_client.get("/api/v1/plugins").json["data"]
    assert conforms(document, "peyvand.plugin", plugins[0]) == []
    audit = peyvand_client.get(f"/api/v1/audit?entity=sales.deal&id={deal.json['id']}").json
    assert audit["data"] and conforms(document, "peyvand.audit_entry", audit["data"][0]) == []


def _sample(schema: dict) -> str:
    if "enum" in schema:
        return str(schema["enum"][0])
    kind, fmt = schema.get("type"), schema.get("format")
    return {"integer": "1", "boolean": "true"}.get(kind) or {
        "date": "2025-01-01", "date-time": "2025-01-01 00:00:00", "decimal": "1"}.get(fmt, "x")


def test_every_documented_filter_and_sort_is_accepted(peyvand_client):
    document = spec(peyvand_client)
    for plugin, plurals in ENTITY_PATHS.items():
        for plural in plurals:
            url = f"/api/v1/{plugin}/{plural}"
            params = {p["name"]: p for p in document["paths"][url]["get"]["parameters"]}
            filters = params["filter"]["schema"]["properties"]
            for key, schema in filters.items():
                if key.endswith("__in"):  # comma-separated values of the field itself
                    value = ",".join([_sample(filters[key.removesuffix("__in")])] * 2)
                else:
                    value = _sample(schema)
                response = peyvand_client.get(url, query_string={key: value})
                assert response.status_code == 200, (url, key, value, response.json)
            for sort in params["sort"]["schema"]["enum"]:
                response = peyvand_client.get(url, query_string={"sort": sort})
                assert response.status_code == 200, (url, sort, response.json)
            field = params["fields"]["schema"]["items"]["enum"][-1]
            assert peyvand_client.get(url, query_string={"fields": field}).status_code == 200


def test_a_disabled_plugins_paths_disappear_and_come_back(peyvand_app, peyvand_client):
    kernel = peyvand_app.extensions["peyvand"]
    before = spec(peyvand_client)
    assert "/api/v1/sales/deals" in before["paths"]
    assert peyvand_client.get(SPEC).json == before  # cached, and stable

    kernel.disable("sales")
    without = spec(peyvand_client)
    OpenAPIV31SpecValidator(without).validate()
    assert not [p for p in without["paths"] if p.startswith("/api/v1/sales/")]
    assert not [s for s in without["components"]["schemas"] if s.startswith("sales.")]
    assert "sales" not in {t["name"] for t in without["tags"]}
    assert "sales.deal" not in without["paths"]["/api/v1/audit"]["get"]["parameters"][0][
        "schema"]["enum"]
    assert "/api/v1/contacts/persons" in without["paths"]

    kernel.enable("sales")
    again = spec(peyvand_client)
    assert again == before


def test_custom_fields_extend_the_entity_schemas(peyvand_client):
    added = peyvand_client.post("/api/v1/custom-fields", json={
        "entity": "contacts.person", "name": "shoe_size", "type": "integer",
        "label": {"en": "Shoe size", "fa": "سایز کفش"}})
    assert added.status_code == 201
    schemas = spec(peyvand_client)["components"]["schemas"]
    for name in ("contacts.person", "contacts.person.input", "contacts.person.patch"):
        assert schemas[name]["properties"]["cf_shoe_size"]["x-label-fa"] == "سایز کفش"
        assert "cf_shoe_size" not in schemas[name].get("required", [])
    assert "cf_shoe_size" not in schemas["contacts.organization"]["properties"]


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append(value)


def test_the_docs_page_and_its_assets_are_served_by_the_app(peyvand_client):
    page = peyvand_client.get("/api/docs", headers={"Authorization": ""})  # no token needed
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert '"/api/v1/openapi.json"' in html
    hosts = {urlsplit(u).hostname for u in re.findall(r"(?i)\b(?:https?:)?//[^\s\"'<>)]+", html)}
    assert hosts <= {None, "localhost"}, hosts  # no CDN, no other host: works offline

    parser = _Links()
    parser.feed(html)
    kinds = {".js": "javascript", ".css": "text/css", ".png": "image/png"}
    served = {}
    for url in parser.urls:
        assert url.startswith("/api/docs/assets/"), url
        response = peyvand_client.get(url)
        assert response.status_code == 200, url
        served[url.rsplit(".", 1)[-1]] = response.mimetype
        assert kinds["." + url.rsplit(".", 1)[-1]] in response.mimetype, (url, response.mimetype)
        response.close()
    assert {"js", "css"} <= set(served)
    assert peyvand_client.get("/api/docs/assets/no-such-file.js").status_code == 404
    assert peyvand_client.get("/api/docs/assets/../web.py").status_code == 404


# -- the plugins' own routes (register_openapi) ---------------------------------------------------

#: Kernel routes under /api/v1 that the document does not describe yet. Each must still be a
#: real, undocumented route (the test below fails otherwise), so the list only shrinks. The
#: generic ones (``<plugin>/<plural>``) stand for every entity.
KERNEL_UNDESCRIBED = {
    ("GET", "/api/v1/<plugin>/<plural>/export"),
    ("GET", "/api/v1/<plugin>/<plural>/<int:record_id>/attachments"),
    ("POST", "/api/v1/<plugin>/<plural>/<int:record_id>/attachments"),
    ("GET", "/api/v1/<plugin>/<plural>/<int:record_id>/attachments/<int:attachment_id>"),
    ("DELETE", "/api/v1/<plugin>/<plural>/<int:record_id>/attachments/<int:attachment_id>"),
    ("POST", "/api/v1/auth/token"),
    ("GET", "/api/v1/custom-fields"), ("POST", "/api/v1/custom-fields"),
    ("DELETE", "/api/v1/custom-fields/<entity>/<name>"),
    ("GET", "/api/v1/jobs"), ("GET", "/api/v1/jobs/dead"),
    ("POST", "/api/v1/jobs/dead/<int:job_id>/replay"),
    ("GET", "/api/v1/permissions/explain"),
    ("GET", "/api/v1/roles"), ("PUT", "/api/v1/roles"),
    ("GET", "/api/v1/settings"), ("PUT", "/api/v1/settings/<key>"),
    ("GET", "/api/v1/webhooks"), ("POST", "/api/v1/webhooks"),
    ("GET", "/api/v1/webhooks/<int:webhook_id>"), ("DELETE", "/api/v1/webhooks/<int:webhook_id>"),
    ("GET", "/api/v1/webhooks/<int:webhook_id>/deliveries"),
    ("POST", "/api/v1/webhooks/<int:webhook_id>/replay"),
}
def _template(rule: str, entity=None) -> str:
    """A Flask rule as an OpenAPI path template: ``<int:merge_id>`` → ``{merge_id}``; for a
    generic rule, ``<plugin>/<plural>`` filled in for ``entity``."""
    if entity is not None:
        rule = rule.replace("<plugin>", entity.plugin).replace("<plural>", entity.plural)
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule)


def _shape(template: str) -> str:
    return re.sub(r"\{[^}/]*\}", "{}", template)


def _api_routes(app):
    """``(method, rule, owner plugin, view)`` of every route under /api/v1/."""
    owners = app.extensions["peyvand.blueprint_owners"]
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            owner = owners.get(rule.endpoint.split(".")[0], "peyvand")
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, rule.rule, owner, app.view_functions[rule.endpoint]


def test_every_api_route_is_described_when_its_plugin_is_enabled(peyvand_app, peyvand_client):
    """A route added under /api/v1 without a description (``register_openapi`` for a plugin)
    fails here."""
    document = spec(peyvand_client)
    # Matched by shape: the document may name a path parameter otherwise than the route does.
    paths = {_shape(p): item for p, item in document["paths"].items()}
    kernel = peyvand_app.extensions["peyvand"]
    entities = list(kernel.entities("default").values())
    missing, still_listed, plugin_routes = [], set(), Counter()
    for method, rule, owner, view in _api_routes(peyvand_app):
        generic = "<plugin>" in rule
        templates = [_shape(_template(rule, e)) for e in entities] if generic else [
            _shape(_template(rule))]
        absent = [t for t in templates if method.lower() not in paths.get(t, {})]
        if (method, rule) in KERNEL_UNDESCRIBED:
            assert absent == templates, f"{method} {rule} is described now: drop it from " \
                                        "KERNEL_UNDESCRIBED"
            still_listed.add((method, rule))
            continue
        missing += [f"{method} {t} ({owner})" for t in absent]
        if owner != "peyvand" and not absent:
            plugin_routes[owner] += 1
            assert rule.startswith(f"/api/v1/{owner}/")
            operation = paths[templates[0]][method.lower()]
            assert operation["tags"] == [owner]
            assert operation["summary"] and operation["x-label-fa"], (method, rule)
            assert re.search(r"[\u0600-\u06ff]", operation["x-label-fa"]), (method, rule)
            codes = set(operation["responses"])
            assert codes & {"200", "201", "202", "204"}, (method, rule)
            if getattr(view, "peyvand_public", False):  # no token: no 401/403 either
                assert operation.get("security") == [] and "401" not in codes, (method, rule)
            else:
                assert "security" not in operation and {"401", "403"} <= codes, (method, rule)
    assert missing == [], "routes the API document does not describe:\n" + "\n".join(missing)
    assert still_listed == KERNEL_UNDESCRIBED  # no stale entries
    assert plugin_routes["contacts"] >= 18 and plugin_routes["sales"] >= 33, plugin_routes


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_the_plugins_paths_are_valid_and_every_reference_resolves(peyvand_client):
    document = spec(peyvand_client)
    OpenAPIV31SpecValidator(document).validate()
    for ref in set(_refs(document)):
        assert ref.startswith("#/components/"), ref
        node = document
        for part in ref[2:].split("/"):
            assert part in node, f"{ref} does not resolve"
            node = node[part]
    ids = [op["operationId"] for item in document["paths"].values()
           for method, op in item.items() if method != "parameters"]
    assert len(ids) == len(set(ids))
    paths = document["paths"]
    assert "/api/v1/contacts/persons/{record_id}/timeline" in paths
    assert set(paths["/api/v1/contacts/imports"]) == {"get", "post"}
    imports = paths["/api/v1/contacts/imports"]["post"]
    assert "multipart/form-data" in imports["requestBody"]["content"]
    assert "Location" in imports["responses"]["202"]["headers"]
    assert set(paths["/api/v1/contacts/persons/merge"]["post"]["responses"]) >= {
        "200", "201", "409", "422"}
    assert paths["/api/v1/sales/leads/capture"]["post"]["responses"]["201"]
    ics = paths["/api/v1/sales/calendar/{token}.ics"]["get"]
    assert ics["security"] == [] and "401" not in ics["responses"]
    forms = document["components"]["schemas"]["sales.lead_form.input"]
    assert forms["properties"]["language"]["enum"] and "fields" in forms["required"]


def test_plugin_answers_conform_to_their_description(peyvand_client):
    document = spec(peyvand_client)
    paths = document["paths"]

    def check(path, method, response, status):
        assert response.status_code == status, (path, response.json)
        schema = paths[path][method]["responses"][str(status)]["content"][
            "application/json"]["schema"]
        validator = Draft202012Validator({**schema, "components": document["components"]})
        assert [e.message for e in validator.iter_errors(response.json)] == [], path

    person = peyvand_client.post("/api/v1/contacts/persons", json={
        "first_name": "مریم", "last_name": "کریمی", "email": "maryam@example.com"}).json
    twin = peyvand_client.post("/api/v1/contacts/persons", json={
        "first_name": "مریم", "last_name": "کریمی", "email": "Maryam@Example.com"}).json
    check("/api/v1/contacts/persons/{record_id}/timeline", "get",
          peyvand_client.get(f"/api/v1/contacts/persons/{person['id']}/timeline"), 200)
    check("/api/v1/contacts/persons/check-duplicates", "post",
          peyvand_client.post("/api/v1/contacts/persons/check-duplicates",
                              json={"email": "maryam@example.com"}), 200)
    check("/api/v1/contacts/duplicates", "get",
          peyvand_client.get("/api/v1/contacts/duplicates"), 200)
    check("/api/v1/contacts/persons/merge", "post",
          peyvand_client.post("/api/v1/contacts/persons/merge?dry_run=true", json={
              "survivor": person["id"], "merged": [twin["id"]]}), 200)
    merged = peyvand_client.post("/api/v1/contacts/persons/merge", json={
        "survivor": person["id"], "merged": [twin["id"]]})
    check("/api/v1/contacts/persons/merge", "post", merged, 201)
    check("/api/v1/contacts/merges", "get", peyvand_client.get("/api/v1/contacts/merges"), 200)
    check("/api/v1/contacts/merges/{merge_id}/undo", "post",
          peyvand_client.post(f"/api/v1/contacts/merges/{merged.json['id']}/undo"), 200)
    check("/api/v1/contacts/merges/{merge_id}/undo", "post",
          peyvand_client.post(f"/api/v1/contacts/merges/{merged.json['id']}/undo"), 409)
    check("/api/v1/contacts/imports", "get", peyvand_client.get("/api/v1/contacts/imports"),
          200)

    pipeline = peyvand_client.post("/api/v1/sales/pipelines", json={
        "name": "فروش", "stages": [{"key": "new", "probability": 10},
                                  {"key": "won_soon", "probability": 80}]}).json
    deal = peyvand_client.post("/api/v1/sales/deals", json={
        "title": "قرارداد", "pipeline_id": pipeline["id"], "stage": "new", "amount": "1000",
        "person_id": person["id"]}).json
    check("/api/v1/sales/pipelines/{pipeline_id}/board", "get",
          peyvand_client.get(f"/api/v1/sales/pipelines/{pipeline['id']}/board"), 200)
    check("/api/v1/sales/deals/{deal_id}/move", "post",
          peyvand_client.post(f"/api/v1/sales/deals/{deal['id']}/move",
                              json={"stage": "won_soon"}), 200)
    check("/api/v1/sales/deals/{deal_id}/stages", "get",
          peyvand_client.get(f"/api/v1/sales/deals/{deal['id']}/stages"), 200)
    lead = peyvand_client.post("/api/v1/sales/leads/capture", json={
        "last_name": "رضایی", "source": "web_form"})
    check("/api/v1/sales/leads/capture", "post", lead, 201)
    check("/api/v1/sales/leads/{lead_id}/convert", "post",
          peyvand_client.post(f"/api/v1/sales/leads/{lead.json['id']}/convert", json={}), 200)
    for path in ("/api/v1/sales/forecast", "/api/v1/sales/reports", "/api/v1/sales/scoring",
                 "/api/v1/sales/assignment-rules", "/api/v1/sales/options",
                 "/api/v1/sales/my-work", "/api/v1/sales/lead-forms",
                 "/api/v1/sales/calendar-feed"):
        check(path, "get", peyvand_client.get(path), 200)
    check("/api/v1/sales/reports/{key}", "get",
          peyvand_client.get("/api/v1/sales/reports/sales.pipeline_by_stage"), 200)
    form = peyvand_client.post("/api/v1/sales/lead-forms", json={
        "title": {"fa": "تماس با ما"}, "fields": [{"name": "last_name", "required": True}]})
    check("/api/v1/sales/lead-forms", "post", form, 201)
    check("/api/v1/sales/lead-forms/{form_id}", "patch",
          peyvand_client.patch(f"/api/v1/sales/lead-forms/{form.json['id']}",
                               json={"enabled": False}), 200)
    check("/api/v1/sales/calendar-feed", "post", peyvand_client.post(
        "/api/v1/sales/calendar-feed"), 201)


@pytest.mark.peyvand_plugins("contacts")
def test_only_the_enabled_plugins_routes_are_described(peyvand_app, peyvand_client):
    paths = spec(peyvand_client)["paths"]
    assert "/api/v1/contacts/duplicates" in paths
    assert not [p for p in paths if p.startswith("/api/v1/sales/")]  # not installed here

    kernel = peyvand_app.extensions["peyvand"]
    kernel.disable("contacts")
    without = spec(peyvand_client)
    OpenAPIV31SpecValidator(without).validate()
    assert not [p for p in without["paths"] if p.startswith("/api/v1/contacts/")]
    assert not [s for s in without["components"]["schemas"] if s.startswith("contacts.")]
    assert peyvand_client.get("/api/v1/contacts/duplicates").status_code == 404
    kernel.enable("contacts")
    assert "/api/v1/contacts/persons/{record_id}/vcard" in spec(peyvand_client)["paths"]


class Describer:
    """A throwaway plugin that describes ``paths`` (and ``schemas``) through the hook."""

    def __init__(self, name: str, paths: dict, schemas: dict | None = None):
        self.manifest = Manifest(label={"en": name.title(), "fa": name})
        self.fragment = {"paths": paths, **({"schemas": schemas} if schemas else {})}

    @hookimpl
    def register_openapi(self):
        return [self.fragment]


def _operation(op_id: str, **extra) -> dict:
    return {"get": {"operationId": op_id, "summary": "Ping", "x-label-fa": "پینگ",
                    "responses": {"200": {"description": "Pong."}}, **extra}}


def test_a_plugins_description_is_merged_with_its_tag_and_the_auth_responses(
        peyvand_app_factory):
    app = peyvand_app_factory(["contacts"], extra_plugins=[("extra", Describer("extra", {
        "/api/v1/extra/ping": _operation("extra_ping"),
        "/api/v1/extra/open": _operation("extra_open", security=[]),
    }, {"extra.thing": {"type": "object"}}), "1.0.0")])
    document = spec(app.test_client())
    OpenAPIV31SpecValidator(document).validate()
    ping = document["paths"]["/api/v1/extra/ping"]["get"]
    assert ping["tags"] == ["extra"]
    assert {"401", "403"} <= set(ping["responses"])
    assert "401" not in document["paths"]["/api/v1/extra/open"]["get"]["responses"]
    assert document["components"]["schemas"]["extra.thing"] == {"type": "object"}
    assert "extra" in {t["name"] for t in document["tags"]}


@pytest.mark.parametrize("paths, schemas, words", [
    ({"/api/v1/contacts/ping": _operation("x")}, None,
     ["'extra'", "'/api/v1/contacts/ping'", "/api/v1/extra/"]),
    ({"/api/v1/plugins": _operation("x")}, None, ["'extra'", "'/api/v1/plugins'"]),
    ({"/x/extra/ping": _operation("x")}, None, ["'extra'", "'/x/extra/ping'"]),
    ({"/api/v1/extra/ping/{id}": _operation("x"),
      "/api/v1/extra/ping/{other}": _operation("y")}, None,
     ["'extra'", "'/api/v1/extra/ping/{other}'", "already describes"]),
    ({"/api/v1/extra/ping": _operation("x")}, {"contacts.person": {"type": "object"}},
     ["'extra'", "'contacts.person'"]),
])
def test_a_path_outside_the_plugins_prefix_or_already_described_is_refused(
        peyvand_app_factory, paths, schemas, words):
    app = peyvand_app_factory(["contacts"], extra_plugins=[
        ("extra", Describer("extra", paths, schemas), "1.0.0")])
    kernel = app.extensions["peyvand"]
    with pytest.raises(PluginError) as refused:
        build_document(kernel, "default")
    for word in words:
        assert word in str(refused.value)
    answer = app.test_client().get(SPEC)
    assert answer.status_code == 500 and "'extra'" in answer.json["message"]

