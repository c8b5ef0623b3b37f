"""`GET /customers/{id}/statement`: what a customer owes and its invoices, newest first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib.api.http import PAGE, Ctx, endpoint, json_response
from chalicelib.api.schemas.statements import StatementInvoiceOut, StatementOut

if TYPE_CHECKING:
    from chalicelib.services.statements import Statement

bp = Blueprint(__name__)


def _out(s: Statement) -> StatementOut:
    invoices = [
        StatementInvoiceOut(
            order_id=line.order_id,
            order_number=line.order_number,
            number=line.number,
            date=line.date,
            due_date=line.due_date,
            amount=line.amount,
            credited=line.credited,
            paid=line.paid,
            outstanding=line.outstanding,
            overdue=line.overdue(s.today),
        )
        for line in s.lines.items
    ]
    return StatementOut(
        customer_id=s.customer_id,
        currency=s.currency,
        invoiced=s.ledger.invoiced,
        paid=s.ledger.paid,
        outstanding=s.ledger.outstanding,
        overdue=s.overdue,
        credit_limit=s.credit_limit,
        available_credit=s.available_credit,
        invoices=invoices,
        next_cursor=s.lines.next_cursor,
    )


@endpoint(
    bp,
    "/customers/{customer_id}/statement",
    "GET",
    summary="What the customer owes, and its invoices newest first (staff who see it, its own users)",
    response_model=StatementOut,
    tags=("customers",),
    query=PAGE,
)
def statement(ctx: Ctx, customer_id: str) -> Response:
    from chalicelib.domain.clock import utcnow
    from chalicelib.services import statements

    limit, cursor = ctx.page_args()
    return json_response(_out(statements.statement(ctx.principal, customer_id, limit, cursor, utcnow().date())))
