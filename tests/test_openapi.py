"""The OpenAPI 3.1 document (``/api/v1/openapi.json``) and the offline Swagger UI
(``/api/docs``)."""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft202012Validator
from marshmallow import fields, validate
from openapi_spec_validator import OpenAPIV31SpecValidator

from peyvand.records import SYSTEM_FIELDS

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
    entity_bases = {p for p in paths if p.count("/") == 4 and p not in (
        "/api/v1/plugins", "/api/v1/search", "/api/v1/audit", SPEC, "/api/v1/tags/{id}")}
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
    assert person["consent_sms"] == {"type": "boolean"}


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
