"""Connecting the item models to a table, creating it, and running transactions on it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.errors import ConflictError
from chalicelib.storage.items import BaseItem, item_classes


def configure(table_name: str, region: str, host: str | None) -> None:
    """Point every item model at one table. Called by bootstrap before the first request."""
    meta: Any = BaseItem.Meta
    meta.table_name = table_name
    meta.region = region
    meta.host = host
    # Connections are cached per class; drop them so the new table/endpoint is used. Then give every
    # item class the base's connection: they share one table and key schema, and a botocore client
    # costs ~190 ms to build (one per class was seconds of cold start, and of every test).
    for cls in [BaseItem, *item_classes()]:
        cls._connection = None  # type: ignore[attr-defined]
    shared = BaseItem._get_connection()
    for cls in item_classes():
        cls._connection = shared


def create_table() -> None:
    """Create the table (keys, GSIs, stream) from the item models, and switch TTL on. Idempotent."""
    if not BaseItem.exists():
        BaseItem.create_table(wait=True)
    BaseItem.update_ttl(ignore_update_ttl_errors=True)


def _connection() -> Connection:
    return BaseItem._get_connection().connection  # the shared client, not a new one per transaction


@contextmanager
def transaction() -> Iterator[TransactWrite]:
    """One atomic multi-item write. A failed condition becomes a ConflictError unless the caller
    catches `TransactWriteError` itself to say which condition failed."""
    with TransactWrite(connection=_connection()) as tx:
        yield tx


def cancellation_codes(exc: TransactWriteError) -> list[str | None]:
    """Per-item reasons of a cancelled transaction, in the order the items were added."""
    return [reason.code if reason else None for reason in (exc.cancellation_reasons or [])]


def is_condition_failure(exc: Exception) -> bool:
    code = getattr(exc, "cause_response_code", None)
    return code in ("ConditionalCheckFailedException", "TransactionCanceledException")


def raise_conflict(exc: Exception, message: str) -> None:
    if is_condition_failure(exc):
        raise ConflictError(message) from exc
    raise exc
