"""Money and quantities: Decimal only, rounded half-up to 2 places per line."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# API.md's bounds: no amount above a billion, no quantity above a million (nor below 0.001).
MAX_AMOUNT = Decimal("1000000000.00")
MAX_QUANTITY = Decimal("1000000")


def money(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def line_net(quantity: Decimal, unit_price: Decimal) -> Decimal:
    return money(quantity * unit_price)


def line_tax(net: Decimal, tax_rate: Decimal) -> Decimal:
    return money(net * tax_rate)
