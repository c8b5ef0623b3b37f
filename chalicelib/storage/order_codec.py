"""How an order is stored: the Order aggregate as items of its partition and back (header, line pages
of 100 lines, history entries, revisions, documents), and the header's summary that lists show.
Pure mapping: no reads, no writes."""

from __future__ import annotations

import dataclasses
import json
import zlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from chalicelib.domain.authority import OrderView
from chalicelib.domain.budget import Counted
from chalicelib.domain.clock import now_iso
from chalicelib.domain.order_summary import OrderSummary, summary_of
from chalicelib.domain.orders import (
    Attachment,
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
    ApprovalEntryItem,
    BaseItem,
    OrderDocumentItem,
    OrderFileItem,
    OrderHistoryItem,
    OrderItem,
    OrderLinesItem,
    OrderRevisionItem,
)

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
class Loaded:
    """An order as read, plus what is needed to write back only what changed."""

    order: Order
    sales_rep_id: str | None
    status_read: OrderStatus | None = None  # `order` is changed in place: the status it was read in
    supplier_reference_read: str | None = None  # and the supplier's reference it had (its list entry)
    pages: dict[str, tuple[str, int]] = field(default_factory=dict)  # sk → (lines JSON, item version)
    revisions: dict[int, tuple[str, int]] = field(default_factory=dict)
    document_ids: set[str] = field(default_factory=set)
    files: dict[str, tuple[str, int]] = field(default_factory=dict)  # file id → (JSON, item version)
    history_count: int = 0
    due_read: str | None = None  # the approval reminder's due time as read (storage moves its index item)


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


def doc_to_json(doc: Document) -> dict[str, Any]:
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


def file_to_json(a: Attachment) -> dict[str, Any]:
    return dataclasses.asdict(a)


def _live_files(items: list[OrderFileItem]) -> list[OrderFileItem]:
    """DynamoDB deletes an expired item within a day or two of its TTL, not at once: a pending file past
    its expiry is gone already for the order."""
    now = now_iso()
    return [i for i in items if not (i.file.get("expires_at") and i.file["expires_at"] <= now)]


def header_item(tenant: str, order: Order, sales_rep_id: str | None, page_count: int, history_count: int) -> OrderItem:
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
            "supplier_reference": order.supplier_reference,
            "budget": dataclasses.asdict(order.budget) if order.budget else None,
            "approval_reasons": order.approval_reasons or None,
            "acceptance_reasons": order.acceptance_reasons or None,
            "approval_due_at": order.approval_due_at,
            "approval_escalated": order.approval_escalated or None,
            "credit_hold": order.credit_hold or None,
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
    path = order.customer_path or [order.customer_id]
    item.gsi5pk, item.gsi5sk = keys.orders_of_org(tenant, path[-1]), list_sk
    if order.source == "staff":
        item.gsi6pk, item.gsi6sk = keys.orders_created_by(tenant, order.created_by), list_sk
    return item


def pages(order: Order) -> dict[str, str]:
    chunks = [order.lines[i : i + LINES_PER_PAGE] for i in range(0, len(order.lines), LINES_PER_PAGE)]
    return {
        keys.order_lines(n): json.dumps([line_to_json(line) for line in chunk], sort_keys=True)
        for n, chunk in enumerate(chunks)
    }


def revision_json(rev: Revision) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(json.dumps(dataclasses.asdict(rev), sort_keys=True))
    return result


def snapshot(tenant: str, order: Order, sales_rep_id: str | None) -> bytes:
    """The order as one value (its items as stored, compressed): what an order write keeps with an
    Idempotency-Key claimed in it, so that a replay answers the same order (`from_snapshot`)."""
    pk = keys.order_pk(tenant, order.id)
    bodies = pages(order)
    header = header_item(tenant, order, sales_rep_id, len(bodies), len(order.history))
    header.version = order.version
    items: list[BaseItem] = [header]
    items += [OrderLinesItem(pk, sk, lines=json.loads(body)) for sk, body in bodies.items()]
    items += [
        OrderHistoryItem(pk, keys.order_history(n), entry=dataclasses.asdict(e)) for n, e in enumerate(order.history)
    ]
    items += [
        OrderRevisionItem(pk, keys.order_revision(r.revision), revision=revision_json(r)) for r in order.revisions
    ]
    items += [OrderDocumentItem(pk, keys.order_document(d.id), document=doc_to_json(d)) for d in order.documents]
    items += [OrderFileItem(pk, keys.order_file(a.id), file=file_to_json(a)) for a in order.attachments]
    return zlib.compress(json.dumps([item.serialize() for item in items]).encode())


def from_snapshot(tenant: str, data: bytes) -> Order:
    loaded = order_from_items(tenant, [BaseItem.from_raw_data(raw) for raw in json.loads(zlib.decompress(data))])
    if loaded is None:
        raise ValueError("An order snapshot without its header.")
    return loaded.order


def order_from_items(tenant: str, items: list[BaseItem]) -> Loaded | None:
    header = next((i for i in items if isinstance(i, OrderItem)), None)
    if header is None:
        return None
    pages = sorted((i for i in items if isinstance(i, OrderLinesItem)), key=lambda i: i.sk)
    lines = [line_from_json(d) for page in pages for d in page.lines]
    history = sorted((i for i in items if isinstance(i, OrderHistoryItem)), key=lambda i: i.sk)
    revisions = sorted((i for i in items if isinstance(i, OrderRevisionItem)), key=lambda i: i.sk)
    documents = [i for i in items if isinstance(i, OrderDocumentItem)]
    files = _live_files(sorted((i for i in items if isinstance(i, OrderFileItem)), key=lambda i: i.sk))
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
        supplier_reference=h.get("supplier_reference"),
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
        attachments=sorted((Attachment(**f.file) for f in files), key=lambda a: a.id),
        history=[HistoryEntry(**e.entry) for e in history],
        budget=Counted(**h["budget"]) if h.get("budget") else None,
        approval_reasons=list(h.get("approval_reasons") or []),
        acceptance_reasons=list(h.get("acceptance_reasons") or []),
        approval_due_at=h.get("approval_due_at"),
        approval_escalated=bool(h.get("approval_escalated")),
        credit_hold=bool(h.get("credit_hold")),
        created_at=header.created_at,
        updated_at=header.updated_at,
        version=header.version or 0,
    )
    return Loaded(
        order=order,
        sales_rep_id=header.sales_rep_id,
        status_read=order.status,
        supplier_reference_read=order.supplier_reference,
        pages={p.sk: (json.dumps(p.lines, sort_keys=True), p.version or 0) for p in pages},
        revisions={r.revision["revision"]: (json.dumps(r.revision, sort_keys=True), r.version or 0) for r in revisions},
        document_ids={d.document["id"] for d in documents},
        files={f.file["id"]: (json.dumps(f.file, sort_keys=True), f.version or 0) for f in files},
        history_count=len(history),
        due_read=order.approval_due_at,
    )


def view_of(item: OrderItem) -> OrderView:
    """The header as the policy reads it (domain/authority.py), for a list to keep what the caller sees."""
    h = item.header or {}
    return OrderView(
        status=item.status,
        source=item.source,
        customer_id=item.customer_id,
        customer_path=tuple(h.get("customer_path_order") or sorted(item.customer_path or {item.customer_id})),
        created_by=item.created_by,
        submitted_by=item.submitted_by,
        rep_ids=frozenset({item.sales_rep_id} if item.sales_rep_id else ()),
        acceptance_reasons=tuple(h.get("acceptance_reasons") or ()),
        approval_reasons=tuple(h.get("approval_reasons") or ()),
    )


def summary(item: OrderItem) -> OrderSummary:
    """The summary decoded from a header item (a list reads no line pages); `summary_of` made it."""
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
        supplier_reference=h.get("supplier_reference"),
    )


def approval_entries(tenant: str, order: Order, sales_rep_id: str | None) -> list[ApprovalEntryItem]:
    """The order's entries in the approval lists of the customers on its path."""
    shown = dataclasses.asdict(summary_of(order, sales_rep_id))
    sk = keys.order_list_sk(order.created_at, order.id)
    return [
        ApprovalEntryItem(keys.approvals(tenant, cid), sk, order_id=order.id, summary=shown)
        for cid in dict.fromkeys(order.customer_path or [order.customer_id])
    ]
