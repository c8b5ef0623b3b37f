"""How a Chalice view becomes an OrderGate endpoint: authentication, body parsing and limits, error
mapping, ETags and pagination arguments. Views stay a few lines: caller, body, one service call.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from chalice.app import Blueprint, Request, Response
from pydantic import BaseModel, Field, ValidationError

from chalicelib.api import openapi
from chalicelib.api.errors import error_response, internal_error_response
from chalicelib.api.openapi import QueryParam, RouteSpec
from chalicelib.auth.principal import Principal
from chalicelib.domain.errors import (
    ForbiddenError,
    MalformedRequestError,
    NotFoundError,
    OrderGateError,
    PayloadTooLargeError,
    UnauthenticatedError,
    ValidationFailedError,
    VersionMismatchError,
)
from chalicelib.domain.permissions import Permission
from chalicelib.logs import logger
from chalicelib.storage.paging import DEFAULT_LIMIT, MAX_CURSOR_LENGTH, MAX_LIMIT

if TYPE_CHECKING:  # the order store's port is imported with the first order write, not with app.py
    from chalicelib.services.order_store import Claim

M = TypeVar("M", bound=BaseModel)
MAX_BODY_BYTES = 1024 * 1024

# Query parameters every list declares (API.md "Lists").
LIMIT = QueryParam(
    "limit",
    Annotated[int, Field(ge=1, le=MAX_LIMIT, strict=False)],
    f"Page size, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}).",
)
CURSOR = QueryParam(
    "cursor",
    Annotated[str, Field(max_length=MAX_CURSOR_LENGTH, pattern=r"^[A-Za-z0-9_\-]+$")],
    "The `next_cursor` of the previous page, as given.",
)
PAGE = (LIMIT, CURSOR)


# A lone surrogate: JSON may escape one ("\ud800") and json.loads gives it back in a str, but it is no
# character: nothing can encode it (DynamoDB, hashing, e-mail, the JSON of a response all fail on it).
_SURROGATE = re.compile("[\ud800-\udfff]")
BROKEN_TEXT = "must be valid Unicode text: it holds a lone surrogate (an escape such as \\ud800 alone)"


def broken_text(data: Any) -> list[str]:
    """The fields of a parsed JSON body whose text (a string, or an object's key) is not valid
    Unicode, as API.md names fields. Iterative: json.loads accepts nesting deeper than Python's
    recursion limit."""
    found: list[tuple[int | str, ...]] = []
    stack: list[tuple[tuple[int | str, ...], Any]] = [((), data)]
    while stack:
        loc, value = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                found.append(loc)
        elif isinstance(value, dict):
            for key, item in value.items():
                if _SURROGATE.search(key):  # named with the surrogate written out, so the answer can say it
                    found.append((*loc, key.encode("utf-8", "backslashreplace").decode()))
                else:
                    stack.append(((*loc, key), item))
        elif isinstance(value, list):
            stack.extend(((*loc, i), item) for i, item in enumerate(value))
    if not found:
        return []
    from chalicelib.api.messages import field_path  # only a refused request loads the messages (cold start)

    return sorted(field_path(loc) or "body" for loc in found)


def validation_error(exc: ValidationError) -> ValidationFailedError:
    """A body's validation errors: one detail per field, each a sentence naming it (api/messages.py)."""
    from chalicelib.api.messages import describe, field_path, summary

    details: list[dict[str, Any]] = []
    seen: set[str] = set()
    for err in exc.errors():
        path = field_path(err["loc"])
        if path in seen:  # a field that fails several ways is told once, with its first problem
            continue
        seen.add(path)
        details.append({"field": path, "message": describe(err)})
    return ValidationFailedError(summary(details), details=details)


@dataclass
class Ctx:
    """One request as a view sees it."""

    request: Request
    principal_or_none: Principal | None
    spec: RouteSpec
    query_values: dict[str, Any] = field(default_factory=dict)
    # Set when the body could not be read or failed validation: the pipeline then makes sure the
    # caller may see what the path names before it describes the body's problems (see `_probe`).
    body_refused: bool = False
    claim_or_none: Claim | None = None  # the request's Idempotency-Key, when its write claims it

    @property
    def claim(self) -> Claim | None:
        """The Idempotency-Key the view hands to its order write (None: the request has none)."""
        if not self.spec.claims_in_write:
            # Claimed before the view runs instead: a second claim in the write would refuse the request.
            raise RuntimeError(f"{self.spec.method} {self.spec.path} does not declare claims_in_write")
        return self.claim_or_none

    @property
    def principal(self) -> Principal:
        if self.principal_or_none is None:  # only public routes run without one
            raise UnauthenticatedError("An access token is required.")
        return self.principal_or_none

    def query(self, name: str) -> str | None:
        """A declared query parameter, already validated by the pipeline; None when absent."""
        if name not in self.spec.query_names:
            # A view reading a parameter its registration does not declare would be undocumented.
            raise RuntimeError(f"{self.spec.method} {self.spec.path} does not declare the query parameter {name!r}")
        value = self.query_values.get(name)
        return None if value is None else str(value)

    def page_args(self) -> tuple[int, str | None]:
        limit = self.query("limit")
        return (DEFAULT_LIMIT if limit is None else int(limit)), self.query("cursor")

    def raw_body(self) -> bytes:
        body = self.request.raw_body or b""
        return body if isinstance(body, bytes) else str(body).encode()

    def json(self) -> Any:
        raw = self.raw_body()
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            self.body_refused = True
            raise MalformedRequestError("The request body is not valid JSON.") from exc
        except RecursionError as exc:
            self.body_refused = True
            raise MalformedRequestError("The request body is nested too deeply.") from exc

    def text(self) -> str:
        """The body as UTF-8 text (CSV uploads)."""
        try:
            return self.raw_body().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            self.body_refused = True
            raise MalformedRequestError("The request body is not UTF-8 text.") from exc

    def body(self, model: type[M]) -> M:
        if model is not self.spec.request_model:
            raise RuntimeError(f"{self.spec.method} {self.spec.path} documents {self.spec.request_model}, not {model}")
        if not self.raw_body().strip():  # no body at all; a JSON `null` is a body, and not an object
            if not self.spec.body_optional:
                self.body_refused = True
                raise MalformedRequestError("A JSON request body is required.")
            return model.model_validate({})
        data = self.json()
        broken = broken_text(data)
        if broken:  # every text field of every body, before a model or a service sees it
            details = [{"field": name, "message": BROKEN_TEXT} for name in broken]
            raise ValidationFailedError("The request body holds text that is not valid Unicode.", details=details)
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            self.body_refused = True
            raise validation_error(exc) from exc

    def if_match(self) -> int | None:
        """The version an `If-Match: "<version>"` header names; None when absent."""
        if not self.spec.if_match:
            raise RuntimeError(f"{self.spec.method} {self.spec.path} does not declare If-Match")
        raw = self.request.headers.get("if-match")
        if raw is None:
            return None
        value = raw.strip()
        value = value.removeprefix("W/").strip('"')
        # ASCII digits only: str.isdigit() also admits superscripts and other scripts' digits.
        if not (value.isascii() and value.isdigit() and len(value) <= 18):
            raise VersionMismatchError()
        return int(value)

    def header(self, name: str) -> str | None:
        return self.request.headers.get(name)


def json_response(body: Any, status: int = 200, etag: int | None = None) -> Response:
    if isinstance(body, BaseModel):
        body = body.model_dump(mode="json")
    headers: dict[str, str | list[str]] = {"Content-Type": "application/json"}
    if etag is not None:
        headers["ETag"] = f'"{etag}"'
    return Response(body=body, status_code=status, headers=headers)


def no_content() -> Response:
    return Response(body="", status_code=204)


# A route's way to let a caller act for someone the body names (`endpoint(on_behalf=...)`).
ActingFor = Callable[[Principal, str], Principal]


def _authenticate(request: Request) -> Principal:
    from chalicelib.bootstrap import get_services

    header = request.headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthenticatedError("An access token is required (Authorization: Bearer <token>).")
    token = token.strip()
    if token.startswith("ogk_"):  # an API key (services/api_keys.py); anything else is an access token
        from chalicelib.services.api_keys import authenticate

        return authenticate(token)
    return get_services().signer.verify(token)


def endpoint(
    bp: Blueprint,
    path: str,
    method: str,
    *,
    summary: str,
    public: bool = False,
    request_model: type[BaseModel] | None = None,
    response_model: type[BaseModel] | None = None,
    response_one_of: tuple[type[BaseModel], ...] = (),
    status: int = 200,
    content_type: str = "application/json",
    response_content_type: str = "application/json",
    tags: tuple[str, ...] = (),
    query: tuple[QueryParam, ...] = (),
    if_match: bool = False,
    body_optional: bool = False,
    errors: tuple[int, ...] = (),
    max_body_bytes: int = MAX_BODY_BYTES,
    permissions: tuple[Permission, ...] = (),
    extra_content_types: tuple[str, ...] = (),
    html_errors: bool = False,
    on_behalf: ActingFor | None = None,
    claims_in_write: bool = False,
    caller: Literal["current", "action", "token"] = "current",
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Register a view on `bp` with OrderGate's request pipeline and describe it in OpenAPI.

    Authorization comes before the body (API.md "Conventions"): `permissions` are the ones the route
    needs (any one of them), checked before the query and the body are read, so a caller who may
    not use the route gets 403 (or 404 when the path names something they cannot see) whatever
    the body holds; the service still decides per object. And when a body is refused (not JSON,
    failing validation) on a path that names something, the caller must be able to see it first:
    otherwise the 404 (or 403), not a 422 describing the route's fields.

    `query` declares the query parameters the view reads (`Ctx.query` refuses others) and validates
    them (400); `if_match` that the view honours If-Match; `body_optional` that an empty body means
    `{}`; `errors` statuses beyond those the pipeline itself implies (e.g. 429 on login);
    `response_one_of` documents a response that is one of several models (who asks decides which);
    `max_body_bytes` raises the 1 MiB body limit for an endpoint that documents why (CSV import);
    `extra_content_types` are request bodies the view reads besides `content_type` (an HTML form);
    `html_errors` that its errors are pages for people too (documented as text/html besides JSON);
    `on_behalf` that a body naming `on_behalf_of` makes the caller act as someone else (a delegate as the
    approver they stand in for): `on_behalf(caller, id)` gives that principal or refuses (403), before the
    route's permissions and the body are checked, so who may call is still decided first (`_acting`).
    `caller` says what a write (any method but GET) is decided on (API.md "Rights come from current
    data"): "current", the caller as stored now, read here before the route's permissions are checked
    (services/callers.py, one BatchGet); "action", read by the service in the action's own reads (the
    order write path: its one BatchGet); "token", the token alone (logging out ends a session whatever
    became of its user);
    `claims_in_write` that the view hands the request's Idempotency-Key (`Ctx.claim`) to the one order
    write it makes, which stores the order it leaves with the key: the view presents it, and a replay is
    answered the same order (api/idempotency.py). Other POSTs claim the key before the view runs.
    """
    spec = RouteSpec(
        path=path,
        method=method,
        summary=summary,
        public=public,
        request_model=request_model,
        response_model=response_model,
        response_one_of=response_one_of,
        status=status,
        content_type=content_type,
        response_content_type=response_content_type,
        tags=tags,
        query=query,
        if_match=if_match,
        body_optional=body_optional,
        errors=errors,
        permissions=tuple(p.value for p in permissions),
        html_errors=html_errors,
        claims_in_write=claims_in_write,
        extra_content_types=extra_content_types,
    )

    def decorator(fn: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(fn)
        def view(**path_params: str) -> Response:
            request = bp.current_request
            request_id = _request_id(request)
            logger.append_keys(request_id=request_id, route=f"{method} {path}")
            principal: Principal | None = None
            ctx: Ctx | None = None
            try:
                principal = None if public else _authenticate(request)
                _check_path_params(path_params)
                if principal is not None and on_behalf is not None:
                    principal = _acting(on_behalf, request, principal)
                if principal is not None and method != "GET" and caller == "current":
                    from chalicelib.services.callers import load_current_caller  # storage: writes only

                    principal = load_current_caller(principal)
                if principal is not None and not _permitted(spec, principal):
                    _probe(spec, request, principal, path_params)  # 404 first when it is not visible
                    raise ForbiddenError("You do not have permission to do this.")
                if len(request.raw_body or b"") > max_body_bytes:
                    raise PayloadTooLargeError(f"The request body is larger than {_size(max_body_bytes)}.")
                ctx = Ctx(request, principal, spec, _query_values(spec, request))
                if principal is None:
                    return fn(ctx, **path_params)
                logger.append_keys(tenant=principal.tenant, user_id=principal.user_id)
                if method != "POST":
                    return fn(ctx, **path_params)
                from chalicelib.api import idempotency  # storage: imported with the first POST

                begun = idempotency.begin(principal, request, spec.claims_in_write)
                if begun.replay is not None:
                    return begun.replay
                ctx.claim_or_none = begun.claim
                try:
                    response = fn(ctx, **path_params)
                except Exception:
                    idempotency.failed(begun)
                    raise
                return idempotency.finish(begun, response)
            except OrderGateError as exc:
                if ctx is not None and ctx.body_refused and principal is not None and path_params:
                    try:
                        _probe(spec, request, principal, path_params)
                    except (ForbiddenError, NotFoundError) as hidden:
                        return error_response(hidden)
                return error_response(exc)
            except Exception as exc:
                known = _storage_error(exc)
                if known is not None:
                    return error_response(known)
                logger.exception("unhandled error")
                return internal_error_response(request_id)
            finally:
                logger.remove_keys(["request_id", "route", "tenant", "user_id"])

        content_types = [content_type] if content_type != "application/json" or extra_content_types else None
        if content_types:
            content_types += list(extra_content_types)
        route_kwargs: dict[str, Any] = {"methods": [method]}
        if content_types:
            route_kwargs["content_types"] = content_types
        bp.route(path, **route_kwargs)(view)
        openapi.register(spec)
        _VIEWS[(method, path)] = (spec, fn)
        return fn

    return decorator


def _acting(on_behalf: ActingFor, request: Request, principal: Principal) -> Principal:
    """The caller, or whom they act for when the body names `on_behalf_of`. Only a valid id in a JSON
    object counts: anything else is left to the body's validation (a caller the route accepts gets its
    422) or to the route's permissions (one it does not accept gets its 403 whatever the body holds).
    A refusal is a 403 saying why, whatever the path names: it is decided before anything the path
    names is read, so it tells nothing of it (not even whether it exists)."""
    named = _on_behalf_of(request)
    return principal if named is None else on_behalf(principal, named)


def _on_behalf_of(request: Request) -> str | None:
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:  # never parsed: the route's own checks refuse it (403, else 413)
        return None
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    value = data.get("on_behalf_of") if isinstance(data, dict) else None
    if not isinstance(value, str):
        return None
    try:
        openapi.path_id("on_behalf_of").validate_python(value)
    except ValidationError:
        return None
    return value


def _permitted(spec: RouteSpec, principal: Principal) -> bool:
    return not spec.permissions or any(p in principal.permissions for p in spec.permissions)


# Every registered view by (method, path): `_probe` finds the GET of what a path names.
_VIEWS: dict[tuple[str, str], tuple[RouteSpec, Callable[..., Response]]] = {}


def _probe(spec: RouteSpec, request: Request, principal: Principal, path_params: dict[str, str]) -> None:
    """Raise the 404 (or 403) the caller gets for what the path names, if any: its GET, with the same
    caller and ids, run for its errors only (`/orders/{order_id}/lines/{line_id}` → `GET
    /orders/{order_id}`). It runs only for a request refused anyway (missing permission, bad body),
    so the accepted requests' round trips do not change; anything but a 403/404 is ignored."""
    parts = spec.path.split("/")
    for end in range(len(parts), 1, -1):
        probe_path = "/".join(parts[:end])
        found = _VIEWS.get(("GET", probe_path))
        if found is None or "{" not in probe_path or (probe_path == spec.path and spec.method == "GET"):
            continue
        probe_spec, view = found
        params = {k: v for k, v in path_params.items() if "{" + k + "}" in probe_path}
        try:
            view(Ctx(request, principal, probe_spec), **params)
        except (ForbiddenError, NotFoundError):
            raise
        except Exception:  # noqa: S110 - only a refusal counts; anything else leaves the first answer
            pass
        return


def _storage_error(exc: Exception) -> OrderGateError | None:
    """What a storage failure means for the caller (storage/table.py `domain_error`). Only a PynamoDB
    error can be one, and checking the type first keeps storage and its client out of this module's
    imports (cold start: /health and /openapi.json never load them)."""
    if not type(exc).__module__.startswith("pynamodb"):
        return None
    from chalicelib.storage.table import domain_error

    return domain_error(exc)


def _check_path_params(path_params: dict[str, str]) -> None:
    """Every id the API hands out is an `Id`; a path parameter that is not one names nothing (404).

    Checked before anything reaches storage, so odd characters or a 3 KB "id" never become part of
    a DynamoDB key (keys over 2048/1024 bytes are a ValidationException there, not a miss).
    """
    for name, value in path_params.items():
        try:
            openapi.path_id(name).validate_python(value)
        except ValidationError as exc:
            raise NotFoundError() from exc


def _query_values(spec: RouteSpec, request: Request) -> dict[str, Any]:
    """The declared query parameters, validated by their declared types (400 naming the parameter)."""
    params: Any = request.query_params or {}
    values: dict[str, Any] = {}
    for q in spec.query:
        raw = params.get(q.name)
        if raw is None:  # only an absent parameter is absent: `?customer_id=` names no customer (400)
            continue
        try:
            values[q.name] = q.adapter.validate_python(raw)
        except ValidationError as exc:
            from chalicelib.api.messages import describe

            first = exc.errors()[0] if exc.errors() else {"type": "", "loc": ()}
            raise MalformedRequestError(
                describe(first, f"The query parameter '{q.name}'"),
                details=[{"field": q.name, "message": describe(first, q.name)}],
            ) from exc
    return values


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB" if n % (1024 * 1024) == 0 else f"{n} bytes"


def _request_id(request: Request) -> str:
    context = getattr(request, "context", None) or {}
    return str(context.get("requestId") or uuid.uuid4())


def patch_changes(body: BaseModel, nullable: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The fields a PATCH body set. `null` clears only fields that may be empty; elsewhere it is a 422."""
    changes = body.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None and name not in nullable:
            message = f"{name} may not be null; leave it out to keep it as it is."
            raise ValidationFailedError(message, details=[{"field": name, "message": message}])
    return changes
