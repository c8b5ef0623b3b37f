"""Catalog use cases: product groups, products, search, portal visibility, CSV import and export.

Who sees what. Staff see every product of their tenant with its base price. Customer users see only
products visible in the portal (domain.catalog.is_visible), priced for one of their customers by the
pricing service; anything else answers 404 and never appears in their lists.

Reads are one Query page per response, chosen by the most selective filter (barcode, sku, q,
group_id, else the whole catalog); the other filters and portal visibility are applied to that page.
A filtered page can therefore hold fewer than `limit` items while `next_cursor` says more follow.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
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
from chalicelib.domain.pricing import Quote
from chalicelib.services import pricing
from chalicelib.storage import customers, products, sites
from chalicelib.storage.paging import Page

P = Permission


# --- product groups ---------------------------------------------------------------------------
def list_groups(principal: Principal, limit: int, cursor: str | None) -> Page[ProductGroup]:
    page = products.list_groups_page(principal.tenant, limit, cursor)
    if principal.is_customer:  # customers browse the groups shown in the portal
        page.items = [g for g in page.items if g.portal]
    return page


def get_group(principal: Principal, group_id: str) -> ProductGroup:
    group = products.get_group(principal.tenant, group_id)
    if principal.is_customer and not group.portal:
        raise NotFoundError("product group")
    return group


def create_group(principal: Principal, name: str, portal: bool) -> ProductGroup:
    principal.require_staff(P.CATALOG_MANAGE)
    return products.save_group(principal.tenant, None, ProductGroup(new_id(), name, portal))


def update_group(principal: Principal, group_id: str, changes: dict[str, Any], expected: int | None) -> ProductGroup:
    """Switching `portal` rewrites only the group: products read their group's flag when read."""
    principal.require_staff(P.CATALOG_MANAGE)
    current = products.get_group(principal.tenant, group_id)
    before = current if expected is None else dataclasses.replace(current, version=expected)
    return products.save_group(principal.tenant, before, dataclasses.replace(current, **changes))


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


def _pricing_customer(principal: Principal, customer_id: str | None) -> Customer | None:
    """Whom a customer user's prices are for: `customer_id` if it is theirs (else 404), default their
    first customer. Staff get prices only when they name a customer."""
    if principal.is_customer:
        customer_id = customer_id or (principal.customer_ids[0] if principal.customer_ids else None)
        if customer_id is None:
            raise NotFoundError("customer")
        principal.check_customer_visible(customer_id)
    if customer_id is None:
        return None
    return customers.get(principal.tenant, customer_id)


def _driver_page(tenant: str, f: ProductFilters, tokens: list[str], limit: int, cursor: str | None) -> Page[Product]:
    """One Query page from the index of the most selective filter."""
    if f.barcode is not None:
        if cursor:
            raise MalformedRequestError("The cursor is not valid.")
        found = products.find_by_barcode(tenant, f.barcode)
        return Page([found] if found else [], None)
    if f.sku is not None:
        return products.sku_prefix_page(tenant, f.sku, limit, cursor)
    if tokens:
        driver = max(tokens, key=len)
        if "#" in driver:  # never part of a term; would reach into the sort key's separator
            return Page([], None)
        hits = products.search_page(tenant, driver, limit, cursor)
        # A product has an entry per term; report it once, at its first matching term.
        kept = [h.product for h in hits.items if catalog.first_term_with_prefix(h.product, driver) == h.term]
        return Page(kept, hits.next_cursor)
    if f.group_id is not None:
        return products.list_group_page(tenant, f.group_id, limit, cursor)
    return products.list_page(tenant, limit, cursor)


def _matches(p: Product, f: ProductFilters, tokens: list[str]) -> bool:
    if f.sku is not None and not p.sku.lower().startswith(f.sku.lower()):
        return False
    if f.barcode is not None and f.barcode.lower() not in {b.lower() for b in p.barcodes}:
        return False
    if f.group_id is not None and p.group_id != f.group_id:
        return False
    return not tokens or catalog.matches_tokens(p, tokens)


def list_products(principal: Principal, f: ProductFilters, limit: int, cursor: str | None) -> CatalogPage:
    tenant = principal.tenant
    customer = _pricing_customer(principal, f.customer_id)
    tokens = catalog.query_tokens(f.q) if f.q is not None else []
    page = _driver_page(tenant, f, tokens, limit, cursor)
    items = [p for p in page.items if _matches(p, f, tokens)]
    groups = products.get_groups(tenant, (p.group_id for p in items))
    if principal.is_customer:
        items = [p for p in items if is_visible(p, groups.get(p.group_id or ""))]
    quotes = pricing.prices_for(tenant, customer, items) if customer else {}
    return CatalogPage(items, page.next_cursor, groups, quotes, customer.id if customer else None)


def get_product(principal: Principal, product_id: str, customer_id: str | None = None) -> CatalogPage:
    """One product as a one-item page (same presenter as lists). Hidden → 404 for customer users."""
    customer = _pricing_customer(principal, customer_id)
    product = products.get(principal.tenant, product_id)
    groups = products.get_groups(principal.tenant, [product.group_id])
    if principal.is_customer and not is_visible(product, groups.get(product.group_id or "")):
        raise NotFoundError("product")
    quotes = pricing.prices_for(principal.tenant, customer, [product]) if customer else {}
    return CatalogPage([product], None, groups, quotes, customer.id if customer else None)


def visible_product(principal: Principal, customer: Customer, product_id: str) -> Product:
    """For orders: the product if `customer`'s users may order it, else 404 (as for a stranger)."""
    principal.check_customer_visible(customer.id)
    product = products.get(principal.tenant, product_id)
    group = products.get_groups(principal.tenant, [product.group_id]).get(product.group_id or "")
    if not is_visible(product, group):
        raise NotFoundError("product")
    return product


# --- product writes ---------------------------------------------------------------------------
def _check_product(tenant: str, p: Product, changed: Mapping[str, Any] | None = None) -> None:
    problems = catalog.product_problems(p)
    if problems:
        field_name, message = problems[0]
        raise invalid_field(field_name, message)
    if p.group_id and (changed is None or "group_id" in changed):
        try:
            products.get_group(tenant, p.group_id)
        except NotFoundError:
            raise invalid_field("group_id", "No product group has this id.") from None
    if p.stock and (changed is None or "stock" in changed):
        known = {s.id for s in sites.get_many(tenant, list(p.stock))}
        for site_id in p.stock:
            if site_id not in known:
                raise invalid_field(f"stock.{site_id}", "No site has this id.")


def _staff_page(tenant: str, product: Product) -> CatalogPage:
    return CatalogPage([product], None, products.get_groups(tenant, [product.group_id]))


def create_product(principal: Principal, data: dict[str, Any]) -> CatalogPage:
    principal.require_staff(P.CATALOG_MANAGE)
    product = catalog.normalized(Product(id=new_id(), **data))
    _check_product(principal.tenant, product)
    return _staff_page(principal.tenant, products.create(principal.tenant, product))


def update_product(principal: Principal, product_id: str, changes: dict[str, Any], expected: int | None) -> CatalogPage:
    principal.require_staff(P.CATALOG_MANAGE)
    current = products.get(principal.tenant, product_id)
    after = catalog.normalized(dataclasses.replace(current, **changes))
    _check_product(principal.tenant, after, changes)
    before = current if expected is None else dataclasses.replace(current, version=expected)
    return _staff_page(principal.tenant, products.update(principal.tenant, before, after))


# --- CSV export and import --------------------------------------------------------------------
def export_products(principal: Principal) -> tuple[list[Product], dict[str, str]]:
    """Every product and the names of their groups (the CSV names groups)."""
    principal.require_staff(P.CATALOG_MANAGE)
    names = {g.id: g.name for g in products.all_groups(principal.tenant)}
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
    groups = {g.name.strip().lower(): g for g in products.all_groups(tenant)}
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
