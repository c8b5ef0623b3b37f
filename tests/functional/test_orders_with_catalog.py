"""Orders on the real catalog: visibility, the customer's own prices and tiers, prices frozen at submit."""

from __future__ import annotations

from tests.functional.conftest import USER_PASSWORD, Api, create_customer, create_user


def test_a_buyer_orders_from_the_portal_catalog_at_their_prices(admin: Api, anon: Api) -> None:
    shop = admin.post("/product-groups", {"name": "Shop", "portal": True}).json
    bolt = admin.post(
        "/products",
        {
            "sku": "BOLT-8",
            "name": "Bolt M8",
            "base_price": "1.00",
            "tax_rate": "0.20",
            "group_id": shop["id"],
            "barcodes": ["5900000000008"],
            "order_multiple": 10,
            "base_tiers": [{"min_quantity": 100, "price": "0.80"}],
        },
    ).json
    secret = admin.post(
        "/products", {"sku": "SECRET", "name": "Internal", "base_price": "5.00", "tax_rate": "0.20"}
    ).json
    c = create_customer(admin, "C-1")
    admin.put(
        f"/customers/{c['id']}/prices",
        {"entries": [{"product_id": bolt["id"], "price": "0.90", "tiers": [{"min_quantity": 100, "price": "0.70"}]}]},
    )
    create_user(admin, "buyer", ["customer-buyers"], customer_ids=[c["id"]])
    buyer = anon.login("acme", "buyer", USER_PASSWORD, "C-1")

    o = buyer.post("/orders", {"lines": [{"barcode": "5900000000008", "quantity": 50}]})
    assert o.status_code == 201, o.body
    assert o.json["lines"][0]["unit_price"] == "0.90"  # the customer's own price, not the base price
    oid = o.json["id"]
    assert buyer.post(f"/orders/{oid}/lines", {"sku": "BOLT-8", "quantity": 5}).status_code == 422  # multiple of 10
    assert buyer.post(f"/orders/{oid}/lines", {"product_id": secret["id"], "quantity": 1}).status_code == 422
    more = buyer.post(f"/orders/{oid}/lines", {"sku": "bolt-8", "quantity": 50})
    assert more.status_code == 201
    assert (more.json["lines"][0]["quantity"], more.json["lines"][0]["unit_price"]) == (100, "0.70")  # tier

    # Prices are taken once more at submit and frozen: a later price change leaves the order alone.
    admin.put(
        f"/customers/{c['id']}/prices",
        {"entries": [{"product_id": bolt["id"], "price": "0.95", "tiers": [{"min_quantity": 100, "price": "0.75"}]}]},
    )
    submitted = buyer.post(f"/orders/{oid}/submit").json
    assert submitted["lines"][0]["unit_price"] == "0.75"
    admin.put(f"/customers/{c['id']}/prices", {"entries": []})
    assert buyer.get(f"/orders/{oid}").json["totals"] == {"net": "75.00", "tax": "15.00", "gross": "90.00"}


def test_a_product_hidden_after_it_was_added_blocks_submit(admin: Api, anon: Api) -> None:
    p = admin.post(
        "/products", {"sku": "GONE", "name": "Soon hidden", "base_price": "2.00", "tax_rate": "0.20", "portal": True}
    ).json
    c = create_customer(admin, "C-1")
    create_user(admin, "buyer", ["customer-buyers"], customer_ids=[c["id"]])
    buyer = anon.login("acme", "buyer", USER_PASSWORD, "C-1")
    oid = buyer.post("/orders", {"lines": [{"sku": "GONE", "quantity": 1}]}).json["id"]
    admin.patch(f"/products/{p['id']}", {"portal": False})
    r = buyer.post(f"/orders/{oid}/submit")
    assert r.status_code == 422
    assert r.json["error"]["details"][0]["field"] == "lines[0]"
    assert buyer.get(f"/orders/{oid}").json["status"] == "draft"
