"""What an order's money adds up to (API.md "Money: invoices, payments, statements, credit"): one function,
`balance`, from the sums of its invoices, credit notes and payments alone. The order's `invoice_status` and
`payment_status`, each invoice's share of what was paid, and the customer's statement all come from it, so
none of them can disagree with the amounts recorded.

The rules an accounts clerk keeps:

- the invoices less the credit notes (`invoiced`) never exceed the order's gross total, and never go below
  zero: a credit note corrects what was invoiced (the order may then be invoiced again, up to its gross);
- what was paid never exceeds the gross total; paid beyond what is invoiced is a prepayment (`prepaid`),
  which settles the invoices still to come;
- credit notes, then payments, settle the invoices oldest due date first (then oldest date, then in the
  order they were recorded); an invoice is overdue when it is past its due date and not settled.

Pure Python, like the rest of the domain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date as Date
from decimal import Decimal

from chalicelib.domain.errors import invalid_field
from chalicelib.domain.money import ZERO

NOT_INVOICED, PARTIALLY_INVOICED, INVOICED = "not_invoiced", "partially_invoiced", "invoiced"
UNPAID, PARTIALLY_PAID, PAID = "unpaid", "partially_paid", "paid"


@dataclass(frozen=True)
class Billed:
    """An invoice as the sums see it: `due_date` is the one it carries or the customer's terms gave it."""

    id: str
    date: Date
    due_date: Date
    amount: Decimal


@dataclass(frozen=True)
class InvoiceBalance:
    id: str
    due_date: Date
    amount: Decimal
    credited: Decimal  # what credit notes took off it
    paid: Decimal  # what payments settled of it
    outstanding: Decimal  # amount - credited - paid, never negative
    overdue: bool  # past its due date and not settled


@dataclass(frozen=True)
class Balance:
    gross: Decimal
    invoiced: Decimal  # invoices less credit notes
    credited: Decimal
    paid: Decimal
    outstanding: Decimal  # invoiced and not paid
    overdue: Decimal  # the outstanding part of the overdue invoices
    prepaid: Decimal  # paid beyond what is invoiced
    invoice_status: str
    payment_status: str
    invoices: tuple[InvoiceBalance, ...]

    def invoice(self, invoice_id: str) -> InvoiceBalance | None:
        return next((i for i in self.invoices if i.id == invoice_id), None)


def balance(
    gross: Decimal,
    invoices: Sequence[Billed],
    credit_notes: Sequence[Decimal],
    payments: Sequence[Decimal],
    today: Date | None = None,
) -> Balance:
    """The order's money from its documents. `today` says which invoices are overdue (None: none is)."""
    credited = sum(credit_notes, ZERO)
    paid = sum(payments, ZERO)
    billed = sum((i.amount for i in invoices), ZERO)
    invoiced = billed - credited
    credit_left, paid_left = credited, paid
    order = sorted(range(len(invoices)), key=lambda n: (invoices[n].due_date, invoices[n].date, n))
    by_position: dict[int, InvoiceBalance] = {}
    for n in order:
        inv = invoices[n]
        credit = min(credit_left, inv.amount)
        credit_left -= credit
        settled = min(paid_left, inv.amount - credit)
        paid_left -= settled
        outstanding = inv.amount - credit - settled
        overdue = today is not None and inv.due_date < today and outstanding > 0
        by_position[n] = InvoiceBalance(inv.id, inv.due_date, inv.amount, credit, settled, outstanding, overdue)
    shares = [by_position[n] for n in range(len(invoices))]  # as recorded, for the order's `invoices`
    outstanding = sum((s.outstanding for s in shares), ZERO)
    return Balance(
        gross=gross,
        invoiced=invoiced,
        credited=credited,
        paid=paid,
        outstanding=outstanding,
        overdue=sum((s.outstanding for s in shares if s.overdue), ZERO),
        prepaid=max(paid - invoiced, ZERO),
        invoice_status=NOT_INVOICED if invoiced <= 0 else INVOICED if invoiced >= gross else PARTIALLY_INVOICED,
        payment_status=UNPAID if paid <= 0 else PAID if paid >= gross else PARTIALLY_PAID,
        invoices=tuple(shares),
    )


def check_invoice(b: Balance, amount: Decimal) -> None:
    """An invoice may take what is invoiced up to the gross total, no further (422 on `amount`)."""
    room = b.gross - b.invoiced
    if amount > room:
        raise invalid_field(
            "amount",
            f"The order's invoices less its credit notes would exceed its total of {b.gross}: "
            f"at most {room} can still be invoiced.",
        )


def check_credit_note(b: Balance, amount: Decimal) -> None:
    """A credit note takes off at most what is invoiced (422 on `amount`)."""
    if amount > b.invoiced:
        raise invalid_field(
            "amount", f"A credit note can take off at most what is invoiced and not credited yet: {b.invoiced}."
        )


def check_payment(b: Balance, amount: Decimal) -> None:
    """Payments add up to at most the gross total: beyond what is invoiced they are a prepayment (422)."""
    room = b.gross - b.paid
    if amount > room:
        raise invalid_field(
            "amount", f"Payments would exceed the order's total of {b.gross}: at most {room} can still be paid."
        )


@dataclass
class Ledger:
    """A customer's account: what the invoices, credit notes and payments of all its orders add up to,
    and what is outstanding by due date (so that what is overdue on any day follows without reading every
    invoice). Kept by each money action in its own write (`moved`); read by a submit for the credit limit
    and by the statement."""

    customer_id: str
    invoiced: Decimal = ZERO
    paid: Decimal = ZERO
    outstanding: Decimal = ZERO
    due: dict[Date, Decimal] = field(default_factory=dict)  # outstanding by due date, no zero entries
    version: int = 0

    def overdue(self, today: Date) -> Decimal:
        return sum((amount for day, amount in self.due.items() if day < today), ZERO)

    def moved(self, before: Balance, after: Balance) -> Ledger:
        """The account once one of its orders went from `before` to `after`."""
        due = dict(self.due)
        for share, sign in [*((s, -1) for s in before.invoices), *((s, 1) for s in after.invoices)]:
            due[share.due_date] = due.get(share.due_date, ZERO) + sign * share.outstanding
        return Ledger(
            self.customer_id,
            invoiced=self.invoiced + after.invoiced - before.invoiced,
            paid=self.paid + after.paid - before.paid,
            outstanding=self.outstanding + after.outstanding - before.outstanding,
            due={day: amount for day, amount in sorted(due.items()) if amount},
            version=self.version,
        )


def available_credit(limit: Decimal | None, outstanding: Decimal) -> Decimal | None:
    """What the customer may still owe within its credit limit (None: no limit); never negative."""
    return None if limit is None else max(limit - outstanding, ZERO)


def over_credit_limit(limit: Decimal | None, outstanding: Decimal, gross: Decimal) -> bool:
    """Whether an order of `gross` on top of what the customer owes takes it past its limit."""
    return limit is not None and outstanding + gross > limit


@dataclass(frozen=True)
class StatementLine:
    """One invoice on the customer's statement, as its last money action left it."""

    order_id: str
    order_number: str
    invoice_id: str
    number: str
    date: Date
    due_date: Date
    amount: Decimal
    credited: Decimal
    paid: Decimal
    outstanding: Decimal

    def overdue(self, today: Date) -> bool:
        return self.due_date < today and self.outstanding > 0


@dataclass(frozen=True)
class LedgerMove:
    """What one money action changes in its customer's ledger: the account as it becomes (written on the
    version read) and the statement lines of the invoices whose amounts moved."""

    ledger: Ledger
    lines: tuple[StatementLine, ...]
