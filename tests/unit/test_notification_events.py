"""Which recorded order events become which e-mails, and which items the stream handler looks at."""

from __future__ import annotations

from chalicelib.domain.orders import EventType
from chalicelib.notifications.changes import CONCERNED_TYPES, EMAILED, EventName, concerns
from chalicelib.storage.items import BaseItem

E = EventName
T = EventType


def test_every_event_type_is_emailed_or_deliberately_not() -> None:
    silent = set(EventType) - set(EMAILED)
    # A new draft, an attached file and a credit hold released tell nobody (the released order is then
    # confirmed or shipped, and that is told).
    assert silent == {T.CREATED, T.DOCUMENT_ADDED, T.CREDIT_HOLD_RELEASED}
    assert EMAILED[T.APPROVAL_REQUESTED] == E.APPROVAL_NEEDED
    assert EMAILED[T.SHIPMENT_RECORDED] == E.SHIPMENT_RECORDED
    assert len(set(EMAILED.values())) == len(EMAILED)  # one e-mail per type


def test_only_order_events_and_users_are_looked_at() -> None:
    discriminators = set(BaseItem.type._discriminator_map)  # every registered item type
    assert discriminators > CONCERNED_TYPES
    for ignored in discriminators - CONCERNED_TYPES:
        assert not concerns(None, {"type": {"S": ignored}}), ignored
    # The order's own items are no longer read for e-mails: its events are.
    for derived_before in ("order", "order_document", "order_message", "notification_sent", "idempotency"):
        assert derived_before in discriminators - CONCERNED_TYPES
    assert not concerns({"type": {"S": "order_event"}}, None)  # a deletion (TTL) tells nobody anything
    assert not concerns(None, {"pk": {"S": "T#a"}})  # moto's key-only images of UpdateItem
