"""Which order status transitions are which events (the stream handler's reading of the lifecycle)."""

from __future__ import annotations

import pytest

from chalicelib.notifications.changes import CONCERNED_TYPES, EventName, concerns, status_events
from chalicelib.storage.items import BaseItem

E = EventName


@pytest.mark.parametrize(
    ("before", "after", "events"),
    [
        ("draft", "pending_approval", [E.APPROVAL_NEEDED]),
        ("pending_approval", "submitted", [E.APPROVED, E.SUBMITTED]),
        ("pending_approval", "draft", [E.REJECTED]),
        ("draft", "submitted", [E.SUBMITTED]),
        ("draft", "awaiting_customer", [E.PROPOSAL_SENT]),  # a staff-created order sent
        ("submitted", "awaiting_customer", [E.PROPOSAL_SENT]),
        ("awaiting_customer", "confirmed", [E.PROPOSAL_ACCEPTED, E.CONFIRMED]),
        ("awaiting_customer", "submitted", [E.PROPOSAL_DECLINED]),
        ("submitted", "confirmed", [E.CONFIRMED]),
        ("draft", "confirmed", [E.CONFIRMED]),  # a phone order
        ("awaiting_customer", "cancelled", [E.CANCELLED]),
        ("shipped", "completed", [E.COMPLETED]),
        ("confirmed", "completed", [E.COMPLETED]),  # shipped and paid in one go
        ("confirmed", "partially_shipped", []),  # the shipment document tells
        ("partially_shipped", "shipped", []),
        ("draft", "draft", []),  # an edit
        (None, "draft", []),  # a new order
    ],
)
def test_status_transitions_become_events(before: str | None, after: str, events: list[EventName]) -> None:
    assert list(status_events(before, after)) == events


def test_only_orders_documents_messages_and_users_are_looked_at() -> None:
    discriminators = set(BaseItem.type._discriminator_map)  # every registered item type
    assert discriminators > CONCERNED_TYPES
    for ignored in discriminators - CONCERNED_TYPES:
        assert not concerns(None, {"type": {"S": ignored}}), ignored
    assert "notification_sent" in discriminators - CONCERNED_TYPES
    assert "idempotency" in discriminators - CONCERNED_TYPES
    assert not concerns({"type": {"S": "order"}}, None)  # a deletion tells nobody anything
    assert not concerns(None, {"pk": {"S": "T#a"}})  # moto's key-only images of UpdateItem
