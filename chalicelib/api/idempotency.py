"""Idempotency-Key on POST (API.md): the same key with the same body within 24 h returns the first
response again and does nothing more; the same key with another body is a 409.

Keys are scoped to the caller (tenant and user), so two users never collide. Public routes (login,
refresh) ignore the header: replaying a response there would hand out tokens again.

A route whose one write is an order's transaction declares `claims_in_write` (its `endpoint(...)`): its
view hands the key (`Ctx.claim`) to the order service, whose write claims it in that transaction with the
order it leaves (services/order_writes.py `claiming`). A replay then runs the action up to its write,
which fails on the claim and writes nothing, or up to a refusal (the order has moved on: a submitted
order cannot be submitted again); either way the service answers the order the first request left, and
the view presents it as it did then. The key costs such a request no round trip; a replay a read.
Every other route claims the key with a put before the view runs and stores its response after.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from chalice.app import Response

from chalicelib.auth.principal import Principal
from chalicelib.domain.errors import ConflictError, MalformedRequestError
from chalicelib.services.order_store import Claim
from chalicelib.storage import idempotency as store

HEADER = "idempotency-key"
REPLAYED = {"Idempotent-Replayed": "true"}


@dataclass
class Begun:
    """A POST's key as `begin` found it: nothing to do (no key), a response to replay, a claim the view's
    order write carries (`claim`), or a key claimed with a put (`claimed`) whose response `finish` stores."""

    replay: Response | None = None
    claim: Claim | None = None
    claimed: Claim | None = None


def begin(principal: Principal, request: Any, claims_in_write: bool) -> Begun:
    """Before the view: the key's claim (routes that declare `claims_in_write` hand it to their order write),
    or the stored response of the first request with this key."""
    key = request.headers.get(HEADER)
    if key is None:
        return Begun()
    if not 1 <= len(key) <= 255:
        raise MalformedRequestError("Idempotency-Key must be 1 to 255 characters.")
    key_hash = hashlib.sha256(f"{principal.user_id}\x00{key}".encode()).hexdigest()
    body = request.raw_body or b""
    fingerprint = hashlib.sha256(f"POST {request.path}\x00".encode() + body).hexdigest()
    claim = Claim(principal.tenant, key_hash, fingerprint)
    if claims_in_write:
        return Begun(claim=claim)
    stored = store.claim(claim.tenant, key_hash, fingerprint)
    if stored is not None:
        return Begun(replay=_replay(stored, fingerprint))
    return Begun(claimed=claim)


def failed(begun: Begun) -> None:
    """The view raised: the key is released, so a retry runs again rather than replay a failure (a claim its
    write carried only once written)."""
    if begun.claimed is not None:
        store.release(begun.claimed.tenant, begun.claimed.key_hash)
    elif begun.claim is not None and begun.claim.written:
        store.release(begun.claim.tenant, begun.claim.key_hash)


def finish(begun: Begun, response: Response) -> Response:
    """After the view: the response as the key keeps it (and marked when it is a replay)."""
    claim = begun.claim
    if claim is None:
        return response if begun.claimed is None else _finish(begun.claimed, response)
    if claim.replayed:
        response.headers = {**(response.headers or {}), **REPLAYED}
        return response
    if claim.written:
        return response  # the write stored the key with its order
    # The view wrote nothing (an answer without a write): claim the key now, as other routes do.
    stored = store.claim(claim.tenant, claim.key_hash, claim.fingerprint)
    if stored is not None:
        return _replay(stored, claim.fingerprint)
    return _finish(claim, response)


def _replay(stored: store.Stored, fingerprint: str) -> Response:
    found = store.replayable(stored, fingerprint)
    if found.response is None:  # what an order write stored: its own route answers it (the service)
        raise ConflictError("This Idempotency-Key was used with a different request.", code="idempotency_key_reused")
    return Response(
        body=found.response["body"],
        status_code=found.status_code or 200,
        headers={**found.response["headers"], **REPLAYED},
    )


def _payload(response: Response) -> dict[str, Any]:
    payload = {"body": response.body, "headers": dict(response.headers or {})}
    json.dumps(payload)  # bodies are JSON-serialisable by construction; fail loudly if not
    return payload


def _finish(claim: Claim, response: Response) -> Response:
    if response.status_code >= 500:
        store.release(claim.tenant, claim.key_hash)
    else:
        store.complete(claim.tenant, claim.key_hash, response.status_code, _payload(response))
    return response
