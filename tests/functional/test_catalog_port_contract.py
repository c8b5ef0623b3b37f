"""One contract, two adapters: what ordering needs from the catalog (services/order_catalog.py),
answered alike by the in-memory FakeCatalog the order tests use and by the real catalog adapter."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.bootstrap import get_services
from chalicelib.domain.model import Customer
from chalicelib.domain.pricing import PriceRule, Tier
from chalicelib.services.catalog_offers import CatalogOffers
from chalicelib.services.order_catalog import Catalog, Offer, ProductRef
from chalicelib.storage import customers
from chalicelib.storage.refs import load as load_refs
from devstack.fakes import FakeCatalog
from tests.functional.conftest import Api, create_customer

D = Decimal


def real_catalog(admin: Api) -> tuple[Catalog, Customer, dict[str, str]]:
    hidden_group = admin.post("/product-groups", {"name": "Back office", "portal": False}).json
    shown_group = admin.post("/product-groups", {"name": "Shop", "portal": True}).json

    def product(sku: str, **body: object) -> str:
        r = admin.post(
            "/products", {"sku": sku, "name": f"Product {sku}", "base_price": "10.00", "tax_rate": "0.20", **body}
        )
        assert r.status_code == 201, r.body
        return str(r.json["id"])

    ids = {
        "plain": product("PLAIN-1", portal=True, barcodes=["5901234123457"]),
        "grouped": product(
            "GROUPED-1",
            group_id=shown_group["id"],
            order_multiple=6,
            base_tiers=[{"min_quantity": 12, "price": "8.00"}],
        ),
        "hidden": product("HIDDEN-1", group_id=hidden_group["id"]),
        "retired": product("RETIRED-1", portal=True, status="inactive"),
        "special": product("SPECIAL-1", portal=True),
    }
    c = create_customer(admin, "C-1")
    r = admin.put(
        f"/customers/{c['id']}/prices",
        {
            "entries": [
                {"product_id": ids["special"], "price": "7.00", "tiers": [{"min_quantity": 10, "price": "6.50"}]}
            ]
        },
    )
    assert r.status_code == 200, r.body
    return CatalogOffers(), customers.get("acme", c["id"]), ids


def fake_catalog() -> tuple[Catalog, Customer, dict[str, str]]:
    fake = FakeCatalog()

    def add(
        pid: str, sku: str, rule: PriceRule, multiple: str = "1", active: bool = True, barcode: str | None = None
    ) -> None:
        fake.add(
            Offer(
                pid,
                sku,
                f"Product {sku}",
                D("0.20"),
                D(1),
                D(multiple),
                rule,
                orderable=active,
                reason="" if active else "the product is no longer sold",
            ),
            barcode,
        )

    add("plain", "PLAIN-1", PriceRule.of(D("10.00")), barcode="5901234123457")
    add("grouped", "GROUPED-1", PriceRule.of(D("10.00"), [Tier(D(12), D("8.00"))]), multiple="6")
    add("hidden", "HIDDEN-1", PriceRule.of(D("10.00")))
    add("retired", "RETIRED-1", PriceRule.of(D("10.00")), active=False)
    add("special", "SPECIAL-1", PriceRule.of(D("7.00"), [Tier(D(10), D("6.50"))]))
    fake.hidden.add("hidden")
    return (
        fake,
        Customer(id="c", number="C-1", name="C"),
        {k: k for k in ("plain", "grouped", "hidden", "retired", "special")},
    )


@pytest.fixture(params=["fake", "real"])
def port(request: pytest.FixtureRequest, admin: Api) -> tuple[Catalog, Customer, dict[str, str]]:
    return fake_catalog() if request.param == "fake" else real_catalog(admin)


def ask(catalog: Catalog, customer: Customer, refs: list[ProductRef], staff: bool = False) -> list[Offer | None]:
    """As an order action asks: the port's keys read in the action's one BatchGet, then the offers."""
    found = load_refs("acme", customers=[customer.id], extra=catalog.keys("acme", customer.id, refs))
    return catalog.offers("acme", customer, refs, staff=staff, found=found)


def one(port: tuple[Catalog, Customer, dict[str, str]], ref: ProductRef, staff: bool = False) -> Offer | None:
    catalog, customer, _ = port
    [offer] = ask(catalog, customer, [ref], staff)
    return offer


def test_a_product_is_found_by_id_sku_or_barcode(port) -> None:
    ids = port[2]
    for ref in (ProductRef(product_id=ids["plain"]), ProductRef(sku="plain-1"), ProductRef(barcode="5901234123457")):
        offer = one(port, ref)
        assert offer is not None and offer.sku == "PLAIN-1" and offer.orderable


def test_unknown_references_are_none_in_their_place(port) -> None:
    catalog, customer, ids = port
    refs = [ProductRef(sku="NOPE"), ProductRef(product_id=ids["plain"]), ProductRef(barcode="000")]
    offers = ask(catalog, customer, refs)
    assert [o.sku if o else None for o in offers] == [None, "PLAIN-1", None]


def test_a_hidden_product_does_not_exist_for_customers_but_staff_may_order_it(port) -> None:
    assert one(port, ProductRef(sku="HIDDEN-1")) is None
    staff_offer = one(port, ProductRef(sku="HIDDEN-1"), staff=True)
    assert staff_offer is not None and staff_offer.orderable


def test_an_inactive_product_is_not_orderable(port) -> None:
    offer = one(port, ProductRef(sku="RETIRED-1"), staff=True)
    assert offer is not None and not offer.orderable and offer.reason


def test_quantity_rules_and_tiers(port) -> None:
    offer = one(port, ProductRef(sku="GROUPED-1"))
    assert offer is not None
    assert offer.quantity_problem(D(5)) is not None and offer.quantity_problem(D(12)) is None
    assert (offer.unit_price(D(6)), offer.unit_price(D(12))) == (D("10.00"), D("8.00"))


def test_the_customer_specific_price_decides(port) -> None:
    offer = one(port, ProductRef(sku="SPECIAL-1"))
    assert offer is not None
    assert (offer.unit_price(D(1)), offer.unit_price(D(10))) == (D("7.00"), D("6.50"))


def test_orders_use_the_real_catalog_by_default(admin: Api) -> None:
    assert isinstance(get_services().catalog, CatalogOffers)
