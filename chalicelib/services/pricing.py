"""Effective prices for a customer: loads what the rules of `domain/pricing.py` need and applies them.

The one place prices are decided (`quotes`). Catalog pages read the customer's own prices and each
product's list prices (a by-product copy of the entries, storage/prices.py) with the products
(services/catalog.py); orders read the same items with their lines (services/catalog_offers.py); no Scan.

Also the use cases of the price lists and customer prices themselves (`prices.manage`). A replace is
one read and one write: the current entries (one Query of their partition; a price list's header
comes with them) and one transaction that writes what changed (a list's entries with their by-product
copies) and verifies what it relies on (ConditionChecks: the customer exists, the products that are
new to the partition exist, the tenant's currency is still the list's). Past one transaction's 100
items (about 48 changed entries of a list, 98 of a customer) the checks are reads first and the
entries go out in batches (storage/prices.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from chalicelib.auth.principal import Principal
from chalicelib.domain.catalog import Product
from chalicelib.domain.errors import ConflictError, NotFoundError, VersionMismatchError, invalid_field
from chalicelib.domain.ids import new_id
from chalicelib.domain.permissions import Permission
from chalicelib.domain.pricing import PriceEntry, PriceLevels, PriceList, Quote, effective_price
from chalicelib.services.updates import apply_change
from chalicelib.storage import customers, keys, prices, refs, tenants
from chalicelib.storage.paging import Page

ONE = Decimal(1)
MAX_ENTRIES = 10_000


def tenant_currency(tenant: str) -> str:
    settings = tenants.get_settings(tenant)
    if settings is None:
        raise NotFoundError("tenant")
    return settings.currency


def levels_from(
    items: Sequence[Product], own: Mapping[str, PriceEntry], listed: Mapping[str, PriceEntry]
) -> dict[str, PriceLevels]:
    """Each product's levels from entries read elsewhere: `own` the customer's, `listed` its list's."""
    return {
        p.id: PriceLevels(
            product_id=p.id,
            base=p.base_rule,
            price_list=listed[p.id].rule if p.id in listed else None,
            customer=own[p.id].rule if p.id in own else None,
        )
        for p in items
    }


def quotes(
    items: Sequence[Product],
    own: Mapping[str, PriceEntry],
    listed: Mapping[str, PriceEntry],
    currency: str,
    quantities: Mapping[str, Decimal] | None = None,
) -> dict[str, Quote]:
    """The effective price of each product at `quantities[product.id]` (default 1), from entries read."""
    levels = levels_from(items, own, listed)
    return {p.id: effective_price(levels[p.id], (quantities or {}).get(p.id, ONE), currency) for p in items}


# --- price lists and customer prices (prices.manage) -----------------------------------------
def _check_entries(entries: list[PriceEntry]) -> None:
    """What needs no read: the count, each product once, distinct tiers."""
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


def _unknown_product(index: int) -> Exception:
    return invalid_field(f"entries[{index}].product_id", "No product has this id.")


def _new_products(tenant: str, entries: list[PriceEntry], current: Sequence[PriceEntry]) -> list[prices.Verify]:
    """A check per product new to the partition (products are never deleted, so one with an entry
    already exists), labelled with its index in `entries`."""
    had = {e.product_id for e in current}
    return [
        prices.product_exists(tenant, e.product_id, f"product:{i}")
        for i, e in enumerate(entries)
        if e.product_id not in had
    ]


def _refused(exc: prices.RefusedError) -> Exception:
    """The error of a failed product check (the first entry's), else a conflict."""
    indexes = sorted(int(label.split(":", 1)[1]) for label in exc.failed if label.startswith("product:"))
    if indexes:
        return _unknown_product(indexes[0])
    return ConflictError("The prices changed while they were being saved; try again.")


def _read_checks(tenant: str, verifies: Sequence[prices.Verify], customer_id: str | None = None) -> refs.Refs:
    """For writes too large for one transaction: what the checks would verify, read first instead."""
    r = refs.load(tenant, customers=[customer_id] if customer_id else [], extra=[v.key for v in verifies])
    if customer_id is not None and customer_id not in r.customers:
        raise NotFoundError("customer")
    for v in verifies:
        if v.key not in r.items:
            raise _unknown_product(int(v.label.split(":", 1)[1]))
    return r


def _currency_error(tenant: str) -> Exception:
    # One currency per tenant: a price list in another currency would mix currencies in one order
    # whenever a product falls back to its base price.
    return invalid_field("currency", f"Price lists use the tenant's currency ({tenant_currency(tenant)}).")


def list_price_lists(principal: Principal, limit: int, cursor: str | None) -> Page[PriceList]:
    principal.require_staff(Permission.PRICES_MANAGE)
    return prices.list_page(principal.tenant, limit, cursor)


def get_price_list(principal: Principal, list_id: str) -> tuple[PriceList, list[PriceEntry]]:
    """One Query (the header copy comes with the entries)."""
    principal.require_staff(Permission.PRICES_MANAGE)
    state = prices.list_state(principal.tenant, list_id)
    if state is None:
        raise NotFoundError("price list")
    return state.header, state.entries


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
    _check_entries(entries)
    if list_id is None:
        return _create_price_list(principal.tenant, name, currency, entries), prices.stored(entries)
    return _replace_price_list(principal.tenant, list_id, name, currency, entries, expected), prices.stored(entries)


def _create_price_list(tenant: str, name: str, currency: str | None, entries: list[PriceEntry]) -> PriceList:
    """One BatchGet (the settings and the products), one transaction (header, its copy, the entries)."""
    verifies = _new_products(tenant, entries, [])
    r = refs.load(tenant, settings=True, extra=[v.key for v in verifies])
    if r.settings is None:
        raise NotFoundError("tenant")
    if (currency or r.settings.currency) != r.settings.currency:
        raise _currency_error(tenant)
    for v in verifies:
        if v.key not in r.items:
            raise _unknown_product(int(v.label.split(":", 1)[1]))
    after = PriceList(id=new_id(), name=name, currency=r.settings.currency)
    return prices.write_list(tenant, None, after, entries, [])


def _replace_price_list(
    tenant: str, list_id: str, name: str, currency: str | None, entries: list[PriceEntry], expected: int | None
) -> PriceList:
    """One Query (header copy and entries), one transaction conditional on the header's version, with
    checks of the tenant's currency and of the products new to the list. Without If-Match a concurrent
    change is read again and this one applied on top (services/updates.py)."""
    read: list[prices.ListState] = []

    def load() -> PriceList:
        state = prices.list_state(tenant, list_id)
        if state is None:
            raise NotFoundError("price list")
        read[:] = [state]
        return state.header

    def write(before: PriceList, after: PriceList) -> PriceList:
        state = read[0]
        puts, deletes = prices.changes(state.entries, entries)
        verifies = _new_products(tenant, entries, state.entries)
        verifies.append(prices.currency_still(tenant, after.currency))
        # each change is written twice (the entry and its by-product copy), with the header and its copy
        if not prices.fits_one_transaction(len(verifies), 2 * len(puts), 2 * len(deletes), 2):
            _read_checks(tenant, verifies[:-1])
            if tenant_currency(tenant) != after.currency:
                raise _currency_error(tenant)
            verifies = []
        try:
            return prices.write_list(tenant, state, after, puts, deletes, verifies)
        except prices.RefusedError as exc:
            if "header" in exc.failed:
                raise VersionMismatchError() from exc
            if "settings" in exc.failed:
                raise _currency_error(tenant) from exc
            raise _refused(exc) from exc

    def change(current: PriceList) -> PriceList:
        return PriceList(id=list_id, name=name, currency=currency or current.currency)

    return apply_change(expected, load, change, write)


def get_customer_prices(principal: Principal, customer_id: str) -> list[PriceEntry]:
    principal.require_staff(Permission.PRICES_MANAGE)
    customers.get(principal.tenant, customer_id)
    return prices.customer_entries(principal.tenant, customer_id)


def replace_customer_prices(principal: Principal, customer_id: str, entries: list[PriceEntry]) -> list[PriceEntry]:
    """One Query (the current entries), one transaction with what changed, checking that the customer
    and the products new to its prices exist."""
    principal.require_staff(Permission.PRICES_MANAGE)
    tenant = principal.tenant
    _check_entries(entries)
    current = prices.customer_entries(tenant, customer_id)
    puts, deletes = prices.changes(current, entries)
    verifies = _new_products(tenant, entries, current)
    verifies.insert(0, prices.customer_exists(tenant, customer_id))
    if not prices.fits_one_transaction(len(verifies), len(puts), len(deletes)):
        _read_checks(tenant, verifies[1:], customer_id)
        verifies = []
    try:
        prices.write_entries(keys.customer_prices_pk(tenant, customer_id), puts, deletes, verifies)
    except prices.RefusedError as exc:
        if "customer" in exc.failed:
            raise NotFoundError("customer") from exc
        raise _refused(exc) from exc
    return prices.stored(entries)
