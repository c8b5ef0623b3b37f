"""Connecting the item models to a table, creating it, and running transactions on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from pynamodb.connection import Connection
from pynamodb.exceptions import GetError, PynamoDBException, QueryError, TransactGetError, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from chalicelib.domain.errors import NotFoundError, OrderGateError
from chalicelib.logs import logger
from chalicelib.storage.items import BaseItem, item_classes

Item = TypeVar("Item", bound=BaseItem)


def find_item(model: type[Item], key: tuple[str, str], *, consistent: bool = False) -> Item | None:
    """The item under `key`, or None: one GetItem."""
    try:
        return model.get(*key, consistent_read=consistent)
    except model.DoesNotExist:
        return None


def get_item(model: type[Item], key: tuple[str, str], what: str) -> Item:
    """The item under `key`, or NotFoundError naming `what` (the API's 404)."""
    item = find_item(model, key)
    if item is None:
        raise NotFoundError(what)
    return item


def configure(table_name: str, region: str, host: str | None) -> None:
    """Point every item model at one table. Called by bootstrap before the first request."""
    meta: Any = BaseItem.Meta
    meta.table_name = table_name
    meta.region = region
    meta.host = host
    # PynamoDB caches a connection (and so a botocore client, ~80 ms to build) per model class.
    # All items live in one table: build one connection and share it, for every model and for
    # transactions, so a cold start or a test pays for one client, not one per item type.
    BaseItem._connection = None
    shared = BaseItem._get_connection()
    for cls in item_classes():
        cls._connection = shared


def create_table() -> None:
    """Create the table (keys, GSIs, stream) from the item models, and switch TTL on. Idempotent."""
    if not BaseItem.exists():
        BaseItem.create_table(wait=True)
    BaseItem.update_ttl(ignore_update_ttl_errors=True)


def _connection() -> Connection:
    return BaseItem._get_connection().connection


@contextmanager
def transaction() -> Iterator[TransactWrite]:
    """One atomic multi-item write. A failed condition becomes a ConflictError unless the caller
    catches `TransactWriteError` itself to say which condition failed."""
    with TransactWrite(connection=_connection()) as tx:
        yield tx


@dataclass(frozen=True)
class Check:
    """A condition on another item, checked inside a write's transaction (a ConditionCheck): what the
    write relied on without reading it in this request. `fails_with` builds the error to raise."""

    model: type[BaseItem]
    key: tuple[str, str]
    condition: Condition
    fails_with: Callable[[], Exception]


def add_checks(tx: TransactWrite, checks: Sequence[Check]) -> None:
    """Note: PynamoDB sends condition checks first, then deletes, puts and updates, whatever order they
    were added in; cancellation reasons follow that order (so the checks are at 0..len(checks)-1)."""
    for check in checks:
        tx.condition_check(check.model, *check.key, condition=check.condition)


def failed_check(exc: TransactWriteError, checks: Sequence[Check]) -> Check | None:
    """The check that failed, if one did (checks are the first items PynamoDB sends)."""
    first = 0
    codes = cancellation_codes(exc)
    for i, check in enumerate(checks):
        if first + i < len(codes) and codes[first + i] == "ConditionalCheckFailed":
            return check
    return None


def cancellation_codes(exc: TransactWriteError) -> list[str | None]:
    """Per-item reasons of a cancelled transaction, in the order the items were added."""
    return [reason.code if reason else None for reason in (exc.cancellation_reasons or [])]


def is_transaction_conflict(codes: Sequence[str | None]) -> bool:
    """A transaction cancelled only for another one under way on one of its items: nothing was written
    and no condition failed, so the same write may simply be tried again (TransactionConflictError)."""
    return "TransactionConflict" in codes and "ConditionalCheckFailed" not in codes


def is_condition_failure(exc: Exception) -> bool:
    code = getattr(exc, "cause_response_code", None)
    return code in ("ConditionalCheckFailedException", "TransactionCanceledException")


_READS = (GetError, QueryError, TransactGetError)


def domain_error(exc: Exception) -> OrderGateError | None:
    """The domain error a storage failure means for the caller, or None when it is our fault (a 500).

    A read that DynamoDB refuses as a ValidationException was refused for the key values it carries,
    which come from the request (an id in the path, a list filter): above all keys over DynamoDB's
    limits (partition key 2048 bytes, sort key 1024), which no item can have. The API checks ids at
    the edge (api/http.py); this is the one backstop for any path that reaches storage unchecked.
    Writes are not mapped: their keys are built from validated bodies, so a refusal there is a bug.
    """
    if isinstance(exc, _READS) and exc.cause_response_code == "ValidationException":
        logger.warning("DynamoDB refused a read's key", extra={"dynamodb_message": _message(exc)})
        return NotFoundError()
    return None


def _message(exc: PynamoDBException) -> str:
    return str(exc.cause_response_message or exc)[:300]
