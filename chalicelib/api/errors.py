"""The one table from domain errors to HTTP statuses, and the error envelope of API.md."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.domain import errors as e

# Most specific first: the first class an error is an instance of decides its status.
STATUS_BY_ERROR: tuple[tuple[type[e.OrderGateError], int], ...] = (
    (e.MalformedRequestError, 400),
    (e.UnauthenticatedError, 401),
    (e.ForbiddenError, 403),
    (e.NotFoundError, 404),
    (e.ConflictError, 409),
    (e.GoneError, 410),
    (e.VersionMismatchError, 412),
    (e.PayloadTooLargeError, 413),
    (e.ValidationFailedError, 422),
    (e.TooManyAttemptsError, 429),
)

# Chalice's own error responses (unsupported media type, method not allowed, ...) by status.
CODE_BY_STATUS = {
    400: "malformed_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_attempts",
}


def no_route_response() -> Response:
    """An unknown path, in our envelope (API Gateway and chalice's local server answer 403 "Missing
    Authentication Token" and echo the Authorization header; infra/package.py replaces API Gateway's
    answer with the same body). Nothing from the request is repeated."""
    return Response(
        body=envelope("not_found", "There is nothing at this path. GET /openapi.json lists every path."),
        status_code=404,
        headers={"Content-Type": "application/json"},
    )


def method_not_allowed_message(method: str, allowed: str) -> str:
    """The 405 sentence: which methods the path accepts (the `Allow` header lists them too)."""
    methods = [m.strip() for m in allowed.split(",") if m.strip()]
    if not methods:
        return "This path does not accept this method."
    listed = methods[0] if len(methods) == 1 else ", ".join(methods[:-1]) + " or " + methods[-1]
    safe = method if method.isascii() and method.isalpha() and len(method) <= 10 else "this method"
    return f"This path does not accept {safe}; use {listed}."


def status_of(error: e.OrderGateError) -> int:
    for cls, status in STATUS_BY_ERROR:
        if isinstance(error, cls):
            return status
    return 500


def envelope(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or []}}


def error_response(error: e.OrderGateError) -> Response:
    headers: dict[str, str | list[str]] = {"Content-Type": "application/json"}
    if isinstance(error, e.TooManyAttemptsError):
        headers["Retry-After"] = str(error.retry_after)
    if isinstance(error, e.UnauthenticatedError):
        headers["WWW-Authenticate"] = "Bearer"
    return Response(
        body=envelope(error.code, error.message, error.details), status_code=status_of(error), headers=headers
    )


def internal_error_response(request_id: str) -> Response:
    # Never internals: the request id lets operators find the logged traceback.
    return Response(
        body=envelope("internal_error", f"An internal error occurred (request {request_id}).", []),
        status_code=500,
        headers={"Content-Type": "application/json"},
    )
