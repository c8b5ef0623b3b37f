"""Orders → response models."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chalicelib.api.schemas.orders import (
    CreditNoteOut,
    InvoiceOut,
    LineOut,
    MessageOut,
    OrderOut,
    OrderSummaryOut,
    PaymentOut,
    ShipmentLineOut,
    ShipmentOut,
)
from chalicelib.domain import authority
from chalicelib.domain.accounts import Balance
from chalicelib.domain.clock import utcnow
from chalicelib.domain.orders import Document, Line, Order, Revision
from chalicelib.services.order_visibility import view

if TYPE_CHECKING:
    from chalicelib.domain.order_summary import OrderSummary
    from chalicelib.domain.orders import Message


def line_out(line: Line, backordered: Decimal) -> LineOut:
    return LineOut(
        id=line.id,
        product_id=line.product_id,
        sku=line.sku,
        name=line.name,
        quantity=line.quantity,
        unit_price=line.unit_price,
        tax_rate=str(line.tax_rate),
        net=line.net,
        requested_delivery_date=line.requested_delivery_date,
        confirmed_delivery_date=line.confirmed_delivery_date,
        shipped_quantity=line.shipped_quantity,
        backordered=backordered,
        proposed=dataclasses.asdict(line.proposed) if line.proposed else None,  # type: ignore[arg-type]
    )


def _decimal(value: Any) -> Decimal:
    """The domain keeps document and revision quantities as text ("12"); the API shows JSON numbers."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _maybe_decimal(value: Any) -> Decimal | None:
    return None if value is None else _decimal(value)


def revision_out(r: Revision) -> dict[str, Any]:
    data = dataclasses.asdict(r)
    data["lines"] = [
        {
            **line,
            "requested_quantity": _maybe_decimal(line.get("requested_quantity")),
            "quantity": _maybe_decimal(line.get("quantity")),
        }
        for line in r.lines
    ]
    return data


def shipment_out(d: Document) -> ShipmentOut:
    return ShipmentOut(
        id=d.id,
        date=d.date,
        document_number=d.number,
        carrier=d.carrier,
        tracking_number=d.tracking_number,
        lines=[ShipmentLineOut(id=str(line["id"]), quantity=_decimal(line["quantity"])) for line in d.lines],
        recorded_by=d.recorded_by,
        recorded_at=d.recorded_at,
    )


def invoice_out(d: Document, b: Balance) -> InvoiceOut:
    share = b.invoice(d.id)
    amount = d.amount or Decimal(0)
    return InvoiceOut(
        id=d.id,
        date=d.date,
        number=d.number,
        amount=amount,
        due_date=d.due_date,
        credited=share.credited if share else Decimal(0),
        paid=share.paid if share else Decimal(0),
        outstanding=share.outstanding if share else amount,
        overdue=share.overdue if share else False,
        recorded_by=d.recorded_by,
        recorded_at=d.recorded_at,
    )


def credit_note_out(d: Document) -> CreditNoteOut:
    return CreditNoteOut(
        id=d.id,
        date=d.date,
        number=d.number,
        amount=d.amount or Decimal(0),
        reason=d.reason,
        recorded_by=d.recorded_by,
        recorded_at=d.recorded_at,
    )


def payment_out(d: Document) -> PaymentOut:
    return PaymentOut(
        id=d.id,
        date=d.date,
        reference=d.number,
        amount=d.amount or Decimal(0),
        recorded_by=d.recorded_by,
        recorded_at=d.recorded_at,
    )


def waiting_out(o: Order, w: authority.WaitingOn | None = None) -> dict[str, Any]:
    """`waiting_on` (API.md): `w` as GET /orders/{id} found it, with people; else from the order alone."""
    if w is None:
        w = authority.waiting_on(view(o), [])
    return {
        "kind": w.kind.value if w.kind else None,
        "reasons": [{"code": r.code, "message": reason_message(r, o.currency), **r.amounts} for r in w.reasons],
        "people": [{"id": p.user_id, "name": p.name} for p in w.people],
    }


SUPPLIER_REASONS = {
    "credit_hold": "The order is on credit hold: the customer's outstanding invoices and this order are over "
    "their credit limit, until the supplier releases it or payments bring it within the limit.",
}


def reason_message(r: authority.Reason, currency: str) -> str:
    """One sentence per reason: the action page's for approval reasons (one wording everywhere)."""
    from chalicelib.api.action_page import reason_sentence

    if r.code in SUPPLIER_REASONS:
        return SUPPLIER_REASONS[r.code]
    return reason_sentence({"code": r.code, **r.amounts}, currency)


def order_data(o: Order, waiting: authority.WaitingOn | None = None) -> dict[str, Any]:
    t = o.totals
    b = o.balance(utcnow().date())  # overdue is as of today (UTC)
    return {
        "id": o.id,
        "number": o.number,
        "status": o.status.value,
        "invoice_status": o.invoice_status,
        "payment_status": o.payment_status,
        "credit_hold": o.credit_hold,
        "source": o.source,
        "customer_id": o.customer_id,
        "customer_name": o.customer_name,
        "site_id": o.site_id,
        "created_by": o.created_by,
        "submitted_by": o.submitted_by,
        "customer_reference": o.customer_reference,
        "supplier_reference": o.supplier_reference,
        "requested_delivery_date": o.requested_delivery_date,
        "delivery_address": o.delivery_address,
        "delivery_method": o.delivery_method,
        "billing_address": o.billing_address,
        "payment_method": o.payment_method,
        "notes": o.notes,
        "currency": o.currency,
        "totals": {"net": t.net, "tax": t.tax, "gross": t.gross},
        "version": o.version,
        "lines": [line_out(line, o.backordered(line)) for line in o.lines],
        "proposal": proposal_out(o),
        "revisions": [revision_out(r) for r in o.revisions],
        "shipments": [shipment_out(d) for d in o.documents_of("shipment")],
        "invoices": [invoice_out(d, b) for d in o.documents_of("invoice")],
        "credit_notes": [credit_note_out(d) for d in o.documents_of("credit_note")],
        "payments": [payment_out(d) for d in o.documents_of("payment")],
        "balance": {
            "invoiced": b.invoiced,
            "credited": b.credited,
            "paid": b.paid,
            "outstanding": b.outstanding,
            "overdue": b.overdue,
            "prepaid": b.prepaid,
        },
        "history": [dataclasses.asdict(h) for h in o.history],
        "created_at": o.created_at,
        "updated_at": o.updated_at,
        "waiting_on": waiting_out(o, waiting),
    }


def order_out(o: Order, waiting: authority.WaitingOn | None = None) -> OrderOut:
    return OrderOut.model_validate(order_data(o, waiting))


def summary_out(s: OrderSummary) -> OrderSummaryOut:
    return OrderSummaryOut.model_validate(dataclasses.asdict(s))


def message_out(m: Message) -> MessageOut:
    return MessageOut.model_validate(dataclasses.asdict(m))


def proposal_out(o: Order) -> dict[str, Any] | None:
    """The open proposal, with what the order would become if accepted (API.md: `totals` stay the agreed)."""
    if o.proposal is None:
        return None
    t = o.proposed_totals()
    return {**dataclasses.asdict(o.proposal), "totals": {"net": t.net, "tax": t.tax, "gross": t.gross}}
