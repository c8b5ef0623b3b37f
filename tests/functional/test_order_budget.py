"""The month's budget as a customer lives it: what each action adds to the counter, or gives back, and
to which month (domain/budget.py). The counter is read as stored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.bootstrap import get_services
from chalicelib.storage import keys
from chalicelib.storage.items import BudgetItem
from tests.functional.order_world import World


def spent(world: World, month: str) -> str:
    try:
        cents = int(BudgetItem.get(*keys.budget("acme", world.customer["id"], month)).spent_cents or 0)
    except BudgetItem.DoesNotExist:
        cents = 0
    return f"{cents / 100:.2f}"


@pytest.fixture
def month(world: World, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The month the service counts in, set by the test (the order service's clock)."""
    now = ["2026-11"]
    clock = lambda: datetime.strptime(now[0] + "-15", "%Y-%m-%d").replace(tzinfo=UTC)  # noqa: E731
    monkeypatch.setattr(get_services().orders, "_clock", clock)
    return now


def staff_order_sent(world: World) -> str:
    o = world.order(world.rep, customer_id=world.customer["id"])  # 2 of SKU-1: 24.00 gross
    r = world.rep.post(f"/orders/{o['id']}/send")
    assert r.json["status"] == "awaiting_customer", r.body
    return str(o["id"])


def test_a_buyer_cannot_accept_a_sent_order_past_the_budget(world: World, month: list[str]) -> None:
    cid = world.customer["id"]
    world.admin.patch(f"/customers/{cid}", {"monthly_budget": "30.00"})
    first = world.order()
    assert world.buyer.post(f"/orders/{first['id']}/submit").json["status"] == "submitted"
    assert spent(world, "2026-11") == "24.00"
    sent = staff_order_sent(world)
    assert spent(world, "2026-11") == "24.00"  # waiting for the customer: nobody ordered it yet

    r = world.buyer.post(f"/orders/{sent}/accept")

    assert r.status_code == 403, r.body  # 24 + 24 > 30: an approver must accept it
    assert world.buyer.get(f"/orders/{sent}").json["status"] == "awaiting_customer"
    assert spent(world, "2026-11") == "24.00"
    assert world.approver.post(f"/orders/{sent}/accept").json["status"] == "confirmed"
    assert spent(world, "2026-11") == "48.00"  # an approver may take the month over its budget


def test_cancelling_a_sent_order_gives_back_nothing_it_never_counted(world: World, month: list[str]) -> None:
    sent = staff_order_sent(world)
    assert world.rep.post(f"/orders/{sent}/cancel", {"reason": "Wrong customer"}).json["status"] == "cancelled"
    assert spent(world, "2026-11") == "0.00"  # never negative


def test_a_cancel_gives_back_to_the_month_the_order_was_counted_in(world: World, month: list[str]) -> None:
    o = world.order()
    assert world.buyer.post(f"/orders/{o['id']}/submit").json["status"] == "submitted"
    month[0] = "2026-12"
    other = world.order()
    assert world.buyer.post(f"/orders/{other['id']}/submit").json["status"] == "submitted"

    assert world.buyer.post(f"/orders/{o['id']}/cancel", {"reason": "Too late"}).json["status"] == "cancelled"

    assert (spent(world, "2026-11"), spent(world, "2026-12")) == ("0.00", "24.00")


def test_a_proposal_accepted_moves_the_difference_to_the_month_it_was_counted_in(
    world: World, month: list[str]
) -> None:
    o = world.order()
    assert world.buyer.post(f"/orders/{o['id']}/submit").json["status"] == "submitted"
    line = o["lines"][0]["id"]
    month[0] = "2026-12"
    proposed = world.rep.post(f"/orders/{o['id']}/propose", {"lines": [{"id": line, "quantity": 5}]})
    assert proposed.status_code == 200, proposed.body
    assert proposed.json["totals"]["gross"] == "24.00"  # what was agreed, while the proposal is open
    assert world.buyer.post(f"/orders/{o['id']}/accept").json["status"] == "confirmed"
    assert (spent(world, "2026-11"), spent(world, "2026-12")) == ("60.00", "0.00")
