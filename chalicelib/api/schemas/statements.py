"""A customer's statement (API.md "Money: invoices, payments, statements, credit")."""

from datetime import date as Date

from chalicelib.api.schemas.common import Money, ResponseModel


class StatementInvoiceOut(ResponseModel):
    order_id: str
    order_number: str
    number: str
    date: Date
    due_date: Date
    amount: Money
    credited: Money  # what credit notes took off it
    paid: Money
    outstanding: Money
    overdue: bool  # past its due date and not settled


class StatementOut(ResponseModel):
    customer_id: str
    currency: str
    invoiced: Money  # the invoices less the credit notes
    paid: Money  # every payment, prepayments too
    outstanding: Money
    overdue: Money
    credit_limit: Money | None
    available_credit: Money | None  # null: no credit limit
    invoices: list[StatementInvoiceOut]
    next_cursor: str | None
