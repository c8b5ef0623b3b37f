"""The products repository on DynamoDB (moto): guards, search index, the catalog lease, bulk writes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.domain.catalog import Product, ProductGroup
from chalicelib.domain.errors import DuplicateError, VersionMismatchError
from chalicelib.domain.pricing import PriceEntry, Tier
from chalicelib.storage import keys, prices, product_groups, products
from chalicelib.storage.items import CatalogLeaseItem, ListPricesItem

T = "acme"


@pytest.fixture(autouse=True)
def no_scan(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Catalog code never scans: any Scan in these tests fails them."""
    from pynamodb.connection.base import Connection

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("Scan called by catalog code")

    monkeypatch.setattr(Connection, "scan", refuse)
    yield


def _p(pid: str, sku: str, name: str = "Hex bolt", **kw: Any) -> Product:
    return Product(id=pid, sku=sku, name=name, base_price=Decimal("1.00"), tax_rate=Decimal("0.20"), **kw)


def _search(prefix: str) -> list[tuple[str, str]]:
    return products.search_entries(T, prefix, 100, None).items


def test_a_created_product_is_found_by_id_sku_barcode_and_each_word() -> None:
    products.create(T, _p("p1", "AB-1", "Steel hex bolt", barcodes=["4006381333931"]))
    assert products.get(T, "p1").version == 1
    assert products.sku_prefix_ids(T, "ab", 10, None).items == ["p1"]
    assert products.barcode_owners(T, ["4006381333931"]) == {"4006381333931": "p1"}
    assert _search("st") == [("steel", "p1")]
    assert _search("ab-") == [("ab-1", "p1")]


def test_a_taken_sku_or_barcode_refuses_the_whole_write() -> None:
    products.create(T, _p("p1", "AB-1", barcodes=["111"]))
    with pytest.raises(DuplicateError):
        products.create(T, _p("p2", "ab-1", "Other thing"))
    with pytest.raises(DuplicateError) as caught:
        products.create(T, _p("p3", "CD-1", "Third thing", barcodes=["222", "111"]))
    assert "111" in caught.value.message
    assert products.get_many(T, ["p2", "p3"]) == []
    assert products.barcode_owners(T, ["222"]) == {}
    assert _search("third") == [] and _search("other") == []


def test_an_update_moves_guards_and_terms_and_checks_the_version() -> None:
    before = products.create(T, _p("p1", "OLD-1", "Blue paint", barcodes=["111"]))
    after = products.update(T, before, _p("p1", "NEW-1", "Red paint", barcodes=["222"], version=1))
    assert after.version == 2
    assert _search("blue") == [] and _search("red") == [("red", "p1")]
    assert products.sku_owners(T, ["OLD-1", "NEW-1"]) == {"new-1": "p1"}
    assert products.barcode_owners(T, ["111", "222"]) == {"222": "p1"}
    with pytest.raises(VersionMismatchError):
        products.update(T, before, _p("p1", "NEW-1", "Green paint"))


def test_single_writes_wait_for_a_running_import_and_a_crashed_imports_lease_lapses() -> None:
    products.acquire_lease(T, "import-1")
    with pytest.raises(products.ImportInProgressError):
        products.create(T, _p("p1", "AB-1"))
    with pytest.raises(products.ImportInProgressError):
        products.acquire_lease(T, "import-2")
    products.release_lease(T, "import-1")
    products.create(T, _p("p1", "AB-1"))

    lapsed = CatalogLeaseItem(*keys.catalog_lease(T), owner_id="crashed", lease_until=int(time.time()) - 1)
    lapsed.save(add_version_condition=False)
    products.create(T, _p("p2", "AB-2"))
    products.acquire_lease(T, "import-3")  # takes over the lapsed lease


def test_another_tenants_lease_does_not_block_this_tenant() -> None:
    products.acquire_lease("globex", "import-1")
    products.create(T, _p("p1", "AB-1"))


def test_bulk_writes_create_update_and_move_barcodes_between_products() -> None:
    a = products.create(T, _p("a", "A-1", "Alpha widget", barcodes=["111"]))
    b = products.create(T, _p("b", "B-1", "Beta widget", barcodes=["222"]))
    products.bulk_write(
        T,
        [
            (a, _p("a", "A-1", "Alpha gadget", barcodes=["222"], version=a.version)),
            (b, _p("b", "B-1", "Beta widget", barcodes=["111"], version=b.version)),
            (None, _p("c", "C-1", "Gamma widget", barcodes=["333"])),
        ],
    )
    assert [p.version for p in products.get_many(T, ["a", "b", "c"])] == [2, 2, 1]
    assert products.barcode_owners(T, ["111", "222", "333"]) == {"111": "b", "222": "a", "333": "c"}
    assert {pid for _, pid in _search("widget")} == {"b", "c"}
    assert _search("gadget") == [("gadget", "a")]
    assert products.sku_owners(T, ["C-1"]) == {"c-1": "c"}
    # Guards written in bulk still guard single writes.
    with pytest.raises(DuplicateError):
        products.create(T, _p("d", "D-1", barcodes=["333"]))
    with pytest.raises(DuplicateError):
        products.create(T, _p("e", "c-1"))


def test_group_names_are_unique_per_tenant() -> None:
    product_groups.create_group(T, ProductGroup("g1", "Tools"))
    with pytest.raises(DuplicateError):
        product_groups.create_group(T, ProductGroup("g2", " tools "))
    product_groups.create_group("globex", ProductGroup("g3", "Tools"))
    assert [g.id for g in product_groups.all_groups(T)] == ["g1"]


def test_price_entries_are_replaced_and_read_for_many_products() -> None:
    one = PriceEntry("p1", Decimal("1.00"), [Tier(Decimal(10), Decimal("0.90"))])
    two = PriceEntry("p2", Decimal("2.00"), [])
    customer = keys.customer_prices_pk(T, "c1")
    prices.write_entries(customer, *prices.changes([], [one, two]))
    prices.write_entries(
        customer, *prices.changes(prices.customer_entries(T, "c1"), [PriceEntry("p2", Decimal("1.50"), [])])
    )
    assert prices.customer_entries(T, "c1") == [PriceEntry("p2", Decimal("1.50"), [])]
    ListPricesItem(*keys.list_prices(T, "p1"), lists={}).save()  # written with the product
    prices.write_entries(keys.price_list_entries_pk(T, "l1"), [one], [], by_product=prices.ByProduct(T, "l1"))
    assert prices.list_entries(T, "l1") == [one]
    assert ListPricesItem.get(*keys.list_prices(T, "p1")).lists.attribute_values == {"l1": prices.rule_json(one)}
    assert prices.customer_entries("globex", "c1") == []
