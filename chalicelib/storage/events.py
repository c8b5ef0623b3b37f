"""The tenant's order events as a feed: one Query page of the tenant's event partition (keys.py, "order
event"), oldest first, between two ids (what is kept, what has settled) and filtered by type if asked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.storage import keys
from chalicelib.storage.items import BaseItem, OrderEventItem


@dataclass(frozen=True)
class FeedEvent:
    id: str
    type: str
    occurred_at: str
    order_id: str
    order_number: str
    customer_id: str
    actor: dict[str, Any]
    data: dict[str, Any]


@dataclass(frozen=True)
class FeedPage:
    events: list[FeedEvent]
    last_key: str | None  # the sort key DynamoDB stopped at (more to read in this partition), or None


def to_event(item: OrderEventItem) -> FeedEvent:
    return FeedEvent(
        id=item.id,
        type=item.event_type,
        occurred_at=item.occurred_at,
        order_id=item.order_id,
        order_number=item.order_number,
        customer_id=item.customer_id,
        actor=dict(item.actor or {}),
        data=dict(item.data or {}),
    )


def page(tenant: str, low: str, high: str, limit: int, event_type: str | None) -> FeedPage:
    """Up to `limit` events with `low` <= id <= `high`, oldest first: exactly one Query (the
    connection's, not the model's iterator, which would fetch more pages to fill a filtered one).
    Without a type, `Limit` is the page size. With one, DynamoDB applies `Limit` before the filter, so
    the Query reads without it (up to its 1 MB) and the page keeps the first `limit` matches: a page
    comes back empty with more to read only past 1 MB of events of other types.
    Strongly consistent: a committed event is never missed by a replica that has not seen it yet."""
    connection: Any = BaseItem._get_connection()
    raw = connection.query(
        keys.order_events_pk(tenant),
        range_key_condition=OrderEventItem.sk.between(low, high),
        filter_condition=(OrderEventItem.event_type == event_type) if event_type else None,
        consistent_read=True,
        limit=None if event_type else limit,
        scan_index_forward=True,
    )
    events = [to_event(OrderEventItem.from_raw_data(i)) for i in raw.get("Items", [])]
    if len(events) > limit:
        return FeedPage(events[:limit], events[limit - 1].id)
    last = raw.get("LastEvaluatedKey")
    return FeedPage(events, last["sk"]["S"] if last else None)
