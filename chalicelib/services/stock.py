"""PUT /stock: the ERP's stock levels by sku and site, up to 1,000 entries, each applied or refused on
its own (API.md "Machine clients"): partial success, reported per entry.

Reads: the sku guards and the sites in one BatchGet (PynamoDB: one call per 100 keys), then the
products named. Writes: each product's stock map conditional on the version read, 99 products per
transaction (storage/products.py `set_stock`); a product changed meanwhile is read again and retried."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from chalicelib.auth.principal import Principal
from chalicelib.domain.catalog import Product
from chalicelib.domain.permissions import Permission
from chalicelib.retry import attempts
from chalicelib.storage import keys, products
from chalicelib.storage.items import SiteItem, UniqueItem
from chalicelib.storage.refs import fetch

MAX_ENTRIES = 1000
ATTEMPTS = 3


@dataclass(frozen=True)
class StockEntry:
    index: int
    sku: str
    site_id: str
    quantity: Decimal


@dataclass
class StockResult:
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, object]] = field(default_factory=list)


def sync(p: Principal, entries: list[StockEntry], refused: list[dict[str, object]]) -> StockResult:
    """`entries` are the entries that passed validation; `refused` the errors of the others."""
    p.require_staff(Permission.CATALOG_MANAGE)
    tenant = p.tenant
    result = StockResult(errors=list(refused))
    sku_keys = {e.sku: keys.sku_guard(tenant, e.sku) for e in entries}
    site_keys = {e.site_id: keys.site(tenant, e.site_id) for e in entries}
    found = fetch([*sku_keys.values(), *site_keys.values()])
    owner = {sku: item.owner_id for sku, k in sku_keys.items() if isinstance(item := found.get(k), UniqueItem)}
    sites = {site for site, k in site_keys.items() if isinstance(found.get(k), SiteItem)}
    wanted: dict[str, list[StockEntry]] = {}
    for e in entries:
        if e.sku not in owner:
            result.errors.append({"index": e.index, "field": "sku", "message": f"No product has the sku '{e.sku}'."})
        elif e.site_id not in sites:
            result.errors.append({"index": e.index, "field": "site_id", "message": "No site has this id."})
        else:
            wanted.setdefault(owner[e.sku], []).append(e)

    for attempt in attempts(ATTEMPTS, pause=0.01):
        current = {pr.id: pr for pr in products.get_many(tenant, wanted)}
        changes: list[tuple[Product, dict[str, Decimal]]] = []
        counts: dict[str, tuple[int, int]] = {}
        for product_id, its in wanted.items():
            product = current.get(product_id)
            if product is None:  # deleted between its guard and its read
                result.errors += [_error(e, "sku", f"No product has the sku '{e.sku}'.") for e in its]
                continue
            stock = dict(product.stock)
            updated = 0
            for e in its:  # in the order given: a later entry for the same site wins
                if stock.get(e.site_id) != e.quantity:
                    stock[e.site_id] = e.quantity
                    updated += 1
            counts[product_id] = (updated, len(its) - updated)
            if updated:
                changes.append((product, stock))
        failed = products.set_stock(tenant, changes)
        for product_id, (updated, unchanged) in counts.items():
            if product_id not in failed:
                result.updated += updated
                result.unchanged += unchanged
        retry = {pid for pid, why in failed.items() if why == "changed"}
        for pid, why in failed.items():
            if why == "import" or attempt + 1 == ATTEMPTS:
                message = (
                    "The catalog is being imported; send this entry again when the import is done."
                    if why == "import"
                    else "The product kept changing while its stock was written; send this entry again."
                )
                result.errors += [_error(e, "sku", message) for e in wanted[pid]]
        wanted = {pid: its for pid, its in wanted.items() if pid in retry}
        if not wanted:
            break
    result.errors.sort(key=lambda err: int(str(err["index"])))
    return result


def _error(e: StockEntry, field_name: str, message: str) -> dict[str, object]:
    return {"index": e.index, "field": field_name, "message": message}
