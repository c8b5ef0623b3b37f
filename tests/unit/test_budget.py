"""The month's budget through every transition (domain/budget.py, domain/orders.py): which change of an
order adds or gives back how much, to which month. One table, every action of the lifecycle."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from chalicelib.domain.budget import BudgetMove, Counted, settle, within
from chalicelib.domain.orders import Order, new_document, new_line

D = Decimal
NOV, DEC = "2026-11", "2026-12"


def order(source: str = "portal") -> Order:
    o = Order(
        id="o1", tenant="t", number="ORD-1", customer_id="c1", customer_name="C", site_id=None,
        source=source, created_by="buyer", currency="EUR",
    )  # fmt: skip
    o.add_line(new_line("p1", "A", "A", D("2"), D("10.00"), D("0.20")), "buyer")  # 24.00 gross
    return o


def moves(o: Order, month: str = DEC) -> list[tuple[str, int]]:
    return [(m.month, m.cents) for m in o.settle_budget(month)]


def proposal_to(o: Order, quantity: str) -> None:
    o.propose("rep", None, [{"id": o.lines[0].id, "quantity": D(quantity)}], [])


# (name, the steps before, the step, the moves it makes)
def submitted(o: Order) -> None:
    o.submit("buyer", needs_approval=False)


def waiting(o: Order) -> None:
    o.submit("buyer", needs_approval=True)


Step = Callable[[Order], object]
Case = tuple[list[Step], Step, list[tuple[str, int]]]

CASES: dict[str, Case] = {
    "submit without approval adds the gross to this month": ([], submitted, [(DEC, 2400)]),
    "submit needing approval adds nothing yet": ([], waiting, []),
    "approve adds the approved gross": ([waiting], lambda o: o.approve("boss", []), [(DEC, 2400)]),
    "approve with trims adds what is left": (
        [waiting],
        lambda o: o.approve("boss", [{"id": o.lines[0].id, "quantity": D(1)}]),
        [(DEC, 1200)],
    ),
    "reject adds nothing": ([waiting], lambda o: o.reject("boss", "no"), []),
    "cancel while waiting gives back nothing": ([waiting], lambda o: o.cancel("buyer", "no"), []),
    "cancel a submitted order gives back what it counted": (
        [submitted],
        lambda o: o.cancel("buyer", "no"),
        [(NOV, -2400)],
    ),
    "a proposal keeps the agreed total counted": ([submitted], lambda o: proposal_to(o, "5"), []),
    "accept moves the difference to the month it was counted in": (
        [submitted, lambda o: proposal_to(o, "5")],
        lambda o: o.accept("buyer"),
        [(NOV, 3600)],
    ),
    "decline changes nothing": ([submitted, lambda o: proposal_to(o, "5")], lambda o: o.decline("buyer", "no"), []),
    "cancel during a proposal gives back the agreed total": (
        [submitted, lambda o: proposal_to(o, "5")],
        lambda o: o.cancel("rep", "no"),
        [(NOV, -2400)],
    ),
    "confirm adds nothing more": ([submitted], lambda o: o.confirm("rep"), []),
    "shipping and paying add nothing": (
        [submitted, lambda o: o.confirm("rep")],
        lambda o: o.record_payment("desk", new_document("payment", "desk", date=None, number="P", amount=D("24.00"))),
        [],
    ),
}
STAFF_CASES: dict[str, Case] = {
    "a staff order sent to the customer counts nothing yet": ([], lambda o: o.send("rep"), []),
    "cancelling a sent staff order gives back nothing (it never counted)": (
        [lambda o: o.send("rep")],
        lambda o: o.cancel("rep", "no"),
        [],
    ),
    "accepting a sent staff order counts it in this month": (
        [lambda o: o.send("rep")],
        lambda o: o.accept("buyer"),
        [(DEC, 2400)],
    ),
    "a phone order confirmed from its draft counts": ([], lambda o: o.confirm("rep"), [(DEC, 2400)]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_every_portal_transition(case: str) -> None:
    before, step, expected = CASES[case]
    o = order()
    for earlier in before:
        earlier(o)
        o.settle_budget(NOV)  # what happened before happened in November
    step(o)
    assert moves(o) == expected
    assert moves(o) == []  # settling twice moves nothing more


@pytest.mark.parametrize("case", list(STAFF_CASES))
def test_every_staff_order_transition(case: str) -> None:
    before, step, expected = STAFF_CASES[case]
    o = order("staff")
    for earlier in before:
        earlier(o)
        o.settle_budget(NOV)
    step(o)
    assert moves(o) == expected


def test_an_order_remembers_what_it_counted_and_when() -> None:
    o = order()
    o.submit("buyer", needs_approval=False)
    o.settle_budget(NOV)
    assert o.budget == Counted(NOV, 2400)
    o.cancel("buyer", "changed my mind")
    assert o.settle_budget(DEC) == [BudgetMove("c1", NOV, -2400)] and o.budget is None


def test_settle_is_one_rule_for_every_pair() -> None:
    assert settle("c", None, False, D("9"), DEC) == (None, [])
    assert settle("c", Counted(NOV, 100), True, D("1.00"), DEC) == (Counted(NOV, 100), [])
    assert settle("c", Counted(NOV, 100), True, D("3.00"), DEC) == (Counted(NOV, 300), [BudgetMove("c", NOV, 200)])


@pytest.mark.parametrize(
    ("spent", "move", "budget", "ok"),
    [
        (2400, 2400, "30.00", False),
        (600, 2400, "30.00", True),
        (0, 3001, "30.00", False),
        (9999, -100, "1.00", True),
        (10**9, 1, None, True),
    ],
)
def test_within_budget(spent: int, move: int, budget: str | None, ok: bool) -> None:
    assert within(spent, move, D(budget) if budget else None) is ok
