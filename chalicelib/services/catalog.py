"""Catalog use cases: product groups, products, search, portal visibility, CSV import and export.

Who sees what. Staff see every product of their tenant with its base price. Customer users see only
products visible in the portal (domain.catalog.is_visible), priced for one of their customers by the
pricing service; anything else answers 404 and never appears in their lists.

Reads are one Query page per response, chosen by the most selective filter (barcode, sku, q,
group_id, else the whole catalog); the other filters and portal visibility are applied to that page.
A filtered page can therefore hold fewer than `limit` items while `next_cursor` says more follow.
Everything else a page needs is read by key in one BatchGet after the Query: the products a search
named, their groups (from the group index item, keys.product_group_index), and for a customer the
customer, the settings, its own prices and each product's list prices (keys.list_prices, whose key
needs no price_list_id). Writes read what they check in one BatchGet and write in
one transaction, without reading the result back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from chalicelib.auth.principal import Principal
from chalicelib.domain import catalog
from chalicelib.domain.catalog import (
    REQUIRED_TO_CREATE,
    ImportResult,
    ImportRow,
    Product,
    ProductGroup,
    RowError,
    is_visible,
)
from chalicelib.domain.errors import (
    MalformedRequestError,
    NotFoundError,
    ValidationFailedError,
    invalid_field,
)
from chalicelib.domain.ids import new_id
from chalicelib.domain.model import Customer
from chalicelib.domain.permissions import Permission
from chalicelib.domain.pricing import PriceEntry, Quote
from chalicelib.services import pricing
from chalicelib.services.callers import caller_keys, check_token_rights
from chalicelib.services.updates import apply_change
from chalicelib.storage import keys, product_groups, products, refs
from chalicelib.storage.paging import Page

P = Permission


# --- product groups ---------------------------------------------------------------------------
def list_groups(principal: Principal, limit: int, cursor: str | None) -> Page[ProductGroup]:
    page = product_groups.list_groups_page(principal.tenant, limit, cursor)
    if principal.is_customer:  # customers browse the groups shown in the portal
        page.items = [g for g in page.items if g.portal]
    return page


def get_group(principal: Principal, group_id: str) -> ProductGroup:
    group = product_groups.get_group(principal.tenant, group_id)
    if principal.is_customer and not group.portal:
        raise NotFoundError("product group")
    return group


def create_group(principal: Principal, name: str, portal: bool) -> ProductGroup:
    principal.require_staff(P.CATALOG_MANAGE)
    return product_groups.create_group(principal.tenant, ProductGroup(new_id(), name, portal))


def update_group(principal: Principal, group_id: str, changes: dict[str, Any], expected: int | None) -> ProductGroup:
    """Switching `portal` rewrites only the group (and the group index): products read their group's
    flag when read. One BatchGet (the group and the index), one transaction; without If-Match, again on
    a concurrent change."""
    principal.require_staff(P.CATALOG_MANAGE)
    tenant = principal.tenant
    index: list[product_groups.GroupIndex] = []

    def load() -> ProductGroup:
        current, read = product_groups.read_for_write(tenant, group_id)
        if current is None:
            raise NotFoundError("product group")
        index[:] = [read]
        return current

    return apply_change(
        expected,
        load,
        lambda current: dataclasses.replace(current, **changes),
        lambda before, after: product_groups.write_group(tenant, before, index[0], after),
    )


# --- product reads ----------------------------------------------------------------------------
@dataclass
class ProductFilters:
    q: str | None = None
    sku: str | None = None
    barcode: str | None = None
    group_id: str | None = None
    customer_id: str | None = None


@dataclass
class CatalogPage:
    """A page of products with what presenting them needs: their groups (staff: visibility) and, for
    a customer, each product's effective price at quantity 1."""

    items: list[Product]
    next_cursor: str | None
    groups: dict[str, ProductGroup] = field(default_factory=dict)
    quotes: dict[str, Quote] = field(default_factory=dict)
    customer_id: str | None = None


def _pricing_customer_id(principal: Principal, customer_id: str | None) -> str | None:
    """Whom a customer user's prices are for: `customer_id` if it is theirs (else 404), default their
    first customer. Staff get prices only when they name a customer."""
    if principal.is_customer:
        customer_id = customer_id or (principal.customer_ids[0] if principal.customer_ids else None)
        if customer_id is None:
            raise NotFoundError("customer")
        principal.check_customer_visible(customer_id)
    return customer_id


@dataclass
class _Reads:
    """What a catalog response is built from."""

    products: dict[str, Product]
    groups: dict[str, ProductGroup]
    customer: Customer | None = None
    quotes: dict[str, Quote] = field(default_factory=dict)


def _read(
    tenant: str,
    customer_id: str | None,
    ids: list[str],
    known: Mapping[str, Product],
    needs_group: Callable[[Product], bool],
    first: refs.Refs | None = None,
) -> _Reads:
    """The products `ids` (those not in `known`), their groups and, for `customer_id`, their prices.

    One BatchGet for every key known now: the products not read yet, the group index, and when pricing
    the customer, the settings, the customer's own prices of the products and the products' prices in
    every price list (keys.list_prices: the customer's price_list_id is not known before this read).
    When `first` has brought the customer already, its list's entries are read instead. Every group is in
    the index and every product has its list-prices item (both are written with their originals)."""
    ids = list(dict.fromkeys(ids))
    if not ids and customer_id is None:
        return _Reads({}, {})  # an empty page: nothing to read
    customer = first.customers.get(customer_id) if first is not None and customer_id else None
    list_id = customer.price_list_id if customer is not None else None
    listed_asked = list_id is not None  # the customer came with `first`: its list's keys are known now
    wanted: list[refs.Key] = [keys.product(tenant, p) for p in ids if p not in known]
    if first is None:
        wanted.append(keys.product_group_index(tenant))
    if customer_id is not None:
        wanted += [keys.customer_price(tenant, customer_id, p) for p in ids]
        if list_id is not None:
            wanted += [keys.price_list_entry(tenant, list_id, p) for p in ids]
        elif customer is None:
            wanted += [keys.list_prices(tenant, p) for p in ids]
    read_customer = [customer_id] if customer_id is not None and first is None else []
    r = refs.load(tenant, customers=read_customer, settings=bool(read_customer), extra=wanted)
    r = refs.merge(first, r) if first is not None else r
    if customer_id is not None:
        customer = r.customers.get(customer_id)
        if customer is None:
            raise NotFoundError("customer")
        list_id = customer.price_list_id
    found = {**{p: known[p] for p in ids if p in known}, **{p: r.products[p] for p in ids if p in r.products}}
    index = r.group_index.groups if r.group_index is not None else {}
    used = {p.group_id for p in found.values() if p.group_id and needs_group(p)}
    groups = {g: index[g] for g in used if g in index}
    own = r.price_entries.get(keys.customer_prices_pk(tenant, customer_id), {}) if customer_id else {}
    listed: dict[str, PriceEntry] = {}
    if list_id is not None and listed_asked:
        listed = r.price_entries.get(keys.price_list_entries_pk(tenant, list_id), {})
    elif list_id is not None:
        by_product = {p: r.list_prices[p].get(list_id) for p in found if p not in own and p in r.list_prices}
        listed = {p: e for p, e in by_product.items() if e is not None}
    reads = _Reads(found, groups, customer)
    if customer is not None:
        if r.settings is None:
            raise NotFoundError("tenant")
        reads.quotes = pricing.quotes(list(found.values()), own, listed, r.settings.currency)
    return reads


def _group_needed(principal: Principal) -> Callable[[Product], bool]:
    """Staff see each product's visibility; for a customer a group matters only to an active product
    not marked for the portal itself."""
    if principal.is_customer:
        return lambda p: p.active and not p.portal
    return lambda p: True


@dataclass
class _Driven:
    """One page of the most selective index: product ids in order, the products the page already
    read, the search hits (term, id) to keep one per product, and a first round of reads by key."""

    ids: list[str]
    next_cursor: str | None
    known: dict[str, Product] = field(default_factory=dict)
    hits: list[tuple[str, str]] | None = None
    driver: str = ""
    first: refs.Refs | None = None


def _driver_page(
    tenant: str, customer_id: str | None, f: ProductFilters, tokens: list[str], limit: int, cursor: str | None
) -> _Driven:
    """One Query page (a barcode: one BatchGet) from the index of the most selective filter."""
    if f.barcode is not None:
        if cursor:
            raise MalformedRequestError("The cursor is not valid.")
        # The guard, the customer, the settings and the group index together: the product and its
        # prices then in one more BatchGet.
        guard = keys.barcode_guard(tenant, f.barcode)
        first = refs.load(
            tenant,
            customers=[customer_id] if customer_id else [],
            settings=customer_id is not None,
            guards=[guard],
            extra=[keys.product_group_index(tenant)],
        )
        owner = first.owners.get(guard)
        return _Driven([owner] if owner else [], None, first=first)
    if f.sku is not None:
        page = products.sku_prefix_ids(tenant, f.sku, limit, cursor)
        return _Driven(page.items, page.next_cursor)
    if tokens:
        driver = max(tokens, key=len)
        if "#" in driver:  # never part of a term; would reach into the sort key's separator
            return _Driven([], None)
        hits = products.search_entries(tenant, driver, limit, cursor)
        return _Driven([pid for _, pid in hits.items], hits.next_cursor, hits=hits.items, driver=driver)
    if f.group_id is not None:
        found = products.list_group_page(tenant, f.group_id, limit, cursor)
    else:
        found = products.list_page(tenant, limit, cursor)
    return _Driven([p.id for p in found.items], found.next_cursor, known={p.id: p for p in found.items})


def _matches(p: Product, f: ProductFilters, tokens: list[str]) -> bool:
    if f.sku is not None and not p.sku.lower().startswith(f.sku.lower()):
        return False
    if f.barcode is not None and f.barcode.lower() not in {b.lower() for b in p.barcodes}:
        return False
    if f.group_id is not None and p.group_id != f.group_id:
        return False
    return not tokens or catalog.matches_tokens(p, tokens)


def list_products(principal: Principal, f: ProductFilters, limit: int, cursor: str | None) -> CatalogPage:
    """A Query page of the driving index (a barcode: a BatchGet of its guard with the customer), then one
    BatchGet of what it names (see _read)."""
    tenant = principal.tenant
    customer_id = _pricing_customer_id(principal, f.customer_id)
    tokens = catalog.query_tokens(f.q) if f.q is not None else []
    page = _driver_page(tenant, customer_id, f, tokens, limit, cursor)
    ids = [pid for pid in page.ids if pid not in page.known or _matches(page.known[pid], f, tokens)]
    reads = _read(tenant, customer_id, ids, page.known, _group_needed(principal), page.first)
    if page.hits is not None:
        # A product has an entry per term; report it once, at its first matching term.
        found = reads.products
        ids = [
            pid
            for term, pid in page.hits
            if pid in found and catalog.first_term_with_prefix(found[pid], page.driver) == term
        ]
    items = [reads.products[pid] for pid in ids if pid in reads.products]
    items = [p for p in items if _matches(p, f, tokens)]
    if principal.is_customer:
        items = [p for p in items if is_visible(p, reads.groups.get(p.group_id or ""))]
    quotes = {p.id: reads.quotes[p.id] for p in items if p.id in reads.quotes}
    return CatalogPage(items, page.next_cursor, reads.groups, quotes, customer_id if reads.customer else None)


def get_product(principal: Principal, product_id: str, customer_id: str | None = None) -> CatalogPage:
    """One product as a one-item page (same presenter as lists). Hidden → 404 for customer users.
    One BatchGet (the product, the group index, and when pricing the customer, the settings, its own
    price and the product's list prices); see _read."""
    customer_id = _pricing_customer_id(principal, customer_id)
    reads = _read(principal.tenant, customer_id, [product_id], {}, _group_needed(principal))
    product = reads.products.get(product_id)
    if product is None:
        raise NotFoundError("product")
    if principal.is_customer and not is_visible(product, reads.groups.get(product.group_id or "")):
        raise NotFoundError("product")
    quotes = {product_id: reads.quotes[product_id]} if product_id in reads.quotes else {}
    return CatalogPage([product], None, reads.groups, quotes, customer_id if reads.customer else None)


# --- product writes ---------------------------------------------------------------------------
def _check_product(p: Product, r: refs.Refs, changed: Mapping[str, Any] | None = None) -> None:
    """The rules across fields, and that the group and sites it names exist (read in `r`)."""
    problems = catalog.product_problems(p)
    if problems:
        field_name, message = problems[0]
        raise invalid_field(field_name, message)
    if p.group_id and (changed is None or "group_id" in changed) and p.group_id not in r.product_groups:
        raise invalid_field("group_id", "No product group has this id.")
    if p.stock and (changed is None or "stock" in changed):
        for site_id in p.stock:
            if site_id not in r.sites:
                raise invalid_field(f"stock.{site_id}", "No site has this id.")


def _staff_page(tenant: str, product: Product, r: refs.Refs) -> CatalogPage:
    """The written product with its group (read with the write's checks, else from the group index)."""
    groups: dict[str, ProductGroup] = {}
    gid = product.group_id
    if gid:
        index = r.group_index.groups if r.group_index is not None else {}
        group = r.product_groups.get(gid) or index.get(gid)
        groups = {gid: group} if group is not None else product_groups.get_groups(tenant, [gid])
    return CatalogPage([product], None, groups)


def create_product(principal: Principal, data: dict[str, Any]) -> CatalogPage:
    """One BatchGet (the group and the sites it names), one transaction."""
    principal.require_staff(P.CATALOG_MANAGE)
    tenant = principal.tenant
    product = catalog.normalized(Product(id=new_id(), **data))
    problems = catalog.product_problems(product)
    if problems:
        raise invalid_field(*problems[0])
    group = [keys.product_group(tenant, product.group_id)] if product.group_id else []
    r = refs.load(tenant, sites=list(product.stock), extra=group)
    _check_product(product, r)
    return _staff_page(tenant, products.create(tenant, product), r)


def update_product(principal: Principal, product_id: str, changes: dict[str, Any], expected: int | None) -> CatalogPage:
    """One BatchGet (the product, the group index, a group or sites the change names, and the caller as
    stored now: services/callers.py), one transaction; without If-Match, again on a concurrent change."""
    principal.require_staff(P.CATALOG_MANAGE)
    tenant = principal.tenant
    wanted = [keys.product(tenant, product_id), keys.product_group_index(tenant), *caller_keys(principal)]
    if changes.get("group_id"):
        wanted.append(keys.product_group(tenant, changes["group_id"]))
    read: list[refs.Refs] = []

    def load() -> Product:
        r = refs.load(tenant, sites=list(changes.get("stock") or {}), extra=wanted)
        check_token_rights(principal, r)
        current = r.products.get(product_id)
        if current is None:
            raise NotFoundError("product")
        read[:] = [r]
        return current

    def change(current: Product) -> Product:
        after = catalog.normalized(dataclasses.replace(current, **changes))
        _check_product(after, read[0], changes)
        return after

    saved = apply_change(expected, load, change, lambda before, after: products.update(tenant, before, after))
    return _staff_page(tenant, saved, read[0])


# --- CSV export and import --------------------------------------------------------------------
def export_products(principal: Principal) -> tuple[list[Product], dict[str, str]]:
    """Every product and the names of their groups (the CSV names groups)."""
    principal.require_staff(P.CATALOG_MANAGE)
    names = {g.id: g.name for g in product_groups.all_groups(principal.tenant)}
    return list(products.iterate_all(principal.tenant)), names


NULLABLE_COLUMNS = frozenset({"description", "barcodes", "group"})
DEFAULTS: dict[str, Any] = {
    "unit": "pcs",
    "min_quantity": Decimal(1),
    "order_multiple": Decimal(1),
    "portal": False,
    "status": catalog.ACTIVE,
}


@dataclass
class _Plan:
    result: ImportResult
    changes: list[tuple[Product | None, Product]]


def _row_product(
    row: ImportRow, before: Product | None, new_id_: str, groups: Mapping[str, ProductGroup], errors: list[RowError]
) -> Product | None:
    """The product a row asks for, adding the row's errors. None only when it cannot be built at all;
    a product with errors is still returned, so its barcodes are checked and reported too."""
    values: dict[str, Any] = {}
    for column, value in row.values.items():
        if value is None and column not in NULLABLE_COLUMNS:
            continue  # empty cell: keep the current value (default on create)
        if column == "group":
            group = groups.get(value.strip().lower()) if value else None
            if value and group is None:
                errors.append(RowError(row.row, "group", f"No product group is named '{value}'."))
            values["group_id"] = group.id if group else None
        elif column == "barcodes":
            values["barcodes"] = list(value or [])
        else:
            values[column] = value
    if before is None:
        missing = [c for c in REQUIRED_TO_CREATE if values.get(c) is None]
        errors.extend(RowError(row.row, column, "is required to create a product") for column in missing)
        if missing:
            return None
        product = catalog.normalized(Product(id=new_id_, sku=row.sku, **{**DEFAULTS, **values}))
    else:
        product = catalog.normalized(dataclasses.replace(before, sku=row.sku, **values))
    errors.extend(RowError(row.row, f, message) for f, message in catalog.product_problems(product))
    return product


def _plan_import(tenant: str, rows: list[ImportRow], errors: list[RowError]) -> _Plan:
    groups = {g.name.strip().lower(): g for g in product_groups.all_groups(tenant)}
    first_row_of_sku: dict[str, int] = {}
    for row in rows:
        key = row.sku.lower()
        if key in first_row_of_sku:
            errors.append(RowError(row.row, "sku", f"The sku is also on row {first_row_of_sku[key]}."))
        else:
            first_row_of_sku[key] = row.row
    owners = products.sku_owners(tenant, first_row_of_sku)
    existing = {p.id: p for p in products.get_many(tenant, owners.values())}

    planned: list[tuple[ImportRow, Product | None, Product]] = []
    for row in rows:
        if first_row_of_sku[row.sku.lower()] != row.row:
            continue
        owner = owners.get(row.sku.lower())
        before = existing.get(owner) if owner else None
        # A guard without its product is what a crashed import leaves: finish creating that product.
        after = _row_product(row, before, owner or new_id(), groups, errors)
        if after is not None:
            planned.append((row, before, after))

    # Barcodes: unique across the file, and not held by a product this file does not release them from.
    row_of_barcode: dict[str, int] = {}
    final_owner: dict[str, str] = {}
    for row, _, after in planned:
        for b in after.barcodes:
            if b.lower() in row_of_barcode:
                errors.append(RowError(row.row, "barcodes", f"Barcode {b} is also on row {row_of_barcode[b.lower()]}."))
            else:
                row_of_barcode[b.lower()] = row.row
                final_owner[b.lower()] = after.id
    in_file = {after.id for _, _, after in planned}
    new_codes = {b.lower() for _, before, after in planned for b in after.barcodes} - {
        b.lower() for _, before, _ in planned if before for b in before.barcodes
    }
    holders = products.barcode_owners(tenant, new_codes)
    foreign = {o for o in holders.values() if o not in in_file}
    alive = {p.id: p for p in products.get_many(tenant, foreign)}
    for code, holder in sorted(holders.items()):
        if final_owner.get(code) != holder and holder not in in_file and holder in alive:
            errors.append(
                RowError(row_of_barcode[code], "barcodes", f"Barcode {code} belongs to product {alive[holder].sku}.")
            )

    result = ImportResult()
    changes: list[tuple[Product | None, Product]] = []
    for _, before, after in planned:
        if before is None:
            result.created += 1
            changes.append((None, after))
        elif catalog.same_product_fields(before, after):
            result.unchanged += 1
        else:
            result.updated += 1
            changes.append((before, after))
    return _Plan(result, changes)


def _one_per_cell(errors: list[RowError]) -> list[RowError]:
    """A cell the parser refused is left out of its row, so the plan may call it missing too: the
    parser's error (first in the list) is the one told."""
    seen: set[tuple[int, str]] = set()
    out = []
    for e in errors:
        if (e.row, e.field) not in seen:
            seen.add((e.row, e.field))
            out.append(e)
    return out


def import_products(principal: Principal, rows: list[ImportRow], errors: list[RowError], dry_run: bool) -> ImportResult:
    """All rows or none: every bad row is reported (422) and nothing is written. A real run holds the
    catalog lease from its first read to its last write (see storage/products.py)."""
    principal.require_staff(P.CATALOG_MANAGE)
    tenant = principal.tenant
    lease_owner = new_id()
    if not dry_run:
        products.acquire_lease(tenant, lease_owner)
    try:
        errors = list(errors)
        plan = _plan_import(tenant, rows, errors)
        errors = _one_per_cell(errors)
        if errors:
            errors.sort(key=lambda e: (e.row, e.field))
            bad_rows = len({e.row for e in errors})
            raise ValidationFailedError(
                f"{bad_rows} row(s) of the file are invalid; nothing was imported.",
                details=[e.as_detail() for e in errors],
            )
        if not dry_run:
            products.bulk_write(tenant, plan.changes)
        return plan.result
    finally:
        if not dry_run:
            products.release_lease(tenant, lease_owner)
