"""The month's budget, in one place: what an order counts against its customer's monthly budget,
and how each change of the order moves the counters.

PRODUCT.md: `monthly_budget` is the sum of the month's orders of that customer that reached
`submitted` or beyond. An order remembers what it counted and in which month (`Counted`), so every
later transition (approve, accept of a new total, cancel in any status) moves exactly that amount,
in that month, and never a total that was never added. One function gives the moves for every
transition; tests/unit/test_budget.py walks the whole table.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Counted:
    """What an order added to its customer's counter: `cents` in `month` (YYYY-MM)."""

    month: str
    cents: int


@dataclass(frozen=True)
class BudgetMove:
    """Cents to add to the counter of (customer, month); negative gives back."""

    customer_id: str
    month: str
    cents: int


def cents(amount: Decimal) -> int:
    """Money to integer cents (DynamoDB adds integers exactly)."""
    return int(amount * 100)


def settle(
    customer_id: str, before: Counted | None, counts: bool, gross: Decimal, this_month: str
) -> tuple[Counted | None, list[BudgetMove]]:
    """What the order counts after a change, and the moves that take the counters there.

    `before`: what it had counted; `counts`: whether it counts now (domain.orders.counts_against_budget);
    an order keeps the month it was first counted in, so a later change of its total or a cancel
    lands where the amount was added."""
    after = Counted(before.month if before else this_month, cents(gross)) if counts else None
    delta: dict[str, int] = {}
    if before is not None:
        delta[before.month] = delta.get(before.month, 0) - before.cents
    if after is not None:
        delta[after.month] = delta.get(after.month, 0) + after.cents
    return after, [BudgetMove(customer_id, month, c) for month, c in delta.items() if c]


def within(spent_cents: int, move_cents: int, budget: Decimal | None) -> bool:
    """Whether adding `move_cents` keeps the month within `budget` (no budget: always)."""
    return budget is None or move_cents <= 0 or spent_cents + move_cents <= cents(budget)
