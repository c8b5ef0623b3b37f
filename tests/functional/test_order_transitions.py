"""Every (status x action) pair the lifecycle does not allow answers 409 and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.domain.orders import ALLOWED_FROM, Action, OrderStatus
from tests.functional.conftest import Api, Reply
from tests.functional.order_world import World

ACT: dict[Action, tuple[str, str, Any]] = {  # action → (actor, path suffix, body); PATCH for edit
    Action.EDIT: ("buyer", "", {"notes": "changed"}),
    Action.SUBMIT: ("buyer", "/submit", None),
    Action.APPROVE: ("approver", "/approve", None),
    Action.REJECT: ("approver", "/reject", {"reason": "no"}),
    Action.SEND: ("rep", "/send", None),
    Action.CONFIRM: ("desk", "/confirm", None),
    Action.PROPOSE: ("rep", "/propose", {"note": "a note"}),
    Action.ACCEPT: ("buyer", "/accept", None),
    Action.DECLINE: ("buyer", "/decline", {"reason": "no"}),
    Action.CANCEL: ("desk", "/cancel", {"reason": "no"}),
    Action.SHIP: ("desk", "/shipments", {"date": "2026-11-24", "document_number": "WZ"}),
    Action.INVOICE: ("desk", "/invoices", {"date": "2026-11-24", "number": "FV", "amount": "1.00"}),
    Action.CREDIT: ("desk", "/credit-notes", {"date": "2026-11-24", "number": "CN", "amount": "1.00", "reason": "x"}),
    Action.PAY: ("desk", "/payments", {"date": "2026-11-24", "reference": "P", "amount": "1.00"}),
    Action.RELEASE_CREDIT_HOLD: ("desk", "/release-credit-hold", None),
}


def do(world: World, action: Action, oid: str) -> Reply:
    actor, suffix, body = ACT[action]
    api: Api = getattr(world, actor)
    if action == Action.EDIT:
        return api.patch(f"/orders/{oid}", body)
    return api.post(f"/orders/{oid}{suffix}", body)


def ok(r: Reply) -> dict[str, Any]:
    assert r.status_code in (200, 201), r.body
    return r.json


def reach(world: World, status: OrderStatus) -> str:
    """An order of the world's customer in `status`, made through the API."""
    w = world
    if status == OrderStatus.PENDING_APPROVAL:
        w.admin.patch(f"/customers/{w.customer['id']}", {"approval_policy": "always"})
    o = w.order(lines=[{"sku": "SKU-1", "quantity": 2}, {"sku": "BOX-6", "quantity": 6}])
    oid = o["id"]
    steps: dict[OrderStatus, list[Callable[[], Any]]] = {
        OrderStatus.DRAFT: [],
        OrderStatus.CANCELLED: [lambda: do(w, Action.CANCEL, oid)],
        OrderStatus.PENDING_APPROVAL: [lambda: do(w, Action.SUBMIT, oid)],
        OrderStatus.SUBMITTED: [lambda: do(w, Action.SUBMIT, oid)],
        OrderStatus.AWAITING_CUSTOMER: [lambda: do(w, Action.SUBMIT, oid), lambda: do(w, Action.PROPOSE, oid)],
        OrderStatus.CONFIRMED: [lambda: do(w, Action.SUBMIT, oid), lambda: do(w, Action.CONFIRM, oid)],
        OrderStatus.PARTIALLY_SHIPPED: [
            lambda: do(w, Action.SUBMIT, oid),
            lambda: do(w, Action.CONFIRM, oid),
            lambda: w.desk.post(
                f"/orders/{oid}/shipments",
                {"date": "2026-11-24", "document_number": "WZ", "lines": [{"id": o["lines"][0]["id"], "quantity": 1}]},
            ),
        ],
        OrderStatus.SHIPPED: [
            lambda: do(w, Action.SUBMIT, oid),
            lambda: do(w, Action.CONFIRM, oid),
            lambda: do(w, Action.SHIP, oid),
        ],
        OrderStatus.COMPLETED: [
            lambda: do(w, Action.SUBMIT, oid),
            lambda: do(w, Action.CONFIRM, oid),
            lambda: do(w, Action.SHIP, oid),
            lambda: w.desk.post(
                f"/orders/{oid}/payments", {"date": "2026-11-24", "reference": "P", "amount": o["totals"]["gross"]}
            ),
        ],
    }
    for step in steps[status]:
        ok(step())
    if status == OrderStatus.PENDING_APPROVAL:
        w.admin.patch(f"/customers/{w.customer['id']}", {"approval_policy": "none"})
    assert w.desk.get(f"/orders/{oid}").json["status"] == status.value
    return oid


@pytest.mark.parametrize("status", list(OrderStatus))
def test_every_disallowed_action_is_409_and_changes_nothing(world: World, status: OrderStatus) -> None:
    oid = reach(world, status)
    before = world.desk.get(f"/orders/{oid}").json
    refused = [a for a in Action if status not in ALLOWED_FROM[a]]
    # Plus the pairs the status allows only for the other side's orders: a portal draft is never
    # sent or confirmed by the supplier.
    if status == OrderStatus.DRAFT:
        refused += [Action.SEND, Action.CONFIRM]
    for action in refused:
        r = do(world, action, oid)
        assert r.status_code == 409, (status, action, r.body)
        assert r.json["error"]["code"] == "invalid_transition"
    after = world.desk.get(f"/orders/{oid}").json
    assert after == before
