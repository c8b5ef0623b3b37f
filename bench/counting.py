"""Counting DynamoDB round trips, items and capacity through botocore's event system.

PynamoDB builds one botocore client per connection (chalicelib/storage/table.py shares one connection
across every item model). We register on that client's event emitter:

- ``before-call.dynamodb`` fires once per API call, i.e. once per round trip (retries of one call
  happen below it), and carries the serialized request, whose JSON body we keep in the call context;
- ``after-call.dynamodb`` fires with the parsed response of the same call.

Consumed capacity: PynamoDB asks for ``ReturnConsumedCapacity=TOTAL`` on every call, but moto
answers a constant (1.0 per write/query, 0.5 per GetItem) whatever the item sizes, and nothing for
batch or transactional calls. So the counter computes capacity itself from item sizes, with
DynamoDB's published rounding (reads: 4 KB units, eventually consistent = half, transactional =
double; writes: 1 KB units per item, transactional = double). Where the size of an item is not in
the request or response (filtered-out Query items, the old image an update or delete replaces, a
ConditionCheck) it is estimated and the call is flagged ``estimated``.
"""

from __future__ import annotations

import base64
import json
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

READ_UNIT = 4096
WRITE_UNIT = 1024
# Used for an item whose size the request and response do not show (see the module docstring).
ESTIMATED_ITEM_BYTES = 1024

CONTROL_PLANE = frozenset(
    {"DescribeTable", "CreateTable", "UpdateTable", "DeleteTable", "ListTables", "UpdateTimeToLive"}
)


# --- item sizes (DynamoDB's rules: attribute names count, numbers ~1 byte per 2 digits) ----------------
def _number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").split("e")[0].split("E")[0].strip("0")
    return (len(digits) + 1) // 2 + 1


def attribute_size(value: dict[str, Any]) -> int:
    """Size in bytes of one value in DynamoDB JSON ({"S": ...}, {"N": ...}, {"M": {...}}, ...)."""
    [(kind, data)] = value.items()
    if kind == "S":
        return len(str(data).encode())
    if kind == "N":
        return _number_size(str(data))
    if kind == "B":
        return len(base64.b64decode(data)) if isinstance(data, str) else len(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in data)
    if kind == "NS":
        return sum(_number_size(n) for n in data)
    if kind == "BS":
        return sum(len(base64.b64decode(b)) if isinstance(b, str) else len(b) for b in data)
    if kind == "L":
        return 3 + sum(1 + attribute_size(v) for v in data)
    if kind == "M":
        return 3 + sum(len(k.encode()) + 1 + attribute_size(v) for k, v in data.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + attribute_size(value) for name, value in item.items())


def read_units(size: int, *, consistent: bool = False, transactional: bool = False) -> float:
    units = max(1, math.ceil(size / READ_UNIT))
    return units * (2.0 if transactional else 1.0 if consistent else 0.5)


def write_units(size: int, *, transactional: bool = False) -> float:
    units = max(1, math.ceil(size / WRITE_UNIT))
    return units * (2.0 if transactional else 1.0)


# --- one call ----------------------------------------------------------------------------------------
@dataclass
class Call:
    operation: str
    items_read: int = 0
    items_written: int = 0
    rcu: float = 0.0
    wcu: float = 0.0
    estimated: bool = False
    failed: bool = False
    table_or_index: str = ""
    ms: float = 0.0  # time inside the call (moto's work, in process)


def _update_size(entry: dict[str, Any]) -> int:
    """An update's item size when the response does not show it: key plus the values it sets."""
    values = entry.get("ExpressionAttributeValues") or {}
    return item_size(entry.get("Key") or {}) + sum(attribute_size(v) for v in values.values())


def measure_call(operation: str, request: dict[str, Any], response: dict[str, Any], failed: bool) -> Call:
    """Items and capacity of one call, from its request and (parsed) response."""
    call = Call(operation, failed=failed, table_or_index=str(request.get("IndexName") or request.get("TableName", "")))
    consistent = bool(request.get("ConsistentRead"))
    if operation == "GetItem":
        found = response.get("Item")
        call.items_read = 1 if found else 0
        call.rcu = read_units(item_size(found) if found else 0, consistent=consistent)
    elif operation in ("Query", "Scan"):
        items = response.get("Items") or []
        scanned = int(response.get("ScannedCount", len(items)))
        sizes = [item_size(i) for i in items]
        hidden = max(0, scanned - len(items))  # read, then dropped by a FilterExpression
        mean = (sum(sizes) / len(sizes)) if sizes else ESTIMATED_ITEM_BYTES
        call.estimated = hidden > 0
        call.items_read = scanned
        call.rcu = read_units(int(sum(sizes) + hidden * mean), consistent=consistent) if scanned else 0.5
    elif operation == "BatchGetItem":
        responses = response.get("Responses") or {}
        for table, spec in (request.get("RequestItems") or {}).items():
            found = responses.get(table) or []
            batch_consistent = bool(spec.get("ConsistentRead"))
            call.items_read += len(found)
            call.rcu += sum(read_units(item_size(i), consistent=batch_consistent) for i in found)
            # A requested key that does not exist still costs the minimum read.
            call.rcu += max(0, len(spec.get("Keys") or []) - len(found)) * read_units(0, consistent=batch_consistent)
    elif operation == "TransactGetItems":
        for entry in response.get("Responses") or []:
            found = entry.get("Item")
            call.items_read += 1 if found else 0
            call.rcu += read_units(item_size(found) if found else 0, transactional=True)
    elif operation == "PutItem":
        call.items_written = 1
        call.wcu = write_units(item_size(request.get("Item") or {}))
        call.estimated = True  # a larger item it replaces would cost more; the old size is not known
    elif operation == "UpdateItem":
        call.items_written = 1
        attributes = response.get("Attributes")
        if attributes and request.get("ReturnValues") in ("ALL_NEW", "ALL_OLD"):
            call.wcu = write_units(item_size(attributes))
        else:
            call.wcu = write_units(_update_size(request))
            call.estimated = True
    elif operation == "DeleteItem":
        call.items_written = 1
        old = response.get("Attributes")
        call.wcu = write_units(item_size(old) if old else 0)
        call.estimated = old is None
    elif operation == "BatchWriteItem":
        for requests in (request.get("RequestItems") or {}).values():
            for entry in requests:
                call.items_written += 1
                put = (entry.get("PutRequest") or {}).get("Item")
                call.wcu += write_units(item_size(put) if put else 0)
                call.estimated = call.estimated or put is None
    elif operation == "TransactWriteItems":
        for entry in request.get("TransactItems") or []:
            if "Put" in entry:
                call.items_written += 1
                call.wcu += write_units(item_size(entry["Put"].get("Item") or {}), transactional=True)
            elif "Update" in entry:
                call.items_written += 1
                call.wcu += write_units(_update_size(entry["Update"]), transactional=True)
                call.estimated = True
            elif "Delete" in entry:
                call.items_written += 1
                call.wcu += write_units(0, transactional=True)
                call.estimated = True
            elif "ConditionCheck" in entry:
                # Read, but billed as a transactional write of the item's size: real DynamoDB reports a
                # ConditionCheck's capacity as write units (characterised in paritysuite/dynamodb-conformance
                # #67: a standalone ConditionCheck costs 2 WCU).
                call.items_read += 1
                call.wcu += write_units(ESTIMATED_ITEM_BYTES, transactional=True)
                call.estimated = True
    return call


# --- many calls ---------------------------------------------------------------------------------------
@dataclass
class Tally:
    """Everything counted while a `measure()` block ran."""

    calls: list[Call] = field(default_factory=list)

    @property
    def data_calls(self) -> list[Call]:
        return [c for c in self.calls if c.operation not in CONTROL_PLANE]

    @property
    def round_trips(self) -> int:
        return len(self.data_calls)

    def summary(self) -> dict[str, Any]:
        data = self.data_calls
        return {
            "dynamodb_calls": len(data),
            "scan_calls": sum(1 for c in data if c.operation == "Scan"),
            "items_read": sum(c.items_read for c in data),
            "items_written": sum(c.items_written for c in data),
            "consumed_rcu": round(sum(c.rcu for c in data), 2),
            "consumed_wcu": round(sum(c.wcu for c in data), 2),
            "capacity_estimated": any(c.estimated for c in data),
            "operations": dict(Counter(c.operation for c in data)),
            "dynamodb_ms": round(sum(c.ms for c in self.calls), 2),
            "control_plane_calls": len(self.calls) - len(data),
        }


class DynamoCounter:
    """Attach to botocore clients once; count only inside `measure()` blocks.

    `discover` returns the clients in use right now; `measure()` attaches to any new one first, so a
    connection rebuilt after attaching (bootstrap configures storage again on first use) is counted too.
    """

    def __init__(self, discover: Callable[[], list[Any]] | None = None) -> None:
        self._attached: set[int] = set()
        self._active: list[Tally] = []
        self._lock = threading.Lock()
        self._discover = discover

    def attach(self, client: Any) -> None:
        """Register the hooks on one botocore DynamoDB client (idempotent per client)."""
        if id(client) in self._attached:
            return
        events = client.meta.events
        events.register("before-call.dynamodb", self._before_call, unique_id=f"bench-before-{id(self)}")
        events.register("after-call.dynamodb", self._after_call, unique_id=f"bench-after-{id(self)}")
        self._attached.add(id(client))

    @contextmanager
    def measure(self) -> Iterator[Tally]:
        for client in self._discover() if self._discover else []:
            self.attach(client)
        tally = Tally()
        with self._lock:
            self._active.append(tally)
        try:
            yield tally
        finally:
            with self._lock:
                self._active.remove(tally)

    # botocore passes these as keyword arguments; a handler must accept **kwargs.
    def _before_call(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        body = params.get("body") or b"{}"
        context["bench_request"] = json.loads(body.decode() if isinstance(body, bytes) else body)
        context["bench_started"] = time.perf_counter()

    def _after_call(
        self, model: Any, http_response: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> None:
        if not self._active:
            return
        failed = getattr(http_response, "status_code", 200) >= 300
        call = measure_call(model.name, context.get("bench_request") or {}, parsed or {}, failed)
        call.ms = (time.perf_counter() - context.get("bench_started", time.perf_counter())) * 1000
        with self._lock:
            for tally in self._active:
                tally.calls.append(call)


def storage_clients() -> list[Any]:
    """The distinct botocore clients of the item models: one while chalicelib/storage/table.py shares
    one connection; more means a model escaped it (each is counted all the same)."""
    from chalicelib.storage.items import BaseItem, item_classes

    clients: dict[int, Any] = {}
    models: list[type[BaseItem]] = [BaseItem, *item_classes()]
    for model in models:
        client = model._get_connection().connection.client
        clients[id(client)] = client
    return list(clients.values())


def storage_counter() -> DynamoCounter:
    """A counter that follows the storage layer's clients."""
    return DynamoCounter(discover=storage_clients)
