"""Invitation and password-reset links in the table (keys.password_link), and the throttled reset requests
(keys.password_reset_user / _address) whose stream records become the reset e-mails. Only a token's SHA-256
is stored."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from pynamodb.exceptions import TransactWriteError

from chalicelib.domain.model import User
from chalicelib.storage import keys
from chalicelib.storage.items import PasswordLinkItem, PasswordResetItem
from chalicelib.storage.table import cancellation_codes, find_item, transaction

if TYPE_CHECKING:
    from pynamodb.transactions import TransactWrite


@dataclass(frozen=True)
class PasswordLink:
    tenant: str
    token_hash: str
    purpose: str  # invitation | reset
    user_id: str
    username: str
    locale: str | None
    created_at: str
    valid_until: str
    used_at: str | None = None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def address_hash(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def put(link: PasswordLink, expires: datetime) -> None:
    item = PasswordLinkItem(
        *keys.password_link(link.tenant, link.token_hash),
        purpose=link.purpose,
        user_id=link.user_id,
        username=link.username,
        locale=link.locale,
        created_at=link.created_at,
        valid_until=link.valid_until,
        expires_at=expires,
    )
    item.save(condition=PasswordLinkItem.pk.does_not_exist(), add_version_condition=False)


def get(tenant: str, hashed: str) -> PasswordLink | None:
    item = find_item(PasswordLinkItem, keys.password_link(tenant, hashed), consistent=True)
    if item is None:
        return None
    return PasswordLink(
        tenant=tenant,
        token_hash=hashed,
        purpose=item.purpose,
        user_id=item.user_id,
        username=item.username,
        locale=item.locale,
        created_at=item.created_at,
        valid_until=item.valid_until,
        used_at=item.used_at,
    )


def spend(tx: TransactWrite, tenant: str, hashed: str, at: str) -> None:
    """Mark the link used, in the transaction that sets the password: only if it is unused and still valid
    at `at`, else the whole write fails."""
    item = PasswordLinkItem(*keys.password_link(tenant, hashed))
    tx.update(
        item,
        actions=[PasswordLinkItem.used_at.set(at)],
        condition=PasswordLinkItem.pk.exists()
        & PasswordLinkItem.used_at.does_not_exist()
        & (PasswordLinkItem.valid_until > at),
        add_version_condition=False,
    )


def request_reset(tenant: str, user: User, hour: int, per_user: int, per_address: int) -> bool:
    """Count one reset request for the user and for their address in this hour, both or neither (one
    transaction of conditional ADDs): False when either is at its limit. The user's item carries what the
    e-mail needs; its stream record is the cue to send it."""
    ttl = datetime.now(UTC) + timedelta(hours=2)
    mine = PasswordResetItem(*keys.password_reset_user(tenant, user.id, hour))
    address = PasswordResetItem(*keys.password_reset_address(tenant, address_hash(user.email), hour))
    try:
        with transaction() as tx:
            tx.update(
                mine,
                actions=[
                    PasswordResetItem.asked.add(1),
                    PasswordResetItem.type.set(PasswordResetItem),  # an update writes no discriminator itself
                    PasswordResetItem.user_id.set(user.id),
                    PasswordResetItem.username.set(user.username),
                    PasswordResetItem.name.set(user.name),
                    PasswordResetItem.email.set(user.email),
                    PasswordResetItem.locale.set(user.locale) if user.locale else PasswordResetItem.locale.remove(),
                    PasswordResetItem.expires_at.set(ttl),
                ],
                condition=PasswordResetItem.asked.does_not_exist() | (PasswordResetItem.asked < per_user),
                add_version_condition=False,
            )
            tx.update(
                address,
                actions=[
                    PasswordResetItem.asked.add(1),
                    PasswordResetItem.type.set(PasswordResetItem),
                    PasswordResetItem.expires_at.set(ttl),
                ],
                condition=PasswordResetItem.asked.does_not_exist() | (PasswordResetItem.asked < per_address),
                add_version_condition=False,
            )
    except TransactWriteError as exc:
        if "ConditionalCheckFailed" in cancellation_codes(exc):
            return False
        raise
    return True
