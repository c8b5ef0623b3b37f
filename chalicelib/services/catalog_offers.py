"""The catalog as ordering sees it: the adapter of the `Catalog` port (services/order_catalog.py)
over the product store and the one pricing module.

What a line needs is read by key in the action's one BatchGet (`keys`): the product, the customer's
own price for it, its list-prices item (its entry in every price list, keyed by product alone: the
customer's price_list_id is not known before that same read) and the tenant's group index (every
group's portal flag). So orders are priced from exactly what the customer's catalog page shows. A
line given by sku or barcode is known by its guard only: its product and prices are a second
BatchGet.
Above one BatchGet's worth of lines (a large order's submit), the customer's own prices and its
price list are read whole instead: fewer round trips and read units than 3 keys a line.
"""

from __future__ import annotations

from collections.abc import Iterable

from chalicelib.domain.catalog import is_visible
from chalicelib.domain.model import Customer
from chalicelib.domain.pricing import PriceEntry, PriceLevels
from chalicelib.services.order_catalog import Offer, ProductRef
from chalicelib.storage import keys, prices
from chalicelib.storage import refs as reads
from chalicelib.storage.refs import Key, Refs

BATCH_KEYS = 100  # keys per BatchGetItem


def _whole(product_count: int) -> bool:
    """Whether to read the customer's prices and its price list whole: past one BatchGet's worth of keys."""
    return 3 * product_count > BATCH_KEYS


def _product_keys(tenant: str, customer_id: str, ids: Iterable[str], *, whole: bool, listed: bool) -> list[Key]:
    """Each product, and unless read whole, its customer price and (`listed`: the customer may have a price
    list) its list-prices item."""
    wanted: list[Key] = []
    for pid in ids:
        wanted.append(keys.product(tenant, pid))
        if not whole:
            wanted.append(keys.customer_price(tenant, customer_id, pid))
            wanted += [keys.list_prices(tenant, pid)] if listed else []
    return wanted


class CatalogOffers:
    def keys(self, tenant: str, customer_id: str, refs: list[ProductRef]) -> list[Key]:
        if not refs:
            return []
        ids = list(dict.fromkeys(r.product_id for r in refs if r.product_id))
        guards = [keys.sku_guard(tenant, keys.sku_key(r.sku)) for r in refs if r.sku and not r.product_id]
        guards += [keys.barcode_guard(tenant, r.barcode.lower()) for r in refs if r.barcode and not r.product_id]
        # The customer is read in the same BatchGet, so whether it has a price list is not known yet.
        products = _product_keys(tenant, customer_id, ids, whole=_whole(len(ids)), listed=True)
        return [keys.product_group_index(tenant), *guards, *products]

    def offers(
        self, tenant: str, customer: Customer, refs: list[ProductRef], *, staff: bool, found: Refs
    ) -> list[Offer | None]:
        if not refs:
            return []
        ids: list[str | None] = []
        for ref in refs:
            if ref.product_id:
                ids.append(ref.product_id)
            elif ref.sku:
                ids.append(found.owners.get(keys.sku_guard(tenant, keys.sku_key(ref.sku))))
            else:
                ids.append(found.owners.get(keys.barcode_guard(tenant, (ref.barcode or "").lower())))
        by_id = [r.product_id for r in refs if r.product_id]
        behind_guards = [pid for pid in dict.fromkeys(ids) if pid and pid not in found.products]
        whole = _whole(len(set(by_id))) or _whole(len(behind_guards))
        if behind_guards:  # lines named by code: their products are known only now (and the customer is)
            has_list = bool(customer.price_list_id)
            more_keys = _product_keys(tenant, customer.id, behind_guards, whole=whole, listed=has_list)
            found = reads.merge(found, reads.load(tenant, extra=more_keys))
        named = [pid for pid in dict.fromkeys(ids) if pid and pid in found.products]
        own_pk = keys.customer_prices_pk(tenant, customer.id)
        list_id = customer.price_list_id
        own: dict[str, PriceEntry]
        listed: dict[str, PriceEntry] = {}
        if whole:
            own = {e.product_id: e for e in prices.customer_entries(tenant, customer.id)}
            if list_id:
                listed = {e.product_id: e for e in prices.list_entries(tenant, list_id)}
        else:
            own = found.price_entries.get(own_pk, {})
            for pid in named:
                entry = found.list_prices.get(pid, {}).get(list_id or "")
                if entry is not None:
                    listed[pid] = entry
        groups = found.group_index.groups if found.group_index is not None else {}
        out: list[Offer | None] = []
        for named_id in ids:
            product = found.products.get(named_id or "")
            if product is None:
                out.append(None)
                continue
            if not staff and not is_visible(product, groups.get(product.group_id or "")):
                out.append(None)  # to a customer user a hidden product does not exist (PRODUCT.md)
                continue
            levels = PriceLevels(
                product_id=product.id,
                base=product.base_rule,
                price_list=listed[product.id].rule if product.id in listed else None,
                customer=own[product.id].rule if product.id in own else None,
            )
            rule, _ = levels.deciding()
            out.append(
                Offer(
                    product_id=product.id,
                    sku=product.sku,
                    name=product.name,
                    tax_rate=product.tax_rate,
                    min_quantity=product.min_quantity,
                    order_multiple=product.order_multiple,
                    rule=rule,
                    orderable=product.active,
                    reason="" if product.active else "the product is no longer sold",
                )
            )
        return out
