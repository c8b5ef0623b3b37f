"""Bulk orders for the list-scaling figure, written through the storage layer (not HTTP).

Orders are spread over many customers, statuses and a year of creation dates, so that a list that
read the table instead of one index partition would show it at once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from chalicelib.domain.ids import new_id
from chalicelib.domain.orders import HistoryEntry, Line, Order, OrderStatus
from chalicelib.storage import orders as order_store

S = OrderStatus
TENANT = "acme"
START = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Party:
    customer_id: str
    customer_path: tuple[str, ...]
    sales_rep_id: str | None
    buyer_id: str


def _order(rng: random.Random, party: Party, status: OrderStatus, n: int) -> Order:
    created = (START + timedelta(seconds=rng.randrange(365 * 24 * 3600))).isoformat(timespec="milliseconds")
    lines = [
        Line(
            new_id(),
            f"p{i}",
            f"P-{i:03d}",
            f"Product P{i}",
            Decimal(rng.randint(1, 20)),
            Decimal("7.50"),
            Decimal("0.20"),
        )
        for i in rng.sample(range(1, 41), 5)
    ]
    order = Order(
        id=new_id(),
        tenant=TENANT,
        number=f"SEED-{n:06d}",
        customer_id=party.customer_id,
        customer_name=f"Customer {party.customer_id[-6:]}",
        site_id=None,
        source="portal",
        created_by=party.buyer_id,
        currency="EUR",
        status=status,
        submitted_by=None if status == S.DRAFT else party.buyer_id,
        customer_path=list(party.customer_path),
        lines=lines,
        created_at=created,
        updated_at=created,
    )
    order.history.append(HistoryEntry(created, party.buyer_id, "create", None, S.DRAFT.value))
    return order


STATUS_MIX = (
    (S.DRAFT, 20),
    (S.PENDING_APPROVAL, 10),
    (S.SUBMITTED, 30),
    (S.CONFIRMED, 40),
)


def seed_orders(parties: list[Party], count: int, seed: int) -> int:
    """`count` orders, round-robin over `parties`, statuses drawn from STATUS_MIX."""
    rng = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
    statuses = [s for s, weight in STATUS_MIX for _ in range(weight)]
    batch = []
    for n in range(count):
        party = parties[n % len(parties)]
        batch.append((_order(rng, party, rng.choice(statuses), seed * 1_000_000 + n), party.sales_rep_id))
    # BatchWriteItem, not one transaction per order: moto copies the whole table for every
    # transaction, which makes 10,000 single saves take the better part of an hour.
    order_store.bulk_load(TENANT, batch)
    return count
