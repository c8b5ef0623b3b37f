"""Order actions price lines from the process's checked copies of the catalog (storage/offer_reads.py)
and rely on an approver the process has seen (services/approvers.py): no reads when the copies are
there, and every copy verified by the order's write, so a change to the original is never missed."""

from __future__ import annotations

from typing import Any

import pytest

from bench.counting import storage_counter
from tests.functional.conftest import USER_PASSWORD, Api, create_customer, create_user


@pytest.fixture
def shop(admin: Api, anon: Api) -> dict[str, Any]:
    group = admin.post("/product-groups", {"name": "Shop", "portal": True}).json
    products = {
        sku: admin.post(
            "/products",
            {
                "sku": sku,
                "name": f"Product {sku}",
                "base_price": price,
                "tax_rate": "0.20",
                "group_id": group["id"],
                "barcodes": [barcode],
            },
        ).json
        for sku, price, barcode in (("NUT-1", "1.00", "5900000000101"), ("NUT-2", "2.00", "5900000000102"))
    }
    plist = admin.post("/price-lists", {"name": "Trade", "currency": "EUR", "entries": []}).json
    c = create_customer(admin, "C-1", approval_policy="always", price_list_id=plist["id"])
    create_user(admin, "buyer", ["customer-buyers"], customer_ids=[c["id"]])
    create_user(admin, "boss", ["customer-approvers"], customer_ids=[c["id"]])
    buyer = anon.login("acme", "buyer", USER_PASSWORD, "C-1")
    return {"customer": c, "products": products, "group": group, "list": plist, "buyer": buyer, "anon": anon}


def calls(call: Any) -> tuple[Any, dict[str, int]]:
    with storage_counter().measure() as tally:
        reply = call()
    operations: dict[str, int] = tally.summary()["operations"]
    return reply, operations


def test_with_copies_a_create_and_a_line_are_one_read_and_one_write(shop: dict[str, Any]) -> None:
    buyer = shop["buyer"]
    first, ops = calls(lambda: buyer.post("/orders", {"lines": [{"sku": "NUT-1", "quantity": 1}]}))
    assert first.status_code == 201, first.body
    # A cold process reads the catalog: the sku's guard with the customer, settings and counter; then the
    # product, its prices and its group.
    assert ops == {"BatchGetItem": 3, "TransactWriteItems": 1}
    r, ops = calls(lambda: buyer.post("/orders", {"lines": [{"sku": "NUT-1", "quantity": 3}]}))
    assert r.status_code == 201 and r.json["lines"][0]["unit_price"] == "1.00"
    assert ops == {"BatchGetItem": 1, "TransactWriteItems": 1}
    oid = r.json["id"]
    # NUT-2 was never read: its guard, then it and its prices, then its group (read, never taken on trust).
    r, ops = calls(lambda: buyer.post(f"/orders/{oid}/lines", {"barcode": "5900000000102", "quantity": 1}))
    assert r.status_code == 201, r.body
    assert ops == {"Query": 1, "BatchGetItem": 3, "TransactWriteItems": 1}
    line = r.json["lines"][1]["id"]
    r, ops = calls(lambda: buyer.patch(f"/orders/{oid}/lines/{line}", {"quantity": 4}))
    assert r.status_code == 200 and ops == {"Query": 1, "TransactWriteItems": 1}
    r, ops = calls(lambda: buyer.post(f"/orders/{oid}/lines", {"sku": "nut-2", "quantity": 1}))
    assert r.json["lines"][1]["quantity"] == 5 and ops == {"Query": 1, "TransactWriteItems": 1}


def test_a_price_that_appears_after_the_copy_is_charged(shop: dict[str, Any], admin: Api) -> None:
    buyer, nut = shop["buyer"], shop["products"]["NUT-1"]
    oid = buyer.post("/orders", {"lines": [{"sku": "NUT-1", "quantity": 1}]}).json["id"]
    # The copy says: no price-list entry, no customer price. Both appear now.
    admin.put(
        f"/price-lists/{shop['list']['id']}",
        {"name": "Trade", "currency": "EUR", "entries": [{"product_id": nut["id"], "price": "0.90"}]},
    )
    r, ops = calls(lambda: buyer.post(f"/orders/{oid}/lines", {"sku": "NUT-1", "quantity": 1}))
    assert r.json["lines"][0]["unit_price"] == "0.90"
    assert ops["TransactWriteItems"] == 2  # the check of the copy failed; read, then written
    admin.put(f"/customers/{shop['customer']['id']}/prices", {"entries": [{"product_id": nut["id"], "price": "0.80"}]})
    assert buyer.post(f"/orders/{oid}/submit").json["lines"][0]["unit_price"] == "0.80"  # frozen at the new price


def test_a_sku_moved_to_another_product_after_the_copy_names_that_product(shop: dict[str, Any], admin: Api) -> None:
    buyer, products = shop["buyer"], shop["products"]
    buyer.post("/orders", {"lines": [{"sku": "NUT-1", "quantity": 1}, {"sku": "NUT-2", "quantity": 1}]})
    assert admin.patch(f"/products/{products['NUT-1']['id']}", {"sku": "OLD-1"}).status_code == 200
    assert admin.patch(f"/products/{products['NUT-2']['id']}", {"sku": "NUT-1"}).status_code == 200
    r = buyer.post("/orders", {"lines": [{"sku": "NUT-1", "quantity": 1}]})
    assert r.status_code == 201 and r.json["lines"][0]["product_id"] == products["NUT-2"]["id"]


def test_a_group_hidden_after_the_copy_refuses_the_line(shop: dict[str, Any], admin: Api) -> None:
    buyer = shop["buyer"]
    oid = buyer.post("/orders", {"lines": [{"sku": "NUT-1", "quantity": 1}]}).json["id"]
    admin.patch(f"/product-groups/{shop['group']['id']}", {"portal": False})
    r = buyer.post(f"/orders/{oid}/lines", {"sku": "NUT-2", "quantity": 1})
    assert r.status_code == 422  # not visible any more: decided on reads, not on the copy
    assert buyer.post(f"/orders/{oid}/submit").status_code == 422


def test_a_submit_relies_on_an_approver_seen_and_notices_them_gone(shop: dict[str, Any], admin: Api) -> None:
    buyer, anon = shop["buyer"], shop["anon"]
    anon.login("acme", "boss", USER_PASSWORD, "C-1")  # this process now knows an approver of C-1
    oid = buyer.post("/orders", {"lines": [{"sku": "NUT-1", "quantity": 1}]}).json["id"]
    r, ops = calls(lambda: buyer.post(f"/orders/{oid}/submit"))
    assert r.json["status"] == "pending_approval"
    assert ops == {"Query": 1, "TransactWriteItems": 1}  # nobody looked up: the write checked the approver
    boss = next(u for u in admin.get("/users").json["items"] if u["username"] == "boss")
    admin.patch(f"/users/{boss['id']}", {"status": "inactive"})
    second = buyer.post("/orders", {"lines": [{"sku": "NUT-1", "quantity": 1}]}).json["id"]
    r = buyer.post(f"/orders/{second}/submit")
    assert r.status_code == 409 and r.json["error"]["code"] == "no_approver"
    assert buyer.get(f"/orders/{second}").json["status"] == "draft"


def test_copies_of_prices_with_tiers_pass_their_checks(shop: dict[str, Any], admin: Api) -> None:
    buyer, nut = shop["buyer"], shop["products"]["NUT-1"]
    tiers = [{"min_quantity": 10, "price": "0.70"}, {"min_quantity": 100, "price": "0.60"}]
    admin.put(
        f"/price-lists/{shop['list']['id']}",
        {"name": "Trade", "currency": "EUR", "entries": [{"product_id": nut["id"], "price": "0.95", "tiers": tiers}]},
    )
    admin.put(
        f"/customers/{shop['customer']['id']}/prices",
        {"entries": [{"product_id": nut["id"], "price": "0.90", "tiers": tiers[:1]}]},
    )
    oid = buyer.post("/orders", {"lines": [{"sku": "NUT-1", "quantity": 1}]}).json["id"]  # reads, remembers
    line = buyer.get(f"/orders/{oid}").json["lines"][0]["id"]
    r, ops = calls(lambda: buyer.patch(f"/orders/{oid}/lines/{line}", {"quantity": 10}))
    assert r.json["lines"][0]["unit_price"] == "0.70"  # the customer's own tier
    assert ops == {"Query": 1, "TransactWriteItems": 1}  # entries with tiers, checked as they were read
