"""The OpenAPI 3.1 document, generated from the registered endpoints and their pydantic models, so
the served contract cannot drift from the code."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel


@dataclass(frozen=True)
class RouteSpec:
    path: str
    method: str
    summary: str
    public: bool
    request_model: type[BaseModel] | None
    response_model: type[BaseModel] | None
    status: int
    content_type: str
    tags: tuple[str, ...]


ROUTES: list[RouteSpec] = []

_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "array", "items": {"type": "object"}},
            },
        }
    },
}
_ERROR_STATUSES = {
    "400": "Malformed request",
    "401": "Missing, invalid or expired token",
    "403": "Not allowed for this caller",
    "404": "Not found or outside the caller's scope",
    "409": "Conflict: status, duplicate or rule",
    "412": "If-Match does not match",
    "413": "Body over 1 MiB",
    "422": "Validation failed",
}


def register(spec: RouteSpec) -> None:
    if not any(r.path == spec.path and r.method == spec.method for r in ROUTES):
        ROUTES.append(spec)


def document(title: str = "OrderGate API", version: str = "1.0.0") -> dict[str, Any]:
    from pydantic.json_schema import models_json_schema  # only /openapi.json needs it

    models = {m for r in ROUTES for m in (r.request_model, r.response_model) if m is not None}
    _, defs = models_json_schema(
        [(m, "validation") for m in sorted(models, key=lambda m: m.__name__)],
        ref_template="#/components/schemas/{model}",
    )
    schemas: dict[str, Any] = dict(defs.get("$defs", {}))
    schemas["Error"] = _ERROR_SCHEMA
    paths: dict[str, Any] = {}
    for r in sorted(ROUTES, key=lambda r: (r.path, r.method)):
        op: dict[str, Any] = {
            "operationId": _operation_id(r),
            "summary": r.summary,
            "tags": list(r.tags),
            "responses": {
                str(r.status): _success(r),
                **{
                    code: {
                        "description": text,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    }
                    for code, text in _ERROR_STATUSES.items()
                },
            },
        }
        params = [
            {"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
            for n in re.findall(r"{(\w+)}", r.path)
        ]
        if params:
            op["parameters"] = params
        if r.public:
            op["security"] = []
        if r.request_model is not None:
            op["requestBody"] = {
                "required": True,
                "content": {r.content_type: {"schema": {"$ref": f"#/components/schemas/{r.request_model.__name__}"}}},
            }
        elif r.content_type != "application/json":
            op["requestBody"] = {"required": True, "content": {r.content_type: {"schema": {"type": "string"}}}}
        paths.setdefault(r.path, {})[r.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
        "security": [{"bearer": []}],
    }


def _success(r: RouteSpec) -> dict[str, Any]:
    if r.status == 204 or r.response_model is None:
        return {"description": "Success"}
    return {
        "description": "Success",
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{r.response_model.__name__}"}}},
    }


def _operation_id(r: RouteSpec) -> str:
    words = [w for w in re.split(r"[/{}\-]+", r.path) if w]
    return r.method.lower() + "".join(w[:1].upper() + w[1:] for w in words)
