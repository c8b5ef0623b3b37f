"""Order lists: one Query page on an order index (newest first) or on the approval lists of an approver's
customers. Which index serves which list is in keys.py."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pynamodb.expressions.condition import Condition

from chalicelib.domain.order_summary import OrderSummary
from chalicelib.services.order_store import OrderQuery
from chalicelib.storage import keys
from chalicelib.storage.items import ApprovalEntryItem, OrderItem
from chalicelib.storage.order_codec import summary, view_of
from chalicelib.storage.paging import Page, decode_cursors, encode_cursors

INDEXES = {
    "gsi1": OrderItem.gsi1,
    "gsi2": OrderItem.gsi2,
    "gsi3": OrderItem.gsi3,
    "gsi4": OrderItem.gsi4,
    "gsi5": OrderItem.gsi5,
    "gsi6": OrderItem.gsi6,
}


@dataclass(frozen=True)
class Source:
    """One partition of an order index that a list reads (keys.py), with a DynamoDB filter."""

    index: str
    partition: str
    filter_condition: Condition | None = None


def merged_page(
    sources: Sequence[Source],
    *,
    limit: int,
    cursor: str | None,
    keep: Callable[[OrderItem], bool],
    created_from: str | None = None,
    created_to: str | None = None,
) -> Page[OrderSummary]:
    """One page of orders, newest first, from one Query page of each source (usually one), keeping those
    `keep` lets through (the policy: what the caller sees). An order in two sources is shown once (from the
    first). A page
    may come back short; the cursor holds where each source goes on. Newest first holds across sources:
    a source's items are shown only down to the oldest item read of any source with more to read."""
    partitions = list(dict.fromkeys(s.partition for s in sources))
    by_partition = {s.partition: s for s in sources}
    attrs = {p: f"{by_partition[p].index}pk" for p in partitions}
    positions = decode_cursors(cursor, partitions, attrs)
    read: dict[str, list[OrderItem]] = {}
    ends: dict[str, dict[str, Any] | None] = {}
    for partition, start in positions.items():
        source = by_partition[partition]
        idx: Any = INDEXES[source.index]
        sk_attr = getattr(OrderItem, f"{source.index}sk")
        result = idx.query(
            partition,
            _created_range(sk_attr, created_from, created_to),
            filter_condition=source.filter_condition,
            scan_index_forward=False,
            limit=limit,
            page_size=limit,
            last_evaluated_key=start,
        )
        # One Query page, never more: iterating the result would query on until `limit` items passed the
        # filter (a status filter over a large organisation: a round trip per page of it). A short page
        # says so through its cursor.
        page = next(result.page_iter)
        read[partition] = [OrderItem.from_raw_data(raw) for raw in page.get("Items", [])]
        ends[partition] = result.page_iter.last_evaluated_key
    # Below the oldest item read of a source with more to read, another source's items cannot be placed yet.
    floor = max((read[p][-1].gsi3sk or "" for p in read if ends[p] and read[p]), default="")
    walked: dict[str, list[OrderItem]] = {p: [] for p in read}
    merged = sorted(((item, p) for p, items in read.items() for item in items), key=lambda x: x[0].gsi3sk or "")
    taken: list[OrderSummary] = []
    for item, partition in reversed(merged):
        if len(taken) == limit or (item.gsi3sk or "") < floor:
            break
        walked[partition].append(item)
        if _first_source(item, sources) == partition and keep(item):
            taken.append(summary(item))
    following: dict[str, dict[str, Any] | None] = {}
    for partition, start in positions.items():
        done, got = walked[partition], read[partition]
        if len(done) < len(got):  # stopped inside this source's page: go on after its last item walked
            if done:
                following[partition] = _position(by_partition[partition], done[-1])
            else:
                following[partition] = start
        elif ends[partition]:
            following[partition] = ends[partition]
    return Page(taken, encode_cursors(following))


def _first_source(item: OrderItem, sources: Sequence[Source]) -> str:
    """An order in two of the lists is shown from the first that holds it, on whichever page that is."""
    return next(s.partition for s in sources if getattr(item, f"{s.index}pk") == s.partition)


def _position(source: Source, item: OrderItem) -> dict[str, Any]:
    """The LastEvaluatedKey a Query of `source` would give after `item`."""
    sk = getattr(item, f"{source.index}sk")
    return {
        "pk": {"S": item.pk},
        "sk": {"S": item.sk},
        f"{source.index}pk": {"S": source.partition},
        f"{source.index}sk": {"S": sk},
    }


def list_approvals(
    tenant: str,
    customer_ids: Sequence[str],
    *,
    limit: int,
    cursor: str | None,
    created_from: str | None = None,
    created_to: str | None = None,
) -> Page[OrderSummary]:
    """What waits for an approver of these customers, newest first: one Query per customer (usually
    one), reading only orders that wait for them. Orders on the path of two of the customers are
    shown once per page."""
    partitions = [keys.approvals(tenant, c) for c in dict.fromkeys(customer_ids)]
    positions = decode_cursors(cursor, partitions)
    range_condition = _created_range(ApprovalEntryItem.sk, created_from, created_to)
    fetched: list[tuple[str, ApprovalEntryItem]] = []
    ends: dict[str, dict[str, Any] | None] = {}
    for partition, start in positions.items():
        result = ApprovalEntryItem.query(
            partition,
            range_condition,
            scan_index_forward=False,
            limit=limit,
            page_size=limit,
            last_evaluated_key=start,
        )
        fetched += [(partition, item) for item in result]
        ends[partition] = result.last_evaluated_key
    fetched.sort(key=lambda pair: pair[1].sk, reverse=True)
    taken: list[OrderSummary] = []
    seen: set[str] = set()
    shown: dict[str, list[ApprovalEntryItem]] = {partition: [] for partition in positions}
    for partition, item in fetched:
        if len(taken) == limit:
            break
        shown[partition].append(item)
        if item.order_id not in seen:  # on the path of two of the approver's customers
            seen.add(item.order_id)
            taken.append(OrderSummary(**item.summary))
    following: dict[str, dict[str, Any] | None] = {}
    for partition, start in positions.items():
        read = sum(1 for p, _ in fetched if p == partition)
        if shown[partition] and len(shown[partition]) < read:  # stopped inside this partition's page
            last = shown[partition][-1]
            following[partition] = {"pk": {"S": last.pk}, "sk": {"S": last.sk}}
        elif shown[partition] or not read:  # all it read was shown (or it had nothing): go on after
            if ends[partition]:
                following[partition] = ends[partition]
        else:  # nothing of it shown yet: the same place again
            following[partition] = start
    return Page(taken, encode_cursors(following))


def _created_range(sk_attr: Any, created_from: str | None, created_to: str | None) -> Any:
    if created_from and created_to:
        return sk_attr.between(created_from, created_to + "~")
    if created_from:
        return sk_attr >= created_from
    if created_to:
        return sk_attr < created_to + "~"
    return None


def list_orders(q: OrderQuery) -> Page[OrderSummary]:
    """The page `q` asks for, from the indexes that serve its lists (keys.py: gsi1 a status work queue, gsi2
    a customer's orders, gsi3 the tenant's, gsi4 a sales rep's customers', gsi5 a customer organisation's,
    gsi6 a staff member's own), keeping what `q.keep` lets through."""
    t = q.tenant
    sources = []
    for of, key in q.lists:
        index, partition = {
            "customer": ("gsi2", keys.orders_of_customer(t, key)),
            "rep": ("gsi4", keys.orders_of_rep(t, key)),
            "status": ("gsi1", keys.orders_by_status(t, key)),
            "tenant": ("gsi3", keys.orders_of_tenant(t)),
            "org": ("gsi5", keys.orders_of_org(t, key)),
            "creator": ("gsi6", keys.orders_created_by(t, key)),
        }[of]
        only = OrderItem.status == q.status if q.status and of != "status" else None
        sources.append(Source(index, partition, only))
    return merged_page(
        sources,
        limit=q.limit,
        cursor=q.cursor,
        keep=lambda item: q.keep(view_of(item)),
        created_from=q.created_from,
        created_to=q.created_to,
    )
