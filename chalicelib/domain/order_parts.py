"""The values an order is made of (lines, totals, history entries, proposals and their revisions, the
shipments, invoices and payments recorded on it, its files, events and messages) and their JSON shapes in
events. The aggregate that holds them and its lifecycle: domain/orders.py."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date as Date
from decimal import Decimal
from typing import Any

from chalicelib.domain.clock import now_iso
from chalicelib.domain.ids import new_id
from chalicelib.domain.money import line_net, line_tax, money
from chalicelib.domain.order_states import EventType, NoticeType


@dataclass
class Proposed:
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    confirmed_delivery_date: Date | None = None
    removed: bool = False
    added: bool = False  # a line the supplier proposes to add: dropped again if the customer declines


@dataclass
class Line:
    id: str
    product_id: str
    sku: str
    name: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    requested_delivery_date: Date | None = None
    confirmed_delivery_date: Date | None = None
    shipped_quantity: Decimal = Decimal("0")
    proposed: Proposed | None = None

    @property
    def net(self) -> Decimal:
        return line_net(self.quantity, self.unit_price)

    @property
    def tax(self) -> Decimal:
        return line_tax(self.net, self.tax_rate)

    @property
    def outstanding(self) -> Decimal:
        return max(self.quantity - self.shipped_quantity, Decimal("0"))


@dataclass
class Totals:
    net: Decimal
    tax: Decimal
    gross: Decimal


@dataclass
class HistoryEntry:
    at: str
    by: str
    action: str
    from_status: str | None
    to_status: str
    note: str | None = None
    changes: list[str] = field(default_factory=list)
    by_name: str | None = None  # the actor's display name, so that everyone reading the history can tell
    on_behalf_of: str | None = None  # a delegate's decision: the approver they stood in for


@dataclass
class ProposalInfo:
    revision: int
    note: str | None
    proposed_by: str
    proposed_at: str


@dataclass
class Document:
    """A shipment, invoice, credit note or payment recorded on the order."""

    id: str
    kind: str  # shipment | invoice | credit_note | payment
    date: Date
    number: str  # document number, invoice number or payment reference
    amount: Decimal | None = None
    due_date: Date | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    lines: list[dict[str, Any]] = field(default_factory=list)  # shipments: [{"id", "quantity"}]
    reason: str | None = None  # credit notes: why
    recorded_by: str = ""
    recorded_at: str = ""


# Files attached to an order (API.md "Order documents"). Called documents in the API; `Attachment` here
# because `Document` already names the shipments, invoices and payments recorded on the order. Their
# limits live in domain/attachments.py (app.py's schemas import them without this module).


@dataclass
class Attachment:
    """A file on the order: declared first (pending), available once its object has arrived in S3."""

    id: str
    filename: str  # the uploader's name for it: shown and offered on download, never part of the S3 key
    content_type: str
    size: int
    kind: str
    visible_to_customer: bool
    uploaded_by: str
    uploader_kind: str  # staff | customer: customers' own files are always visible to them
    uploaded_at: str  # declared at; once available, when it arrived
    status: str = "pending"  # pending | available
    shipment_id: str | None = None
    invoice_id: str | None = None
    expires_at: str | None = None  # a pending file is forgotten after this (TTL); None once available
    # The object version that arrived first: the bytes every download serves (a later upload through the
    # same form is never served).
    version_id: str | None = None


@dataclass
class Revision:
    """Every proposal is kept: what the supplier proposed, per line, and how it ended."""

    revision: int
    note: str | None
    proposed_by: str
    proposed_at: str
    lines: list[dict[str, Any]]
    outcome: str = "open"  # open | accepted | declined | cancelled


@dataclass
class OrderEvent:
    """Something that happened to the order, recorded by the action that did it and saved in the same
    transaction as the order (never sent from here). `data` holds the action's details (reason,
    document, what an approver trimmed...); the write adds the order as the action left it (status,
    sub-statuses, totals, the version it reaches: `Order.event_data`)."""

    id: str
    type: EventType | NoticeType
    by: str
    occurred_at: str
    data: dict[str, Any]


@dataclass
class Message:
    """A message on an order's shared conversation."""

    id: str
    author_id: str
    author_kind: str
    body: str
    created_at: str
    author_name: str | None = None  # as it was when posted: the other side cannot look staff ids up


def new_line(
    product_id: str,
    sku: str,
    name: str,
    quantity: Decimal,
    unit_price: Decimal,
    tax_rate: Decimal,
    requested_delivery_date: Date | None = None,
) -> Line:
    return Line(new_id(), product_id, sku, name, quantity, unit_price, tax_rate, requested_delivery_date)


def new_document(kind: str, by: str, **fields: Any) -> Document:
    return Document(id=new_id(), kind=kind, recorded_by=by, recorded_at=now_iso(), **fields)


# --- their JSON shapes (dates and amounts as strings), as events carry them ------------------------------
def document_json(doc: Document) -> dict[str, Any]:
    """A document as JSON values (dates and amounts as strings): for events and storage alike."""
    out: dict[str, Any] = {}
    for key, value in dataclasses.asdict(doc).items():
        out[key] = value.isoformat() if isinstance(value, Date) else str(value) if isinstance(value, Decimal) else value
    return out


def attachment_json(a: Attachment) -> dict[str, Any]:
    """A file as the event feed and the e-mails see it (no expiry: an event is about an available file)."""
    data = dataclasses.asdict(a)
    data.pop("expires_at", None)
    data.pop("version_id", None)  # where the bytes are stored: nobody's business outside the order
    return data


def shipped_json(line: Line, quantity: Decimal) -> dict[str, str]:
    return {"id": line.id, "sku": line.sku, "name": line.name, "quantity": str(quantity)}


def line_json(line: Line) -> dict[str, str]:
    return {
        "sku": line.sku,
        "name": line.name,
        "quantity": str(line.quantity),
        "unit_price": str(line.unit_price),
        "net": str(money(line.net)),
    }
