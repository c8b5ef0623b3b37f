"""The OpenAPI 3.1 document, generated from the registered endpoints and their pydantic models, so
the served contract cannot drift from the code.

Each `endpoint(...)` registration (api/http.py) becomes one `RouteSpec`: its path parameters, the
query parameters it declares (the view can read no others: `Ctx.query` refuses undeclared names),
the headers the pipeline honours (`If-Match` where declared, `Idempotency-Key` on authenticated
POSTs), request and response models, and the error statuses it can answer, each with the envelope.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from chalicelib.api.schemas.common import DomainName, Id, LinkToken

if TYPE_CHECKING:
    from pydantic import TypeAdapter
    from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, JsonSchemaValue
    from pydantic_core.core_schema import WithDefaultSchema

JSON = "application/json"
# A CSV body is read as text/csv, or as the same bytes sent as a file (application/octet-stream): many
# client generators (openapi-python-client among them) cannot send a text/csv body at all.
CSV_TYPES = ("text/csv", "application/octet-stream")


@dataclass(frozen=True)
class QueryParam:
    """A query parameter: its type gives both the documented schema and the validation (400 when bad)."""

    name: str
    type: Any
    description: str

    @cached_property
    def adapter(self) -> TypeAdapter[Any]:
        from pydantic import TypeAdapter  # built on first use: see path_id

        return TypeAdapter(self.type)

    def schema(self) -> dict[str, Any]:
        return self.adapter.json_schema()


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
    query: tuple[QueryParam, ...] = ()
    if_match: bool = False
    body_optional: bool = False
    errors: tuple[int, ...] = ()
    response_content_type: str = JSON
    response_one_of: tuple[type[BaseModel], ...] = ()
    permissions: tuple[str, ...] = ()  # the caller needs one of them; checked before the body is read
    html_errors: bool = False  # a page for people (/actions): its errors are pages too, JSON on request
    claims_in_write: bool = False  # its order write claims the Idempotency-Key (api/idempotency.py)
    extra_content_types: tuple[str, ...] = ()  # request bodies the view reads besides content_type
    query_names: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "query_names", frozenset(q.name for q in self.query))

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)

    @property
    def has_body(self) -> bool:
        return self.request_model is not None or self.content_type != JSON

    @property
    def idempotent_post(self) -> bool:
        """Authenticated POSTs go through the Idempotency-Key pipeline (api/idempotency.py)."""
        return self.method == "POST" and not self.public

    def error_statuses(self) -> list[int]:
        codes = {400, 413, *self.errors}  # every request: bad query or header, oversized body
        if not self.public:
            codes |= {401, 403, 404, 409, 422}
        if self.path_params:
            codes.add(404)
        if self.has_body:
            codes |= {415, 422}
        if self.if_match:
            codes.add(412)
        if self.idempotent_post:
            codes.add(409)
        return sorted(codes)


ROUTES: list[RouteSpec] = []

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
                "message": {"type": "string", "minLength": 1},
                "details": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["message"],
                        "properties": {
                            "field": {"type": "string"},
                            "row": {"type": "integer"},
                            "code": {"type": "string"},
                            "message": {"type": "string"},
                        },
                    },
                },
            },
        }
    },
}
ERROR_DESCRIPTIONS = {
    400: "Malformed request: body not JSON, CSV not parseable, bad query parameter or header",
    401: "Missing, invalid or expired token; wrong credentials",
    403: "Visible, but this caller may not do this",
    404: "Not found, or outside the caller's scope",
    409: "Conflict: status does not allow it, duplicate, a rule refuses, Idempotency-Key reused",
    412: "If-Match does not match the current version",
    413: "Body over 1 MiB",
    415: "Unsupported Content-Type",
    422: "Validation failed; details name each field",
    429: "Too many failed logins for this user",
}
_IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": 'The version the change is based on, as the ETag gave it: "<version>". 412 when it does not match.',
    "schema": {"type": "string"},  # any value is acceptable input: one that is not the current version is a 412
}
_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "The same key with the same body within 24 h replays the first response; another body: 409.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


def register(spec: RouteSpec) -> None:
    if not any(r.path == spec.path and r.method == spec.method for r in ROUTES):
        ROUTES.append(spec)


def find(path: str, method: str) -> RouteSpec | None:
    return next((r for r in ROUTES if r.path == path and r.method == method), None)


def document(title: str = "OrderGate API", version: str = "1.0.0") -> dict[str, Any]:
    from pydantic.json_schema import models_json_schema  # only /openapi.json needs it

    # Requests are documented as pydantic validates them, responses as it serialises them (Money is
    # a string either way, but e.g. a quantity is a JSON number only on the way out).
    wanted: set[tuple[type[BaseModel], JsonSchemaMode]] = set()
    for r in ROUTES:
        if r.request_model is not None:
            wanted.add((r.request_model, "validation"))
        for model in (r.response_model, *r.response_one_of):
            if model is not None:
                wanted.add((model, "serialization"))
    from chalicelib.event_payloads import EVENTS, PingEvent

    hooks = {t.value: m for t, m in EVENTS.items()} | {"ping": PingEvent}
    wanted |= {(m, "serialization") for m in hooks.values()}
    refs, defs = models_json_schema(
        sorted(wanted, key=lambda m: (m[0].__name__, m[1])),
        ref_template="#/components/schemas/{model}",
        schema_generator=_request_schema_generator(),
    )
    schemas: dict[str, Any] = dict(defs.get("$defs", {}))
    for name, schema in schemas.items():
        # pydantic documents a model used both ways as `X-Input` and `X-Output`, both titled `X`, and client
        # generators name their types after the title: two types of one name, and one of them dropped.
        if name.endswith(("-Input", "-Output")):
            schema["title"] = name.replace("-", "")
    schemas["Error"] = ERROR_SCHEMA
    paths: dict[str, Any] = {}
    for r in sorted(ROUTES, key=lambda r: (r.path, r.method)):
        op: dict[str, Any] = {
            "operationId": _operation_id(r),
            "summary": r.summary,
            "tags": list(r.tags),
            "responses": {
                str(r.status): _success(r, refs),
                **{str(code): _error(code, r.html_errors) for code in r.error_statuses()},
            },
        }
        params = _parameters(r)
        if params:
            op["parameters"] = params
        if r.public:
            op["security"] = []
        if r.permissions:
            op["description"] = "Needs one of the permissions " + ", ".join(f"`{p}`" for p in r.permissions) + "."
            op["x-permissions"] = list(r.permissions)
        if r.request_model is not None:
            op["requestBody"] = {
                "required": not r.body_optional,
                "content": {r.content_type: {"schema": refs[(r.request_model, "validation")]}},
            }
        elif r.content_type != JSON:
            content = {r.content_type: {"schema": {"type": "string"}}}
            # The same bytes as a file: what generated clients send when they know no text/csv (CSV_TYPES).
            content |= {t: {"schema": {"type": "string", "format": "binary"}} for t in r.extra_content_types}
            op["requestBody"] = {"required": True, "content": content}
        paths.setdefault(r.path, {})[r.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "webhooks": {name: _webhook(name, refs[(m, "serialization")]) for name, m in hooks.items()},
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
        "security": [{"bearer": []}],
    }


def _webhook(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """What a subscribed endpoint receives for one event type (API.md "Machine clients")."""
    signed = "Signed as Standard Webhooks: headers `webhook-id`, `webhook-timestamp`, `webhook-signature`."
    return {
        "post": {
            "operationId": "webhook" + "".join(w[:1].upper() + w[1:] for w in re.split(r"[._]", name)),
            "summary": f"The `{name}` event",
            "description": signed,
            "tags": ["webhooks"],
            "requestBody": {"required": True, "content": {JSON: {"schema": schema}}},
            "responses": {"200": {"description": "Received (any 2xx within 10 s); 410 disables the endpoint"}},
            "security": [],
        }
    }


@functools.cache
def _request_schema_generator() -> type[GenerateJsonSchema]:
    from pydantic.json_schema import GenerateJsonSchema

    class RequestDefaults(GenerateJsonSchema):
        """A request field's default says what the server assumes when the field is left out, in words:
        as a JSON Schema `default`, typed-client generators (openapi-typescript) make the field one the
        client must send."""

        def default_schema(self, schema: WithDefaultSchema) -> JsonSchemaValue:
            json_schema = super().default_schema(schema)
            if self.mode == "validation" and "default" in json_schema:
                default = json_schema.pop("default")
                if default is not None and default != []:
                    said = f"Left out: `{json.dumps(default)}`."
                    json_schema["description"] = f"{json_schema.get('description', '')} {said}".strip()
            return json_schema

    return RequestDefaults


@functools.cache
def path_id(name: str = "") -> TypeAdapter[str]:
    """Every id the API hands out is an `Id` (an e-mail link's `{token}`, a `LinkToken`; a sender `{domain}`, a
    `DomainName`); a path parameter
    that is not one cannot name anything (404). Built on first use: a TypeAdapter builds its schema (and
    loads pydantic's plugins) when made, which a cold start of /health should not pay."""
    from pydantic import TypeAdapter

    return TypeAdapter(LinkToken if name == "token" else DomainName if name == "domain" else Id)


def _parameters(r: RouteSpec) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": n, "in": "path", "required": True, "schema": path_id(n).json_schema()} for n in r.path_params
    ]
    params += [
        {"name": q.name, "in": "query", "required": False, "description": q.description, "schema": q.schema()}
        for q in r.query
    ]
    if r.if_match:
        params.append(_IF_MATCH)
    if r.idempotent_post:
        params.append(_IDEMPOTENCY_KEY)
    return params


def _success(r: RouteSpec, refs: dict[Any, dict[str, Any]]) -> Any:
    if r.status == 204:
        return {"description": "Success, no content"}
    if r.status == 302:  # a redirect (a presigned download link): the Location header is the answer
        location = {"description": "Where to go next", "schema": {"type": "string", "format": "uri"}}
        return {"description": "Found: follow Location", "headers": {"Location": location}}
    if r.response_one_of:
        schema: dict[str, Any] = {"anyOf": [refs[(m, "serialization")] for m in r.response_one_of]}
    elif r.response_model is None:
        schema = {"type": "string"} if r.response_content_type != JSON else {"type": "object"}
    else:
        schema = refs[(r.response_model, "serialization")]
    return {"description": "Success", "content": {r.response_content_type: {"schema": schema}}}


def _error(code: int, html: bool = False) -> dict[str, Any]:
    content: dict[str, Any] = {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}
    if html:
        content["text/html"] = {"schema": {"type": "string"}}
    response: dict[str, Any] = {"description": ERROR_DESCRIPTIONS.get(code, "Error"), "content": content}
    if code == 429:
        response["headers"] = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}
    return response


def _operation_id(r: RouteSpec) -> str:
    words = [w for w in re.split(r"[/{}\-.]+", r.path) if w]
    return r.method.lower() + "".join(w[:1].upper() + w[1:] for w in words)
