"""Effective prices: which price a customer pays for a product at a quantity.

Pure functions over values the pricing service loads. The rules of PRODUCT.md ("Catalog and
prices"):

1. the customer-specific price of the product if one exists, else the entry of the customer's price
   list, else the product's base price. The first level that has an entry decides, tiers included:
   a customer price without tiers beats a price list with a cheaper tier;
2. each level is a price with optional quantity tiers; the tier with the highest `min_quantity` that
   is <= the quantity wins, and below every tier the level's own price applies;
3. money is Decimal, never float, rounded half-up to 2 places.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

CENT = Decimal("0.01")


def round_money(amount: Decimal) -> Decimal:
    """Half-up to 2 places: 0.125 → 0.13, never banker's rounding."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def line_net(unit_price: Decimal, quantity: Decimal) -> Decimal:
    """A line's net amount, rounded once per line (PRODUCT.md: amounts are rounded per line)."""
    return round_money(unit_price * quantity)


@dataclass(frozen=True)
class Tier:
    min_quantity: Decimal
    price: Decimal


@dataclass(frozen=True)
class PriceRule:
    """One level's price for one product: `price` below every tier, `tiers` from their min_quantity on."""

    price: Decimal
    tiers: tuple[Tier, ...] = ()

    @classmethod
    def of(cls, price: Decimal, tiers: Iterable[Tier] = ()) -> PriceRule:
        return cls(price, tuple(sorted(tiers, key=lambda t: t.min_quantity)))

    def unit_price(self, quantity: Decimal) -> Decimal:
        chosen = self.price
        best: Decimal | None = None
        for tier in self.tiers:
            if tier.min_quantity <= quantity and (best is None or tier.min_quantity > best):
                best, chosen = tier.min_quantity, tier.price
        return round_money(chosen)


class PriceSource(StrEnum):
    CUSTOMER = "customer"
    PRICE_LIST = "price_list"
    BASE = "base"


@dataclass(frozen=True)
class Quote:
    """The effective price of one product for one customer at one quantity, and where it came from.

    `tiers` are the tiers of the deciding level: the ones that apply to this customer."""

    product_id: str
    quantity: Decimal
    unit_price: Decimal
    currency: str
    source: PriceSource
    tiers: tuple[Tier, ...]

    @property
    def net(self) -> Decimal:
        return line_net(self.unit_price, self.quantity)


@dataclass(frozen=True)
class PriceLevels:
    """What is known about one product's prices for one customer: the three levels, highest first."""

    product_id: str
    base: PriceRule
    price_list: PriceRule | None = None
    customer: PriceRule | None = None

    def deciding(self) -> tuple[PriceRule, PriceSource]:
        if self.customer is not None:
            return self.customer, PriceSource.CUSTOMER
        if self.price_list is not None:
            return self.price_list, PriceSource.PRICE_LIST
        return self.base, PriceSource.BASE


def effective_price(levels: PriceLevels, quantity: Decimal, currency: str) -> Quote:
    rule, source = levels.deciding()
    return Quote(
        product_id=levels.product_id,
        quantity=quantity,
        unit_price=rule.unit_price(quantity),
        currency=currency,
        source=source,
        tiers=rule.tiers,
    )


@dataclass
class PriceEntry:
    """A product's price and tiers in a price list or for one customer."""

    product_id: str
    price: Decimal
    tiers: list[Tier]

    @property
    def rule(self) -> PriceRule:
        return PriceRule.of(self.price, self.tiers)


@dataclass
class PriceList:
    id: str
    name: str
    currency: str
    version: int = 0
