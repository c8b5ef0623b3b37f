"""The catalog as ordering sees it: the adapter of the `Catalog` port (services/order_catalog.py)
over the product store and the one pricing module.

Cost per call, whatever the number of refs (storage/offer_reads.py): one BatchGet for refs by
product id (products and this customer's prices together); two for refs by sku or barcode (their
guards first), one when this process has seen the codes before. A product's group is read only when
its visibility depends on it: for a customer, when the product itself is not marked for the portal.
With `checks` the answer comes from the process's copies when it has them all: no round trip, and
ConditionChecks for the caller's write.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.catalog import is_visible
from chalicelib.domain.model import Customer
from chalicelib.domain.pricing import PriceLevels
from chalicelib.services.order_catalog import Offer, Prefetch, ProductRef
from chalicelib.storage import keys, offer_reads
from chalicelib.storage.table import Check


def _what(refs: list[ProductRef], staff: bool) -> dict[str, Any]:
    return {
        "product_ids": [r.product_id for r in refs if r.product_id],
        "skus": [r.sku for r in refs if r.sku and not r.product_id],
        "barcodes": [r.barcode for r in refs if r.barcode and not r.product_id and not r.sku],
        # Staff see every product; a product marked for the portal is visible whatever its group.
        "needs_group": lambda p: not staff and p.active and not p.portal,
    }


class CatalogOffers:
    def prefetch(
        self, tenant: str, customer_id: str, refs: list[ProductRef], *, staff: bool, max_checks: int
    ) -> Prefetch:
        what = _what(refs, staff)
        copies = offer_reads.cached(tenant, customer_id, offer_reads.price_list_of(tenant, customer_id), **what)
        if copies is not None and len(copies[1]) <= max_checks:
            return Prefetch()  # `offers` will answer from the copies: nothing to read
        # The caller's own BatchGet holds its few keys besides these (a create: four).
        return Prefetch(offer_reads.first_keys(tenant, customer_id, room=offer_reads.BATCH_KEYS - 4, **what))

    def offers(
        self,
        tenant: str,
        customer: Customer,
        refs: list[ProductRef],
        *,
        staff: bool,
        checks: list[Check] | None = None,
        prefetched: Prefetch | None = None,
    ) -> list[Offer | None]:
        what = _what(refs, staff)
        copies = offer_reads.cached(tenant, customer.id, customer.price_list_id, **what) if checks is not None else None
        if copies is not None and checks is not None:
            data, verified_by = copies
            checks.extend(verified_by)
        else:
            ahead = offer_reads.Prefetched(set(prefetched.keys), prefetched.found) if prefetched else None
            data = offer_reads.read(tenant, customer.id, customer.price_list_id, prefetched=ahead, **what)
        ids: list[str | None] = []
        for ref in refs:
            if ref.product_id:
                ids.append(ref.product_id)
            elif ref.sku:
                ids.append(data.sku_owners.get(keys.sku_key(ref.sku)))
            else:
                ids.append(data.barcode_owners.get((ref.barcode or "").lower()))
        found = data.products
        groups = data.groups
        levels = {
            pid: PriceLevels(
                product_id=pid,
                base=p.base_rule,
                price_list=data.listed[pid].rule if pid in data.listed and pid not in data.own else None,
                customer=data.own[pid].rule if pid in data.own else None,
            )
            for pid, p in found.items()
        }
        out: list[Offer | None] = []
        for pid in ids:
            product = found.get(pid or "")
            if product is None:
                out.append(None)
                continue
            visible = is_visible(product, groups.get(product.group_id or ""))
            if not staff and not visible:
                # To a customer user a hidden product does not exist (PRODUCT.md "Who sees what").
                out.append(None)
                continue
            rule, _ = levels[product.id].deciding()
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
