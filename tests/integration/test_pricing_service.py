"""The pricing service on DynamoDB (moto): it loads each level once for a batch of products."""

from __future__ import annotations

from decimal import Decimal

from chalicelib.bootstrap import get_services
from chalicelib.domain.catalog import Product
from chalicelib.domain.model import Customer
from chalicelib.domain.pricing import PriceEntry, PriceSource, Tier
from chalicelib.services import pricing
from chalicelib.services.tenants import create_tenant
from chalicelib.storage import keys, prices
from chalicelib.storage.items import ListPricesItem
from chalicelib.storage.prices import ByProduct

D = Decimal


def _tenant() -> None:
    create_tenant(
        get_services().passwords,
        slug="acme",
        name="Acme",
        admin_username="admin",
        admin_password="admin-password-1",
        admin_email="a@acme.test",
    )


def _product(pid: str, base: str, *tiers: tuple[int, str]) -> Product:
    return Product(
        id=pid,
        sku=pid,
        name=pid,
        base_price=D(base),
        tax_rate=D("0.20"),
        base_tiers=[Tier(D(q), D(p)) for q, p in tiers],
    )


def test_each_product_of_a_batch_is_priced_from_the_first_level_that_has_it(aws: None) -> None:
    _tenant()
    a, b, c = _product("a", "10.00"), _product("b", "20.00", (10, "18.00")), _product("c", "30.00")
    for pid in ("a", "b", "c"):  # each product's list-prices item, written with the product
        ListPricesItem(*keys.list_prices("acme", pid), lists={}).save()
    listed = [PriceEntry("b", D("19.00"), []), PriceEntry("c", D("29.00"), [])]
    prices.write_entries(keys.price_list_entries_pk("acme", "list"), listed, [], by_product=ByProduct("acme", "list"))
    own = [PriceEntry("c", D("25.00"), [Tier(D(5), D("24.00"))])]
    prices.write_entries(keys.customer_prices_pk("acme", "cust"), own, [])
    customer = Customer(id="cust", number="C-1", name="C", price_list_id="list")

    quotes = pricing.prices_for("acme", customer, [a, b, c], {"b": D(10), "c": D(5)})
    assert {pid: (q.unit_price, q.source) for pid, q in quotes.items()} == {
        "a": (D("10.00"), PriceSource.BASE),
        "b": (D("19.00"), PriceSource.PRICE_LIST),  # the list has no tiers: the base tier does not apply
        "c": (D("24.00"), PriceSource.CUSTOMER),
    }
    assert quotes["c"].net == D("120.00")
    assert pricing.prices_for("acme", customer, [c])["c"].unit_price == D("25.00")


def test_a_customer_without_a_price_list_gets_base_prices_with_base_tiers(aws: None) -> None:
    _tenant()
    customer = Customer(id="plain", number="C-2", name="C")
    quote = pricing.prices_for("acme", customer, [_product("b", "20.00", (10, "18.00"))], {"b": D(12)})["b"]
    assert (quote.unit_price, quote.source, quote.currency) == (D("18.00"), PriceSource.BASE, "EUR")
