"""The Chalice app as a WSGI application, so tools that speak WSGI (schemathesis) drive it in process.

Requests go through chalice's own `LocalGateway` (the API Gateway emulation behind `chalice local`
and `chalice.test.Client`), with one difference that matters for fuzzing: API Gateway URL-decodes
path parameters before the Lambda sees them, `chalice local` does not. Routing happens on the raw
path, as API Gateway does, so an encoded `/` stays inside its parameter.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, unquote

from chalice.app import Chalice
from chalice.config import Config
from chalice.local import LambdaEventConverter, LocalGateway, LocalGatewayException, MatchResult, RouteMatcher

StartResponse = Callable[[str, list[tuple[str, str]]], Any]

REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    412: "Precondition Failed",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


class _DecodingRouteMatcher(RouteMatcher):
    """Matches on the raw path; hands the view URL-decoded path parameters, as API Gateway does."""

    def match_route(self, url: str) -> MatchResult:
        result = super().match_route(url)
        return MatchResult(result.route, {k: unquote(v) for k, v in result.captured.items()}, result.query_params)


class ChaliceWSGI:
    def __init__(self, app: Chalice) -> None:
        self._gateway = LocalGateway(app, Config.create())
        self._gateway.event_converter = LambdaEventConverter(
            _DecodingRouteMatcher(list(app.routes)), app.api.binary_types
        )

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = str(environ["REQUEST_METHOD"]).upper()
        # The raw (still percent-encoded) path when the server gives it, for API Gateway's routing.
        raw_uri = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or quote(environ.get("PATH_INFO", "/")))
        query = environ.get("QUERY_STRING", "")
        raw_path = raw_uri.split("?", 1)[0] + (f"?{query}" if query else "")
        headers = {
            key[5:].replace("_", "-").lower(): str(value) for key, value in environ.items() if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body: bytes = environ["wsgi.input"].read(length) if length else b""
        try:
            response = self._gateway.handle_request(method=method, path=raw_path, headers=headers, body=body)
            status = int(response["statusCode"])
            out_headers = [(k, str(v)) for k, v in (response.get("headers") or {}).items()]
            for k, values in (response.get("multiValueHeaders") or {}).items():
                out_headers.extend((k, str(v)) for v in values)
            raw = response.get("body") or ""
            payload = base64.b64decode(raw) if response.get("isBase64Encoded") else str(raw).encode()
        except LocalGatewayException as exc:  # an unknown path: API Gateway's own 403
            status = exc.CODE
            out_headers = [(k, str(v)) for k, v in exc.headers.items()]
            payload = exc.body or b""
        start_response(f"{status} {REASONS.get(status, 'Status')}", out_headers)
        return [payload]
