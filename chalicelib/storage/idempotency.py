"""Idempotency records: claimed with a conditional put, completed with the response, expired by TTL.

A claim is made either on its own before the action (`claim`), or inside the action's own transaction
(`claim_in_write`): storage/orders.py `save` writes the pending claim with the order's items, conditional
on the key being free, so a request that writes an order pays no round trip for the claim and a replay
writes nothing (its transaction fails on the claim: `ClaimedError`).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError
from pynamodb.expressions.condition import Condition

from chalicelib.storage import keys
from chalicelib.storage.items import IdempotencyItem
from chalicelib.storage.table import is_condition_failure

TTL_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Stored:
    fingerprint: str
    done: bool
    status_code: int | None
    response: dict[str, Any] | None


@dataclass
class Claim:
    """A claim waiting to join the request's write; `written` once a transaction carrying it succeeded.

    With `respond` (the route's response as a function of what is written: status code and payload) the
    claim is written complete, response included, so no write follows: `answer` holds what was stored."""

    tenant: str
    key_hash: str
    fingerprint: str
    written: bool = False
    respond: Callable[[Any], tuple[int, dict[str, Any]]] | None = None
    answer: tuple[int, dict[str, Any]] | None = None


class ClaimedError(Exception):
    """The write carried the claim of a key that is taken: nothing was written; replay what is stored."""


_pending: ContextVar[Claim | None] = ContextVar("idempotency_claim", default=None)


@contextmanager
def claim_in_write(tenant: str, key_hash: str, fingerprint: str) -> Iterator[Claim]:
    """While the block runs, the first order write of this request claims the key in its transaction."""
    claim = Claim(tenant, key_hash, fingerprint)
    token = _pending.set(claim)
    try:
        yield claim
    finally:
        _pending.reset(token)


def pending() -> Claim | None:
    """The claim a write of this request must carry, if there is one not written yet."""
    claim = _pending.get()
    return claim if claim is not None and not claim.written else None


def _item(claim: Claim) -> IdempotencyItem:
    pk, sk = keys.idempotency(claim.tenant, claim.key_hash)
    return IdempotencyItem(
        pk, sk, fingerprint=claim.fingerprint, state="in_progress", expires_at=timedelta(seconds=TTL_SECONDS)
    )


def _free() -> Condition:
    # New, or expired but not yet removed by TTL (which may lag by days).
    free: Condition = IdempotencyItem.pk.does_not_exist() | (IdempotencyItem.expires_at < datetime.now(UTC))
    return free


def put_claim(tx: Any, claim: Claim) -> None:
    """Add the claim to a transaction, as its first update (a transaction's put always adds "no version
    yet", which an expired record not yet removed by TTL would fail). An update writes no discriminator
    by itself: set it."""
    item = IdempotencyItem(*keys.idempotency(claim.tenant, claim.key_hash))
    actions: list[Any] = [
        IdempotencyItem.type.set(IdempotencyItem),
        IdempotencyItem.fingerprint.set(claim.fingerprint),
        IdempotencyItem.expires_at.set(datetime.now(UTC) + timedelta(seconds=TTL_SECONDS)),
    ]
    if claim.answer is not None:
        status_code, response = claim.answer
        actions += [
            IdempotencyItem.state.set("done"),
            IdempotencyItem.status_code.set(status_code),
            IdempotencyItem.response.set(_compressed(response)),
        ]
    else:
        actions += [
            IdempotencyItem.state.set("in_progress"),
            IdempotencyItem.status_code.remove(),
            IdempotencyItem.response.remove(),
        ]
    tx.update(item, actions=actions, condition=_free(), add_version_condition=False)


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
    try:
        existing = IdempotencyItem.get(*keys.idempotency(tenant, key_hash), consistent_read=True)
    except IdempotencyItem.DoesNotExist:
        return None
    if not expired_too and existing.expires_at is not None and existing.expires_at < datetime.now(UTC):
        return None
    body = json.loads(zlib.decompress(existing.response)) if existing.response else None
    status = int(existing.status_code) if existing.status_code is not None else None
    return Stored(existing.fingerprint, existing.state == "done", status, body)


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
