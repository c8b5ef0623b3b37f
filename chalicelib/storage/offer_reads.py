"""What pricing order lines reads from the catalog, in as few round trips as the keys allow.

Everything whose key is known is read in one BatchGetItem, whatever its kind: the sku and barcode
guards, the products named by id, and this customer's own and price-list entries for them. A
second BatchGet follows only for what the first one revealed: the products behind the guards (and
their entries) and the groups of products whose visibility depends on their group. So lines named
by product id cost one round trip; by sku or barcode, two; a third only for portal-less products of
groups not read yet.

Many lines (a 1,000-line order's submit or import) would need ten BatchGets of price entries per
price partition, most of them for products without an entry; above one BatchGet's worth of products
the customer's prices and its price list are read whole instead (one Query page per ~1 MB), which is
fewer round trips and fewer read units.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from chalicelib.domain.catalog import Product, ProductGroup
from chalicelib.domain.pricing import PriceEntry
from chalicelib.storage import keys
from chalicelib.storage.items import PriceEntryItem, ProductGroupItem, ProductItem, UniqueItem
from chalicelib.storage.prices import _to_entry, customer_entries, list_entries
from chalicelib.storage.products import _to_group, _to_product
from chalicelib.storage.refs import Key, fetch

BATCH_KEYS = 100  # keys per BatchGetItem


@dataclass
class OfferData:
    products: dict[str, Product] = field(default_factory=dict)
    groups: dict[str, ProductGroup] = field(default_factory=dict)
    own: dict[str, PriceEntry] = field(default_factory=dict)  # the customer's prices, by product id
    listed: dict[str, PriceEntry] = field(default_factory=dict)  # its price list's, by product id
    sku_owners: dict[str, str] = field(default_factory=dict)  # sku key → product id
    barcode_owners: dict[str, str] = field(default_factory=dict)  # barcode key → product id


def read(
    tenant: str,
    customer_id: str,
    price_list_id: str | None,
    *,
    product_ids: Iterable[str] = (),
    skus: Iterable[str] = (),
    barcodes: Iterable[str] = (),
    needs_group: Callable[[Product], bool] = lambda p: True,
) -> OfferData:
    data = OfferData()
    sku_pk = keys.sku_guards_pk(tenant)
    own_pk = keys.customer_prices_pk(tenant, customer_id)
    ids, skus, barcodes = list(dict.fromkeys(product_ids)), list(skus), list(barcodes)
    whole_partitions = len(ids) + len(skus) + len(barcodes) > BATCH_KEYS
    if whole_partitions:
        data.own = {e.product_id: e for e in customer_entries(tenant, customer_id)}
        data.listed = {e.product_id: e for e in list_entries(tenant, price_list_id)} if price_list_id else {}

    def product_keys(ids: Iterable[str]) -> list[Key]:
        wanted: list[Key] = []
        for pid in ids:
            wanted.append(keys.product(tenant, pid))
            if not whole_partitions:
                wanted.append(keys.customer_price(tenant, customer_id, pid))
                if price_list_id:
                    wanted.append(keys.price_list_entry(tenant, price_list_id, pid))
        return wanted

    wanted = [keys.sku_guard(tenant, keys.sku_key(s)) for s in skus]
    wanted += [keys.barcode_guard(tenant, b.lower()) for b in barcodes]
    wanted += product_keys(ids)
    while wanted:
        behind_guards: list[str] = []
        groups: set[str] = set()
        for key, item in fetch(wanted).items():
            if isinstance(item, UniqueItem):
                owners = data.sku_owners if key[0] == sku_pk else data.barcode_owners
                owners[key[1]] = item.owner_id
                behind_guards.append(item.owner_id)
            elif isinstance(item, ProductItem):
                product = _to_product(item)
                data.products[product.id] = product
                if product.group_id and product.group_id not in data.groups and needs_group(product):
                    groups.add(product.group_id)
            elif isinstance(item, ProductGroupItem):
                group = _to_group(item)
                data.groups[group.id] = group
            elif isinstance(item, PriceEntryItem):
                (data.own if key[0] == own_pk else data.listed)[item.product_id] = _to_entry(item)
        new = [pid for pid in dict.fromkeys(behind_guards) if pid not in data.products]
        wanted = product_keys(new) + [keys.product_group(tenant, g) for g in sorted(groups)]
    return data
