"""The caller as stored now: what every write is decided on (API.md "Rights come from current data").

An access token describes its caller as they were when it was issued, up to 15 minutes ago. Reads may
trust it that long; a write may not: a deactivated or demoted user is refused on their next write. What
"as stored now" means is three items:

- the user: still there and active; their kind, customers, sites and security groups as they are now;
- the tenant's security group index: the permissions those groups hold now;
- the login (refresh-token family) the token belongs to: not ended (logout, or a new password or a
  deactivation that raised the user's `session_epoch` past the one it began with).

Two ways to check them, one meaning:

- An order write (services/order_writes.py) reads none of them: its transaction carries ConditionChecks
  that hold only while the user, the login and each of the user's groups (its version, which the index
  holds beside its permissions) are as the token says (`standing_of`; the conditions are storage/sessions.py
  `standing_checks`), so a user deactivated or demoted even between the action's read and its write
  writes nothing, and the action costs no round trip of its own. When a check fails, the three are read
  (`standing_now`): an ended session or changed rights answer 401 (ENDED, CHANGED); otherwise (a change
  that took nothing from them: their group renamed, their own new password) the write is tried again,
  relying on what was read.
- Other writes read the three with whatever else they read (`caller_keys` joins that read,
  `check_token_rights` judges what came back), or in a read of their own (`load_current_caller`).

An API key's caller needs none of this: its one GetItem at authentication (services/api_keys.py) is this
request's and its permissions are the key's own, whoever created it. A delegate standing in for an
approver, and an approver deciding through an e-mail link, are built from the users as read in this
request (services/delegations.py). Those principals say so (`Principal.current`).
"""

from __future__ import annotations

import dataclasses

from chalicelib.auth.principal import Principal
from chalicelib.domain.errors import UnauthenticatedError
from chalicelib.domain.model import User
from chalicelib.domain.permissions import UserKind
from chalicelib.services.order_store import Standing
from chalicelib.storage import groups, keys
from chalicelib.storage.items import RefreshFamilyItem
from chalicelib.storage.refs import Key, Refs
from chalicelib.storage.refs import load as load_refs

ENDED = "Your session has ended: sign in again."
CHANGED = "Your rights have changed since this access token was issued: refresh it and try again."


def caller_keys(p: Principal) -> list[Key]:
    """What a write reads of its caller, with its own reads (none when `p` is current already)."""
    if p.current:
        return []
    t = p.tenant
    return [keys.user(t, p.user_id), keys.security_group_index(t), keys.refresh_family(t, p.session_id)]


def principal_of(tenant: str, user: User, session_id: str, found: Refs) -> Principal:
    """A user as a caller: their permissions are those the group index (read in `found`) gives their groups
    of their kind; with what an order write checks of them (`standing_of`)."""
    is_customer = user.kind == UserKind.CUSTOMER
    return Principal(
        tenant=tenant,
        user_id=user.id,
        kind=user.kind,
        permissions=groups.permissions_of(found.security_groups or {}, user.kind, user.security_group_ids),
        customer_ids=tuple(user.customer_ids) if is_customer else (),
        site_ids=tuple(user.site_ids) if is_customer else (),
        session_id=session_id,
        name=user.name,
        session_epoch=user.session_epoch,
        group_ids=tuple(user.security_group_ids),
        group_versions=tuple(found.security_group_versions.get(g, 0) for g in user.security_group_ids),
    )


def standing_of(p: Principal) -> Standing | None:
    """What an order write checks of its caller in its transaction: the caller as their token describes
    them (None: `p` is current already, nothing to check)."""
    if p.current:
        return None
    return _standing(p.user_id, p)


def standing_now(p: Principal, found: Refs) -> Standing:
    """After a write's check of its caller failed: the caller as `found` (a consistent read of
    `caller_keys(p)`) shows them, who must still hold what their token says (else 401: ENDED, CHANGED);
    what the next attempt relies on."""
    return _standing(p.user_id, check_token_rights(p, found))


def _standing(user_id: str, p: Principal) -> Standing:
    groups = tuple(zip(p.group_ids, p.group_versions, strict=False))  # a token without versions: none hold
    return Standing(user_id, p.session_id, p.kind.value, p.session_epoch, groups, p.customer_ids, p.site_ids)


def current_caller(p: Principal, found: Refs) -> Principal:
    """The caller as `found` (a read that included `caller_keys(p)`) shows them now, marked current; 401
    when the user is gone or inactive, or the token's login has ended."""
    if p.current:
        return p
    user = found.users.get(p.user_id)
    family = found.items.get(keys.refresh_family(p.tenant, p.session_id))
    if (
        user is None
        or not user.active
        or user.kind != p.kind
        or not isinstance(family, RefreshFamilyItem)
        or family.user_id != user.id
        or family.revoked
        or int(family.session_epoch or 0) != user.session_epoch
    ):
        raise UnauthenticatedError(ENDED)
    now = principal_of(p.tenant, user, p.session_id, found)
    return dataclasses.replace(now, current=True)


def load_current_caller(p: Principal) -> Principal:
    """`current_caller` with a read of its own (one BatchGet), for a write that has no read to join."""
    if p.current:
        return p
    return current_caller(p, load_refs(p.tenant, extra=caller_keys(p)))


def holds_token_rights(token: Principal, now: Principal) -> bool:
    """Whether the caller still holds exactly what their token says (a write decided on the token's
    rights before its read came back is decided on current data only then)."""
    return (token.kind, token.permissions, token.customer_ids, token.site_ids) == (
        now.kind,
        now.permissions,
        now.customer_ids,
        now.site_ids,
    )


def check_token_rights(token: Principal, found: Refs) -> Principal:
    """The caller as stored now, who must hold what their token says (else 401: a refreshed token
    carries the rights they hold now, and the write is decided again on those)."""
    now = current_caller(token, found)
    if not token.current and not holds_token_rights(token, now):
        raise UnauthenticatedError(CHANGED)
    return now
