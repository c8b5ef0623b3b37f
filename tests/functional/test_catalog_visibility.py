"""Portal visibility: customer users see active products whose own or group flag is on; nothing else."""

from __future__ import annotations

from tests.functional.catalog_support import (
    create_group,
    create_product,
    customer_user,
    ids,
    no_scan,  # noqa: F401 (autouse: no Scan behind any request)
)
from tests.functional.conftest import Api, create_customer


def test_hidden_product_is_invisible_to_a_customer_user_in_list_get_and_search_while_staff_sees_it(admin: Api) -> None:
    _, buyer = customer_user(admin, "C-1")
    shown = create_product(admin, "SHOWN-1", name="Steel bolt", portal=True, barcodes=["4000000000011"])
    hidden = create_product(admin, "HIDDEN-1", name="Steel nut", portal=False, barcodes=["4000000000028"])

    assert ids(buyer.get("/products")) == [shown["id"]]
    assert buyer.get(f"/products/{hidden['id']}").status_code == 404
    assert ids(buyer.get("/products?q=steel")) == [shown["id"]]
    assert ids(buyer.get("/products?q=nut")) == []
    assert ids(buyer.get("/products?sku=HIDDEN")) == []
    assert ids(buyer.get("/products?barcode=4000000000028")) == []

    assert set(ids(admin.get("/products"))) == {shown["id"], hidden["id"]}
    assert admin.get(f"/products/{hidden['id']}").status_code == 200
    assert set(ids(admin.get("/products?q=steel"))) == {shown["id"], hidden["id"]}
    assert ids(admin.get("/products?barcode=4000000000028")) == [hidden["id"]]


def test_a_product_becomes_visible_through_its_group_without_being_rewritten(admin: Api) -> None:
    _, buyer = customer_user(admin, "C-1")
    group = create_group(admin, "Fasteners", portal=False)
    product = create_product(admin, "BOLT-1", group_id=group["id"], portal=False)
    version_before = admin.get(f"/products/{product['id']}").headers["ETag"]
    assert buyer.get(f"/products/{product['id']}").status_code == 404

    r = admin.patch(f"/product-groups/{group['id']}", {"portal": True})
    assert r.status_code == 200, r.body

    assert buyer.get(f"/products/{product['id']}").status_code == 200
    assert ids(buyer.get("/products")) == [product["id"]]
    assert ids(buyer.get(f"/products?group_id={group['id']}")) == [product["id"]]
    assert admin.get(f"/products/{product['id']}").headers["ETag"] == version_before  # product untouched

    admin.patch(f"/product-groups/{group['id']}", {"portal": False})
    assert buyer.get(f"/products/{product['id']}").status_code == 404


def test_an_inactive_product_is_hidden_even_when_its_flag_is_on(admin: Api) -> None:
    _, buyer = customer_user(admin, "C-1")
    product = create_product(admin, "OLD-1", portal=True, status="inactive")
    assert buyer.get(f"/products/{product['id']}").status_code == 404
    assert ids(buyer.get("/products")) == []
    assert admin.get(f"/products/{product['id']}").json["visible"] is False


def test_customer_users_see_their_price_and_never_the_base_price_or_internal_fields(admin: Api) -> None:
    _, buyer = customer_user(admin, "C-1")
    product = create_product(admin, "P-1", portal=True, base_price="12.50")
    body = buyer.get(f"/products/{product['id']}").json
    assert body["price"] == "12.50"
    assert body["currency"] == "EUR"
    for internal in ("base_price", "base_tiers", "portal", "status", "stock", "customer_price"):
        assert internal not in body
    assert buyer.get("/products").json["items"][0].keys() == body.keys()


def test_a_customer_user_asking_for_another_customers_prices_gets_404(admin: Api) -> None:
    _, buyer = customer_user(admin, "C-1")
    other = create_customer(admin, "C-2")
    product = create_product(admin, "P-1", portal=True)
    assert buyer.get(f"/products?customer_id={other['id']}").status_code == 404
    assert buyer.get(f"/products/{product['id']}?customer_id={other['id']}").status_code == 404


def test_customer_users_see_only_the_portal_groups(admin: Api) -> None:
    _, buyer = customer_user(admin, "C-1")
    shown = create_group(admin, "Shown", portal=True)
    hidden = create_group(admin, "Internal", portal=False)
    assert [g["id"] for g in buyer.get("/product-groups").json["items"]] == [shown["id"]]
    assert buyer.get(f"/product-groups/{hidden['id']}").status_code == 404
    assert len(admin.get("/product-groups").json["items"]) == 2


def test_customer_users_see_the_stock_of_the_sites_they_may_use(admin: Api) -> None:
    north = admin.post("/sites", {"code": "N", "name": "North"}).json
    south = admin.post("/sites", {"code": "S", "name": "South"}).json
    c = create_customer(admin, "C-1")
    from tests.functional.conftest import USER_PASSWORD, create_user

    create_user(admin, "north-buyer", ["customer-buyers"], customer_ids=[c["id"]], site_ids=[north["id"]])
    buyer = admin.login("acme", "north-buyer", USER_PASSWORD, customer_number="C-1")
    product = create_product(admin, "P-1", portal=True, stock={north["id"]: 12, south["id"]: 3.5})
    assert buyer.get(f"/products/{product['id']}").json["available"] == {north["id"]: 12}
    assert admin.get(f"/products/{product['id']}").json["stock"] == {north["id"]: 12, south["id"]: 3.5}


def test_customer_users_may_not_change_the_catalog(admin: Api) -> None:
    _, buyer = customer_user(admin, "C-1")
    product = create_product(admin, "P-1", portal=True)
    assert (
        buyer.post("/products", {"sku": "X", "name": "X", "base_price": "1.00", "tax_rate": "0.20"}).status_code == 403
    )
    assert buyer.patch(f"/products/{product['id']}", {"name": "Mine"}).status_code == 403
    assert buyer.post("/product-groups", {"name": "G"}).status_code == 403
    assert buyer.get("/products/export").status_code == 403
