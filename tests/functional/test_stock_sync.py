"""PUT /stock (API.md "Machine clients"): stock by sku and site, up to 1,000 entries, valid entries
applied, each refused one reported by its index and field."""

from __future__ import annotations

from typing import Any

import pytest

from tests.functional.conftest import Api


@pytest.fixture
def catalog(admin: Api) -> dict[str, Any]:
    sites = [admin.post("/sites", {"code": c, "name": c}).json["id"] for c in ("WAW", "KRK")]
    made = []
    for i in range(3):
        body = {"sku": f"ST-{i}", "name": f"Stocked {i}", "base_price": "1.00", "tax_rate": "0.23"}
        r = admin.post("/products", body)
        assert r.status_code == 201, r.body
        made.append(r.json)
    return {"sites": sites, "products": made}


def stock_of(admin: Api, product_id: str) -> dict[str, Any]:
    return dict(admin.get(f"/products/{product_id}").json["stock"])


def test_valid_entries_are_applied_and_each_refused_one_is_reported(admin: Api, catalog: dict[str, Any]) -> None:
    waw, krk = catalog["sites"]
    p0, p1, p2 = catalog["products"]
    entries = [
        {"sku": "ST-0", "site_id": waw, "quantity": 12},
        {"sku": "st-1", "site_id": krk, "quantity": 3.5},  # skus match in any case
        {"sku": "NOPE", "site_id": waw, "quantity": 1},
        {"sku": "ST-2", "site_id": "nosuchsite", "quantity": 1},
        {"sku": "ST-2", "site_id": waw, "quantity": -1},
        {"sku": "ST-2", "site_id": waw},
        {"sku": "ST-2", "site_id": waw, "quantity": 1, "colour": "red"},
        {"sku": "ST-0", "site_id": krk, "quantity": 0},
    ]
    r = admin.put("/stock", {"entries": entries})
    assert r.status_code == 200, r.body
    assert r.json["updated"] == 3 and r.json["unchanged"] == 0
    errors = {(e["index"], e["field"]) for e in r.json["errors"]}
    assert errors == {(2, "sku"), (3, "site_id"), (4, "quantity"), (5, "quantity"), (6, "colour")}
    messages = {e["index"]: e["message"] for e in r.json["errors"]}
    assert messages[4] == "entries[4].quantity must be from 0 to 1000000000."
    assert messages[6] == "entries[6].colour is not a field of this request; remove it."
    assert messages[2] == "No product has the sku 'NOPE'."
    assert stock_of(admin, p0["id"]) == {waw: 12, krk: 0}
    assert stock_of(admin, p1["id"]) == {krk: 3.5}
    assert stock_of(admin, p2["id"]) == {}
    # The same levels again change nothing.
    again = admin.put("/stock", {"entries": [entries[0], entries[1]]})
    assert again.json == {"updated": 0, "unchanged": 2, "errors": []}
    # one write for the two sites of ST-0, none for the repeat: the ETag moved once
    assert admin.get(f"/products/{p0['id']}").headers["ETag"] == '"2"'


def test_a_thousand_entries_in_one_call_and_no_more(admin: Api, catalog: dict[str, Any]) -> None:
    waw, krk = catalog["sites"]
    entries = [{"sku": f"ST-{i % 3}", "site_id": (waw, krk)[i % 2], "quantity": i} for i in range(1000)]
    r = admin.put("/stock", {"entries": entries})
    assert r.status_code == 200, r.body
    assert r.json["updated"] + r.json["unchanged"] == 1000 and r.json["errors"] == []
    last = {(e["sku"], e["site_id"]): e["quantity"] for e in entries}  # a later entry wins
    assert stock_of(admin, catalog["products"][0]["id"]) == {
        site: q for (sku, site), q in last.items() if sku == "ST-0"
    }
    too_many = admin.put("/stock", {"entries": entries + entries[:1]})
    assert too_many.status_code == 422
    not_objects = admin.put("/stock", {"entries": [entries[0], "ST-1"]})
    assert not_objects.status_code == 422 and not_objects.json["error"]["details"][0]["field"] == "entries[1]"


def test_a_product_edit_and_a_stock_sync_lose_neither(admin: Api, catalog: dict[str, Any]) -> None:
    waw, _ = catalog["sites"]
    p0 = catalog["products"][0]
    etag = admin.get(f"/products/{p0['id']}").headers["ETag"]
    assert admin.put("/stock", {"entries": [{"sku": "ST-0", "site_id": waw, "quantity": 7}]}).json["updated"] == 1
    stale = admin.patch(f"/products/{p0['id']}", {"name": "Renamed"}, headers={"If-Match": etag})
    assert stale.status_code == 412  # the stock write moved the version: a stale edit cannot undo it
    assert admin.patch(f"/products/{p0['id']}", {"name": "Renamed"}).status_code == 200
    assert stock_of(admin, p0["id"]) == {waw: 7}


def test_only_catalog_managers(admin: Api, anon: Api, catalog: dict[str, Any]) -> None:
    key = admin.post("/api-keys", {"name": "ERP", "permissions": ["catalog.manage"]}).json["key"]
    waw, _ = catalog["sites"]
    body = {"entries": [{"sku": "ST-1", "site_id": waw, "quantity": 5}]}
    assert anon.as_token(key).put("/stock", body).json["updated"] == 1
    reader = admin.post("/api-keys", {"name": "Reader", "permissions": ["orders.read_all"]}).json["key"]
    assert anon.as_token(reader).put("/stock", body).status_code == 403
    assert anon.put("/stock", body).status_code == 401


def test_a_product_changed_between_read_and_write_is_read_again(
    admin: Api, catalog: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    from chalicelib.storage import products

    waw, _ = catalog["sites"]
    real = products.get_many
    calls: list[int] = []

    def stale_first(tenant: str, ids: Any) -> Any:
        found = real(tenant, ids)
        calls.append(len(found))
        if len(calls) == 1:  # as if someone wrote ST-0 right after this read
            return [dataclasses.replace(p, version=p.version - 1) if p.sku == "ST-0" else p for p in found]
        return found

    monkeypatch.setattr(products, "get_many", stale_first)
    entries = [{"sku": "ST-0", "site_id": waw, "quantity": 4}, {"sku": "ST-1", "site_id": waw, "quantity": 5}]
    r = admin.put("/stock", {"entries": entries})
    assert r.json == {"updated": 2, "unchanged": 0, "errors": []}
    assert calls == [2, 1]  # the second read is of the stale product only
    assert stock_of(admin, catalog["products"][0]["id"]) == {waw: 4}


def test_during_a_csv_import_entries_are_refused_and_nothing_written(admin: Api, catalog: dict[str, Any]) -> None:
    from chalicelib.storage import products

    waw, _ = catalog["sites"]
    products.acquire_lease("acme", "someone-importing")
    r = admin.put("/stock", {"entries": [{"sku": "ST-0", "site_id": waw, "quantity": 4}]})
    assert r.status_code == 200
    assert r.json["updated"] == 0 and [e["index"] for e in r.json["errors"]] == [0]
    assert "import" in r.json["errors"][0]["message"]
    assert stock_of(admin, catalog["products"][0]["id"]) == {}
