"""Effective prices: customer-specific, else price list, else base price; each with quantity tiers."""

from __future__ import annotations

from typing import Any

from tests.functional.catalog_support import (
    create_product,
    customer_user,
    no_scan,  # noqa: F401 (autouse: no Scan behind any request)
)
from tests.functional.conftest import USER_PASSWORD, Api, create_customer, create_user, make_tenant


def _tiers(*pairs: tuple[int, str]) -> list[dict[str, Any]]:
    return [{"min_quantity": q, "price": p} for q, p in pairs]


def test_three_customers_see_three_different_prices_for_one_product_with_their_tiers(admin: Api) -> None:
    product = create_product(admin, "BOLT-1", portal=True, base_price="10.00", base_tiers=_tiers((100, "9.00")))
    price_list = admin.post(
        "/price-lists",
        {
            "name": "Wholesale",
            "entries": [{"product_id": product["id"], "price": "8.50", "tiers": _tiers((50, "8.00"))}],
        },
    )
    assert price_list.status_code == 201, price_list.body

    _, base_buyer = customer_user(admin, "C-BASE")
    _, list_buyer = customer_user(admin, "C-LIST", price_list_id=price_list.json["id"])
    special, special_buyer = customer_user(admin, "C-OWN", price_list_id=price_list.json["id"])
    r = admin.put(
        f"/customers/{special['id']}/prices",
        {"entries": [{"product_id": product["id"], "price": "7.25", "tiers": _tiers((10, "7.00"), (20, "6.90"))}]},
    )
    assert r.status_code == 200, r.body

    seen = {
        name: buyer.get(f"/products/{product['id']}").json
        for name, buyer in (("base", base_buyer), ("list", list_buyer), ("own", special_buyer))
    }
    assert {n: body["price"] for n, body in seen.items()} == {"base": "10.00", "list": "8.50", "own": "7.25"}
    assert seen["base"]["tiers"] == _tiers((100, "9.00"))
    assert seen["list"]["tiers"] == _tiers((50, "8.00"))
    assert seen["own"]["tiers"] == _tiers((10, "7.00"), (20, "6.90"))
    # The same in lists, which price a whole page at once.
    assert [p["price"] for p in special_buyer.get("/products").json["items"]] == ["7.25"]


def test_staff_see_the_base_price_and_may_ask_what_a_customer_pays(admin: Api) -> None:
    product = create_product(admin, "P-1", base_price="10.00")
    customer = create_customer(admin, "C-1")
    admin.put(f"/customers/{customer['id']}/prices", {"entries": [{"product_id": product["id"], "price": "9.99"}]})

    plain = admin.get(f"/products/{product['id']}").json
    assert plain["base_price"] == "10.00"
    assert plain["customer_price"] is None
    priced = admin.get(f"/products/{product['id']}?customer_id={customer['id']}").json
    assert priced["customer_price"] == {
        "customer_id": customer["id"],
        "price": "9.99",
        "currency": "EUR",
        "source": "customer",
        "tiers": [],
    }


def test_put_price_list_replaces_its_entries(admin: Api) -> None:
    a = create_product(admin, "A-1")
    b = create_product(admin, "B-1")
    created = admin.post("/price-lists", {"name": "L", "entries": [{"product_id": a["id"], "price": "1.00"}]}).json
    r = admin.put(
        f"/price-lists/{created['id']}",
        {"name": "L2", "entries": [{"product_id": b["id"], "price": "2.00", "tiers": _tiers((5, "1.50"))}]},
        headers={"If-Match": admin.get(f"/price-lists/{created['id']}").headers["ETag"]},
    )
    assert r.status_code == 200, r.body
    got = admin.get(f"/price-lists/{created['id']}").json
    assert got == {
        "id": created["id"],
        "name": "L2",
        "currency": "EUR",
        "entries": [{"product_id": b["id"], "price": "2.00", "tiers": _tiers((5, "1.50"))}],
    }
    assert [pl["name"] for pl in admin.get("/price-lists").json["items"]] == ["L2"]
    stale = admin.put(f"/price-lists/{created['id']}", {"name": "L3"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412


def test_price_entries_must_name_existing_products_once_each_with_distinct_tiers(admin: Api) -> None:
    product = create_product(admin, "A-1")
    unknown = admin.post("/price-lists", {"name": "L", "entries": [{"product_id": "nope", "price": "1.00"}]})
    assert unknown.status_code == 422
    assert unknown.json["error"]["details"][0]["field"] == "entries[0].product_id"
    twice = [{"product_id": product["id"], "price": "1.00"}] * 2
    assert admin.post("/price-lists", {"name": "L", "entries": twice}).status_code == 422
    same_tier = [{"product_id": product["id"], "price": "1.00", "tiers": _tiers((5, "0.90"), (5, "0.80"))}]
    assert admin.post("/price-lists", {"name": "L", "entries": same_tier}).status_code == 422
    float_price = [{"product_id": product["id"], "price": 1.5}]
    assert admin.post("/price-lists", {"name": "L", "entries": float_price}).status_code == 422


def test_price_lists_are_in_the_tenant_currency(admin: Api) -> None:
    r = admin.post("/price-lists", {"name": "Dollars", "currency": "USD"})
    assert r.status_code == 422
    assert r.json["error"]["details"][0]["field"] == "currency"


def test_a_customer_can_only_be_given_an_existing_price_list(admin: Api) -> None:
    r = admin.post("/customers", {"number": "C-1", "name": "C", "price_list_id": "missing"})
    assert r.status_code == 422
    customer = create_customer(admin, "C-2")
    assert admin.patch(f"/customers/{customer['id']}", {"price_list_id": "missing"}).status_code == 422


def test_prices_need_prices_manage(admin: Api) -> None:
    customer = create_customer(admin, "C-1")
    create_user(admin, "rep", ["sales-reps"], kind="staff")
    rep = admin.login("acme", "rep", USER_PASSWORD)
    assert rep.get("/price-lists").status_code == 403
    assert rep.post("/price-lists", {"name": "L"}).status_code == 403
    assert rep.get(f"/customers/{customer['id']}/prices").status_code == 403
    assert rep.put(f"/customers/{customer['id']}/prices", {"entries": []}).status_code == 403


def test_customer_users_never_read_price_lists_or_customer_prices(admin: Api) -> None:
    customer, buyer = customer_user(admin, "C-1")
    price_list = admin.post("/price-lists", {"name": "L"}).json
    assert buyer.get("/price-lists").status_code == 403
    assert buyer.get(f"/price-lists/{price_list['id']}").status_code == 403
    assert buyer.get(f"/customers/{customer['id']}/prices").status_code == 403


def test_customer_prices_of_an_unknown_customer_are_404(admin: Api) -> None:
    assert admin.get("/customers/nope/prices").status_code == 404
    assert admin.put("/customers/nope/prices", {"entries": []}).status_code == 404


def test_another_tenant_never_sees_a_tenants_prices(admin: Api) -> None:
    product = create_product(admin, "A-1")
    customer = create_customer(admin, "C-1")
    price_list = admin.post("/price-lists", {"name": "L", "entries": [{"product_id": product["id"], "price": "1"}]})
    admin.put(f"/customers/{customer['id']}/prices", {"entries": [{"product_id": product["id"], "price": "2.00"}]})
    make_tenant("globex")
    other = admin.login("globex", "admin", "admin-password-1")
    assert other.get(f"/price-lists/{price_list.json['id']}").status_code == 404
    assert other.get("/price-lists").json["items"] == []
    assert other.get(f"/customers/{customer['id']}/prices").status_code == 404
    # Nor can it point its own prices at the first tenant's product.
    own = other.post("/price-lists", {"name": "X", "entries": [{"product_id": product["id"], "price": "1.00"}]})
    assert own.status_code == 422
