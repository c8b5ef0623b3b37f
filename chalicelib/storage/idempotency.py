"""Idempotency records: claimed with a conditional put, completed with the response, expired by TTL.

A claim is made either on its own before the action (`claim`, then `complete` with the response's bytes),
or inside an order write's own transaction (a `Claim` the route hands to the order service, which hands
it to storage/orders.py `save`): the record is written complete, with the order as the write left it
(`result`, encoded by order_codec.snapshot), conditional on the key being free. Such a request pays no
round trip for its key, and a replay writes nothing (its transaction fails on the claim: `ClaimedError`);
the service answers it the order stored (`replayed_order`), which the route presents as the first time.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import PutError
from pynamodb.expressions.condition import Condition

from chalicelib.domain.errors import ConflictError
from chalicelib.services.order_store import Claim  # the port's: a key claimed in an order write
from chalicelib.storage import keys
from chalicelib.storage.items import IdempotencyItem
from chalicelib.storage.table import find_item, is_condition_failure

if TYPE_CHECKING:  # the order codec is imported by the order routes' replays only
    from chalicelib.domain.orders import Order

TTL_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Stored:
    fingerprint: str
    done: bool
    status_code: int | None
    response: dict[str, Any] | None  # the response's body and headers (a claim before the action)
    result: bytes | None = None  # the order an order write left (a claim in its write)


def _item(claim: Claim) -> IdempotencyItem:
    pk, sk = keys.idempotency(claim.tenant, claim.key_hash)
    return IdempotencyItem(
        pk, sk, fingerprint=claim.fingerprint, state="in_progress", expires_at=timedelta(seconds=TTL_SECONDS)
    )


def _free() -> Condition:
    # New, or expired but not yet removed by TTL (which may lag by days).
    free: Condition = IdempotencyItem.pk.does_not_exist() | (IdempotencyItem.expires_at < datetime.now(UTC))
    return free


def put_claim(tx: Any, claim: Claim, result: bytes) -> None:
    """Add the claim to a transaction, complete with the write's `result`, as its first update (a
    transaction's put always adds "no version yet", which an expired record not yet removed by TTL would
    fail). An update writes no discriminator by itself: set it."""
    item = IdempotencyItem(*keys.idempotency(claim.tenant, claim.key_hash))
    actions: list[Any] = [
        IdempotencyItem.type.set(IdempotencyItem),
        IdempotencyItem.fingerprint.set(claim.fingerprint),
        IdempotencyItem.expires_at.set(datetime.now(UTC) + timedelta(seconds=TTL_SECONDS)),
        IdempotencyItem.state.set("done"),
        IdempotencyItem.result.set(result),
        IdempotencyItem.status_code.remove(),
        IdempotencyItem.response.remove(),
    ]
    tx.update(item, actions=actions, condition=_free(), add_version_condition=False)


def replayable(found: Stored, fingerprint: str) -> Stored:
    """What is stored, if this request may be answered it: the same request, finished."""
    if found.fingerprint != fingerprint:
        raise ConflictError("This Idempotency-Key was used with a different request.", code="idempotency_key_reused")
    if not found.done:
        raise ConflictError(
            "A request with this Idempotency-Key is still in progress.", code="idempotency_key_in_progress"
        )
    return found


def replayed_order(claim: Claim, *, expired_too: bool = False) -> Order | None:
    """The order the first request with this claim's key wrote, if one did (None: nothing stored, or
    expired unless `expired_too`); marks the claim replayed. A different request with the key, or one
    still running, is a 409."""
    found = stored(claim.tenant, claim.key_hash, expired_too=expired_too)
    if found is None:
        return None
    result = replayable(found, claim.fingerprint).result
    if result is None:  # the key answered a request of another route
        raise ConflictError("This Idempotency-Key was used with a different request.", code="idempotency_key_reused")
    from chalicelib.storage import order_codec

    claim.replayed = True
    return order_codec.from_snapshot(claim.tenant, result)


def claim(tenant: str, key_hash: str, fingerprint: str) -> Stored | None:
    """Claim the key for this request. None: claimed, go ahead. Otherwise what is stored already."""
    try:
        _item(Claim(tenant, key_hash, fingerprint)).save(condition=_free(), add_version_condition=False)
        return None
    except PutError as exc:
        if not is_condition_failure(exc):
            raise
    return stored(tenant, key_hash, expired_too=True)  # taken: whatever holds it (a race with TTL aside)


def stored(tenant: str, key_hash: str, *, expired_too: bool = False) -> Stored | None:
    """What is stored under the key now (None: nothing, or expired unless `expired_too`)."""
    existing = find_item(IdempotencyItem, keys.idempotency(tenant, key_hash), consistent=True)
    if existing is None:
        return None
    if not expired_too and existing.expires_at is not None and existing.expires_at < datetime.now(UTC):
        return None
    body = json.loads(zlib.decompress(existing.response)) if existing.response else None
    status = int(existing.status_code) if existing.status_code is not None else None
    return Stored(existing.fingerprint, existing.state == "done", status, body, existing.result)


def complete(tenant: str, key_hash: str, status_code: int, response: dict[str, Any]) -> None:
    pk, sk = keys.idempotency(tenant, key_hash)
    item = IdempotencyItem(pk, sk)
    item.update(
        actions=[
            IdempotencyItem.state.set("done"),
            IdempotencyItem.status_code.set(status_code),
            IdempotencyItem.response.set(_compressed(response)),
        ],
        add_version_condition=False,
    )


def _compressed(response: dict[str, Any]) -> bytes:
    return zlib.compress(json.dumps(response).encode())


def release(tenant: str, key_hash: str) -> None:
    """The request failed on our side: let a retry with the same key run again."""
    IdempotencyItem(*keys.idempotency(tenant, key_hash)).delete(add_version_condition=False)
