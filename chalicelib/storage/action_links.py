"""The e-mails' one-time links in the table: an approver's (keys.action_link), and an invitation's or a
password reset's (keys.password_link). Only a token's SHA-256 is stored, as the key. A link is written when
its e-mail is composed, read by its page, and used once through a conditional update in the transaction of
what it carries (the decision: storage/orders.py `save`; the new password: storage/users.py `update`). An
approver's link is read with what acting through it needs, in one BatchGet.

Also the throttled reset requests (keys.password_reset_user / _address) whose stream records become the reset
e-mails."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from pynamodb.exceptions import TransactWriteError

from chalicelib.domain.model import Delegation, User
from chalicelib.storage import delegations, groups, keys, refs, users
from chalicelib.storage.items import (
    ActionLinkItem,
    BaseItem,
    DelegationItem,
    PasswordLinkItem,
    PasswordResetItem,
    UserItem,
)
from chalicelib.storage.mapping import item_values
from chalicelib.storage.table import cancellation_codes, find_item, transaction

if TYPE_CHECKING:
    from pynamodb.transactions import TransactWrite

    from chalicelib.services.order_store import LinkUse

Key = tuple[str, str]


@dataclass(frozen=True)
class ActionLink:
    tenant: str
    token_hash: str
    kind: str
    order_id: str
    approver_id: str
    order_version: int
    created_at: str
    valid_until: str
    on_behalf_of: str | None = None
    locale: str | None = None  # the language of the e-mail that carried it: its page speaks it too
    used_at: str | None = None
    used_by: str | None = None
    used_by_name: str | None = None
    decision: str | None = None


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


def put(link: ActionLink | PasswordLink, expires: datetime) -> None:
    """A new link (its hash is new: 128 random bits), conditional on not existing all the same."""
    item: ActionLinkItem | PasswordLinkItem
    if isinstance(link, ActionLink):
        item = ActionLinkItem(*keys.action_link(link.tenant, link.token_hash))
    else:
        item = PasswordLinkItem(*keys.password_link(link.tenant, link.token_hash))
    for name, value in dataclasses.asdict(link).items():
        if name not in ("tenant", "token_hash"):
            setattr(item, name, value)
    item.expires_at = expires
    item.save(condition=type(item).pk.does_not_exist(), add_version_condition=False)


def get(tenant: str, hashed: str) -> ActionLink | None:
    return _link(tenant, hashed, find_item(ActionLinkItem, keys.action_link(tenant, hashed), consistent=True))


def get_password_link(tenant: str, hashed: str) -> PasswordLink | None:
    item = find_item(PasswordLinkItem, keys.password_link(tenant, hashed), consistent=True)
    return item_values(item, PasswordLink, tenant=tenant, token_hash=hashed) if item is not None else None


def _link(tenant: str, hashed: str, item: BaseItem | None) -> ActionLink | None:
    if not isinstance(item, ActionLinkItem):
        return None
    return item_values(item, ActionLink, tenant=tenant, token_hash=hashed, order_version=int(item.order_version))


@dataclass(frozen=True)
class Acting:
    """What acting through a link needs besides the link and the order: the users it names (the approver,
    or the delegate and the approver they stand in for), the delegation it was sent under, and the tenant's
    security group index (None: the tenant's groups predate it; read the groups)."""

    users: Mapping[str, User]
    delegation: Delegation | None
    index: groups.GroupIndex | None


def read(
    tenant: str, hashed: str, user_ids: Sequence[str], on_behalf_of: str | None
) -> tuple[ActionLink | None, Acting]:
    """The link and, named by its token, what acting through it needs: one BatchGet, strongly consistent
    (a link used a moment ago reads as used; a user deactivated a moment ago, as inactive)."""
    link_key = keys.action_link(tenant, hashed)
    items = _fetch(tenant, [link_key], user_ids, on_behalf_of)
    return _link(tenant, hashed, items.get(link_key)), _acting(tenant, items, on_behalf_of)


def acting(tenant: str, user_ids: Sequence[str], on_behalf_of: str | None) -> Acting:
    """What acting for an approver needs without a link (a delegate's `on_behalf_of` through the API,
    services/delegations.py): one BatchGet of its own."""
    return _acting(tenant, _fetch(tenant, [], user_ids, on_behalf_of), on_behalf_of)


def _fetch(tenant: str, first: list[Key], user_ids: Sequence[str], on_behalf_of: str | None) -> dict[Key, BaseItem]:
    wanted = [*first, *(keys.user(tenant, u) for u in user_ids), keys.security_group_index(tenant)]
    if on_behalf_of:
        wanted.append(keys.delegation(tenant, on_behalf_of))
    return refs.fetch(wanted, consistent=True)


def _acting(tenant: str, items: Mapping[Key, BaseItem], on_behalf_of: str | None) -> Acting:
    found = {i.id: users._to_domain(i) for i in items.values() if isinstance(i, UserItem)}
    d = items.get(keys.delegation(tenant, on_behalf_of)) if on_behalf_of else None
    delegation = delegations._domain(d) if isinstance(d, DelegationItem) else None
    return Acting(found, delegation, groups.index_of(items.get(keys.security_group_index(tenant))))


def spend(tx: TransactWrite, tenant: str, use: LinkUse) -> None:
    """Mark an approver's link used, in the transaction of the decision it carries (storage/orders.py `save`):
    only if it exists, is unused and still valid at `use.at`, else the whole write fails (LinkUsedError). An
    invitation's or a reset's link is spent likewise by the password's write (storage/users.py)."""
    item = ActionLinkItem(*keys.action_link(tenant, use.token_hash))
    tx.update(
        item,
        actions=[
            ActionLinkItem.used_at.set(use.at),
            ActionLinkItem.used_by.set(use.by),
            ActionLinkItem.used_by_name.set(use.by_name),
            ActionLinkItem.decision.set(use.decision),
        ],
        condition=ActionLinkItem.pk.exists()
        & ActionLinkItem.used_at.does_not_exist()
        & (ActionLinkItem.valid_until > use.at),
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
