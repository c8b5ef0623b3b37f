"""Idempotency records: claimed with a conditional put, completed with the response, expired by TTL."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError

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


def claim(tenant: str, key_hash: str, fingerprint: str) -> Stored | None:
    """Claim the key for this request. None: claimed, go ahead. Otherwise what is stored already."""
    pk, sk = keys.idempotency(tenant, key_hash)
    item = IdempotencyItem(
        pk, sk, fingerprint=fingerprint, state="in_progress", expires_at=timedelta(seconds=TTL_SECONDS)
    )
    now = datetime.now(UTC)
    try:
        # New, or expired but not yet removed by TTL (which may lag by days).
        item.save(
            condition=IdempotencyItem.pk.does_not_exist() | (IdempotencyItem.expires_at < now),
            add_version_condition=False,
        )
        return None
    except PutError as exc:
        if not is_condition_failure(exc):
            raise
    existing = IdempotencyItem.get(pk, sk, consistent_read=True)
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
            IdempotencyItem.response.set(zlib.compress(json.dumps(response).encode())),
        ],
        add_version_condition=False,
    )


def release(tenant: str, key_hash: str) -> None:
    """The request failed on our side: let a retry with the same key run again."""
    IdempotencyItem(*keys.idempotency(tenant, key_hash)).delete(add_version_condition=False)
