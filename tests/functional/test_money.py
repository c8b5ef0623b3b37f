"""Money that adds up, through the HTTP API (issue 22, API.md "Money: invoices, payments, statements,
credit"): amounts that cannot be wrong, credit notes, prepayments, and payments allocated to invoices."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.functional.conftest import Reply
from tests.functional.order_world import World

TODAY = date.today()


def assert_error(r: Reply, status: int, code: str) -> None:
    assert r.status_code == status, r.body
    assert r.json["error"]["code"] == code, r.body


def confirmed(world: World, quantity: int = 2) -> dict[str, Any]:
    """A confirmed order of the world's customer: SKU-1 at 10.00 + 20 % tax, 12.00 gross a unit."""
    o = world.order(lines=[{"sku": "SKU-1", "quantity": quantity}])
    assert world.buyer.post(f"/orders/{o['id']}/submit").status_code == 200
    r = world.desk.post(f"/orders/{o['id']}/confirm")
    assert r.status_code == 200, r.body
    return r.json


def invoice(world: World, oid: str, amount: str, number: str = "FV-1", **extra: Any) -> Any:
    return world.desk.post(
        f"/orders/{oid}/invoices", {"date": "2026-11-02", "number": number, "amount": amount, **extra}
    )


def pay(world: World, oid: str, amount: str, reference: str = "PAY-1") -> Any:
    return world.desk.post(f"/orders/{oid}/payments", {"date": "2026-11-03", "reference": reference, "amount": amount})


def credit(world: World, oid: str, amount: str, number: str = "CN-1") -> Any:
    body = {"date": "2026-11-04", "number": number, "amount": amount, "reason": "Two units arrived broken."}
    return world.desk.post(f"/orders/{oid}/credit-notes", body)


@pytest.mark.parametrize("amount", ["0", "0.00", "0.0"])
def test_a_zero_payment_invoice_or_credit_note_is_refused_and_changes_nothing(world: World, amount: str) -> None:
    o = confirmed(world)
    assert invoice(world, o["id"], "24.00").status_code == 201
    before = world.desk.get(f"/orders/{o['id']}").json
    for r in (pay(world, o["id"], amount), invoice(world, o["id"], amount, "FV-2"), credit(world, o["id"], amount)):
        assert_error(r, 422, "validation_failed")
        assert r.json["error"]["details"][0]["field"] == "amount"
    assert world.desk.get(f"/orders/{o['id']}").json == before


def test_invoices_never_add_up_to_more_than_the_order(world: World) -> None:
    o = confirmed(world, quantity=50)  # 600.00 gross
    assert o["totals"]["gross"] == "600.00"
    assert invoice(world, o["id"], "300.00").json["invoice_status"] == "partially_invoiced"
    before = world.desk.get(f"/orders/{o['id']}").json
    too_much = invoice(world, o["id"], "300.01", "FV-2")
    assert_error(too_much, 422, "validation_failed")
    assert "300.00" in too_much.json["error"]["details"][0]["message"]  # says what can still be invoiced
    assert world.desk.get(f"/orders/{o['id']}").json == before
    rest = invoice(world, o["id"], "300.00", "FV-2").json
    assert (rest["invoice_status"], rest["balance"]["invoiced"], rest["balance"]["outstanding"]) == (
        "invoiced",
        "600.00",
        "600.00",
    )


def test_payments_of_the_whole_order_complete_it_only_once_they_are_all_in(world: World) -> None:
    o = confirmed(world)
    assert (
        world.desk.post(f"/orders/{o['id']}/shipments", {"date": "2026-11-02", "document_number": "WZ"}).status_code
        == 201
    )
    invoice(world, o["id"], "24.00")
    assert_error(pay(world, o["id"], "24.01"), 422, "validation_failed")  # more than the order's total
    half = pay(world, o["id"], "12.00").json
    assert (half["status"], half["payment_status"], half["balance"]["outstanding"]) == (
        "shipped",
        "partially_paid",
        "12.00",
    )
    done = pay(world, o["id"], "12.00", "PAY-2").json
    assert (done["status"], done["payment_status"], done["balance"]["outstanding"]) == ("completed", "paid", "0.00")


def test_a_payment_beyond_what_is_invoiced_is_a_prepayment_the_order_shows(world: World) -> None:
    o = confirmed(world)  # 24.00 gross
    pre = pay(world, o["id"], "20.00")
    assert pre.status_code == 201, pre.body
    b = pre.json["balance"]
    assert (pre.json["invoice_status"], pre.json["payment_status"]) == ("not_invoiced", "partially_paid")
    assert (b["invoiced"], b["paid"], b["outstanding"], b["prepaid"]) == ("0.00", "20.00", "0.00", "20.00")
    later = invoice(world, o["id"], "24.00").json  # the prepayment settles the invoice as far as it goes
    assert later["invoices"][0]["paid"] == "20.00" and later["invoices"][0]["outstanding"] == "4.00"
    assert (later["balance"]["outstanding"], later["balance"]["prepaid"]) == ("4.00", "0.00")


def test_a_credit_note_lowers_what_is_invoiced_and_may_be_invoiced_again(world: World) -> None:
    o = confirmed(world, quantity=10)  # 120.00 gross
    invoice(world, o["id"], "120.00")
    assert_error(credit(world, o["id"], "120.01"), 422, "validation_failed")
    r = credit(world, o["id"], "20.00")
    assert r.status_code == 201, r.body
    got = r.json
    assert got["credit_notes"] == [
        {
            "id": got["credit_notes"][0]["id"],
            "date": "2026-11-04",
            "number": "CN-1",
            "amount": "20.00",
            "reason": "Two units arrived broken.",
            "recorded_by": got["credit_notes"][0]["recorded_by"],
            "recorded_at": got["credit_notes"][0]["recorded_at"],
        }
    ]
    assert (got["invoice_status"], got["balance"]["invoiced"], got["balance"]["credited"]) == (
        "partially_invoiced",
        "100.00",
        "20.00",
    )
    assert got["invoices"][0]["credited"] == "20.00" and got["invoices"][0]["outstanding"] == "100.00"
    assert got["history"][-1]["action"] == "credit_note"
    assert_error(invoice(world, o["id"], "20.01", "FV-2"), 422, "validation_failed")
    assert invoice(world, o["id"], "20.00", "FV-2").json["invoice_status"] == "invoiced"
    # The customer sees it too, and a customer may not record one.
    assert world.buyer.get(f"/orders/{o['id']}").json["credit_notes"][0]["number"] == "CN-1"
    assert_error(
        world.buyer.post(
            f"/orders/{o['id']}/credit-notes", {"date": "2026-11-04", "number": "X", "amount": "1.00", "reason": "x"}
        ),
        403,
        "forbidden",
    )


def test_a_credit_note_needs_a_reason(world: World) -> None:
    o = confirmed(world)
    invoice(world, o["id"], "24.00")
    r = world.desk.post(f"/orders/{o['id']}/credit-notes", {"date": "2026-11-04", "number": "CN", "amount": "1.00"})
    assert_error(r, 422, "validation_failed")
    assert r.json["error"]["details"][0]["field"] == "reason"


def test_payments_settle_the_invoice_due_first_and_each_invoice_shows_what_is_left(world: World) -> None:
    o = confirmed(world, quantity=10)  # 120.00 gross
    later_due = (TODAY + timedelta(days=30)).isoformat()
    past_due = (TODAY - timedelta(days=1)).isoformat()
    invoice(world, o["id"], "70.00", "FV-LATER", due_date=later_due)
    invoice(world, o["id"], "50.00", "FV-EARLY", due_date=past_due)
    got = pay(world, o["id"], "60.00").json
    shown = {i["number"]: (i["paid"], i["outstanding"], i["overdue"]) for i in got["invoices"]}
    assert shown == {"FV-EARLY": ("50.00", "0.00", False), "FV-LATER": ("10.00", "60.00", False)}
    assert got["balance"]["overdue"] == "0.00"
    o2 = confirmed(world, quantity=10)
    invoice(world, o2["id"], "50.00", "FV-PAST", due_date=past_due)
    got2 = pay(world, o2["id"], "20.00").json
    assert (got2["invoices"][0]["outstanding"], got2["invoices"][0]["overdue"]) == ("30.00", True)
    assert got2["balance"]["overdue"] == "30.00"


def test_an_invoice_without_due_date_is_due_after_the_customers_payment_terms(world: World) -> None:
    assert world.admin.patch(f"/customers/{world.customer['id']}", {"payment_terms": 14}).status_code == 200
    o = confirmed(world)
    got = invoice(world, o["id"], "24.00").json
    assert got["invoices"][0]["due_date"] == "2026-11-16"
    # The terms of the day it was recorded stay with it.
    world.admin.patch(f"/customers/{world.customer['id']}", {"payment_terms": 60})
    assert world.desk.get(f"/orders/{o['id']}").json["invoices"][0]["due_date"] == "2026-11-16"
    assert_error(invoice(world, o["id"], "1.00", "FV-2", due_date="2026-11-01"), 422, "validation_failed")


@pytest.mark.parametrize("terms", [-1, 366, "30 days", 1.5, True])
def test_payment_terms_are_whole_days(world: World, terms: Any) -> None:
    r = world.admin.patch(f"/customers/{world.customer['id']}", {"payment_terms": terms})
    assert_error(r, 422, "validation_failed")
