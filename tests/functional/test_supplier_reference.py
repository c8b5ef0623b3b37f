"""supplier_reference (API.md "Machine clients"): staff with orders.review set the ERP's number in any
status through PATCH /orders/{id} (one write, a history entry), and GET /orders?supplier_reference=
finds the order with one Query."""

from __future__ import annotations

from bench.counting import storage_counter
from tests.functional.order_world import World


def confirmed_order(world: World) -> str:
    order_id = str(world.order()["id"])
    assert world.buyer.post(f"/orders/{order_id}/submit").status_code == 200
    assert world.desk.post(f"/orders/{order_id}/confirm").status_code == 200
    return order_id


def listed(world: World, reference: str) -> list[dict[str, str]]:
    r = world.desk.get(f"/orders?supplier_reference={reference}")
    assert r.status_code == 200, r.body
    return list(r.json["items"])


def test_staff_set_it_in_any_status_and_find_the_order_by_it(world: World) -> None:
    order_id = confirmed_order(world)
    before = world.desk.get(f"/orders/{order_id}")
    r = world.desk.patch(
        f"/orders/{order_id}", {"supplier_reference": "SO-2026-17"}, headers={"If-Match": before.headers["ETag"]}
    )
    assert r.status_code == 200, r.body
    assert r.json["supplier_reference"] == "SO-2026-17" and r.json["status"] == "confirmed"
    assert r.json["history"][-1]["action"] == "set_supplier_reference"
    assert r.json["version"] == before.json["version"] + 1
    with storage_counter().measure() as tally:
        found = listed(world, "so-2026-17")  # any case
    assert tally.summary()["operations"] == {"Query": 1}
    assert [o["id"] for o in found] == [order_id]
    assert found[0]["supplier_reference"] == "SO-2026-17" and found[0]["status"] == "confirmed"
    # The entry follows the order: after a shipment the list shows its new state.
    shipped = world.desk.post(f"/orders/{order_id}/shipments", {"date": "2026-11-23", "document_number": "DN-1"})
    assert shipped.status_code == 201, shipped.body
    assert listed(world, "SO-2026-17")[0]["status"] == world.desk.get(f"/orders/{order_id}").json["status"]
    assert listed(world, "SO-2026-1") == []  # exact, not a prefix


def test_changing_or_clearing_it_moves_the_order_out_of_the_old_list(world: World) -> None:
    order_id = confirmed_order(world)
    assert world.desk.patch(f"/orders/{order_id}", {"supplier_reference": "A-1"}).status_code == 200
    assert world.desk.patch(f"/orders/{order_id}", {"supplier_reference": "A-2"}).status_code == 200
    assert listed(world, "A-1") == [] and [o["id"] for o in listed(world, "A-2")] == [order_id]
    r = world.desk.patch(f"/orders/{order_id}", {"supplier_reference": None})
    assert r.status_code == 200 and r.json["supplier_reference"] is None
    assert listed(world, "A-2") == []


def test_customers_may_neither_set_nor_search_it(world: World) -> None:
    order = world.order()
    r = world.buyer.patch(f"/orders/{order['id']}", {"supplier_reference": "X-1"})
    assert r.status_code == 403
    assert world.buyer.get(f"/orders/{order['id']}").json["supplier_reference"] is None
    assert world.buyer.get("/orders?supplier_reference=X-1").status_code == 403
    # The buyer still edits their draft as before.
    assert world.buyer.patch(f"/orders/{order['id']}", {"notes": "Gate 4"}).status_code == 200


def test_a_sales_rep_sets_it_on_their_customers_orders_and_an_api_key_too(world: World) -> None:
    order_id = confirmed_order(world)
    assert world.rep.patch(f"/orders/{order_id}", {"supplier_reference": "R-1"}).status_code == 200
    assert [o["id"] for o in world.rep.get("/orders?supplier_reference=R-1").json["items"]] == [order_id]
    key = world.admin.post("/api-keys", {"name": "ERP", "permissions": ["orders.read_all", "orders.review"]})
    erp = world.anon.as_token(key.json["key"])
    assert erp.patch(f"/orders/{order_id}", {"supplier_reference": "K-1"}).status_code == 200
    assert [o["id"] for o in erp.get("/orders?supplier_reference=K-1").json["items"]] == [order_id]


def test_bad_references_are_refused_and_change_nothing(world: World) -> None:
    order_id = confirmed_order(world)
    for bad in ("", "x" * 101, "a\u0000b"):
        r = world.desk.patch(f"/orders/{order_id}", {"supplier_reference": bad})
        assert r.status_code == 422, r.body
        assert r.json["error"]["details"][0]["field"] == "supplier_reference"
    assert world.desk.get(f"/orders/{order_id}").json["supplier_reference"] is None
    assert world.desk.get("/orders?supplier_reference=" + "x" * 101).status_code == 400
