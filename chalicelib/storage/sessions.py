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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.domain.permissions import UserKind
from chalicelib.services.order_store import Standing, StandingMovedError
from chalicelib.storage import keys
from chalicelib.storage.items import LoginFailuresItem, RefreshFamilyItem, RefreshTokenItem, SecurityGroupItem, UserItem
from chalicelib.storage.table import Check, find_item, is_condition_failure, transaction


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
    item = find_item(RefreshTokenItem, keys.refresh_token(tenant, token_hash))
    if item is None:
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


# --- login attempts -----------------------------------------------------------------------------


def claim_attempt(tenant: str, login_key: str, window: int, limit: int) -> int:
    """Claims one of the `limit` attempts a login has in a window, before its password is checked:
    0 when claimed, else the seconds until the window ends (nothing claimed).

    Reading a counter and counting a failure afterwards lets every concurrent request read the same
    count, so a burst of any size was evaluated. Here each attempt is a conditional write that either
    takes a slot or is refused, so no more than `limit` passwords are ever checked in a window. The
    write answers the counter it was refused on (ReturnValuesOnConditionCheckFailure, inside a one-item
    transaction, the only place PynamoDB passes it), so a refusal needs no read of its own."""
    now = int(time.time())
    pk, sk = keys.login_failures(tenant, login_key)
    current = (LoginFailuresItem.window_start > now - window) & (LoginFailuresItem.failures < limit)
    fresh = LoginFailuresItem.pk.does_not_exist() | (LoginFailuresItem.window_start <= now - window)
    # Starting a window (a login with no failures behind it, the usual case: one write), else counting
    # up in the current one; a concurrent attempt may change the counter between the two, so try again
    # (each round lost means another attempt took a slot, so this ends within `limit` rounds).
    start = [
        LoginFailuresItem.failures.set(1),
        LoginFailuresItem.window_start.set(now),
        LoginFailuresItem.expires_at.set(datetime.fromtimestamp(now + window, UTC)),
    ]
    for _ in range(limit + 1):
        refused_on = _conditional_claim(pk, sk, start, fresh)
        if refused_on is None:
            return 0
        started = int(float(refused_on.get("window_start", {}).get("N", "0")))
        if int(float(refused_on.get("failures", {}).get("N", "0"))) >= limit and started > now - window:
            return max(1, started + window - now)
        if _conditional_claim(pk, sk, [LoginFailuresItem.failures.add(1)], current) is None:
            return 0
    return window


def _conditional_claim(pk: str, sk: str, actions: Sequence[Action], condition: Condition) -> dict[str, Any] | None:
    """None when the update applied; else the item as the refusing condition saw it ({} when absent)."""
    try:
        with transaction() as tx:
            tx.update(
                LoginFailuresItem(pk, sk),
                list(actions),
                condition,
                return_values="ALL_OLD",
                add_version_condition=False,
            )
    except TransactWriteError as exc:
        reasons = exc.cancellation_reasons or []
        if not reasons or reasons[0] is None or reasons[0].code != "ConditionalCheckFailed":
            raise
        return reasons[0].raw_item or {}
    return None


# --- what an order write checks of its caller ------------------------------------------------------
def standing_checks(tenant: str, s: Standing) -> list[Check]:
    """ConditionChecks that hold only while the caller is as `s` says (services/callers.py decides what that
    means): one each on the user, their login and each of their security groups. Lists are compared as
    stored (JSON text, in the order the token copied them from the user). A group's version stands for its
    permissions: only a write to one of the caller's own groups moves it (storage/groups.py)."""
    user = (
        (UserItem.status == "active")
        & (UserItem.kind == s.kind)
        & (UserItem.session_epoch == s.session_epoch)
        & (UserItem.security_group_ids == [g for g, _ in s.groups])
    )
    if s.kind == UserKind.CUSTOMER.value:  # a staff member's customers and sites give no rights
        user &= (UserItem.customer_ids == list(s.customer_ids)) & (UserItem.site_ids == list(s.site_ids))
    family = (
        (RefreshFamilyItem.user_id == s.user_id)
        & (RefreshFamilyItem.revoked == False)  # noqa: E712 (a PynamoDB condition)
        & (RefreshFamilyItem.session_epoch == s.session_epoch)
    )
    return [
        Check(UserItem, keys.user(tenant, s.user_id), user, StandingMovedError),
        Check(RefreshFamilyItem, keys.refresh_family(tenant, s.session_id), family, StandingMovedError),
        *(
            Check(
                SecurityGroupItem,
                keys.group(tenant, gid),
                SecurityGroupItem.version == version if version else SecurityGroupItem.pk.does_not_exist(),
                StandingMovedError,
            )
            for gid, version in dict(s.groups).items()  # a group named twice is checked once
        ),
    ]
