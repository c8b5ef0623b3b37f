"""Who sees a staff draft, and what a proposal shows while it is open (issue: the local stack as a new
user would use it, points 8 and 9)."""

from __future__ import annotations

from chalicelib.bootstrap import get_services
from devstack.fakes import FakeEmailSender
from tests.functional.conftest import create_customer
from tests.functional.order_world import World
from tests.stream_tap import StreamTap, run


def staff_draft(world: World) -> str:
    r = world.rep.post("/orders", {"customer_id": world.customer["id"], "lines": [{"sku": "SKU-1", "quantity": 2}]})
    assert r.status_code == 201, r.body
    return str(r.json["id"])


def test_a_staff_draft_stays_on_the_staff_side_until_sent(world: World) -> None:
    oid = staff_draft(world)
    # The approver sees every order of the organisation, but not the supplier's unsent work.
    assert world.approver.get(f"/orders/{oid}").status_code == 404
    assert world.approver.post(f"/orders/{oid}/cancel", {"reason": "Not ours"}).status_code == 404
    assert oid not in [o["id"] for o in world.approver.get("/orders").json["items"]]
    assert world.rep.get(f"/orders/{oid}").json["status"] == "draft"

    assert world.rep.post(f"/orders/{oid}/send").json["status"] == "awaiting_customer"
    assert world.approver.get(f"/orders/{oid}").status_code == 200
    assert oid in [o["id"] for o in world.approver.get("/orders").json["items"]]


def test_staff_see_the_orders_they_created_for_customers_not_theirs(world: World) -> None:
    other = create_customer(world.admin, "C-900")  # not the rep's customer
    r = world.rep.post("/orders", {"customer_id": other["id"], "lines": [{"sku": "SKU-1", "quantity": 1}]})
    assert r.status_code == 201, r.body
    assert world.rep.get(f"/orders/{r.json['id']}").status_code == 200
    assert world.rep.post(f"/orders/{r.json['id']}/send").status_code == 200


def test_an_open_proposal_keeps_the_agreed_totals_and_shows_its_own(world: World) -> None:
    outbox = FakeEmailSender()
    get_services().email_sender = outbox
    tap = StreamTap()
    o = world.order(lines=[{"sku": "SKU-1", "quantity": 2}])  # 24.00 gross
    assert world.buyer.post(f"/orders/{o['id']}/submit").json["status"] == "submitted"
    tap.drain()
    body = {
        "note": "One more box and a better price",
        "lines": [{"id": o["lines"][0]["id"], "quantity": 3, "unit_price": "9.00"}],
        "add_lines": [{"sku": "BOX-6", "quantity": 6}],
    }
    r = world.rep.post(f"/orders/{o['id']}/propose", body)
    assert r.status_code == 200, r.body
    # agreed: 2 x 10.00 = 20.00 net; proposed: 3 x 9.00 + 6 x 2.50 = 42.00 net
    assert r.json["totals"] == {"net": "20.00", "tax": "4.00", "gross": "24.00"}
    assert r.json["proposal"]["totals"] == {"net": "42.00", "tax": "8.40", "gross": "50.40"}

    assert run(tap.event()) == {"batchItemFailures": []}
    [mail] = outbox.sent
    assert "Total (gross): 24.00 EUR\nProposed total (gross): 50.40 EUR\n" in mail.text, mail.text

    accepted = world.buyer.post(f"/orders/{o['id']}/accept")
    assert accepted.json["totals"]["gross"] == "50.40" and accepted.json["proposal"] is None


def test_history_entries_name_who_acted(world: World) -> None:
    o = world.order()
    world.buyer.post(f"/orders/{o['id']}/submit")
    world.desk.post(f"/orders/{o['id']}/confirm")
    history = world.buyer.get(f"/orders/{o['id']}").json["history"]
    names = {(h["action"], h["by"] == world.ids["buyer"], h["by_name"]) for h in history}
    buyer = world.buyer.get("/me").json["name"]
    desk = world.desk.get("/me").json["name"]
    assert names == {("create", True, buyer), ("submit", True, buyer), ("confirm", False, desk)}
    assert buyer and desk and buyer != desk


def test_a_product_the_customer_may_not_order_is_reported_on_the_field_that_named_it(world: World) -> None:
    o = world.order()
    hidden = world.buyer.post(f"/orders/{o['id']}/lines", {"sku": "HIDDEN", "quantity": 1})
    assert hidden.status_code == 422, hidden.body
    assert [d["field"] for d in hidden.json["error"]["details"]] == ["sku"]
    unknown = world.buyer.post(f"/orders/{o['id']}/lines", {"product_id": "nope", "quantity": 1})
    assert [d["field"] for d in unknown.json["error"]["details"]] == ["product_id"]
    multiple = world.buyer.post(f"/orders/{o['id']}/lines", {"sku": "BOX-6", "quantity": 5})  # sold by 6
    assert [d["field"] for d in multiple.json["error"]["details"]] == ["quantity"]
    assert world.buyer.get(f"/orders/{o['id']}").json["version"] == o["version"]
