"""The Order aggregate without storage: totals, approval rules, proposals, fulfilment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from chalicelib.domain.approval import approval_reasons
from chalicelib.domain.errors import InvalidTransitionError, ValidationFailedError
from chalicelib.domain.orders import Order, OrderStatus, new_document, new_line

D = Decimal


def order(source: str = "portal") -> Order:
    o = Order(
        id="o1",
        tenant="t",
        number="ORD-1",
        customer_id="c1",
        customer_name="C",
        site_id=None,
        source=source,
        created_by="buyer",
        currency="EUR",
    )
    o.add_line(new_line("p1", "A", "A", D("3"), D("0.335"), D("0.23")), "buyer")
    o.add_line(new_line("p2", "B", "B", D("1.5"), D("10.00"), D("0.08")), "buyer")
    return o


def test_money_is_rounded_half_up_per_line() -> None:
    o = order()
    assert [line.net for line in o.lines] == [D("1.01"), D("15.00")]  # 3 x 0.335 = 1.005 → 1.01
    assert (o.totals.net, o.totals.tax, o.totals.gross) == (D("16.01"), D("1.43"), D("17.44"))


def test_the_same_product_twice_adds_up() -> None:
    o = order()
    o.add_line(new_line("p1", "A", "A", D("2"), D("0.335"), D("0.23")), "buyer")
    assert [line.quantity for line in o.lines] == [D("5"), D("1.5")]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"policy": "none"}, False),
        ({"policy": "always"}, True),
        ({"policy": "always", "submitter_can_approve": True}, False),
        ({"policy": "over_limit", "approval_limit": D("100")}, False),
        ({"policy": "over_limit", "approval_limit": D("99.99")}, True),
        ({"policy": "over_limit", "approval_limit": None}, True),
        ({"policy": "none", "over_budget": False}, False),
        ({"policy": "none", "over_budget": True}, True),
        ({"policy": "none", "over_budget": True, "submitter_can_approve": True}, False),
    ],
)
def test_when_an_order_needs_approval(kwargs: dict[str, object], expected: bool) -> None:
    args: dict[str, object] = {
        "submitter_can_approve": False,
        "total": D("100"),
        "approval_limit": None,
        "over_budget": False,
        **kwargs,
    }
    assert bool(approval_reasons(**args)) is expected  # type: ignore[arg-type]


def test_an_approver_may_only_lower_quantities() -> None:
    o = order()
    o.submit("buyer", needs_approval=True)
    with pytest.raises(ValidationFailedError):
        o.approve("boss", [{"id": o.lines[0].id, "quantity": D("4")}])
    with pytest.raises(InvalidTransitionError):
        o.approve("buyer", [])
    o.approve("boss", [{"id": o.lines[1].id, "remove": True}])
    assert o.status == OrderStatus.SUBMITTED and len(o.lines) == 1
    assert [e.type for e in o.events] == ["order.approval_requested", "order.approved", "order.submitted"]
    approved = o.events[1]
    assert approved.by == "boss" and o.event_data(approved)["status"] == "submitted"
    assert approved.data["trimmed"] == [{"sku": "B", "name": "B", "from": "1.5", "removed": True}]


def test_accepting_a_proposal_applies_it_and_declining_restores() -> None:
    o = order()
    o.submit("buyer", needs_approval=False)
    first, second = o.lines
    o.propose(
        "rep",
        "note",
        [{"id": first.id, "quantity": D("2"), "unit_price": D("0.50")}, {"id": second.id, "remove": True}],
        [],
    )
    assert o.proposed_totals().net == D("1.00")
    assert o.totals.net == D("16.01")  # requested values still in force until accepted
    o.decline("buyer", "no")
    assert o.status == OrderStatus.SUBMITTED
    assert [(line.quantity, line.proposed) for line in o.lines] == [(D("3"), None), (D("1.5"), None)]
    o.propose("rep", None, [{"id": first.id, "confirmed_delivery_date": date(2026, 12, 1)}], [])
    o.accept("buyer")
    assert o.status == OrderStatus.CONFIRMED and o.lines[0].confirmed_delivery_date == date(2026, 12, 1)
    assert [r.outcome for r in o.revisions] == ["declined", "accepted"]


def test_shipments_complete_the_order_once_paid() -> None:
    o = order()
    o.submit("buyer", needs_approval=False)
    o.confirm("desk")
    o.record_shipment(
        "desk", new_document("shipment", "desk", date=date(2026, 1, 1), number="S1"), {o.lines[0].id: D("1")}
    )
    assert o.status == OrderStatus.PARTIALLY_SHIPPED
    o.record_shipment("desk", new_document("shipment", "desk", date=date(2026, 1, 2), number="S2"), None)
    assert o.status == OrderStatus.SHIPPED
    o.record_payment("desk", new_document("payment", "desk", date=date(2026, 1, 3), number="P", amount=D("17.44")))
    assert (o.status, o.payment_status) == (OrderStatus.COMPLETED, "paid")
    with pytest.raises(InvalidTransitionError):
        o.record_payment("desk", new_document("payment", "desk", date=date(2026, 1, 3), number="P2", amount=D("1")))


def test_a_portal_order_is_submitted_and_a_staff_order_is_sent() -> None:
    with pytest.raises(InvalidTransitionError):
        order("staff").submit("rep", needs_approval=False)
    with pytest.raises(InvalidTransitionError):
        order("portal").send("rep")


def test_an_order_within_the_api_bounds_passes_its_limit_check() -> None:
    o = order()
    o.add_line(new_line("p3", "C", "C", D("1000000"), D("800.00"), D("0.25")), "buyer")  # gross exactly 1e9
    o.lines = o.lines[2:]
    o.check_limits()


def test_an_order_past_a_billion_is_refused() -> None:
    o = order()
    o.add_line(new_line("p9", "Z", "Z", D("1000000"), D("1000.00"), D("0")), "buyer")
    with pytest.raises(ValidationFailedError) as refused:
        o.check_limits()
    assert refused.value.details[0]["field"] == "lines"


def test_a_line_that_adds_up_past_a_million_units_is_refused() -> None:
    o = order()
    for _ in range(2):
        o.add_line(new_line("p1", "A", "A", D("600000"), D("0.01"), D("0")), "buyer")  # the same product: one line
    with pytest.raises(ValidationFailedError) as refused:
        o.check_limits()
    assert refused.value.details[0]["field"] == "lines[0].quantity"


def test_a_proposal_past_a_billion_is_refused() -> None:
    o = order()
    o.status = OrderStatus.SUBMITTED
    o.propose("desk", None, [{"id": o.lines[1].id, "quantity": D("1000000"), "unit_price": D("1000.00")}], [])
    with pytest.raises(ValidationFailedError):
        o.check_limits()


def test_the_events_of_one_action_sort_in_the_order_they_happened() -> None:
    o = order()
    o.submit("buyer", needs_approval=True)
    o.approve("boss", [])
    ids = [e.id for e in o.events]
    assert ids == sorted(ids) and len(set(ids)) == 3
