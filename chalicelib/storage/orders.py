"""Orders in the single table: the header, line pages, history, revisions and documents of one order
share a partition; the whole aggregate is loaded with one Query and saved with one transaction that
is conditional on the header's version (so a stale writer changes nothing)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition

from chalicelib.domain.budget import BudgetMove, Counted
from chalicelib.domain.errors import NotFoundError, VersionMismatchError
from chalicelib.domain.orders import (
    Document,
    HistoryEntry,
    Line,
    Order,
    OrderEvent,
    OrderStatus,
    ProposalInfo,
    Proposed,
    Revision,
)
from chalicelib.storage import idempotency, keys
from chalicelib.storage.items import (
    ApprovalEntryItem,
    BaseItem,
    BudgetItem,
    CounterItem,
    OrderDocumentItem,
    OrderEventItem,
    OrderHistoryItem,
    OrderItem,
    OrderLinesItem,
    OrderMessageItem,
    OrderRevisionItem,
    SiteItem,
)
from chalicelib.storage.paging import Page, decode_cursor, decode_cursors, encode_cursors, page_from
from chalicelib.storage.table import Check, add_checks, cancellation_codes, failed_check, transaction

LINES_PER_PAGE = 100
HEADER_FIELDS = (
    "customer_reference",
    "requested_delivery_date",
    "delivery_address",
    "delivery_method",
    "billing_address",
    "payment_method",
    "notes",
)


EVENT_DAYS = 30  # how long order events are kept (the event feed's window; TTL)


@dataclass
class Loaded:
    """An order as read, plus what is needed to write back only what changed."""

    order: Order
    sales_rep_id: str | None
    status_read: OrderStatus | None = None  # `order` is changed in place: the status it was read in
    pages: dict[str, tuple[str, int]] = field(default_factory=dict)  # sk → (lines JSON, item version)
    revisions: dict[int, tuple[str, int]] = field(default_factory=dict)
    document_ids: set[str] = field(default_factory=set)
    history_count: int = 0


# --- (de)serialisation ----------------------------------------------------------------------------
def _s(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _d(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def line_to_json(line: Line) -> dict[str, Any]:
    data = {k: _s(v) for k, v in dataclasses.asdict(line).items() if k != "proposed"}
    data["proposed"] = {k: _s(v) for k, v in dataclasses.asdict(line.proposed).items()} if line.proposed else None
    return data


def line_from_json(data: dict[str, Any]) -> Line:
    p = data.get("proposed")
    return Line(
        id=data["id"],
        product_id=data["product_id"],
        sku=data["sku"],
        name=data["name"],
        quantity=Decimal(data["quantity"]),
        unit_price=Decimal(data["unit_price"]),
        tax_rate=Decimal(data["tax_rate"]),
        requested_delivery_date=_date(data.get("requested_delivery_date")),
        confirmed_delivery_date=_date(data.get("confirmed_delivery_date")),
        shipped_quantity=Decimal(data.get("shipped_quantity") or "0"),
        proposed=Proposed(
            quantity=_d(p.get("quantity")),
            unit_price=_d(p.get("unit_price")),
            confirmed_delivery_date=_date(p.get("confirmed_delivery_date")),
            removed=bool(p.get("removed")),
            added=bool(p.get("added")),
        )
        if p
        else None,
    )


def _doc_to_json(doc: Document) -> dict[str, Any]:
    return {k: _s(v) for k, v in dataclasses.asdict(doc).items()}


def _doc_from_json(data: dict[str, Any]) -> Document:
    return Document(
        **{
            **data,
            "date": date.fromisoformat(data["date"]),
            "due_date": _date(data.get("due_date")),
            "amount": _d(data.get("amount")),
        }
    )


def _header_item(tenant: str, order: Order, sales_rep_id: str | None, page_count: int, history_count: int) -> OrderItem:
    pk = keys.order_pk(tenant, order.id)
    totals = order.totals
    list_sk = keys.order_list_sk(order.created_at, order.id)
    item = OrderItem(
        pk,
        keys.ORDER_HEADER,
        id=order.id,
        number=order.number,
        status=order.status.value,
        invoice_status=order.invoice_status,
        payment_status=order.payment_status,
        source=order.source,
        customer_id=order.customer_id,
        customer_name=order.customer_name,
        sales_rep_id=sales_rep_id,
        customer_path=set(order.customer_path or [order.customer_id]),
        site_id=order.site_id,
        created_by=order.created_by,
        submitted_by=order.submitted_by,
        currency=order.currency,
        header={
            **{name: _s(getattr(order, name)) for name in HEADER_FIELDS},
            "customer_path_order": list(order.customer_path),  # the set above loses the order
            "budget": dataclasses.asdict(order.budget) if order.budget else None,
        },
        totals={"net": str(totals.net), "tax": str(totals.tax), "gross": str(totals.gross)},
        line_count=len(order.lines),
        page_count=page_count,
        proposal=dataclasses.asdict(order.proposal) if order.proposal else None,
        revision_count=len(order.revisions),
        history_count=history_count,
        created_at=order.created_at,
        updated_at=order.updated_at,
        gsi1pk=keys.orders_by_status(tenant, order.status.value),
        gsi1sk=list_sk,
        gsi2pk=keys.orders_of_customer(tenant, order.customer_id),
        gsi2sk=list_sk,
        gsi3pk=keys.orders_of_tenant(tenant),
        gsi3sk=list_sk,
    )
    if sales_rep_id:
        item.gsi4pk = keys.orders_of_rep(tenant, sales_rep_id)
        item.gsi4sk = list_sk
    return item


def _pages(order: Order) -> dict[str, str]:
    chunks = [order.lines[i : i + LINES_PER_PAGE] for i in range(0, len(order.lines), LINES_PER_PAGE)]
    return {
        keys.order_lines(n): json.dumps([line_to_json(line) for line in chunk], sort_keys=True)
        for n, chunk in enumerate(chunks)
    }


def _order_from_items(tenant: str, items: list[BaseItem]) -> Loaded | None:
    header = next((i for i in items if isinstance(i, OrderItem)), None)
    if header is None:
        return None
    pages = sorted((i for i in items if isinstance(i, OrderLinesItem)), key=lambda i: i.sk)
    lines = [line_from_json(d) for page in pages for d in page.lines]
    history = sorted((i for i in items if isinstance(i, OrderHistoryItem)), key=lambda i: i.sk)
    revisions = sorted((i for i in items if isinstance(i, OrderRevisionItem)), key=lambda i: i.sk)
    documents = [i for i in items if isinstance(i, OrderDocumentItem)]
    h = header.header or {}
    order = Order(
        id=header.id,
        tenant=tenant,
        number=header.number,
        customer_id=header.customer_id,
        customer_name=header.customer_name,
        site_id=header.site_id,
        source=header.source,
        created_by=header.created_by,
        currency=header.currency,
        status=OrderStatus(header.status),
        invoice_status=header.invoice_status,
        payment_status=header.payment_status,
        submitted_by=header.submitted_by,
        customer_reference=h.get("customer_reference"),
        requested_delivery_date=_date(h.get("requested_delivery_date")),
        delivery_address=h.get("delivery_address"),
        delivery_method=h.get("delivery_method"),
        billing_address=h.get("billing_address"),
        payment_method=h.get("payment_method"),
        notes=h.get("notes"),
        customer_path=list(h.get("customer_path_order") or sorted(header.customer_path or {header.customer_id})),
        lines=lines,
        proposal=ProposalInfo(**header.proposal) if header.proposal else None,
        revisions=[Revision(**r.revision) for r in revisions],
        documents=sorted((_doc_from_json(d.document) for d in documents), key=lambda d: d.recorded_at),
        history=[HistoryEntry(**e.entry) for e in history],
        budget=Counted(**h["budget"]) if h.get("budget") else None,
        created_at=header.created_at,
        updated_at=header.updated_at,
        version=header.version or 0,
    )
    return Loaded(
        order=order,
        sales_rep_id=header.sales_rep_id,
        status_read=order.status,
        pages={p.sk: (json.dumps(p.lines, sort_keys=True), p.version or 0) for p in pages},
        revisions={r.revision["revision"]: (json.dumps(r.revision, sort_keys=True), r.version or 0) for r in revisions},
        document_ids={d.document["id"] for d in documents},
        history_count=len(history),
    )


# --- reads ----------------------------------------------------------------------------------------
def load(tenant: str, order_id: str) -> Loaded | None:
    """One Query on the order's partition (a second page only past 1 MB, i.e. huge histories)."""
    items: list[BaseItem] = []
    last_key: dict[str, Any] | None = None
    while True:
        result = BaseItem.query(keys.order_pk(tenant, order_id), last_evaluated_key=last_key)
        items.extend(result)
        last_key = result.last_evaluated_key
        if not last_key:
            break
    return _order_from_items(tenant, items)


MAX_PAGES = 10  # MAX_LINES / LINES_PER_PAGE: every line page an order can have


def source_keys(tenant: str, order_id: str) -> list[tuple[str, str]]:
    """The keys of what a copy of the order needs (header and every possible line page), to read with
    other keys in one BatchGet (a reorder): 11 keys, most of the pages missing."""
    pk = keys.order_pk(tenant, order_id)
    return [(pk, keys.ORDER_HEADER), *((pk, keys.order_lines(n)) for n in range(MAX_PAGES))]


def from_source_items(tenant: str, order_id: str, found: dict[tuple[str, str], BaseItem]) -> Loaded | None:
    """The order read by `source_keys`: lines, header fields and copies, without history, revisions or
    documents (for reading only, never to save). None if it does not exist or its pages are not all there."""
    pk = keys.order_pk(tenant, order_id)
    items = [item for (item_pk, _), item in found.items() if item_pk == pk]
    header = next((i for i in items if isinstance(i, OrderItem)), None)
    if header is None or sum(isinstance(i, OrderLinesItem) for i in items) != int(header.page_count or 0):
        return None
    return _order_from_items(tenant, items)


@dataclass
class OrderSummary:
    """What a list shows of an order, straight from the header item (no line pages read)."""

    id: str
    number: str
    status: str
    invoice_status: str
    payment_status: str
    source: str
    customer_id: str
    customer_name: str
    created_by: str
    submitted_by: str | None
    currency: str
    totals: dict[str, str]
    line_count: int
    created_at: str
    updated_at: str
    customer_reference: str | None
    requested_delivery_date: str | None
    sales_rep_id: str | None = None


def _summary(item: OrderItem) -> OrderSummary:
    h = item.header or {}
    return OrderSummary(
        id=item.id,
        number=item.number,
        status=item.status,
        invoice_status=item.invoice_status,
        payment_status=item.payment_status,
        source=item.source,
        customer_id=item.customer_id,
        customer_name=item.customer_name,
        created_by=item.created_by,
        submitted_by=item.submitted_by,
        currency=item.currency,
        totals=dict(item.totals or {}),
        line_count=int(item.line_count or 0),
        created_at=item.created_at,
        updated_at=item.updated_at,
        customer_reference=h.get("customer_reference"),
        requested_delivery_date=h.get("requested_delivery_date"),
        sales_rep_id=item.sales_rep_id,
    )


def _approval_entries(tenant: str, order: Order, header: OrderItem) -> list[ApprovalEntryItem]:
    """The order's entries in the approval lists of the customers on its path."""
    summary = {k: v for k, v in dataclasses.asdict(_summary(header)).items()}
    sk = keys.order_list_sk(order.created_at, order.id)
    return [
        ApprovalEntryItem(keys.approvals(tenant, cid), sk, order_id=order.id, summary=summary)
        for cid in dict.fromkeys(order.customer_path or [order.customer_id])
    ]


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
    return page_from((_summary(i) for i in result), lambda: result.last_evaluated_key)


# --- writes ---------------------------------------------------------------------------------------
def next_number(tenant: str) -> int:
    counter = CounterItem(*keys.order_counter(tenant))
    counter.update(actions=[CounterItem.value.add(1)], add_version_condition=False)
    return int(counter.value)


class BudgetExceededError(Exception):
    """A budget move's condition failed: the month was spent meanwhile. Read again and decide again."""


class NumberTakenError(Exception):
    """Another order took the order number read for this one: read the counter again."""


def site_exists(tenant: str, site_id: str) -> Check:
    return Check(SiteItem, keys.site(tenant, site_id), SiteItem.pk.exists(), lambda: NotFoundError("site"))


def _event_item(
    tenant: str, order: Order, sales_rep_id: str | None, event: OrderEvent, actor_kind: str
) -> OrderEventItem:
    """An event as stored: the order's facts that e-mails need beside the event's own data."""
    return OrderEventItem(
        keys.order_events_pk(tenant, event.occurred_at[:10]),
        event.id,
        id=event.id,
        event_type=event.type.value,
        occurred_at=event.occurred_at,
        order_id=order.id,
        order_number=order.number,
        customer_id=order.customer_id,
        actor={"id": event.by, "kind": actor_kind},
        data={**event.data, "version": order.version},
        order={
            "source": order.source,
            "customer_name": order.customer_name,
            "customer_path": list(order.customer_path or [order.customer_id]),
            "sales_rep_id": sales_rep_id,
            "created_by": order.created_by,
            "submitted_by": order.submitted_by,
            "currency": order.currency,
            "customer_reference": order.customer_reference,
        },
        expires_at=datetime.fromisoformat(event.occurred_at.replace("Z", "+00:00")) + timedelta(days=EVENT_DAYS),
    )


def save(
    tenant: str,
    loaded: Loaded | None,
    order: Order,
    sales_rep_id: str | None,
    *,
    actor_kind: str,
    budget: Sequence[BudgetMove] = (),
    budget_limits: dict[str, int] | None = None,
    checks: Sequence[Check] = (),
    number: int | None = None,
) -> Order:
    """Write the order: header conditional on the loaded version, plus only the items that changed, and
    the events the action recorded (`order.events`, cleared once written). Raises VersionMismatchError
    when someone else saved first (nothing is written then).

    In the same transaction: the budget moves (`budget_limits`: month → the budget in cents that a move
    adding to that month must stay within, else BudgetExceededError), the order counter set to `number` if it
    still holds `number - 1` (a new order), and `checks` on what the action relied on; a failed one
    raises its own error."""
    pk = keys.order_pk(tenant, order.id)
    read_version = loaded.order.version if loaded else 0
    order.version = read_version + 1  # what this write makes it: the events carry it
    pages = _pages(order)
    old_pages = loaded.pages if loaded else {}
    old_history = loaded.history_count if loaded else 0
    header = _header_item(tenant, order, sales_rep_id, len(pages), len(order.history))
    if loaded is not None:
        header.version = read_version
    # Every item carries a version: a rewritten page or revision is conditional on the version
    # read, a new one on not existing yet. The header's condition alone would do; these cost nothing.
    puts: list[BaseItem] = []
    deletes: list[BaseItem] = []
    for sk, body in pages.items():
        old_body, old_version = old_pages.get(sk, ("", 0))
        if old_body != body:
            page = OrderLinesItem(pk, sk, lines=json.loads(body))
            if old_version:
                page.version = old_version
            puts.append(page)
    deletes += [OrderLinesItem(pk, sk) for sk in old_pages.keys() - pages.keys()]
    for seq, entry in enumerate(order.history[old_history:], start=old_history):
        puts.append(OrderHistoryItem(pk, keys.order_history(seq), entry=dataclasses.asdict(entry)))
    old_revisions = loaded.revisions if loaded else {}
    for rev in order.revisions:
        body = json.dumps(dataclasses.asdict(rev), sort_keys=True)
        old_body, old_version = old_revisions.get(rev.revision, ("", 0))
        if old_body != body:
            item = OrderRevisionItem(pk, keys.order_revision(rev.revision), revision=json.loads(body))
            if old_version:
                item.version = old_version
            puts.append(item)
    known_docs = loaded.document_ids if loaded else set()
    puts += [
        OrderDocumentItem(pk, keys.order_document(doc.id), document=_doc_to_json(doc))
        for doc in order.documents
        if doc.id not in known_docs
    ]
    puts += [_event_item(tenant, order, sales_rep_id, event, actor_kind) for event in order.events]
    was_waiting = loaded is not None and loaded.status_read == OrderStatus.PENDING_APPROVAL
    waits = order.status == OrderStatus.PENDING_APPROVAL
    if waits and not was_waiting:
        puts += _approval_entries(tenant, order, header)
    elif was_waiting and not waits:
        deletes += _approval_entries(tenant, order, header)
    # The request's Idempotency-Key, claimed in this same transaction (storage/idempotency.py), with the
    # response the route will give if it says how to build it: the order as this write leaves it.
    claim = idempotency.pending()
    if claim is not None and claim.respond is not None:
        claim.answer = claim.respond(order)
    # PynamoDB sends a transaction's items grouped by kind (condition checks, deletes, puts, updates),
    # and cancellation reasons come back in that order: where each item ends up.
    header_at = len(checks) + len(deletes)
    updates_at = header_at + 1 + len(puts)
    claim_at = updates_at if claim is not None else -1
    budget_at = {updates_at + (claim is not None) + i: move for i, move in enumerate(budget)}
    number_at = updates_at + (claim is not None) + len(budget) if number is not None else -1
    try:
        with transaction() as tx:
            tx.save(header)  # version condition: attribute_not_exists on create, equality on update
            for put in puts:
                tx.save(put)
            for gone in deletes:
                tx.delete(gone, add_version_condition=False)
            if claim is not None:
                idempotency.put_claim(tx, claim)  # the first update: before the budget and the counter
            for move in budget:
                limit = (budget_limits or {}).get(move.month)
                _add_budget(tx, tenant, move, limit - move.cents if limit is not None and move.cents > 0 else None)
            if number is not None:
                _claim_number(tx, tenant, number)
            add_checks(tx, checks)
    except TransactWriteError as exc:
        order.version = read_version
        codes = cancellation_codes(exc)
        failed = {i for i, code in enumerate(codes) if code == "ConditionalCheckFailed"}
        if claim_at in failed:
            raise idempotency.ClaimedError() from exc  # a replay: whatever else failed, nothing to redo
        if failed and failed <= set(budget_at):
            raise BudgetExceededError() from exc
        if failed and failed <= {number_at}:
            raise NumberTakenError() from exc
        check = failed_check(exc, checks)
        if check is not None and header_at not in failed:
            raise check.fails_with() from exc
        # Every other condition is a version (header, pages, revisions) or "not written yet" (history,
        # documents, events): whichever fails, someone else saved this order first.
        if any(c in ("ConditionalCheckFailed", "TransactionConflict") for c in codes):
            raise VersionMismatchError() from exc
        raise
    if claim is not None:
        claim.written = True
    order.events.clear()
    return order


def _claim_number(tx: Any, tenant: str, number: int) -> None:
    """The order counter moves from number - 1 to number, or the transaction fails (NumberTakenError).
    An update writes no discriminator by itself: set it, so the counter reads back as a CounterItem."""
    counter = CounterItem(*keys.order_counter(tenant))
    read = CounterItem.value.does_not_exist() if number == 1 else CounterItem.value == number - 1
    actions = [CounterItem.value.set(number), CounterItem.type.set(CounterItem)]
    tx.update(counter, actions=actions, condition=read, add_version_condition=False)


def counter_value(tenant: str) -> int:
    """The last order number handed out, read on its own (a counter written before it carried its type)."""
    try:
        return int(CounterItem.get(*keys.order_counter(tenant)).value or 0)
    except CounterItem.DoesNotExist:
        return 0


def bulk_load(tenant: str, orders: list[tuple[Order, str | None]]) -> None:
    """Write new orders (with their sales rep) as BatchWriteItem, without conditions: for loading
    volume only (the benchmark's 10,000 orders), never for a request."""
    with BaseItem.batch_write() as batch:
        for order, sales_rep_id in orders:
            pk = keys.order_pk(tenant, order.id)
            pages = _pages(order)
            header = _header_item(tenant, order, sales_rep_id, len(pages), len(order.history))
            items: list[BaseItem] = [header]
            items += [OrderLinesItem(pk, sk, lines=json.loads(body)) for sk, body in pages.items()]
            items += [
                OrderHistoryItem(pk, keys.order_history(n), entry=dataclasses.asdict(entry))
                for n, entry in enumerate(order.history)
            ]
            if order.status == OrderStatus.PENDING_APPROVAL:
                items += _approval_entries(tenant, order, header)
            for item in items:
                item.version = 1
                batch.save(item)
            order.version = 1


def _add_budget(tx: Any, tenant: str, move: BudgetMove, room: int | None) -> None:
    """Add a move to its month's counter; with `room`, only if no more than that was spent before."""
    item = BudgetItem(*keys.budget(tenant, move.customer_id, move.month))
    condition = None
    if room is not None:
        condition = BudgetItem.spent_cents <= room
        if room >= 0:  # nothing spent yet is room enough only if the room is not negative
            condition = BudgetItem.spent_cents.does_not_exist() | condition
    # An update writes no discriminator by itself: set it, so the counter reads back as a BudgetItem.
    actions = [BudgetItem.spent_cents.add(move.cents), BudgetItem.type.set(BudgetItem)]
    tx.update(item, actions=actions, condition=condition, add_version_condition=False)


def add_message(
    tenant: str, order: Order, sales_rep_id: str | None, message: OrderMessageItem, actor_kind: str
) -> None:
    """The message and its event (`order.events`), in one transaction; the order itself is unchanged."""
    with transaction() as tx:
        tx.save(message)
        for event in order.events:
            tx.save(_event_item(tenant, order, sales_rep_id, event, actor_kind))
    order.events.clear()


def list_messages(tenant: str, order_id: str, limit: int, cursor: str | None) -> Page[OrderMessageItem]:
    pk = keys.order_messages_pk(tenant, order_id)
    result = OrderMessageItem.query(
        pk,
        limit=limit,
        page_size=limit,
        last_evaluated_key=decode_cursor(cursor, partition_attr="pk", partition_value=pk),
    )
    return page_from(iter(result), lambda: result.last_evaluated_key)
