"""Idempotency-Key on POST (API.md): the same key with the same body within 24 h returns the first
response again and does nothing more; the same key with another body is a 409.

Keys are scoped to the caller (tenant and user), so two users never collide. Public routes (login,
refresh) ignore the header: replaying a response there would hand out tokens again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from chalice.app import Response

from chalicelib.auth.principal import Principal
from chalicelib.domain.errors import ConflictError, MalformedRequestError
from chalicelib.storage import idempotency as store

HEADER = "idempotency-key"


def run(principal: Principal, request: Any, path: str, call: Callable[[], Response]) -> Response:
    key = request.headers.get(HEADER)
    if key is None:
        return call()
    if not 1 <= len(key) <= 255:
        raise MalformedRequestError("Idempotency-Key must be 1 to 255 characters.")
    key_hash = hashlib.sha256(f"{principal.user_id}\x00{key}".encode()).hexdigest()
    body = request.raw_body or b""
    fingerprint = hashlib.sha256(f"POST {request.path}\x00".encode() + body).hexdigest()
    stored = store.claim(principal.tenant, key_hash, fingerprint)
    if stored is not None:
        if stored.fingerprint != fingerprint:
            raise ConflictError(
                "This Idempotency-Key was used with a different request.", code="idempotency_key_reused"
            )
        if not stored.done or stored.response is None:
            raise ConflictError(
                "A request with this Idempotency-Key is still in progress.", code="idempotency_key_in_progress"
            )
        return Response(
            body=stored.response["body"],
            status_code=stored.status_code or 200,
            headers={**stored.response["headers"], "Idempotent-Replayed": "true"},
        )
    try:
        response = call()
    except Exception:
        store.release(principal.tenant, key_hash)
        raise
    if response.status_code >= 500:
        store.release(principal.tenant, key_hash)
    else:
        payload = {"body": response.body, "headers": dict(response.headers or {})}
        json.dumps(payload)  # bodies are JSON-serialisable by construction; fail loudly if not
        store.complete(principal.tenant, key_hash, response.status_code, payload)
    return response
