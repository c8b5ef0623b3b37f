"""API Gateway's own answers (an unknown path, a throttle, a timeout, ...) in OrderGate's error envelope
instead of `{"message": "Missing Authentication Token"}`. The packaged template carries them in the API
definition (infra/package.py); a `chalice deploy` stage gets them from `infra.deploy after`
(`put_gateway_responses`), since chalice's own deploy replaces the API definition without them."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.api.errors import envelope

NOT_FOUND = envelope("not_found", "There is nothing at this path for this method. GET /openapi.json lists every path.")
# API Gateway's response types (its own answers, before or instead of the function) → (status or
# None to keep API Gateway's, code, message). Without AWS_IAM authorization on any method, a
# signature problem only arises on a path or method that does not exist.
GATEWAY_RESPONSES: dict[str, tuple[int | None, str, str]] = {
    "MISSING_AUTHENTICATION_TOKEN": (404, "not_found", NOT_FOUND["error"]["message"]),
    "INCOMPLETE_SIGNATURE": (404, "not_found", NOT_FOUND["error"]["message"]),
    "INVALID_SIGNATURE": (404, "not_found", NOT_FOUND["error"]["message"]),
    "REQUEST_TOO_LARGE": (413, "payload_too_large", "The request is larger than API Gateway accepts (10 MB)."),
    "UNSUPPORTED_MEDIA_TYPE": (415, "unsupported_media_type", "This path does not accept this Content-Type."),
    "THROTTLED": (429, "throttled", "Too many requests; try again in a few seconds."),
    "QUOTA_EXCEEDED": (429, "throttled", "Too many requests; try again later."),
    "INTEGRATION_TIMEOUT": (504, "timeout", "The request took too long (request $context.requestId)."),
    "RESOURCE_NOT_FOUND": (404, "not_found", NOT_FOUND["error"]["message"]),
    "BAD_REQUEST_BODY": (400, "malformed_request", "The request body could not be read."),
    "BAD_REQUEST_PARAMETERS": (400, "malformed_request", "The request's parameters could not be read."),
    "UNAUTHORIZED": (401, "unauthenticated", "An access token is required (Authorization: Bearer <token>)."),
    "ACCESS_DENIED": (403, "forbidden", "You do not have permission to do this."),
    "WAF_FILTERED": (403, "forbidden", "The request was refused."),
    "DEFAULT_4XX": (None, "request_refused", "The request was refused (request $context.requestId)."),
    "DEFAULT_5XX": (None, "internal_error", "An internal error occurred (request $context.requestId)."),
}


def gateway_responses() -> dict[str, Any]:
    """`x-amazon-apigateway-gateway-responses`: each of API Gateway's own answers in our envelope.
    No message includes `$context.error.message`: for a signature problem it quotes the
    Authorization header."""
    out: dict[str, Any] = {}
    for response_type, (status, code, message) in GATEWAY_RESPONSES.items():
        body = json.dumps(envelope(code, message), ensure_ascii=False)
        response: dict[str, Any] = {
            "responseTemplates": {"application/json": body},
            "responseParameters": {"gatewayresponse.header.Cache-Control": "'no-store'"},
        }
        if status is not None:
            response["statusCode"] = str(status)
        out[response_type] = response
    return out
