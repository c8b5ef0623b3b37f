"""Products and product groups: every field, unique sku and barcodes, versions, permissions, tenants."""

from __future__ import annotations

from typing import Any

from tests.functional.catalog_support import (
    create_group,
    create_product,
    ids,
    no_scan,  # noqa: F401 (autouse: no Scan behind any request)
)
from tests.functional.conftest import USER_PASSWORD, Api, create_user, make_tenant


def test_staff_create_a_product_with_every_field_and_read_it_back(admin: Api) -> None:
    site = admin.post("/sites", {"code": "WH1", "name": "Warehouse"}).json
    group = create_group(admin, "Fasteners", portal=True)
    body = {
        "sku": "BOLT-M8",
        "name": "Hex bolt M8",
        "description": "Zinc plated, DIN 933",
        "barcodes": ["4006381333931", "012345678905"],
        "group_id": group["id"],
        "unit": "box",
        "min_quantity": 2,
        "order_multiple": 0.5,
        "base_price": "12.50",
        "base_tiers": [{"min_quantity": 10, "price": "11.00"}],
        "tax_rate": "0.2",
        "portal": False,
        "status": "active",
        "stock": {site["id"]: 12},
    }
    r = admin.post("/products", body)
    assert r.status_code == 201, r.body
    assert r.headers["ETag"] == '"1"'
    got = admin.get(f"/products/{r.json['id']}")
    assert got.status_code == 200
    assert got.json == {**body, "id": r.json["id"], "tax_rate": "0.20", "visible": True, "customer_price": None}


def test_sku_is_unique_per_tenant_whatever_its_case(admin: Api) -> None:
    create_product(admin, "ABC-1")
    r = admin.post("/products", {"sku": "abc-1", "name": "Again", "base_price": "1.00", "tax_rate": "0.20"})
    assert r.status_code == 409
    assert r.json["error"]["code"] == "duplicate"


def test_each_barcode_is_unique_per_tenant(admin: Api) -> None:
    create_product(admin, "A-1", barcodes=["111111", "222222"])
    r = admin.post(
        "/products", {"sku": "B-1", "name": "B", "base_price": "1.00", "tax_rate": "0.20", "barcodes": ["222222"]}
    )
    assert r.status_code == 409
    assert r.json["error"]["code"] == "duplicate"
    assert "222222" in r.json["error"]["message"]
    assert ids(admin.get("/products?sku=B")) == []  # nothing of the refused product was written
    twice = {"sku": "C-1", "name": "C", "base_price": "1.00", "tax_rate": "0.20", "barcodes": ["333333", "333333"]}
    assert admin.post("/products", twice).status_code == 422


def test_changing_sku_and_barcodes_frees_the_old_values(admin: Api) -> None:
    p = create_product(admin, "OLD-1", barcodes=["555555"])
    r = admin.patch(f"/products/{p['id']}", {"sku": "NEW-1", "barcodes": ["666666"]})
    assert r.status_code == 200, r.body
    assert r.headers["ETag"] == '"2"'
    again = create_product(admin, "OLD-1", barcodes=["555555"])
    assert ids(admin.get("/products?barcode=555555")) == [again["id"]]
    assert ids(admin.get("/products?barcode=666666")) == [p["id"]]
    taken = admin.patch(f"/products/{p['id']}", {"sku": "old-1"})
    assert taken.status_code == 409


def test_a_stale_if_match_is_refused_with_412_and_changes_nothing(admin: Api) -> None:
    p = create_product(admin, "A-1")
    admin.patch(f"/products/{p['id']}", {"name": "First"})
    r = admin.patch(f"/products/{p['id']}", {"name": "Second"}, headers={"If-Match": '"1"'})
    assert r.status_code == 412
    assert admin.get(f"/products/{p['id']}").json["name"] == "First"


def test_patch_clears_description_and_group_but_not_required_fields(admin: Api) -> None:
    group = create_group(admin, "G")
    p = create_product(admin, "A-1", description="text", group_id=group["id"])
    r = admin.patch(f"/products/{p['id']}", {"description": None, "group_id": None})
    assert r.status_code == 200, r.body
    assert (r.json["description"], r.json["group_id"]) == (None, None)
    assert admin.patch(f"/products/{p['id']}", {"name": None}).status_code == 422


def test_references_and_values_are_validated(admin: Api) -> None:
    base = {"sku": "A-1", "name": "A", "base_price": "1.00", "tax_rate": "0.20"}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"group_id": "nope"}, "group_id"),
        ({"stock": {"nope": 1}}, "stock.nope"),
        ({"base_price": 1.5}, "base_price"),
        ({"tax_rate": "1.5"}, "tax_rate"),
        ({"min_quantity": 0}, "min_quantity"),
        ({"order_multiple": 0.0001}, "order_multiple"),
        ({"barcodes": ["a|b"]}, "barcodes[0]"),
        ({"status": "gone"}, "status"),
    ]
    for extra, field in cases:
        r = admin.post("/products", {**base, **extra})
        assert r.status_code == 422, (extra, r.body)
        assert r.json["error"]["details"][0]["field"] == field, (extra, r.json)


def test_changing_the_catalog_needs_catalog_manage(admin: Api) -> None:
    create_user(admin, "rep", ["sales-reps"], kind="staff")
    rep = admin.login("acme", "rep", USER_PASSWORD)
    p = create_product(admin, "A-1")
    assert rep.get(f"/products/{p['id']}").status_code == 200  # every staff user reads the catalog
    assert rep.patch(f"/products/{p['id']}", {"name": "X"}).status_code == 403
    assert rep.post("/product-groups", {"name": "G"}).status_code == 403
    assert rep.post("/products/import", raw=b"sku\nA-1\n", headers={"Content-Type": "text/csv"}).status_code == 403


def test_group_names_are_unique_and_a_rename_frees_the_old_name(admin: Api) -> None:
    g = create_group(admin, "Tools")
    assert admin.post("/product-groups", {"name": "tools"}).status_code == 409
    assert admin.patch(f"/product-groups/{g['id']}", {"name": "Hand tools"}).status_code == 200
    create_group(admin, "Tools")
    stale = admin.patch(f"/product-groups/{g['id']}", {"name": "Power tools"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412


def test_another_tenant_never_sees_a_tenants_products(admin: Api) -> None:
    group = create_group(admin, "Shown", portal=True)
    p = create_product(admin, "SECRET-1", name="Secret widget", barcodes=["777777"], group_id=group["id"])
    make_tenant("globex")
    other = admin.login("globex", "admin", "admin-password-1")
    assert other.get(f"/products/{p['id']}").status_code == 404
    assert other.patch(f"/products/{p['id']}", {"name": "Mine"}).status_code == 404
    assert ids(other.get("/products")) == []
    assert ids(other.get("/products?q=secret")) == []
    assert ids(other.get("/products?sku=SECRET")) == []
    assert ids(other.get("/products?barcode=777777")) == []
    assert ids(other.get(f"/products?group_id={group['id']}")) == []
    assert other.get(f"/product-groups/{group['id']}").status_code == 404
    assert other.get("/products/export").body.decode().count("\n") == 1  # the header only
    # Its sku and barcodes are free in the other tenant.
    r = other.post(
        "/products",
        {"sku": "SECRET-1", "name": "Own", "base_price": "1.00", "tax_rate": "0.20", "barcodes": ["777777"]},
    )
    assert r.status_code == 201, r.body


def test_a_cursor_from_one_listing_cannot_be_replayed_into_another_tenant(admin: Api) -> None:
    for n in range(3):
        create_product(admin, f"A-{n}")
    cursor = admin.get("/products?limit=1").json["next_cursor"]
    make_tenant("globex")
    other = admin.login("globex", "admin", "admin-password-1")
    assert other.get(f"/products?limit=1&cursor={cursor}").status_code == 400


def test_the_openapi_document_describes_the_catalog_routes(admin: Api) -> None:
    doc = admin.get("/openapi.json").json
    for path in ("/products", "/products/{product_id}", "/products/import", "/products/export", "/product-groups"):
        assert path in doc["paths"], path
    assert "/customers/{customer_id}/prices" in doc["paths"]
    assert "/price-lists/{list_id}" in doc["paths"]
    assert "text/csv" in doc["paths"]["/products/import"]["post"]["requestBody"]["content"]
