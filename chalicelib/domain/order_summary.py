"""What a list shows of an order: the one mapping of an Order to its summary. Storage keeps it in list
entries (approval lists, supplier references) and decodes it from header items; the API's
`OrderSummaryOut` has the same fields (tests/unit/test_order_summary.py keeps them equal)."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.orders import Order


@dataclass
class OrderSummary:
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
    supplier_reference: str | None = None


def summary_of(order: Order, sales_rep_id: str | None) -> OrderSummary:
    t = order.totals
    return OrderSummary(
        id=order.id,
        number=order.number,
        status=order.status.value,
        invoice_status=order.invoice_status,
        payment_status=order.payment_status,
        source=order.source,
        customer_id=order.customer_id,
        customer_name=order.customer_name,
        created_by=order.created_by,
        submitted_by=order.submitted_by,
        currency=order.currency,
        totals={"net": str(t.net), "tax": str(t.tax), "gross": str(t.gross)},
        line_count=len(order.lines),
        created_at=order.created_at,
        updated_at=order.updated_at,
        customer_reference=order.customer_reference,
        requested_delivery_date=order.requested_delivery_date.isoformat() if order.requested_delivery_date else None,
        sales_rep_id=sales_rep_id,
        supplier_reference=order.supplier_reference,
    )
