"""Effective prices for a customer: loads what the rules of `domain/pricing.py` need and applies them.

The one place prices are decided. Catalog reads use `prices_for` (a page of products, quantity 1);
orders use `price_for` / `prices_for` with line quantities, so a draft, a submit and a product page
can never disagree. Cost per call: one BatchGetItem of the customer's own prices, one of the price
list entries for the products without one, and the tenant's settings (currency); no Scan.

Also the use cases of the price lists and customer prices themselves (`prices.manage`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from chalicelib.auth.principal import Principal
from chalicelib.domain.catalog import Product
from chalicelib.domain.errors import NotFoundError, VersionMismatchError, invalid_field
from chalicelib.domain.ids import new_id
from chalicelib.domain.model import Customer
from chalicelib.domain.permissions import Permission
from chalicelib.domain.pricing import PriceEntry, PriceLevels, PriceList, Quote, effective_price
from chalicelib.storage import customers, prices, products, tenants
from chalicelib.storage.paging import Page

ONE = Decimal(1)
MAX_ENTRIES = 10_000


def tenant_currency(tenant: str) -> str:
    settings = tenants.get_settings(tenant)
    if settings is None:
        raise NotFoundError("tenant")
    return settings.currency


def levels_for(tenant: str, customer: Customer, items: Sequence[Product]) -> dict[str, PriceLevels]:
    """What is known of each product's prices for `customer` (its own price, its price list's, the
    base price). `.deciding()` gives the rule that applies; orders keep it to price any quantity."""
    if not items:
        return {}
    ids = [p.id for p in items]
    own = prices.customer_entries_for(tenant, customer.id, ids)
    listed: dict[str, PriceEntry] = {}
    if customer.price_list_id:
        listed = prices.list_entries_for(tenant, customer.price_list_id, [i for i in ids if i not in own])
    return {
        p.id: PriceLevels(
            product_id=p.id,
            base=p.base_rule,
            price_list=listed[p.id].rule if p.id in listed else None,
            customer=own[p.id].rule if p.id in own else None,
        )
        for p in items
    }


def prices_for(
    tenant: str,
    customer: Customer,
    items: Sequence[Product],
    quantities: Mapping[str, Decimal] | None = None,
    *,
    currency: str | None = None,
) -> dict[str, Quote]:
    """The effective price of each product for `customer`, at `quantities[product.id]` (default 1)."""
    if not items:
        return {}
    levels = levels_for(tenant, customer, items)
    currency = currency or tenant_currency(tenant)
    return {p.id: effective_price(levels[p.id], (quantities or {}).get(p.id, ONE), currency) for p in items}


def price_for(tenant: str, customer: Customer, product: Product, quantity: Decimal = ONE) -> Quote:
    return prices_for(tenant, customer, [product], {product.id: quantity})[product.id]


# --- price lists and customer prices (prices.manage) -----------------------------------------
def _check_entries(tenant: str, entries: list[PriceEntry]) -> None:
    if len(entries) > MAX_ENTRIES:
        raise invalid_field("entries", f"At most {MAX_ENTRIES} entries.")
    seen: dict[str, int] = {}
    for i, e in enumerate(entries):
        if e.product_id in seen:
            raise invalid_field(f"entries[{i}].product_id", f"The product is already in entries[{seen[e.product_id]}].")
        seen[e.product_id] = i
        mins = [t.min_quantity for t in e.tiers]
        if len(set(mins)) != len(mins):
            raise invalid_field(f"entries[{i}].tiers", "Each tier needs a different min_quantity.")
    found = {p.id for p in products.get_many(tenant, list(seen))}
    for pid, i in seen.items():
        if pid not in found:
            raise invalid_field(f"entries[{i}].product_id", "No product has this id.")


def _check_currency(tenant: str, currency: str) -> None:
    # One currency per tenant: a price list in another currency would mix currencies in one order
    # whenever a product falls back to its base price.
    expected = tenant_currency(tenant)
    if currency != expected:
        raise invalid_field("currency", f"Price lists use the tenant's currency ({expected}).")


def list_price_lists(principal: Principal, limit: int, cursor: str | None) -> Page[PriceList]:
    principal.require_staff(Permission.PRICES_MANAGE)
    return prices.list_page(principal.tenant, limit, cursor)


def get_price_list(principal: Principal, list_id: str) -> tuple[PriceList, list[PriceEntry]]:
    principal.require_staff(Permission.PRICES_MANAGE)
    header = prices.get_list(principal.tenant, list_id)
    return header, prices.list_entries(principal.tenant, list_id)


def save_price_list(
    principal: Principal,
    list_id: str | None,
    name: str,
    currency: str | None,
    entries: list[PriceEntry],
    expected: int | None,
) -> tuple[PriceList, list[PriceEntry]]:
    """Create (`list_id` None) or replace a price list: header, then exactly these entries."""
    principal.require_staff(Permission.PRICES_MANAGE)
    tenant = principal.tenant
    before = prices.get_list(tenant, list_id) if list_id else None
    if before is not None and expected is not None and expected != before.version:
        raise VersionMismatchError()
    currency = currency or (before.currency if before else tenant_currency(tenant))
    _check_currency(tenant, currency)
    _check_entries(tenant, entries)
    after = PriceList(id=list_id or new_id(), name=name, currency=currency)
    header = prices.save_list(tenant, before, after)
    prices.replace_list_entries(tenant, header.id, entries)
    return header, prices.list_entries(tenant, header.id)


def get_customer_prices(principal: Principal, customer_id: str) -> list[PriceEntry]:
    principal.require_staff(Permission.PRICES_MANAGE)
    customers.get(principal.tenant, customer_id)
    return prices.customer_entries(principal.tenant, customer_id)


def replace_customer_prices(principal: Principal, customer_id: str, entries: list[PriceEntry]) -> list[PriceEntry]:
    principal.require_staff(Permission.PRICES_MANAGE)
    customers.get(principal.tenant, customer_id)
    _check_entries(principal.tenant, entries)
    prices.replace_customer_entries(principal.tenant, customer_id, entries)
    return prices.customer_entries(principal.tenant, customer_id)
