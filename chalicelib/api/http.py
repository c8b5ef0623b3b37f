"""How a Chalice view becomes an OrderGate endpoint: authentication, body parsing and limits, error
mapping, ETags and pagination arguments. Views stay a few lines: caller, body, one service call.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from chalice.app import Blueprint, Request, Response
from pydantic import BaseModel, ValidationError

from chalicelib.api import openapi
from chalicelib.api.errors import error_response, internal_error_response
from chalicelib.auth.principal import Principal
from chalicelib.domain.errors import (
    MalformedRequestError,
    OrderGateError,
    PayloadTooLargeError,
    UnauthenticatedError,
    ValidationFailedError,
    VersionMismatchError,
)
from chalicelib.logs import logger
from chalicelib.storage.paging import DEFAULT_LIMIT, MAX_LIMIT

M = TypeVar("M", bound=BaseModel)
MAX_BODY_BYTES = 1024 * 1024


def field_path(loc: tuple[int | str, ...]) -> str:
    """('lines', 0, 'quantity') → 'lines[0].quantity', the form API.md's error details use."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def validation_error(exc: ValidationError) -> ValidationFailedError:
    details = [{"field": field_path(err["loc"]), "message": err["msg"]} for err in exc.errors()]
    return ValidationFailedError("The request body failed validation.", details=details)


@dataclass
class Ctx:
    """One request as a view sees it."""

    request: Request
    principal_or_none: Principal | None
    _json: Any = field(default=None)

    @property
    def principal(self) -> Principal:
        if self.principal_or_none is None:  # only public routes run without one
            raise UnauthenticatedError("An access token is required.")
        return self.principal_or_none

    def query(self, name: str) -> str | None:
        params: Any = self.request.query_params or {}
        value = params.get(name)
        return None if value is None or value == "" else str(value)

    def page_args(self) -> tuple[int, str | None]:
        raw = self.query("limit")
        limit = DEFAULT_LIMIT
        if raw is not None:
            if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
                raise MalformedRequestError(f"'limit' must be a whole number from 1 to {MAX_LIMIT}.")
            limit = int(raw)
        cursor = self.query("cursor")
        if cursor is not None and len(cursor) > 2048:
            raise MalformedRequestError("The cursor is not valid.")
        return limit, cursor

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
            raise MalformedRequestError("The request body is not valid JSON.") from exc

    def text(self) -> str:
        """The body as UTF-8 text (CSV uploads)."""
        try:
            return self.raw_body().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise MalformedRequestError("The request body is not UTF-8 text.") from exc

    def body(self, model: type[M], *, optional: bool = False) -> M:
        data = self.json()
        if data is None:
            if not optional:
                raise MalformedRequestError("A JSON request body is required.")
            data = {}
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise validation_error(exc) from exc

    def if_match(self) -> int | None:
        """The version an `If-Match: "<version>"` header names; None when absent."""
        raw = self.request.headers.get("if-match")
        if raw is None:
            return None
        value = raw.strip()
        value = value.removeprefix("W/").strip('"')
        if not value.isdigit():
            raise VersionMismatchError()
        return int(value)

    def check_version(self, current: int) -> None:
        expected = self.if_match()
        if expected is not None and expected != current:
            raise VersionMismatchError()

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


Authenticator = Callable[[Request], Principal]
_authenticator: list[Authenticator] = []


def set_authenticator(fn: Authenticator) -> None:
    """Bootstrap installs the token verifier; tests may install another."""
    _authenticator[:] = [fn]


def _authenticate(request: Request) -> Principal:
    header = request.headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthenticatedError("An access token is required (Authorization: Bearer <token>).")
    return _authenticator[0](request)


def endpoint(
    bp: Blueprint,
    path: str,
    method: str,
    *,
    summary: str,
    public: bool = False,
    request_model: type[BaseModel] | None = None,
    response_model: type[BaseModel] | None = None,
    status: int = 200,
    content_type: str = "application/json",
    tags: tuple[str, ...] = (),
    max_body_bytes: int = MAX_BODY_BYTES,
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Register a view on `bp` with OrderGate's request pipeline and describe it in OpenAPI.

    `max_body_bytes` raises the 1 MiB body limit for an endpoint that documents why (CSV import)."""

    def decorator(fn: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(fn)
        def view(**path_params: str) -> Response:
            request = bp.current_request
            request_id = _request_id(request)
            logger.append_keys(request_id=request_id, route=f"{method} {path}")
            try:
                if len(request.raw_body or b"") > max_body_bytes:
                    raise PayloadTooLargeError(f"The request body is larger than {_size(max_body_bytes)}.")
                principal = None if public else _authenticate(request)
                if principal is None:
                    return fn(Ctx(request, None), **path_params)
                logger.append_keys(tenant=principal.tenant, user_id=principal.user_id)
                if method != "POST":
                    return fn(Ctx(request, principal), **path_params)
                from chalicelib.api import idempotency  # storage: imported with the first POST

                return idempotency.run(principal, request, path, lambda: fn(Ctx(request, principal), **path_params))
            except OrderGateError as exc:
                return error_response(exc)
            except Exception:
                logger.exception("unhandled error")
                return internal_error_response(request_id)
            finally:
                logger.remove_keys(["request_id", "route", "tenant", "user_id"])

        content_types = [content_type] if content_type != "application/json" else None
        route_kwargs: dict[str, Any] = {"methods": [method]}
        if content_types:
            route_kwargs["content_types"] = content_types
        bp.route(path, **route_kwargs)(view)
        openapi.register(
            openapi.RouteSpec(
                path=path,
                method=method,
                summary=summary,
                public=public,
                request_model=request_model,
                response_model=response_model,
                status=status,
                content_type=content_type,
                tags=tags,
            )
        )
        return fn

    return decorator


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
            raise ValidationFailedError(
                "The request body failed validation.", details=[{"field": name, "message": "may not be null"}]
            )
    return changes
