"""Ids taken within one millisecond keep their order when asked to (an action's events in the feed)."""

from __future__ import annotations

from chalicelib.domain.ids import decode, encode, floor_id, new_id


def test_ids_made_after_one_another_sort_in_that_order_even_in_one_millisecond() -> None:
    ids = [new_id()]
    for _ in range(2000):  # far more than fit in the milliseconds this loop takes
        ids.append(new_id(after=ids[-1]))
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_the_floor_of_a_millisecond_sorts_before_every_id_of_it_and_after_every_earlier_one() -> None:
    ms = 1_764_950_400_000
    floor = floor_id(ms)
    assert encode(decode(floor)) == floor
    assert encode(((ms - 1) << 80) | (2**80 - 1)) < floor < encode((ms << 80) | 1)


def test_an_actions_events_keep_their_order() -> None:
    from decimal import Decimal

    from chalicelib.domain.orders import Order, new_line

    o = Order(
        id="o", tenant="t", number="1", customer_id="c", customer_name="C", site_id=None, source="portal",
        created_by="b", currency="EUR", customer_path=["c"], created_at="2026-12-01T00:00:00Z",
    )  # fmt: skip
    o.record_created("b")
    o.add_line(new_line("p", "S", "N", Decimal(1), Decimal("1.00"), Decimal("0.20")), "b", record=False)
    o.submit("b", needs_approval=True)
    o.approve("boss", [])  # records order.approved, then order.submitted
    types = [e.type.value for e in sorted(o.events, key=lambda e: e.id)]
    assert types[-2:] == ["order.approved", "order.submitted"]
