"""Order lists: one Query page on an order index (newest first) or on the approval lists of an approver's
customers. Which index serves which list is in keys.py."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pynamodb.expressions.condition import Condition

from chalicelib.domain.order_summary import OrderSummary
from chalicelib.domain.orders import OrderStatus
from chalicelib.services.order_store import OrderQuery
from chalicelib.storage import keys
from chalicelib.storage.items import ApprovalEntryItem, OrderItem
from chalicelib.storage.order_codec import summary
from chalicelib.storage.paging import Page, decode_cursor, decode_cursors, encode_cursors, page_from


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


INDEXES = {"gsi1": OrderItem.gsi1, "gsi2": OrderItem.gsi2, "gsi3": OrderItem.gsi3, "gsi4": OrderItem.gsi4}


def list_page(
    index: str,
    partition: str,
    *,
    limit: int,
    cursor: str | None,
    created_from: str | None = None,
    created_to: str | None = None,
    filter_condition: Condition | None = None,
) -> Page[OrderSummary]:
    """One Query page on an order index, newest first. With a filter a page may come back short
    (DynamoDB applies Limit before filters): clients follow `next_cursor`, never page length."""
    idx: Any = INDEXES[index]
    range_condition = _created_range(getattr(OrderItem, f"{index}sk"), created_from, created_to)
    result = idx.query(
        partition,
        range_condition,
        filter_condition=filter_condition,
        scan_index_forward=False,
        limit=limit,
        page_size=limit,
        last_evaluated_key=decode_cursor(cursor, partition_attr=f"{index}pk", partition_value=partition),
    )
    return page_from((summary(i) for i in result), lambda: result.last_evaluated_key)


def list_orders(q: OrderQuery) -> Page[OrderSummary]:
    """The page `q` asks for, on the index that serves it (keys.py: gsi1 a status work queue, gsi2 a
    customer's orders, gsi3 the tenant's, gsi4 a sales rep's customers')."""
    t = q.tenant
    index, partition = {
        "customer": ("gsi2", keys.orders_of_customer(t, q.key)),
        "rep": ("gsi4", keys.orders_of_rep(t, q.key)),
        "status": ("gsi1", keys.orders_by_status(t, q.key)),
        "tenant": ("gsi3", keys.orders_of_tenant(t)),
    }[q.of]
    conditions: list[Condition] = []
    if q.own_for is not None:
        mine = OrderItem.created_by == q.own_for
        if q.sees_sent:
            mine = mine | ((OrderItem.source == "staff") & (OrderItem.status != OrderStatus.DRAFT.value))
        if q.sees_waiting:
            mine = mine | (OrderItem.status == OrderStatus.PENDING_APPROVAL.value)
        conditions.append(mine)
    if q.hide_staff_drafts:
        conditions.append((OrderItem.source != "staff") | (OrderItem.status != OrderStatus.DRAFT.value))
    if q.status and q.of != "status":
        conditions.append(OrderItem.status == q.status)
    filter_condition: Condition | None = None
    for each in conditions:
        filter_condition = each if filter_condition is None else filter_condition & each
    return list_page(
        index,
        partition,
        limit=q.limit,
        cursor=q.cursor,
        created_from=q.created_from,
        created_to=q.created_to,
        filter_condition=filter_condition,
    )
