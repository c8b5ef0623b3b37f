"""Opaque list cursors and one-page queries.

A cursor is the DynamoDB LastEvaluatedKey, base64url-encoded. On the way back in it is checked to
belong to the partition being queried, so a forged cursor can never move a query into another
tenant's partition: it answers 400 instead.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from chalicelib.domain.errors import MalformedRequestError

T = TypeVar("T")
U = TypeVar("U")

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
MAX_CURSOR_LENGTH = 2048
# DynamoDB's key limits, in UTF-8 bytes: a cursor naming a longer key is forged.
MAX_PARTITION_KEY_BYTES = 2048
MAX_SORT_KEY_BYTES = 1024


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None

    def map(self, fn: Callable[[T], U]) -> Page[U]:
        return Page([fn(i) for i in self.items], self.next_cursor)


def encode_cursor(last_evaluated_key: dict[str, Any] | None) -> str | None:
    if not last_evaluated_key:
        return None
    raw = json.dumps(last_evaluated_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, *, partition_attr: str, partition_value: str) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key: dict[str, Any] = json.loads(raw)
        ok = (
            isinstance(key, dict)
            and len(key) <= 4
            and all(isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str) for v in key.values())
            and all(len(v["S"].encode()) <= _key_limit(k) for k, v in key.items())
            and key.get(partition_attr, {}).get("S") == partition_value
        )
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise MalformedRequestError("The cursor is not valid.") from exc
    if not ok:
        raise MalformedRequestError("The cursor is not valid.")
    return key


def _key_limit(attribute: str) -> int:
    return MAX_PARTITION_KEY_BYTES if attribute.endswith("pk") else MAX_SORT_KEY_BYTES


def encode_cursors(positions: dict[str, dict[str, Any] | None]) -> str | None:
    """One cursor over several partitions: where each one continues (None: from its start); a
    partition that is done is left out. None when every partition is done."""
    if not positions:
        return None
    raw = json.dumps(positions, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursors(
    cursor: str | None, partitions: list[str], attrs: dict[str, str] | None = None
) -> dict[str, dict[str, Any] | None]:
    """The positions of encode_cursors, each checked to belong to its partition (and the partitions to
    be the caller's own; `attrs`: the key attribute naming each partition, default `pk`): a forged cursor
    is a 400, never a read elsewhere."""
    if not cursor:
        return dict.fromkeys(partitions)
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        positions = json.loads(raw)
        ok = isinstance(positions, dict) and set(positions) <= set(partitions)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise MalformedRequestError("The cursor is not valid.") from exc
    if not ok:
        raise MalformedRequestError("The cursor is not valid.")
    out: dict[str, dict[str, Any] | None] = {}
    for partition, key in positions.items():
        out[partition] = (
            None
            if key is None
            else decode_cursor(
                encode_cursor(key) if isinstance(key, dict) else "!",
                partition_attr=(attrs or {}).get(partition, "pk"),
                partition_value=partition,
            )
        )
    return out


def page_from(results: Iterable[T], last_key: Callable[[], dict[str, Any] | None]) -> Page[T]:
    items = list(results)
    return Page(items, encode_cursor(last_key()))


def prefix_page(
    model: Any,
    pk: str,
    sk_prefix: str,
    limit: int,
    cursor: str | None,
    convert: Callable[[Any], T],
    *,
    newest_first: bool = False,
) -> Page[T]:
    """One Query page of the items of `model` in partition `pk` whose sort key starts with
    `sk_prefix`, converted to domain objects: the list access pattern of most collections."""
    condition = model.sk.startswith(sk_prefix)
    return partition_page(model, pk, limit, cursor, convert, condition=condition, newest_first=newest_first)


def partition_page(
    model: Any,
    pk: str,
    limit: int,
    cursor: str | None,
    convert: Callable[[Any], T],
    *,
    condition: Any = None,
    newest_first: bool = False,
) -> Page[T]:
    """One Query page of partition `pk` (all of it, or the sort keys `condition` selects), converted."""
    result = model.query(
        pk,
        condition,
        scan_index_forward=not newest_first,
        limit=limit,
        page_size=limit,
        last_evaluated_key=decode_cursor(cursor, partition_attr="pk", partition_value=pk),
    )
    return page_from((convert(i) for i in result), lambda: result.last_evaluated_key)
