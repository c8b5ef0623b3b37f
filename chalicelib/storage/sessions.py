"""Refresh tokens (stored hashed, rotating, grouped in families) and failed-login counters.

A family is one login. Ending all of a user's logins at once (a new password, a deactivation) raises
the user item's `session_epoch`; each family holds the epoch it began with, and a refresh's rotation
is conditional on the two being equal (a condition on the family item the rotation checks anyway, and
the user is read by every refresh). Chosen over deleting the user's families: those live in partitions
of their own, one per login and never listed, so finding them would need an index or a per-user list
kept up on every login; the epoch costs one number on items already read and written, ends any number
of sessions with the one write that changes the user, and needs no cleanup (families expire by TTL).
A refresh that read the user just before such a write may still rotate once (the family's epoch is
unchanged): its access token lives out its 15 minutes, like any issued before, and its next refresh
fails. Checking the user item's epoch in the rotation too would close that, for one more item a refresh.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from pynamodb.exceptions import TransactWriteError, UpdateError

from chalicelib.storage import keys
from chalicelib.storage.items import BaseItem, LoginFailuresItem, RefreshFamilyItem, RefreshTokenItem
from chalicelib.storage.table import is_condition_failure, transaction


@dataclass(frozen=True)
class StoredRefreshToken:
    user_id: str
    family_id: str
    used: bool
    expired: bool


def _token_item(tenant: str, token_hash: str, user_id: str, family_id: str, ttl: int) -> RefreshTokenItem:
    return RefreshTokenItem(
        *keys.refresh_token(tenant, token_hash),
        user_id=user_id,
        family_id=family_id,
        used=False,
        expires_at=timedelta(seconds=ttl),
    )


def start_family(
    tenant: str,
    user_id: str,
    family_id: str,
    token_hash: str,
    ttl: int,
    session_epoch: int,
    clear_failures_of: str | None = None,
) -> None:
    """A new login: its family and first refresh token, in one write (which also clears the login's
    failure counter when `clear_failures_of` names it). The family holds the user's `session_epoch`
    of now: raising the user's ends it (see `rotate`)."""
    family = RefreshFamilyItem(
        *keys.refresh_family(tenant, family_id),
        user_id=user_id,
        revoked=False,
        session_epoch=session_epoch,
        expires_at=timedelta(seconds=ttl),
    )
    with transaction() as tx:
        tx.save(family)
        tx.save(_token_item(tenant, token_hash, user_id, family_id, ttl))
        if clear_failures_of is not None:
            tx.delete(LoginFailuresItem(*keys.login_failures(tenant, clear_failures_of)), add_version_condition=False)


def find_token(tenant: str, token_hash: str) -> StoredRefreshToken | None:
    try:
        item = RefreshTokenItem.get(*keys.refresh_token(tenant, token_hash))
    except RefreshTokenItem.DoesNotExist:
        return None
    # TTL deletion is lazy (up to days late on AWS, never on moto): check expiry ourselves.
    expired = item.expires_at is not None and item.expires_at.timestamp() < time.time()
    return StoredRefreshToken(item.user_id, item.family_id, bool(item.used), expired)


def revoke_family(tenant: str, family_id: str) -> None:
    item = RefreshFamilyItem(*keys.refresh_family(tenant, family_id))
    try:
        item.update(
            actions=[RefreshFamilyItem.revoked.set(True)],
            condition=RefreshFamilyItem.pk.exists(),
            add_version_condition=False,
        )
    except UpdateError as exc:
        if not is_condition_failure(exc):
            raise


def rotate(
    tenant: str, old_hash: str, new_hash: str, user_id: str, family_id: str, ttl: int, session_epoch: int
) -> bool:
    """Mark the old token used and store its successor, atomically, if the family is neither revoked
    nor of an older `session_epoch` than the user's (read by the caller). False otherwise, or if the
    old token was already used (a concurrent or replayed refresh): the caller ends the family."""
    old = RefreshTokenItem(*keys.refresh_token(tenant, old_hash))
    epoch = RefreshFamilyItem.session_epoch
    same_epoch = epoch == session_epoch
    try:
        with transaction() as tx:
            tx.update(
                old,
                actions=[RefreshTokenItem.used.set(True)],
                condition=RefreshTokenItem.used == False,  # noqa: E712 (a PynamoDB condition)
                add_version_condition=False,
            )
            tx.condition_check(
                RefreshFamilyItem,
                *keys.refresh_family(tenant, family_id),
                condition=(RefreshFamilyItem.revoked == False) & same_epoch,  # noqa: E712
            )
            tx.save(_token_item(tenant, new_hash, user_id, family_id, ttl))
    except TransactWriteError as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True


# --- failed logins ------------------------------------------------------------------------------


def failures_of(item: BaseItem | None, window: int) -> tuple[int, int]:
    """(failures, seconds until the window ends) from a counter item read already (None: no failures)."""
    if not isinstance(item, LoginFailuresItem):
        return 0, 0
    remaining = int(item.window_start + window - time.time())
    return (int(item.failures), remaining) if remaining > 0 else (0, 0)


def record_failure(tenant: str, login_key: str, window: int) -> None:
    now = int(time.time())
    pk, sk = keys.login_failures(tenant, login_key)
    item = LoginFailuresItem(pk, sk)
    try:
        # Inside the current window: count up atomically (concurrent failures all count).
        item.update(
            actions=[LoginFailuresItem.failures.add(1)],
            condition=LoginFailuresItem.window_start > now - window,
            add_version_condition=False,
        )
    except UpdateError as exc:
        if not is_condition_failure(exc):
            raise
        # No window or an old one: start a new window with this failure.
        LoginFailuresItem(pk, sk, failures=1, window_start=now, expires_at=timedelta(seconds=window)).save(
            add_version_condition=False
        )
