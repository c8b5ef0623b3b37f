"""Claims that make each e-mail go out once per (event, recipient), however often the stream
delivers the record that caused it.

An e-mail is claimed with a conditional put before it is sent, marked sent afterwards, and the claim
is released when the mail service refuses it so a retry can send. A claim still "sending" after
`LEASE_SECONDS` belongs to an attempt that died between claim and send (a Lambda timeout): the next
attempt takes it over rather than losing the e-mail. Claims expire after 7 days (TTL); DynamoDB
streams keep records for 24 hours, so no redelivery can outlive its claim.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from pynamodb.exceptions import DeleteError, PutError

from chalicelib.storage import keys
from chalicelib.storage.items import NotificationSentItem
from chalicelib.storage.table import is_condition_failure

KEEP = timedelta(days=7)
# Far longer than claim → send → mark takes (the sender's bounded retries take seconds), so a live
# attempt is never overtaken.
LEASE_SECONDS = 120

Item = NotificationSentItem


class ClaimHeldError(Exception):
    """Another attempt claimed this e-mail moments ago and has not finished: retry the record later."""


def claim_key(dedupe_key: str, recipient: str) -> str:
    return hashlib.sha256(f"{dedupe_key}\n{recipient.strip().lower()}".encode()).hexdigest()


def claim(tenant: str, dedupe_key: str, recipient: str, now: float) -> bool:
    """True: the e-mail is ours to send. False: it was sent already. Raises ClaimHeldError while
    another attempt holds a fresh claim on it."""
    pk, sk = keys.notification_sent(tenant, claim_key(dedupe_key, recipient))
    item = Item(pk, sk, dedupe_key=dedupe_key, recipient=recipient, state="sending", claimed_at=now, expires_at=KEEP)
    stale = (Item.state == "sending") & (Item.claimed_at < now - LEASE_SECONDS)
    try:
        item.save(condition=Item.pk.does_not_exist() | stale, add_version_condition=False)
        return True
    except PutError as exc:
        if not is_condition_failure(exc):
            raise
    try:
        existing = Item.get(pk, sk, consistent_read=True)
    except Item.DoesNotExist:
        raise ClaimHeldError(dedupe_key) from None  # released in between: the retry will claim it
    if existing.state == "sent":
        return False
    raise ClaimHeldError(dedupe_key)


def mark_sent(tenant: str, dedupe_key: str, recipient: str, claimed_at: float, message_id: str) -> None:
    pk, sk = keys.notification_sent(tenant, claim_key(dedupe_key, recipient))
    Item(pk, sk).update(
        actions=[Item.state.set("sent"), Item.message_id.set(message_id)],
        condition=Item.claimed_at == claimed_at,
        add_version_condition=False,
    )


def release(tenant: str, dedupe_key: str, recipient: str, claimed_at: float) -> None:
    """The mail service refused: forget our claim (never one another attempt has taken over)."""
    pk, sk = keys.notification_sent(tenant, claim_key(dedupe_key, recipient))
    try:
        Item(pk, sk).delete(
            condition=(Item.state == "sending") & (Item.claimed_at == claimed_at), add_version_condition=False
        )
    except DeleteError as exc:
        if not is_condition_failure(exc):
            raise
