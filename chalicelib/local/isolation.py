"""Give moto's DynamoDB the isolation real DynamoDB has.

moto checks a transaction's conditions and then writes its items with nothing stopping another
thread in between, so two concurrent conditional transactions can both succeed (a lost update that
real DynamoDB, whose transactions are serializable, never allows), and a reader can iterate a table
while another thread changes it. The local stack and the tests serve requests from several
threads, so they run every DynamoDB backend operation under one lock. Production code is unchanged.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

_LOCK = threading.RLock()
_OPERATIONS = (
    "put_item",
    "update_item",
    "delete_item",
    "transact_write_items",
    "transact_get_items",
    "batch_write_item",
    "batch_get_item",
    "get_item",
    "query",
    "scan",
)


def serialize_dynamodb_operations() -> None:
    """Idempotent: wraps moto's DynamoDB backend methods in one re-entrant lock."""
    from moto.dynamodb.models import DynamoDBBackend

    for name in _OPERATIONS:
        original = getattr(DynamoDBBackend, name)
        if getattr(original, "_ordergate_serialized", False):
            continue

        def locked(*args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with _LOCK:
                return __original(*args, **kwargs)

        functools.update_wrapper(locked, original)
        locked._ordergate_serialized = True  # type: ignore[attr-defined]
        setattr(DynamoDBBackend, name, locked)
