"""Small builders for describing a plugin's own API routes in ``register_openapi``.

>>> from peyvand_sdk.openapi import json_body, json_response, path_id, query, ref, INVALID

Each returns a plain OpenAPI 3.1 fragment (a dict); mix them with literal dicts freely. The
kernel's shared components are referred to by name: :data:`INVALID` (422 with field errors),
:data:`NOT_FOUND` (404), :data:`PRECONDITION_FAILED` (412, a stale ``If-Match``), and the
schemas ``peyvand.error`` and ``peyvand.validation_errors`` through :func:`ref`.
"""

from __future__ import annotations

INVALID = {"$ref": "#/components/responses/Invalid"}
NOT_FOUND = {"$ref": "#/components/responses/NotFound"}
PRECONDITION_FAILED = {"$ref": "#/components/responses/PreconditionFailed"}


def ref(name: str) -> dict:
    """A reference to the component schema ``name`` (``"sales.deal"``, ``"peyvand.error"``)."""
    return {"$ref": f"#/components/schemas/{name}"}


def json_response(schema: dict, description: str, example=None,
                  headers: dict | None = None) -> dict:
    """A response with a JSON body of ``schema`` (and an ``example``, response ``headers``)."""
    media = {"schema": schema}
    if example is not None:
        media["example"] = example
    out = {"description": description, "content": {"application/json": media}}
    if headers:
        out["headers"] = headers
    return out


def json_body(schema: dict, description: str, example=None, required: bool = True) -> dict:
    """A JSON request body of ``schema``."""
    media = {"schema": schema}
    if example is not None:
        media["example"] = example
    return {"required": required, "description": description,
            "content": {"application/json": media}}


def path_id(name: str, what: str) -> dict:
    """A numeric path parameter (``{id}``), 1 or more."""
    return {"name": name, "in": "path", "required": True, "description": what,
            "schema": {"type": "integer", "minimum": 1}}


def query(name: str, schema: dict, description: str, required: bool = False) -> dict:
    """A query-string parameter."""
    return {"name": name, "in": "query", "required": required, "schema": schema,
            "description": description}
