"""Orders in the single table: the header, line pages, history, revisions and documents of one order
share a partition; the whole aggregate is loaded with one Query and saved with one transaction that
is conditional on the header's version (so a stale writer changes nothing)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition

from chalicelib.domain.errors import VersionMismatchError
from chalicelib.domain.orders import (
    Document,
    HistoryEntry,
    Line,
    Order,
    OrderStatus,
    ProposalInfo,
    Proposed,
    Revision,
)
from chalicelib.storage import keys
from chalicelib.storage.items import (
    BaseItem,
    BudgetItem,
    CounterItem,
    OrderDocumentItem,
    OrderHistoryItem,
    OrderItem,
    OrderLinesItem,
    OrderMessageItem,
    OrderRevisionItem,
)
from chalicelib.storage.paging import Page, decode_cursor, page_from
from chalicelib.storage.table import cancellation_codes, transaction

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


@dataclass
class BudgetChange:
    """Cents to add to a customer's month; `limit_cents` makes the write fail if it would overrun."""

    customer_id: str
    month: str
    delta_cents: int
    limit_cents: int | None = None


@dataclass
class Loaded:
    """An order as read, plus what is needed to write back only what changed."""

    order: Order
    sales_rep_id: str | None
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
        created_at=header.created_at,
        updated_at=header.updated_at,
        version=header.version or 0,
    )
    return Loaded(
        order=order,
        sales_rep_id=header.sales_rep_id,
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
    sk_attr = getattr(OrderItem, f"{index}sk")
    range_condition = None
    if created_from and created_to:
        range_condition = sk_attr.between(created_from, created_to + "~")
    elif created_from:
        range_condition = sk_attr >= created_from
    elif created_to:
        range_condition = sk_attr < created_to + "~"
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


def budget_spent_cents(tenant: str, customer_id: str, month: str) -> int:
    try:
        return int(BudgetItem.get(*keys.budget(tenant, customer_id, month)).spent_cents or 0)
    except BudgetItem.DoesNotExist:
        return 0


class BudgetExceededError(Exception):
    """The budget condition failed: another order used the budget first."""


def save(
    tenant: str, loaded: Loaded | None, order: Order, sales_rep_id: str | None, budget: BudgetChange | None = None
) -> Order:
    """Write the order: header conditional on the loaded version, plus only the items that changed.
    Raises VersionMismatchError when someone else saved first (nothing is written then)."""
    pk = keys.order_pk(tenant, order.id)
    pages = _pages(order)
    old_pages = loaded.pages if loaded else {}
    old_history = loaded.history_count if loaded else 0
    header = _header_item(tenant, order, sales_rep_id, len(pages), len(order.history))
    if loaded is not None:
        header.version = loaded.order.version
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
    try:
        with transaction() as tx:
            tx.save(header)  # version condition: attribute_not_exists on create, equality on update
            for put in puts:
                tx.save(put)
            for gone in deletes:
                tx.delete(gone, add_version_condition=False)
            if budget is not None:
                _add_budget(tx, tenant, budget)
    except TransactWriteError as exc:
        codes = cancellation_codes(exc)
        if (
            budget is not None
            and codes
            and codes[-1] == "ConditionalCheckFailed"
            and codes.count("ConditionalCheckFailed") == 1
        ):
            raise BudgetExceededError() from exc
        # Every other condition is a version (header, pages, revisions) or "not written yet"
        # (history, documents): whichever fails, someone else saved this order first.
        if any(c in ("ConditionalCheckFailed", "TransactionConflict") for c in codes):
            raise VersionMismatchError() from exc
        raise
    order.version = (loaded.order.version if loaded else 0) + 1
    return order


def _add_budget(tx: Any, tenant: str, change: BudgetChange) -> None:
    item = BudgetItem(*keys.budget(tenant, change.customer_id, change.month))
    condition = None
    if change.limit_cents is not None:
        room = change.limit_cents - change.delta_cents
        condition = BudgetItem.spent_cents.does_not_exist() | (BudgetItem.spent_cents <= room)
    tx.update(
        item, actions=[BudgetItem.spent_cents.add(change.delta_cents)], condition=condition, add_version_condition=False
    )


def add_message(tenant: str, order_id: str, message: OrderMessageItem) -> None:
    message.save(add_version_condition=False)


def list_messages(tenant: str, order_id: str, limit: int, cursor: str | None) -> Page[OrderMessageItem]:
    pk = keys.order_messages_pk(tenant, order_id)
    result = OrderMessageItem.query(
        pk,
        limit=limit,
        page_size=limit,
        last_evaluated_key=decode_cursor(cursor, partition_attr="pk", partition_value=pk),
    )
    return page_from(iter(result), lambda: result.last_evaluated_key)


# --- reads for the stream handler -----------------------------------------------------------------
def header_item(tenant: str, order_id: str) -> OrderItem | None:
    """The order header as stored now (documents and messages name their order, not its header)."""
    try:
        return OrderItem.get(keys.order_pk(tenant, order_id), keys.ORDER_HEADER, consistent_read=True)
    except OrderItem.DoesNotExist:
        return None


def history_entries(tenant: str, order_id: str, first: int, stop: int) -> list[HistoryEntry]:
    """History entries `first` .. `stop - 1`: those one save wrote, given the header's history_count
    before and after it. Entries are written with the header in one transaction and never change, so
    by the time a stream record of that header exists they can be read."""
    if stop <= first:
        return []
    items = OrderHistoryItem.query(
        keys.order_pk(tenant, order_id),
        OrderHistoryItem.sk.between(keys.order_history(first), keys.order_history(stop - 1)),
        consistent_read=True,
    )
    return [HistoryEntry(**item.entry) for item in items]
