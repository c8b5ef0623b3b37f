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


def copy_tables_once_per_transaction() -> None:
    """Idempotent: moto snapshots a table (deep copy, for rollback) once per *item* of a transaction;
    one snapshot per table is the same rollback state, and an order save has several items. Only
    speed changes: with several snapshots a test world of a few hundred items spent most of its
    time copying."""
    import copy

    from moto.dynamodb import models

    original = models.DynamoDBBackend.transact_write_items
    if getattr(original, "_ordergate_copy_once", False):
        return

    class _CopyOnce:
        def __init__(self) -> None:
            self._copies: dict[int, Any] = {}

        def deepcopy(self, obj: Any) -> Any:
            if id(obj) not in self._copies:
                self._copies[id(obj)] = copy.deepcopy(obj)
            return self._copies[id(obj)]

    def transact_write_items(self: Any, transact_items: Any) -> Any:
        with _LOCK:  # the module's `copy` is swapped for the duration of this one call
            setattr(models, "copy", _CopyOnce())  # noqa: B010 - the module attribute moto's code reads
            try:
                return original(self, transact_items)
            finally:
                setattr(models, "copy", copy)  # noqa: B010

    functools.update_wrapper(transact_write_items, original)
    transact_write_items._ordergate_copy_once = True  # type: ignore[attr-defined]
    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
