"""Integrity: stale writes are refused, concurrent line additions all land, big orders work."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from chalicelib.auth.principal import Principal
from chalicelib.bootstrap import get_services
from chalicelib.domain.permissions import UserKind
from chalicelib.services.order_catalog import ProductRef
from chalicelib.storage.orders import DynamoOrderStore
from tests.functional.order_world import World, offer


def test_a_stale_if_match_is_412_and_changes_nothing(world: World) -> None:
    o = world.order()
    etag = world.buyer.get(f"/orders/{o['id']}").headers["ETag"]
    assert etag == f'"{o["version"]}"'
    r = world.buyer.post(f"/orders/{o['id']}/lines", {"sku": "BOX-6", "quantity": 6}, headers={"If-Match": etag})
    assert r.status_code == 201
    stale = world.buyer.patch(f"/orders/{o['id']}", {"notes": "late"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert stale.json["error"]["code"] == "version_mismatch"
    assert world.buyer.post(f"/orders/{o['id']}/submit", headers={"If-Match": etag}).status_code == 412
    current = world.buyer.get(f"/orders/{o['id']}").json
    assert current["notes"] is None and current["status"] == "draft"


def test_sixteen_concurrent_line_additions_lose_none(world: World) -> None:
    for i in range(16):
        world.catalog.add(offer(f"c{i}", f"CON-{i}", "1.00"))
    o = world.order()
    buyer = Principal(  # as stored now: the service decides on it as given (services/callers.py)
        "acme",
        world.ids["buyer"],
        UserKind.CUSTOMER,
        frozenset({"orders.place"}),
        (world.customer["id"],),
        current=True,
    )
    service = get_services().orders

    def add(i: int) -> None:
        service.add_line(buyer, o["id"], ProductRef(sku=f"CON-{i}"), Decimal(1), None, None)

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(add, range(16)))
    final = world.buyer.get(f"/orders/{o['id']}").json
    assert sorted(line["sku"] for line in final["lines"]) == sorted(["SKU-1", *[f"CON-{i}" for i in range(16)]])
    assert final["version"] == o["version"] + 16


def test_concurrent_additions_of_one_product_add_up(world: World) -> None:
    o = world.order(lines=[{"sku": "SKU-1", "quantity": 1}])
    buyer = Principal(  # as stored now: the service decides on it as given (services/callers.py)
        "acme",
        world.ids["buyer"],
        UserKind.CUSTOMER,
        frozenset({"orders.place"}),
        (world.customer["id"],),
        current=True,
    )
    service = get_services().orders
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(
            pool.map(
                lambda _: service.add_line(buyer, o["id"], ProductRef(sku="SKU-1"), Decimal(1), None, None), range(8)
            )
        )
    assert world.buyer.get(f"/orders/{o['id']}").json["lines"][0]["quantity"] == 9


def test_a_thousand_line_order_is_imported_submitted_and_confirmed(world: World) -> None:
    for i in range(1000):
        world.catalog.add(offer(f"big{i}", f"BIG-{i:04d}", "1.25"))
    o = world.order(lines=[{"sku": "BIG-0000", "quantity": 1}])
    csv_rows = "\n".join(f"BIG-{i:04d},2" for i in range(1, 1000))
    r = world.buyer.post(
        f"/orders/{o['id']}/lines/import", raw=f"code,quantity\n{csv_rows}\n", headers={"Content-Type": "text/csv"}
    )
    assert r.status_code == 200, r.body[:500]
    assert r.json["added"] == 999 and r.json["errors"] == []
    assert len(r.json["order"]["lines"]) == 1000
    over = world.buyer.post(f"/orders/{o['id']}/lines", {"sku": "SKU-1", "quantity": 1})
    assert over.status_code == 422  # 1,000 lines is the most an order holds
    submitted = world.buyer.post(f"/orders/{o['id']}/submit")
    assert submitted.status_code == 200 and submitted.json["status"] == "submitted"
    confirmed = world.desk.post(f"/orders/{o['id']}/confirm")
    assert confirmed.status_code == 200 and confirmed.json["status"] == "confirmed"
    assert confirmed.json["totals"]["net"] == "2498.75"  # 1.25 + 999 x 2.50
    loaded = DynamoOrderStore().load("acme", o["id"])
    assert loaded is not None and len(loaded.pages) == 10  # ten 100-line items, each well under 400 KB


def test_an_import_over_a_thousand_rows_is_refused(world: World) -> None:
    o = world.order()
    rows = "\n".join("SKU-1,1" for _ in range(1001))
    r = world.buyer.post(
        f"/orders/{o['id']}/lines/import", raw=f"code,quantity\n{rows}\n", headers={"Content-Type": "text/csv"}
    )
    assert r.status_code == 422
    assert world.buyer.get(f"/orders/{o['id']}").json["lines"][0]["quantity"] == 2


def test_the_same_idempotency_key_twice_makes_one_order(world: World) -> None:
    body = {"lines": [{"sku": "SKU-1", "quantity": 1}]}
    first = world.buyer.post("/orders", body, headers={"Idempotency-Key": "k-1"})
    again = world.buyer.post("/orders", body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len(world.buyer.get("/orders").json["items"]) == 1
    other = world.buyer.post(
        "/orders", {"lines": [{"sku": "SKU-1", "quantity": 2}]}, headers={"Idempotency-Key": "k-1"}
    )
    assert other.status_code == 409
    assert other.json["error"]["code"] == "idempotency_key_reused"
    assert len(world.buyer.get("/orders").json["items"]) == 1


def test_idempotency_keys_belong_to_their_caller(world: World) -> None:
    body = {"lines": [{"sku": "SKU-1", "quantity": 1}]}
    assert world.buyer.post("/orders", body, headers={"Idempotency-Key": "same"}).status_code == 201
    assert world.approver.post("/orders", body, headers={"Idempotency-Key": "same"}).status_code == 201
    assert len(world.approver.get("/orders").json["items"]) == 2  # the approver sees the organisation's orders


def test_a_replayed_action_does_not_act_twice(world: World) -> None:
    o = world.order()
    oid = o["id"]
    first = world.buyer.post(f"/orders/{oid}/messages", {"body": "hello"}, headers={"Idempotency-Key": "m"})
    again = world.buyer.post(f"/orders/{oid}/messages", {"body": "hello"}, headers={"Idempotency-Key": "m"})
    assert first.json == again.json
    assert len(world.buyer.get(f"/orders/{oid}/messages").json["items"]) == 1


def test_a_refused_request_does_not_burn_its_key(world: World) -> None:
    o = world.order()
    bad = world.buyer.post(
        f"/orders/{o['id']}/lines", {"sku": "BOX-6", "quantity": 5}, headers={"Idempotency-Key": "x"}
    )
    assert bad.status_code == 422
    good = world.buyer.post(
        f"/orders/{o['id']}/lines", {"sku": "BOX-6", "quantity": 5}, headers={"Idempotency-Key": "x"}
    )
    assert good.status_code == 422  # same request, evaluated again (nothing was stored for a refusal)
    assert world.buyer.post("/orders", {}, headers={"Idempotency-Key": "y" * 256}).status_code == 400


def test_an_order_write_claims_its_idempotency_key_in_its_own_transaction(world: World) -> None:
    from bench.counting import storage_counter

    body = {"lines": [{"sku": "SKU-1", "quantity": 1}]}
    with storage_counter().measure() as tally:
        first = world.buyer.post("/orders", body, headers={"Idempotency-Key": "c-1"})
    assert first.status_code == 201, first.body
    # The key's record, response included, is written by the create's own transaction: no extra call.
    assert tally.summary()["operations"] == {"BatchGetItem": 1, "TransactWriteItems": 1}
    replayed = world.buyer.post("/orders", body, headers={"Idempotency-Key": "c-1"})
    assert replayed.status_code == 201 and replayed.json == first.json
    assert replayed.headers["ETag"] == first.headers["ETag"] == '"1"'
    oid = first.json["id"]
    line = {"sku": "SKU-1", "quantity": 2}
    added = world.buyer.post(f"/orders/{oid}/lines", line, headers={"Idempotency-Key": "l-1"})
    again = world.buyer.post(f"/orders/{oid}/lines", line, headers={"Idempotency-Key": "l-1"})
    assert again.status_code == 201 and again.json == added.json  # the write failed on the claim: replayed
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert world.buyer.get(f"/orders/{oid}").json["lines"][0]["quantity"] == 3
    with storage_counter().measure() as tally:
        submitted = world.buyer.post(f"/orders/{oid}/submit", headers={"Idempotency-Key": "s-1"})
    assert submitted.json["status"] == "submitted"
    # the response is stored in the order's own write
    assert tally.summary()["operations"] == {"Query": 1, "BatchGetItem": 1, "TransactWriteItems": 1}
    replay = world.buyer.post(f"/orders/{oid}/submit", headers={"Idempotency-Key": "s-1"})
    assert replay.status_code == 200 and replay.json == submitted.json  # not invalid_transition: the same answer
    reused = world.buyer.post(f"/orders/{oid}/cancel", {"reason": "changed"}, headers={"Idempotency-Key": "s-1"})
    assert reused.status_code == 409 and reused.json["error"]["code"] == "idempotency_key_reused"
    assert world.buyer.get(f"/orders/{oid}").json["status"] == "submitted"
    fresh = world.buyer.post(f"/orders/{oid}/submit", headers={"Idempotency-Key": "s-2"})
    assert fresh.json["error"]["code"] == "invalid_transition"  # a new key is a new request
