"""Money that adds up, through the HTTP API (issue 22, API.md "Money: invoices, payments, statements,
credit"): amounts that cannot be wrong, credit notes, prepayments, and payments allocated to invoices."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import pytest

from bench.counting import storage_counter
from chalicelib.bootstrap import get_services
from devstack.fakes import FakeEmailSender
from tests.functional.conftest import USER_PASSWORD, Api, Reply, create_customer, create_user
from tests.functional.order_world import World
from tests.functional.test_webhooks import Hooks, hooks  # noqa: F401 - the webhooks' fixture
from tests.stream_tap import StreamTap, run

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


# --- the statement ------------------------------------------------------------------------------------------
def counted(call: Any) -> tuple[Any, dict[str, int]]:
    with storage_counter().measure() as tally:
        reply = call()
    return reply, tally.summary()["operations"]


def test_the_statement_shows_what_the_customer_owes_and_its_invoices_newest_first(world: World) -> None:
    cid = world.customer["id"]
    world.admin.patch(f"/customers/{cid}", {"credit_limit": "500.00", "payment_terms": 60})
    first, second = confirmed(world, quantity=10), confirmed(world, quantity=5)  # 120.00 and 60.00
    past_due = (TODAY - timedelta(days=3)).isoformat()
    world.desk.post(
        f"/orders/{first['id']}/invoices",
        {"date": "2026-10-01", "number": "FV-OLD", "amount": "120.00", "due_date": past_due},
    )
    new = {"date": TODAY.isoformat(), "number": "FV-NEW", "amount": "60.00"}  # due in 60 days: not overdue
    world.desk.post(f"/orders/{second['id']}/invoices", new)
    pay(world, first["id"], "20.00")
    credit(world, first["id"], "10.00")
    r, cost = counted(lambda: world.desk.get(f"/customers/{cid}/statement"))
    assert r.status_code == 200, r.body
    assert cost == {"BatchGetItem": 1, "Query": 1}  # customer, settings and summary; the invoices
    s = r.json
    assert {k: s[k] for k in ("customer_id", "currency", "invoiced", "paid", "outstanding", "overdue")} == {
        "customer_id": cid,
        "currency": "EUR",
        "invoiced": "170.00",
        "paid": "20.00",
        "outstanding": "150.00",
        "overdue": "90.00",
    }
    assert (s["credit_limit"], s["available_credit"]) == ("500.00", "350.00")
    assert [
        (i["number"], i["order_number"], i["amount"], i["credited"], i["paid"], i["outstanding"], i["overdue"])
        for i in s["invoices"]
    ] == [
        ("FV-NEW", second["number"], "60.00", "0.00", "0.00", "60.00", False),
        ("FV-OLD", first["number"], "120.00", "10.00", "20.00", "90.00", True),
    ]
    page = world.desk.get(f"/customers/{cid}/statement?limit=1").json
    assert [i["number"] for i in page["invoices"]] == ["FV-NEW"] and page["next_cursor"]
    rest = world.desk.get(f"/customers/{cid}/statement?limit=1&cursor={page['next_cursor']}").json
    assert [i["number"] for i in rest["invoices"]] == ["FV-OLD"] and rest["outstanding"] == "150.00"
    # The customer's own users see it too.
    assert world.buyer.get(f"/customers/{cid}/statement").json["outstanding"] == "150.00"


def test_a_customer_without_invoices_owes_nothing(world: World) -> None:
    s = world.desk.get(f"/customers/{world.customer['id']}/statement").json
    assert (s["invoiced"], s["outstanding"], s["credit_limit"], s["available_credit"], s["invoices"]) == (
        "0.00",
        "0.00",
        None,
        None,
        [],
    )


def test_who_sees_a_statement(world: World) -> None:
    cid = world.customer["id"]
    head = create_customer(world.admin, "HQ-9")
    world.admin.patch(f"/customers/{cid}", {"parent_id": head["id"]})
    create_user(world.admin, "hq", ["customer-buyers"], customer_ids=[head["id"]])
    other = create_customer(world.admin, "C-900")
    create_user(world.admin, "stranger", ["customer-approvers"], customer_ids=[other["id"]])
    other_rep = create_user(world.admin, "rep2", ["sales-reps"], kind="staff")
    world.admin.patch(f"/customers/{other['id']}", {"sales_rep_id": other_rep["id"]})
    hq = world.anon.login("acme", "hq", USER_PASSWORD, "HQ-9")
    stranger = world.anon.login("acme", "stranger", USER_PASSWORD, "C-900")
    rep2 = world.anon.login("acme", "rep2", USER_PASSWORD)
    for api, status in (
        (world.rep, 200),
        (world.desk, 200),
        (world.buyer, 200),
        (hq, 200),
        (stranger, 404),
        (rep2, 404),
    ):
        assert api.get(f"/customers/{cid}/statement").status_code == status
    assert hq.get(f"/customers/{head['id']}/statement").status_code == 200
    assert world.buyer.get(f"/customers/{head['id']}/statement").status_code == 404  # a branch's users: not above
    assert world.desk.get("/customers/nope/statement").status_code == 404


def test_a_payment_is_three_round_trips_and_keeps_the_ledger_with_concurrent_payments(world: World) -> None:
    orders = [confirmed(world, quantity=10) for _ in range(4)]
    for n, o in enumerate(orders):
        invoice(world, o["id"], "120.00", f"FV-{n}")
    r, cost = counted(lambda: pay(world, orders[0]["id"], "10.00"))
    assert r.status_code == 201, r.body
    assert cost == {"Query": 1, "BatchGetItem": 1, "TransactWriteItems": 1}
    with ThreadPoolExecutor(max_workers=4) as pool:
        replies = list(pool.map(lambda o: pay(world, o["id"], "20.00", "PAY-C"), orders))
    assert [x.status_code for x in replies] == [201] * 4
    s = world.desk.get(f"/customers/{world.customer['id']}/statement").json
    assert (s["invoiced"], s["paid"], s["outstanding"]) == ("480.00", "90.00", "390.00")  # no payment lost


# --- credit limits -----------------------------------------------------------------------------------------
def owing(world: World, amount: str) -> dict[str, Any]:
    """An invoiced order of the customer that leaves it owing `amount` (a multiple of 12.00)."""
    o = confirmed(world, quantity=int(float(amount) // 12))
    assert invoice(world, o["id"], amount, f"FV-{amount}").status_code == 201
    return o


def submitted(world: World, quantity: int) -> dict[str, Any]:
    o = world.order(lines=[{"sku": "SKU-1", "quantity": quantity}])
    r = world.buyer.post(f"/orders/{o['id']}/submit")
    assert r.status_code == 200, r.body
    return r.json


def test_an_order_past_the_credit_limit_is_taken_on_hold_until_staff_release_it(world: World) -> None:
    mail = StreamTap()
    outbox = FakeEmailSender()
    get_services().email_sender = outbox
    world.admin.patch(f"/customers/{world.customer['id']}", {"credit_limit": "100.00"})
    owing(world, "60.00")
    within = submitted(world, 3)  # 36.00 + 60.00 owed = 96.00: within
    assert within["credit_hold"] is False
    mail.drain()
    draft = world.order(lines=[{"sku": "SKU-1", "quantity": 4}])
    r, cost = counted(lambda: world.buyer.post(f"/orders/{draft['id']}/submit"))
    assert cost == {"Query": 1, "BatchGetItem": 1, "TransactWriteItems": 1}  # what it owes: in the one BatchGet
    held = r.json  # 48.00 + 60.00 = 108.00: over
    assert (held["status"], held["credit_hold"]) == ("submitted", True)
    assert held["history"][-1]["action"] == "credit_hold"
    waiting = world.buyer.get(f"/orders/{held['id']}").json["waiting_on"]
    assert (waiting["kind"], [r["code"] for r in waiting["reasons"]]) == ("supplier", ["credit_hold"])
    assert "credit limit" in waiting["reasons"][0]["message"]
    assert run(mail.event()) == {"batchItemFailures": []}
    on_hold = [m for m in outbox.sent if m.dedupe_key.startswith("credit_hold_placed")]
    assert [m.to for m in on_hold] == ["rep@example.test"]  # the sales rep, nobody else
    assert held["number"] in on_hold[0].subject
    before = world.desk.get(f"/orders/{held['id']}").json
    refused = world.desk.post(f"/orders/{held['id']}/confirm")
    assert_error(refused, 409, "credit_hold")
    assert world.desk.get(f"/orders/{held['id']}").json == before
    assert_error(world.buyer.post(f"/orders/{held['id']}/release-credit-hold"), 403, "forbidden")
    released, cost = counted(lambda: world.rep.post(f"/orders/{held['id']}/release-credit-hold"))
    assert released.status_code == 200, released.body
    assert cost == {"Query": 1, "TransactWriteItems": 1}  # the order; the caller's rights checked in the write
    assert released.json["credit_hold"] is False and released.json["history"][-1]["action"] == "release_credit_hold"
    assert_error(world.rep.post(f"/orders/{held['id']}/release-credit-hold"), 409, "invalid_transition")
    assert world.desk.post(f"/orders/{held['id']}/confirm").json["status"] == "confirmed"
    recorded = [r["dynamodb"]["NewImage"] for r in mail.event()["Records"] if r["dynamodb"].get("NewImage")]
    types = [i["event_type"]["S"] for i in recorded if i.get("type", {}).get("S") == "order_event"]
    assert types == ["order.credit_hold_released", "order.confirmed"]  # the placement was read above


def test_who_may_release_a_credit_hold_is_the_policy_s_to_say(world: World) -> None:
    """Staff with orders.review who see the order release it (the order desk; its customer's sales rep);
    a sales rep of other customers does not see it (404); a buyer, and an API key that may fulfil but not
    review, see it but may not (403); nothing changes on a refusal."""
    world.admin.patch(f"/customers/{world.customer['id']}", {"credit_limit": "10.00"})
    held = submitted(world, 2)
    assert held["credit_hold"] is True
    create_user(world.admin, "farrep", ["sales-reps"], kind="staff")
    farrep = world.anon.login("acme", "farrep", USER_PASSWORD)
    key = world.admin.post("/api-keys", {"name": "ERP", "permissions": ["orders.read_all", "orders.fulfil"]})
    erp = Api(world.anon.client, key.json["key"])
    before = world.desk.get(f"/orders/{held['id']}").json
    path = f"/orders/{held['id']}/release-credit-hold"
    assert_error(farrep.post(path), 404, "not_found")
    assert_error(world.buyer.post(path), 403, "forbidden")
    assert_error(erp.post(path), 403, "forbidden")
    assert world.desk.get(f"/orders/{held['id']}").json == before
    released = world.desk.post(path)
    assert released.status_code == 200, released.body
    assert released.json["credit_hold"] is False


def test_payments_that_bring_the_customer_within_its_limit_lift_the_hold(world: World) -> None:
    world.admin.patch(f"/customers/{world.customer['id']}", {"credit_limit": "100.00"})
    old = owing(world, "60.00")
    held = submitted(world, 4)
    assert held["credit_hold"] is True
    pay(world, old["id"], "5.00")  # still 55.00 + 48.00 = 103.00
    assert_error(world.desk.post(f"/orders/{held['id']}/confirm"), 409, "credit_hold")
    pay(world, old["id"], "10.00", "PAY-2")  # 45.00 + 48.00 = 93.00
    got = world.desk.post(f"/orders/{held['id']}/confirm").json
    assert (got["status"], got["credit_hold"]) == ("confirmed", False)
    assert world.buyer.get(f"/orders/{held['id']}").json["waiting_on"]["kind"] is None
    assert [h["action"] for h in got["history"][-2:]] == ["release_credit_hold", "confirm"]


def test_a_staff_order_accepted_past_the_limit_is_confirmed_on_hold_and_does_not_ship(world: World) -> None:
    world.admin.patch(f"/customers/{world.customer['id']}", {"credit_limit": "50.00"})
    owing(world, "24.00")
    o = world.order(world.rep, lines=[{"sku": "SKU-1", "quantity": 3}], customer_id=world.customer["id"])
    assert world.rep.post(f"/orders/{o['id']}/send").status_code == 200
    accepted = world.buyer.post(f"/orders/{o['id']}/accept").json  # 36.00 + 24.00 = 60.00: over
    assert (accepted["status"], accepted["credit_hold"]) == ("confirmed", True)
    waiting = world.buyer.get(f"/orders/{o['id']}").json["waiting_on"]
    assert (waiting["kind"], [r["code"] for r in waiting["reasons"]]) == ("supplier", ["credit_hold"])
    assert_error(
        world.desk.post(f"/orders/{o['id']}/shipments", {"date": "2026-11-24", "document_number": "WZ"}),
        409,
        "credit_hold",
    )
    assert world.rep.post(f"/orders/{o['id']}/release-credit-hold").status_code == 200
    assert (
        world.desk.post(f"/orders/{o['id']}/shipments", {"date": "2026-11-24", "document_number": "WZ"}).status_code
        == 201
    )


def test_without_a_credit_limit_nothing_is_held(world: World) -> None:
    owing(world, "600.00")
    assert submitted(world, 50)["credit_hold"] is False


# --- shipments that say what they carry --------------------------------------------------------------------
def test_a_partial_shipment_tells_what_the_parcel_carries_and_what_is_backordered(world: World) -> None:
    tap = StreamTap()
    outbox = FakeEmailSender()
    get_services().email_sender = outbox
    o = world.order(lines=[{"sku": "SKU-1", "quantity": 5}, {"sku": "BOX-6", "quantity": 12}])
    world.buyer.post(f"/orders/{o['id']}/submit")
    o = world.desk.post(f"/orders/{o['id']}/confirm").json
    assert [line["backordered"] for line in o["lines"]] == [0, 0]  # nothing shipped yet: nothing backordered
    sku1 = o["lines"][0]["id"]
    tap.drain()
    body = {"date": "2026-11-24", "document_number": "WZ-1", "lines": [{"id": sku1, "quantity": 2}]}
    shipped = world.desk.post(f"/orders/{o['id']}/shipments", body).json
    assert [(line["sku"], line["shipped_quantity"], line["backordered"]) for line in shipped["lines"]] == [
        ("SKU-1", 2, 3),
        ("BOX-6", 0, 12),
    ]
    assert run(tap.event()) == {"batchItemFailures": []}
    (mail,) = [m for m in outbox.sent if m.dedupe_key.startswith("shipment_recorded")]
    text = mail.text
    parcel = text.split("In this parcel:\n", 1)[1].split("Still to ship:", 1)[0]
    assert parcel.splitlines()[0].startswith("- SKU-1") and parcel.splitlines()[0].endswith(": 2")
    still = text.split("Still to ship:\n", 1)[1].splitlines()[:2]
    assert still[0].startswith("- SKU-1") and still[0].endswith(": 3")
    assert still[1].startswith("- BOX-6") and still[1].endswith(": 12")
    assert len(parcel.strip().splitlines()) == 1  # only what the parcel carries (a list: "- " before each line)
    rest = world.desk.post(f"/orders/{o['id']}/shipments", {"date": "2026-11-25", "document_number": "WZ-2"}).json
    assert [line["backordered"] for line in rest["lines"]] == [0, 0] and rest["status"] == "shipped"
    assert run(tap.event()) == {"batchItemFailures": []}
    last = [m for m in outbox.sent if m.dedupe_key.startswith("shipment_recorded")][-1]
    assert "Still to ship" not in last.text and "In this parcel" in last.text


# --- events and webhooks -----------------------------------------------------------------------------------
def test_credit_notes_and_holds_reach_the_webhooks_subscribed_to_them(hooks: Hooks) -> None:  # noqa: F811 - fixture
    w = hooks.world
    hooks.subscribe(types=["order.credit_note_recorded", "order.credit_hold_placed", "order.credit_hold_released"])
    cid = w.customer["id"]
    w.admin.patch(f"/customers/{cid}", {"credit_limit": "10.00"})
    held = submitted(w, 2)  # 24.00 over 10.00
    assert w.rep.post(f"/orders/{held['id']}/release-credit-hold").status_code == 200
    w.admin.patch(f"/customers/{cid}", {"credit_limit": None})
    o = confirmed(w)
    invoice(w, o["id"], "24.00")
    assert credit(w, o["id"], "4.00").status_code == 201
    queued = hooks.stream()
    assert hooks.attempt_all(queued) == ["succeeded"] * 3
    events = [json.loads(body) for _, _, body in hooks.receiver.posts]
    assert [(e["type"], e["order_id"]) for e in events] == [
        ("order.credit_hold_placed", held["id"]),
        ("order.credit_hold_released", held["id"]),
        ("order.credit_note_recorded", o["id"]),
    ]
    placed, _, noted = (e["data"] for e in events)
    assert (placed["credit_limit"], placed["outstanding"]) == ("10.00", "0.00")
    assert noted["document"]["reason"] == "Two units arrived broken."
    assert noted["invoice_status"] == "partially_invoiced"
