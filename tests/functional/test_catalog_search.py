"""Search: word prefixes of the name, sku prefixes, exact barcodes, groups; paginated, never a Scan."""

from __future__ import annotations

from tests.functional.catalog_support import (
    create_group,
    create_product,
    ids,
    no_scan,  # noqa: F401 (autouse: no Scan behind any request)
    skus,
)
from tests.functional.conftest import Api


def test_q_matches_the_prefix_of_any_word_of_the_name(admin: Api) -> None:
    bolt = create_product(admin, "P-1", name="Hex bolt, zinc plated")
    create_product(admin, "P-2", name="Wood screw")
    assert ids(admin.get("/products?q=zin")) == [bolt["id"]]
    assert ids(admin.get("/products?q=PLAT")) == [bolt["id"]]
    assert ids(admin.get("/products?q=olt")) == []  # a prefix, not a substring


def test_q_also_matches_a_prefix_of_the_sku(admin: Api) -> None:
    p = create_product(admin, "XK-200/B", name="Bracket")
    create_product(admin, "ZZ-1", name="Other")
    assert ids(admin.get("/products?q=xk-2")) == [p["id"]]


def test_q_ignores_case_and_accents_and_needs_every_word(admin: Api) -> None:
    creme = create_product(admin, "P-1", name="Crème brûlée torch")
    create_product(admin, "P-2", name="Creme pot")
    assert ids(admin.get("/products?q=BRULEE")) == [creme["id"]]
    assert ids(admin.get("/products?q=cre%20tor")) == [creme["id"]]


def test_a_product_is_listed_once_even_when_several_of_its_words_match(admin: Api) -> None:
    create_product(admin, "P-1", name="Steel stand stool")
    create_product(admin, "P-2", name="Stack")
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        r = admin.get("/products?q=st&limit=1" + (f"&cursor={cursor}" if cursor else ""))
        seen += skus(r)
        cursor = r.json["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == ["P-1", "P-2"]


def test_sku_filter_is_a_prefix_listed_in_sku_order_and_paginated(admin: Api) -> None:
    for sku in ("AB-3", "AB-1", "AC-1", "AB-2"):
        create_product(admin, sku)
    first = admin.get("/products?sku=ab&limit=2")
    assert skus(first) == ["AB-1", "AB-2"]
    rest = admin.get(f"/products?sku=ab&limit=2&cursor={first.json['next_cursor']}")
    assert skus(rest) == ["AB-3"]


def test_barcode_filter_is_exact(admin: Api) -> None:
    p = create_product(admin, "P-1", barcodes=["4006381333931"])
    assert ids(admin.get("/products?barcode=4006381333931")) == [p["id"]]
    assert ids(admin.get("/products?barcode=400638133393")) == []


def test_group_filter_lists_a_groups_products_in_sku_order(admin: Api) -> None:
    group = create_group(admin, "G")
    create_product(admin, "B-1", group_id=group["id"])
    create_product(admin, "A-1", group_id=group["id"])
    create_product(admin, "C-1")
    assert skus(admin.get(f"/products?group_id={group['id']}")) == ["A-1", "B-1"]
    assert skus(admin.get(f"/products?group_id={group['id']}&q=product%20a")) == ["A-1"]


def test_renaming_a_product_moves_it_in_search(admin: Api) -> None:
    p = create_product(admin, "P-1", name="Blue paint")
    admin.patch(f"/products/{p['id']}", {"name": "Red paint"})
    assert ids(admin.get("/products?q=blue")) == []
    assert ids(admin.get("/products?q=red")) == [p["id"]]
    assert ids(admin.get("/products?q=paint")) == [p["id"]]


def test_unlisted_characters_in_q_find_nothing_rather_than_fail(admin: Api) -> None:
    create_product(admin, "P-1", name="Thing")
    for q in ("%23", "th%23", "%25%25", "%F0%9F%94%A9"):
        r = admin.get(f"/products?q={q}")
        assert r.status_code == 200, (q, r.body)
