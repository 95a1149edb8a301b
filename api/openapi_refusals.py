"""The OpenAPI document says what a 422 really holds.

FastAPI documents only its own validation errors (`detail`: a list). The app also answers 422
when a business rule refuses a request (`detail`: the reason, a string) and when a scheme has a
bad field (`detail`: `{"field", "reason"}`); clients generated from the spec must accept all
three, so every operation's 422 points at one schema that names them.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

FIELD_PROBLEM = {
    "title": "FieldProblem",
    "type": "object",
    "properties": {"field": {"type": "string", "title": "Field"},
                   "reason": {"type": "string", "title": "Reason"}},
    "required": ["field", "reason"],
}
REFUSAL = {
    "title": "Refusal",
    "description": "Why the request was refused: FastAPI's validation errors, a business "
                   "rule's reason, or the field of a scheme that is wrong and why.",
    "type": "object",
    "properties": {"detail": {"title": "Detail", "anyOf": [
        {"type": "array", "items": {"$ref": "#/components/schemas/ValidationError"}},
        {"type": "string"},
        {"$ref": "#/components/schemas/FieldProblem"},
    ]}},
    "required": ["detail"],
}


def document_refusals(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(title=app.title, version=app.version,
                               description=app.description, routes=app.routes)
            schemas = spec.setdefault("components", {}).setdefault("schemas", {})
            schemas["FieldProblem"] = FIELD_PROBLEM
            schemas["Refusal"] = REFUSAL
            for operations in spec.get("paths", {}).values():
                for operation in operations.values():
                    refused = operation.get("responses", {}).get("422")
                    if refused is not None:
                        refused["description"] = "Refused: invalid input or a business rule"
                        refused["content"] = {"application/json": {
                            "schema": {"$ref": "#/components/schemas/Refusal"}}}
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
