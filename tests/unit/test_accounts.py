"""An order's money from its sums alone (domain/accounts.py, through the Order's money actions): a table
of sequences with what each must leave, every short sequence checked against the rules, and a property
test over any sequence hypothesis finds."""

from __future__ import annotations

import contextlib
import itertools
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.accounts import Billed, Ledger, balance
from chalicelib.domain.errors import ValidationFailedError
from chalicelib.domain.orders import Order, OrderStatus, new_document, new_line

D = Decimal
GROSS = D("120.00")  # 10 x 10.00 net, 20 % tax
DAY = date(2026, 11, 2)


def confirmed_order() -> Order:
    o = Order("o1", "acme", "ORD-1", "c1", "Customer", None, "portal", "u1", "EUR")
    o.lines.append(new_line("p1", "SKU-1", "Thing", D("10"), D("10.00"), D("0.20")))
    o.status = OrderStatus.CONFIRMED
    assert o.totals.gross == GROSS
    return o


def act(o: Order, step: tuple[str, str]) -> None:
    kind, amount = step
    if kind == "invoice":
        o.record_invoice("desk", new_document("invoice", "desk", date=DAY, number="I", amount=D(amount)), 30)
    elif kind == "credit":
        doc = new_document("credit_note", "desk", date=DAY, number="C", amount=D(amount), reason="damaged")
        o.record_credit_note("desk", doc)
    else:
        o.record_payment("desk", new_document("payment", "desk", date=DAY, number="P", amount=D(amount)))


def consistent(o: Order) -> None:
    """What every sequence must leave: statuses that follow from the sums, and nothing negative."""
    b = o.balance(date(2027, 1, 1))
    invoices = sum((d.amount or D(0) for d in o.documents_of("invoice")), D(0))
    credits = sum((d.amount or D(0) for d in o.documents_of("credit_note")), D(0))
    paid = sum((d.amount or D(0) for d in o.documents_of("payment")), D(0))
    assert b.invoiced == invoices - credits and D(0) <= b.invoiced <= GROSS
    assert b.paid == paid <= GROSS
    assert b.outstanding == max(b.invoiced - paid, D(0)) >= 0
    assert b.prepaid == max(paid - b.invoiced, D(0)) >= 0
    assert b.outstanding == sum((i.outstanding for i in b.invoices), D(0))
    assert all(
        D(0) <= i.outstanding <= i.amount and i.credited + i.paid + i.outstanding == i.amount for i in b.invoices
    )
    expected_invoice = (
        "not_invoiced" if b.invoiced == 0 else "invoiced" if b.invoiced == GROSS else "partially_invoiced"
    )
    expected_payment = "unpaid" if paid == 0 else "paid" if paid == GROSS else "partially_paid"
    assert (o.invoice_status, o.payment_status) == (expected_invoice, expected_payment)


# sequence → (invoice_status, payment_status, outstanding, prepaid), or the step (index) refused with 422
TABLE: list[tuple[list[tuple[str, str]], tuple[str, str, str, str] | int]] = [
    ([], ("not_invoiced", "unpaid", "0", "0")),
    ([("invoice", "120.00")], ("invoiced", "unpaid", "120.00", "0")),
    ([("invoice", "50.00")], ("partially_invoiced", "unpaid", "50.00", "0")),
    ([("invoice", "50.00"), ("invoice", "70.00")], ("invoiced", "unpaid", "120.00", "0")),
    ([("invoice", "50.00"), ("invoice", "70.01")], 1),  # more than the gross
    ([("invoice", "120.00"), ("pay", "20.00")], ("invoiced", "partially_paid", "100.00", "0")),
    ([("invoice", "120.00"), ("pay", "120.00")], ("invoiced", "paid", "0.00", "0")),
    ([("invoice", "120.00"), ("pay", "120.01")], 1),  # more than the gross
    ([("pay", "30.00")], ("not_invoiced", "partially_paid", "0", "30.00")),  # a prepayment
    ([("pay", "30.00"), ("invoice", "50.00")], ("partially_invoiced", "partially_paid", "20.00", "0")),
    ([("pay", "120.00"), ("invoice", "120.00")], ("invoiced", "paid", "0.00", "0")),
    ([("credit", "1.00")], 0),  # nothing invoiced to credit
    ([("invoice", "120.00"), ("credit", "20.00")], ("partially_invoiced", "unpaid", "100.00", "0")),
    ([("invoice", "120.00"), ("credit", "120.00")], ("not_invoiced", "unpaid", "0.00", "0")),
    ([("invoice", "120.00"), ("credit", "120.01")], 1),
    ([("invoice", "120.00"), ("credit", "20.00"), ("invoice", "20.00")], ("invoiced", "unpaid", "120.00", "0")),
    ([("invoice", "120.00"), ("credit", "20.00"), ("invoice", "20.01")], 2),
    ([("invoice", "120.00"), ("pay", "120.00"), ("credit", "20.00")], ("partially_invoiced", "paid", "0.00", "20.00")),
    ([("invoice", "100.00"), ("pay", "100.00"), ("pay", "20.00")], ("partially_invoiced", "paid", "0.00", "20.00")),
]


@pytest.mark.parametrize(("steps", "expected"), TABLE)
def test_statuses_follow_from_the_sums(steps: list[tuple[str, str]], expected: tuple[str, str, str, str] | int) -> None:
    o = confirmed_order()
    for n, step in enumerate(steps):
        if expected == n:
            before = (o.invoice_status, o.payment_status, len(o.documents), len(o.history))
            with pytest.raises(ValidationFailedError):
                act(o, step)
            assert (o.invoice_status, o.payment_status, len(o.documents), len(o.history)) == before
            return
        act(o, step)
    assert isinstance(expected, tuple)
    b = o.balance()
    assert (o.invoice_status, o.payment_status, b.outstanding, b.prepaid) == (
        expected[0],
        expected[1],
        D(expected[2]),
        D(expected[3]),
    )
    consistent(o)


STEPS = [("invoice", "60.00"), ("invoice", "120.00"), ("credit", "30.00"), ("pay", "45.00"), ("pay", "120.00")]


@pytest.mark.parametrize("length", [1, 2, 3, 4])
def test_every_short_sequence_keeps_the_sums_consistent(length: int) -> None:
    """Every sequence of these steps up to 4 long: a refused step changes nothing, and what is accepted
    always leaves the statuses the sums give."""
    for steps in itertools.product(STEPS, repeat=length):
        o = confirmed_order()
        for step in steps:
            with contextlib.suppress(ValidationFailedError):
                act(o, step)
            consistent(o)


amounts = st.decimals(min_value=D("0.01"), max_value=D("150.00"), places=2)
step = st.tuples(st.sampled_from(["invoice", "credit", "pay"]), amounts.map(str))


@settings(max_examples=300, deadline=None)
@given(st.lists(step, max_size=12))
def test_no_sequence_leaves_outstanding_negative_or_a_status_off_the_sums(steps: list[tuple[str, str]]) -> None:
    o = confirmed_order()
    for s in steps:
        with contextlib.suppress(ValidationFailedError):
            act(o, s)
        consistent(o)


def test_payments_settle_the_oldest_due_date_first_and_overdue_is_past_due_and_unsettled() -> None:
    late = Billed("late", date(2026, 11, 1), date(2026, 12, 31), D("50.00"))
    early = Billed("early", date(2026, 11, 5), date(2026, 11, 20), D("30.00"))
    b = balance(D("100.00"), [late, early], [], [D("40.00")], today=date(2026, 12, 1))
    first, second = b.invoice("early"), b.invoice("late")
    assert first is not None and second is not None
    assert (first.paid, first.outstanding, first.overdue) == (D("30.00"), D("0.00"), False)  # settled: not overdue
    assert (second.paid, second.outstanding, second.overdue) == (D("10.00"), D("40.00"), False)  # not due yet
    later = balance(D("100.00"), [late, early], [], [D("20.00")], today=date(2026, 12, 1))
    assert [(i.id, i.outstanding, i.overdue) for i in later.invoices] == [
        ("late", D("50.00"), False),
        ("early", D("10.00"), True),
    ]
    assert later.overdue == D("10.00")


def test_an_invoice_without_due_date_is_due_after_the_customers_terms() -> None:
    o = confirmed_order()
    doc = new_document("invoice", "desk", date=date(2026, 11, 2), number="I", amount=D("10.00"))
    o.record_invoice("desk", doc, 30)
    assert doc.due_date == date(2026, 12, 2)
    no_terms = new_document("invoice", "desk", date=date(2026, 11, 2), number="J", amount=D("10.00"))
    o.record_invoice("desk", no_terms, None)
    assert no_terms.due_date == date(2026, 11, 2)  # without terms: due on its date


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), step), max_size=12))
def test_the_customers_ledger_always_adds_up_to_its_orders(steps: list[tuple[int, tuple[str, str]]]) -> None:
    """Two orders of one customer: the ledger each money action moves equals the sum of the orders' own
    balances, and what it keeps by due date adds up to what is outstanding."""
    orders = [confirmed_order(), confirmed_order()]
    ledger = Ledger("c1")
    for n, s in steps:
        before = orders[n].balance()
        with contextlib.suppress(ValidationFailedError):
            act(orders[n], s)
            ledger = orders[n].ledger_move(ledger, before).ledger
    balances = [o.balance() for o in orders]
    assert ledger.invoiced == sum((b.invoiced for b in balances), D(0))
    assert ledger.paid == sum((b.paid for b in balances), D(0))
    assert ledger.outstanding == sum((b.outstanding for b in balances), D(0)) == sum(ledger.due.values(), D(0))
    assert all(amount > 0 for amount in ledger.due.values())
