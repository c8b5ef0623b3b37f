"""Idempotency-Key on POST (API.md): the same key with the same body within 24 h returns the first
response again and does nothing more; the same key with another body is a 409.

Keys are scoped to the caller (tenant and user), so two users never collide. Public routes (login,
refresh) ignore the header: replaying a response there would hand out tokens again.

Routes whose one write is an order's transaction claim the key inside that transaction instead of with
a put of its own before the action (storage/idempotency.py `claim_in_write`): a replay then runs the
action up to its write, which fails on the claim and writes nothing, or up to a refusal (the order
has moved on: a submitted order cannot be submitted again); either way the stored response is looked
up then and answered. A first request costs the response's write only, or nothing when the route says
how it answers (`answer`: the write stores the response too); a replay a read more.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from chalice.app import Response

from chalicelib.auth.principal import Principal
from chalicelib.domain.errors import ConflictError, MalformedRequestError
from chalicelib.storage import idempotency as store

HEADER = "idempotency-key"

# Every successful request of these routes writes through storage/orders.py `save` (one transaction).
CLAIMED_IN_WRITE = frozenset(
    f"/orders{suffix}"
    for suffix in (
        "",
        "/{order_id}/lines",
        "/{order_id}/lines/import",
        "/{order_id}/submit",
        "/{order_id}/approve",
        "/{order_id}/reject",
        "/{order_id}/send",
        "/{order_id}/confirm",
        "/{order_id}/propose",
        "/{order_id}/accept",
        "/{order_id}/decline",
        "/{order_id}/cancel",
        "/{order_id}/shipments",
        "/{order_id}/invoices",
        "/{order_id}/payments",
        "/{order_id}/reorder",
    )
)


def run(principal: Principal, request: Any, path: str, call: Callable[[], Response]) -> Response:
    key = request.headers.get(HEADER)
    if key is None:
        return call()
    if not 1 <= len(key) <= 255:
        raise MalformedRequestError("Idempotency-Key must be 1 to 255 characters.")
    key_hash = hashlib.sha256(f"{principal.user_id}\x00{key}".encode()).hexdigest()
    body = request.raw_body or b""
    fingerprint = hashlib.sha256(f"POST {request.path}\x00".encode() + body).hexdigest()
    tenant = principal.tenant
    if path in CLAIMED_IN_WRITE:
        return _claimed_in_write(tenant, key_hash, fingerprint, call)
    stored = store.claim(tenant, key_hash, fingerprint)
    if stored is not None:
        return _replay(stored, fingerprint)
    try:
        response = call()
    except Exception:
        store.release(tenant, key_hash)
        raise
    return _finish(tenant, key_hash, response)


@contextmanager
def answer(respond: Callable[[Any], Response]) -> Iterator[None]:
    """Inside a route of CLAIMED_IN_WRITE: `respond(order)` is the response the route gives for the order
    its write leaves. The key's record is then written complete, response included, by that same write,
    so the request pays no round trip for its Idempotency-Key at all. Without a key it does nothing."""
    claim = store.pending()

    def stored(order: Any) -> tuple[int, dict[str, Any]]:
        response = respond(order)
        return response.status_code, _payload(response)

    if claim is not None:
        claim.respond = stored
    try:
        yield
    finally:
        if claim is not None:
            claim.respond = None


def _claimed_in_write(tenant: str, key_hash: str, fingerprint: str, call: Callable[[], Response]) -> Response:
    with store.claim_in_write(tenant, key_hash, fingerprint) as claim:
        try:
            response = call()
        except store.ClaimedError:
            found = store.stored(tenant, key_hash, expired_too=True)
            if found is None:  # released since (its request failed): the client may send it again
                raise ConflictError(
                    "A request with this Idempotency-Key has just failed; send it again.",
                    code="idempotency_key_in_progress",
                ) from None
            return _replay(found, fingerprint)
        except Exception:
            if claim.written:
                store.release(tenant, key_hash)
                raise
            # Refused before writing: by this request's own merits, or because it already happened.
            found = store.stored(tenant, key_hash)
            if found is None:
                raise
            return _replay(found, fingerprint)
    if claim.written and claim.answer is not None:
        return response  # stored by the write itself (`answer`)
    # Nothing written means no claim either (no route of CLAIMED_IN_WRITE answers so): claim it now.
    if not claim.written and store.claim(tenant, key_hash, fingerprint) is not None:
        return response  # taken meanwhile by an identical request
    return _finish(tenant, key_hash, response)


def _replay(stored: store.Stored, fingerprint: str) -> Response:
    if stored.fingerprint != fingerprint:
        raise ConflictError("This Idempotency-Key was used with a different request.", code="idempotency_key_reused")
    if not stored.done or stored.response is None:
        raise ConflictError(
            "A request with this Idempotency-Key is still in progress.", code="idempotency_key_in_progress"
        )
    return Response(
        body=stored.response["body"],
        status_code=stored.status_code or 200,
        headers={**stored.response["headers"], "Idempotent-Replayed": "true"},
    )


def _payload(response: Response) -> dict[str, Any]:
    payload = {"body": response.body, "headers": dict(response.headers or {})}
    json.dumps(payload)  # bodies are JSON-serialisable by construction; fail loudly if not
    return payload


def _finish(tenant: str, key_hash: str, response: Response) -> Response:
    if response.status_code >= 500:
        store.release(tenant, key_hash)
    else:
        store.complete(tenant, key_hash, response.status_code, _payload(response))
    return response
