"""Give moto's DynamoDB the isolation real DynamoDB has.

moto checks a transaction's conditions and then writes its items with nothing stopping another
thread in between, so two concurrent conditional transactions can both succeed (a lost update that
real DynamoDB, whose transactions are serializable, never allows), and a reader can iterate a table
while another thread changes it. The local stack and the tests serve requests from several
threads, so they run every DynamoDB backend operation under one lock.

moto's transactions also cost as much as the table they write to is large, and a refused one
disturbed the table's stream; `transactions_cost_what_they_touch` fixes both (see there). The tests,
the bench and the local stack apply both patches. Production code is unchanged.
"""

from __future__ import annotations

import copy
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
_STREAM_OPERATIONS = ("describe_stream", "get_shard_iterator", "get_records")


def serialize_dynamodb_operations() -> None:
    """Idempotent: wraps moto's DynamoDB (and DynamoDB Streams) backend methods in one re-entrant lock.

    The stream reads take it too, so a stream reader never sees a transaction half written."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    for backend, names in ((DynamoDBBackend, _OPERATIONS), (DynamoDBStreamsBackend, _STREAM_OPERATIONS)):
        for name in names:
            original = getattr(backend, name)
            if getattr(original, "_ordergate_serialized", False):
                continue

            def locked(*args: Any, __original: Any = original, **kwargs: Any) -> Any:
                with _LOCK:
                    return __original(*args, **kwargs)

            functools.update_wrapper(locked, original)
            locked._ordergate_serialized = True  # type: ignore[attr-defined]
            setattr(backend, name, locked)


def transactions_cost_what_they_touch() -> None:
    """Idempotent: a TransactWriteItems costs what it touches, and a refused one writes nothing.

    moto snapshots every table a transaction names (a deep copy, once per transaction item), writes
    the items one by one, and on a refusal puts the snapshot in the table's place. Two things follow:
    its cost grows with the table (with 50,000 items one order save took minutes), and a refusal
    replaces the table's stream shard object, so a stream reader's iterator keeps pointing at the
    old shard, which holds records of writes that never happened, and never sees a new record.

    Here the conditions are evaluated first, against the items as they are (each item appears once
    in a transaction, so none can see another's write: this is what real DynamoDB does): a refused
    transaction writes nothing and leaves no stream record. When every condition holds, moto writes
    the items; the snapshot is then of the items the transaction names, not of the table, and if a
    write still fails (a type error in an update expression, say) those items are put back and the
    stream records of the attempt removed, in the same table and shard objects.
    """
    from moto.dynamodb import models

    original = models.DynamoDBBackend.transact_write_items
    if getattr(original, "_ordergate_touched_only", False):
        return

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> Any:
        with _LOCK:  # the module's `copy` is swapped for the duration of this one call
            touched = _Touched(self, transact_items)
            _refuse_before_writing(self, transact_items)
            setattr(models, "copy", _NoTableCopy())  # noqa: B010 - the module attribute moto's code reads
            try:
                return original(self, transact_items)
            except BaseException:
                touched.restore()
                raise
            finally:
                setattr(models, "copy", copy)  # noqa: B010

    functools.update_wrapper(transact_write_items, original)
    transact_write_items._ordergate_touched_only = True  # type: ignore[attr-defined]
    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


class _NoTableCopy:
    """Stands in for the `copy` module inside moto's transact_write_items: its table snapshot becomes
    the table itself (restoring it is then a no-op; `_Touched` restores the items). Everything else,
    such as update_item's copy of the one item it changes, is copied as before."""

    def deepcopy(self, obj: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models.table import Table

        return obj if isinstance(obj, Table) else copy.deepcopy(obj, memo)


def _operation(entry: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if len(entry) != 1:
        raise ValueError("one operation per transaction item")
    op_type, op = next(iter(entry.items()))
    if op_type not in ("ConditionCheck", "Put", "Delete", "Update"):
        raise ValueError(f"unsupported transaction operation {op_type}")
    return op_type, op


def _key(table: Any, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        return dict(op["Key"])
    attrs = op["Item"]
    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attrs[table.range_key_attr]
    return key


class _Touched:
    """A copy of each item a transaction names (None: absent) and each stream's length, before it."""

    def __init__(self, backend: Any, transact_items: list[dict[str, Any]]) -> None:
        self._items: list[tuple[Any, Any, Any, Any]] = []
        self._streams: dict[int, tuple[Any, int]] = {}
        for entry in transact_items:
            try:
                op_type, op = _operation(entry)
                table = backend.get_table(op["TableName"])
                hash_key, range_key = backend.get_keys_value(table, _key(table, op_type, op))
            except Exception:  # noqa: S112 - moto refuses it itself, before writing that item
                continue
            current = table.get_item(hash_key, range_key)
            self._items.append((table, hash_key, range_key, copy.deepcopy(current)))
            shard = table.stream_shard
            if shard is not None and id(shard) not in self._streams:
                self._streams[id(shard)] = (shard, len(shard.items))

    def restore(self) -> None:
        for table, hash_key, range_key, before in reversed(self._items):
            if range_key is not None:
                if before is None:
                    table.items.get(hash_key, {}).pop(range_key, None)
                else:
                    table.items[hash_key][range_key] = before
            elif before is None:
                table.items.pop(hash_key, None)
            else:
                table.items[hash_key] = before
        for shard, length in self._streams.values():
            del shard.items[length:]


def _refuse_before_writing(backend: Any, transact_items: list[dict[str, Any]]) -> None:
    """Raise moto's TransactionCanceledException, before any write, when a condition does not hold.

    Anything else that is wrong with the request (a missing table, an item named twice, a malformed
    expression) is left to moto, which answers it as before.
    """
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import TransactionCanceledException

    reasons: list[tuple[str | None, str | None, dict[str, Any] | None]] = []
    seen: set[tuple[str, str]] = set()
    try:
        for entry in transact_items:
            op_type, op = _operation(entry)
            table = backend.get_table(op["TableName"])
            key = _key(table, op_type, op)
            ident = (str(op["TableName"]), str(dict(sorted(key.items()))))
            if ident in seen:
                return
            seen.add(ident)
            current = backend.get_item(op["TableName"], key)
            condition = op.get("ConditionExpression")
            holds = condition is None or get_filter_expression(
                condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
            ).expr(current)
            if holds:
                reasons.append((None, None, None))
                continue
            old = None
            if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current is not None:
                old = current.to_json()["Attributes"]
            reasons.append(("ConditionalCheckFailed", "The conditional request failed", old))
    except Exception:  # moto's own code answers it
        return
    if any(code is not None for code, _, _ in reasons):
        raise TransactionCanceledException(reasons)


def queries_read_their_partition() -> None:
    """Idempotent: a Query on the table's key reads its partition, not the whole table.

    moto answers every Query by listing and sorting every item of the table, then keeping those of
    the asked partition, so one order read cost as much as the table was large. Here a Query on the
    base table (a partition key given, no index) sees only that partition's items; moto's own code
    does the rest (sorting by sort key, conditions, filters, limits, paging). Index queries still
    walk the table (moto keeps no index), as bench/README.md says.
    """
    from moto.dynamodb.models.table import Table

    original = Table.query
    if getattr(original, "_ordergate_partition_only", False):
        return

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        if index_name or hash_key is None or not self.range_key_attr:
            return original(self, hash_key, *args, **kwargs)
        partition = list(self.items.get(hash_key, {}).values())
        with _LOCK:  # the instance attribute below is seen by this one call only
            self.all_items = lambda: partition
            try:
                return original(self, hash_key, *args, **kwargs)
            finally:
                del self.all_items

    functools.update_wrapper(query, original)
    query._ordergate_partition_only = True  # type: ignore[attr-defined]
    Table.query = query  # type: ignore[method-assign]


def moto_costs_what_it_touches() -> None:
    """Both patches above: what the tests, the bench and the local stack apply."""
    transactions_cost_what_they_touch()
    queries_read_their_partition()
