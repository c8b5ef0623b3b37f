"""Each e-mail is claimed in the table before it is sent: once sent, never again; refused, free
for the retry; abandoned half-way (a Lambda that died), taken over once its lease ran out."""

from __future__ import annotations

import dataclasses

import pytest

from chalicelib.notifications.events import Links
from chalicelib.notifications.sender import OutgoingEmail
from chalicelib.notifications.service import NotificationService
from chalicelib.services.action_links import LinkIssuer
from chalicelib.storage import notified
from chalicelib.storage.items import NotificationSentItem
from chalicelib.storage.notified import LEASE_SECONDS, ClaimHeldError
from devstack.fakes import FakeEmailSender

MAIL = OutgoingEmail("orders@acme.example", "Buyer@Bistro.example", "s", "t", "<p>h</p>", "confirmed:order:1:v4")
NOW = 1_800_000_000.0


def _state() -> str | None:
    """The state of MAIL's claim: None once released (or never claimed)."""
    found = list(NotificationSentItem.query(f"T#acme#NOTIFIED#{notified.claim_key(MAIL.dedupe_key, MAIL.to)}"))
    return found[0].state if found else None


def test_a_sent_email_is_never_claimed_again(aws: None) -> None:
    assert notified.claim("acme", MAIL.dedupe_key, MAIL.to, NOW)
    notified.mark_sent("acme", MAIL.dedupe_key, MAIL.to, NOW, "msg-1")
    assert not notified.claim("acme", MAIL.dedupe_key, "buyer@bistro.EXAMPLE", NOW + 1)
    assert not notified.claim("acme", MAIL.dedupe_key, MAIL.to, NOW + 10 * LEASE_SECONDS)
    assert _state() == "sent"


def test_claims_are_per_tenant_event_and_recipient_and_expire(aws: None) -> None:
    assert notified.claim("acme", MAIL.dedupe_key, MAIL.to, NOW)
    assert notified.claim("other", MAIL.dedupe_key, MAIL.to, NOW)
    assert notified.claim("acme", "confirmed:order:1:v5", MAIL.to, NOW)
    assert notified.claim("acme", MAIL.dedupe_key, "approver@bistro.example", NOW)
    [item] = NotificationSentItem.query(f"T#acme#NOTIFIED#{notified.claim_key(MAIL.dedupe_key, MAIL.to)}")
    assert item.expires_at is not None and item.state == "sending"


def test_a_fresh_claim_of_another_attempt_makes_the_record_retry_later(aws: None) -> None:
    assert notified.claim("acme", MAIL.dedupe_key, MAIL.to, NOW)
    with pytest.raises(ClaimHeldError):
        notified.claim("acme", MAIL.dedupe_key, MAIL.to, NOW + LEASE_SECONDS - 1)


def test_an_abandoned_claim_is_taken_over_after_its_lease(aws: None) -> None:
    assert notified.claim("acme", MAIL.dedupe_key, MAIL.to, NOW)
    assert notified.claim("acme", MAIL.dedupe_key, MAIL.to, NOW + LEASE_SECONDS + 1)
    notified.release("acme", MAIL.dedupe_key, MAIL.to, NOW)  # the old attempt cannot free the new claim
    with pytest.raises(ClaimHeldError):
        notified.claim("acme", MAIL.dedupe_key, MAIL.to, NOW + LEASE_SECONDS + 2)


def test_a_refused_email_is_released_so_the_retry_sends_it_once(aws: None) -> None:
    outbox = FakeEmailSender(refuse={MAIL.to})
    service = NotificationService(
        outbox, Links(LinkIssuer(), None), platform_sender="orders@example.com", clock=lambda: NOW
    )
    with pytest.raises(Exception, match="refused"):
        service.send_once("acme", MAIL)
    assert _state() is None

    outbox.refuse.clear()
    assert service.send_once("acme", MAIL) is True
    assert service.send_once("acme", MAIL) is False
    assert [dataclasses.replace(m, tags=()) for m in outbox.sent] == [MAIL]  # sent with its tags
    assert dict(outbox.sent[0].tags) == {"tenant": "acme", "claim": notified.claim_key(MAIL.dedupe_key, MAIL.to)}
