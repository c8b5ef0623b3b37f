"""A customer's statement (API.md "Money: invoices, payments, statements, credit"): what it owes and its
invoices, newest first. One BatchGet (the customer, the tenant's settings, the ledger's summary) and one
Query of the ledger's entries (storage/ledger.py); nothing is summed at read time but what is overdue today.

Who sees it follows the customer scope of orders (services/order_writes.py `list_orders`): staff with
orders.read_all, or the customer's sales rep; the customer's own users and those of a head office above it.
Anyone else gets the 404 an unknown customer gets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from chalicelib.auth.principal import Principal
from chalicelib.domain.accounts import Ledger, StatementLine, available_credit
from chalicelib.domain.errors import NotFoundError
from chalicelib.domain.model import Customer
from chalicelib.domain.permissions import Permission
from chalicelib.storage import keys
from chalicelib.storage import ledger as ledger_store
from chalicelib.storage import refs as refs_store
from chalicelib.storage.paging import Page


@dataclass(frozen=True)
class Statement:
    customer_id: str
    currency: str
    ledger: Ledger
    credit_limit: Decimal | None
    today: date
    lines: Page[StatementLine]

    @property
    def overdue(self) -> Decimal:
        return self.ledger.overdue(self.today)

    @property
    def available_credit(self) -> Decimal | None:
        return available_credit(self.credit_limit, self.ledger.outstanding)


def sees_account(p: Principal, customer: Customer) -> bool:
    if p.is_staff:
        return p.has(Permission.ORDERS_READ_ALL) or customer.sales_rep_id == p.user_id
    return customer.id in p.customer_ids or any(a in p.customer_ids for a in customer.ancestor_ids or [])


def statement(p: Principal, customer_id: str, limit: int, cursor: str | None, today: date) -> Statement:
    t = p.tenant
    found = refs_store.load(t, customers=[customer_id], settings=True, extra=[keys.ledger_summary(t, customer_id)])
    customer = found.customers.get(customer_id)
    if customer is None or not sees_account(p, customer):
        raise NotFoundError("customer")
    currency = found.settings.currency if found.settings else ""
    ledger = found.ledgers.get(customer_id) or Ledger(customer_id)
    lines = ledger_store.statement_page(t, customer_id, limit, cursor)
    return Statement(customer_id, currency, ledger, customer.credit_limit, today, lines)
