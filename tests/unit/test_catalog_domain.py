"""Portal visibility, search terms and product rules: pure domain, no storage."""

from __future__ import annotations

from decimal import Decimal

from chalicelib.domain.catalog import (
    Product,
    ProductGroup,
    first_term_with_prefix,
    is_visible,
    matches_tokens,
    name_words,
    num_str,
    product_problems,
    query_tokens,
    same_product_fields,
    search_terms,
)
from chalicelib.domain.pricing import Tier


def _product(**kw: object) -> Product:
    values: dict[str, object] = {"id": "p1", "sku": "AB-1", "name": "Hex bolt", "base_price": Decimal("1.00")}
    values["tax_rate"] = Decimal("0.20")
    values.update(kw)
    return Product(**values)  # type: ignore[arg-type]


def test_an_active_product_with_its_own_flag_is_visible() -> None:
    assert is_visible(_product(portal=True), None)


def test_an_active_product_is_visible_through_its_groups_flag() -> None:
    assert is_visible(_product(portal=False, group_id="g"), ProductGroup("g", "G", portal=True))
    assert not is_visible(_product(portal=False, group_id="g"), ProductGroup("g", "G", portal=False))
    assert not is_visible(_product(portal=False), None)


def test_an_inactive_product_is_never_visible() -> None:
    assert not is_visible(_product(portal=True, status="inactive"), ProductGroup("g", "G", portal=True))


def test_name_words_are_lowercase_accent_free_and_distinct() -> None:
    assert name_words("Crème BRÛLÉE, crème-pot 2x") == ["creme", "brulee", "pot", "2x"]


def test_search_terms_are_the_words_of_the_name_and_the_whole_sku() -> None:
    assert search_terms("XK-200/B", "Wall bracket") == {"wall", "bracket", "xk-200/b"}


def test_every_token_must_prefix_some_term() -> None:
    p = _product(name="Steel hex bolt")
    assert matches_tokens(p, query_tokens("ste  BOL"))
    assert matches_tokens(p, query_tokens("ab-"))
    assert not matches_tokens(p, query_tokens("steel nut"))


def test_a_product_is_reported_at_its_smallest_matching_term_only() -> None:
    p = _product(sku="ZZ-9", name="Stool stand steel")
    assert first_term_with_prefix(p, "st") == "stand"
    assert first_term_with_prefix(p, "x") is None


def test_product_rules_catch_repeated_barcodes_and_tiers() -> None:
    assert product_problems(_product(barcodes=["A1", "a1"])) == [("barcodes", "A barcode is listed twice.")]
    tiers = [Tier(Decimal(5), Decimal("1.00")), Tier(Decimal(5), Decimal("0.90"))]
    assert [f for f, _ in product_problems(_product(base_tiers=tiers))] == ["base_tiers"]
    assert product_problems(_product()) == []


def test_products_compare_equal_on_the_csv_fields_only() -> None:
    a = _product(stock={"s": Decimal(1)}, version=3)
    b = _product(stock={}, version=9, tax_rate=Decimal("0.2000"))
    assert same_product_fields(a, b)
    assert not same_product_fields(a, _product(portal=True))


def test_quantities_are_written_without_exponent_or_trailing_zeros() -> None:
    assert [num_str(Decimal(v)) for v in ("10", "1E+1", "2.500", "0.001")] == ["10", "10", "2.5", "0.001"]
