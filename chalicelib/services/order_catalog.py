"""What ordering needs from the catalog, as a port: which product a line reference means, whether
this customer may order it, its quantity rules, and its effective price tiers for this customer.

An order action reads everything it needs in one BatchGet (services/orders.py): it asks the port
which keys its lines need (`keys`) and, once they are read, for the offers (`offers`). Nothing is
remembered between requests. The adapter over the product store lives in services/catalog_offers.py;
unit tests use devstack/fakes.py's `FakeCatalog`, and a contract test runs the same checks against both.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from chalicelib.domain.model import Customer
from chalicelib.domain.pricing import PriceRule

if TYPE_CHECKING:
    from chalicelib.storage.refs import Key, Refs


@dataclass(frozen=True)
class ProductRef:
    """A line's product as the client named it: exactly one of the three."""

    product_id: str | None = None
    sku: str | None = None
    barcode: str | None = None

    @property
    def label(self) -> str:
        return self.product_id or self.sku or self.barcode or ""


@dataclass(frozen=True)
class Offer:
    """A product as this customer may order it, priced for them."""

    product_id: str
    sku: str
    name: str
    tax_rate: Decimal
    min_quantity: Decimal
    order_multiple: Decimal
    # The customer's deciding price rule (services/pricing.py): prices any quantity, tiers included.
    rule: PriceRule
    orderable: bool = True  # active and visible to this customer (staff may order any active product)
    reason: str = ""

    def unit_price(self, quantity: Decimal) -> Decimal:
        return self.rule.unit_price(quantity)

    def quantity_problem(self, quantity: Decimal) -> str | None:
        if quantity < self.min_quantity:
            return f"The minimum quantity of {self.sku} is {self.min_quantity}."
        if self.order_multiple and (quantity % self.order_multiple) != 0:
            return f"{self.sku} is sold in multiples of {self.order_multiple}."
        return None


class Catalog(Protocol):
    def keys(self, tenant: str, customer_id: str, refs: list[ProductRef]) -> list[Key]:
        """The keys to read, with the action's other keys in its one BatchGet, for `offers` of these refs."""
        ...

    def offers(
        self, tenant: str, customer: Customer, refs: list[ProductRef], *, staff: bool, found: Refs
    ) -> list[Offer | None]:
        """One answer per ref, in order: None when no product of the tenant matches it (or, to a customer
        user, when it is hidden). `found`: what the action's BatchGet read of `keys`. A ref by sku or
        barcode names its product only through its guard, so its product is read now (a second round)."""
        ...
