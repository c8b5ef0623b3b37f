"""The catalog as ordering sees it: the adapter of the `Catalog` port (services/order_catalog.py)
over the product store and the one pricing module.

Cost per call, whatever the number of refs: one BatchGet of sku guards and one of barcode guards
(only for refs that need them), one BatchGet of products, one of their groups, and pricing's
BatchGets of customer and price-list entries.
"""

from __future__ import annotations

from chalicelib.domain.catalog import is_visible
from chalicelib.domain.model import Customer
from chalicelib.services import pricing
from chalicelib.services.order_catalog import Offer, ProductRef
from chalicelib.storage import keys, products


class CatalogOffers:
    def offers(self, tenant: str, customer: Customer, refs: list[ProductRef], *, staff: bool) -> list[Offer | None]:
        sku_ids = products.sku_owners(tenant, [r.sku for r in refs if r.sku])
        barcode_ids = products.barcode_owners(tenant, [r.barcode for r in refs if r.barcode])
        ids: list[str | None] = []
        for ref in refs:
            if ref.product_id:
                ids.append(ref.product_id)
            elif ref.sku:
                ids.append(sku_ids.get(keys.sku_key(ref.sku)))
            else:
                ids.append(barcode_ids.get((ref.barcode or "").lower()))
        found = {p.id: p for p in products.get_many(tenant, [i for i in ids if i])}
        groups = products.get_groups(tenant, [p.group_id for p in found.values()])
        levels = pricing.levels_for(tenant, customer, list(found.values()))
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
