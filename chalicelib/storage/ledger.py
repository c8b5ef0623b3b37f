"""Each customer's ledger (keys.py "ledger entry", "ledger summary"): its invoices as their orders' money
actions left them, and what it owes. Written only inside an order's transaction (storage/orders.py `save`),
read by a submit's BatchGet (storage/refs.py) and by the statement (one Query)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from chalicelib.domain.accounts import Ledger, StatementLine
from chalicelib.storage import keys
from chalicelib.storage.items import LedgerEntryItem, LedgerSummaryItem
from chalicelib.storage.paging import Page, prefix_page


def ledger_of(item: LedgerSummaryItem, customer_id: str) -> Ledger:
    return Ledger(
        customer_id,
        invoiced=Decimal(item.invoiced),
        paid=Decimal(item.paid),
        outstanding=Decimal(item.outstanding),
        due={date.fromisoformat(day): Decimal(amount) for day, amount in (item.due or {}).items()},
        version=int(item.version or 0),
    )


def put_summary(tx: Any, tenant: str, ledger: Ledger) -> None:
    """Into the order's transaction (a put): the summary conditional on the version read, so a concurrent
    money action on another of the customer's orders makes the whole write fail and the action run again."""
    summary = LedgerSummaryItem(
        *keys.ledger_summary(tenant, ledger.customer_id),
        invoiced=str(ledger.invoiced),
        paid=str(ledger.paid),
        outstanding=str(ledger.outstanding),
        due={day.isoformat(): str(amount) for day, amount in ledger.due.items()},
    )
    if ledger.version:
        summary.version = ledger.version
    tx.save(summary)


def put_lines(tx: Any, tenant: str, customer_id: str, lines: tuple[StatementLine, ...]) -> None:
    """Into the order's transaction (updates, unconditional): each line belongs to the order being written,
    whose own version condition guards it."""
    for line in lines:
        pk, sk = keys.ledger_entry(tenant, customer_id, line.date.isoformat(), line.order_id, line.invoice_id)
        actions = [LedgerEntryItem.entry.set(_line_json(line)), LedgerEntryItem.type.set(LedgerEntryItem)]
        tx.update(LedgerEntryItem(pk, sk), actions=actions, add_version_condition=False)


def statement_page(tenant: str, customer_id: str, limit: int, cursor: str | None) -> Page[StatementLine]:
    """The customer's invoices, newest first: one Query of the ledger's entries."""
    pk = keys.ledger_pk(tenant, customer_id)

    def line(item: LedgerEntryItem) -> StatementLine:
        return _line_from(item.entry)

    return prefix_page(LedgerEntryItem, pk, keys.LEDGER_ENTRY, limit, cursor, line, newest_first=True)


def _line_json(line: StatementLine) -> dict[str, str]:
    return {
        "order_id": line.order_id,
        "order_number": line.order_number,
        "invoice_id": line.invoice_id,
        "number": line.number,
        "date": line.date.isoformat(),
        "due_date": line.due_date.isoformat(),
        "amount": str(line.amount),
        "credited": str(line.credited),
        "paid": str(line.paid),
        "outstanding": str(line.outstanding),
    }


def _line_from(data: dict[str, Any]) -> StatementLine:
    return StatementLine(
        order_id=data["order_id"],
        order_number=data["order_number"],
        invoice_id=data["invoice_id"],
        number=data["number"],
        date=date.fromisoformat(data["date"]),
        due_date=date.fromisoformat(data["due_date"]),
        amount=Decimal(data["amount"]),
        credited=Decimal(data["credited"]),
        paid=Decimal(data["paid"]),
        outstanding=Decimal(data["outstanding"]),
    )
