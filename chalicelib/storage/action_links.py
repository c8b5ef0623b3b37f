"""Approvers' one-time links in the table (keys.action_link): written when an approval e-mail is composed,
read by the action page (with what acting through them needs, in one BatchGet), used once through a
conditional update in the transaction of the decision itself. Only the token's SHA-256 is stored."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from chalicelib.domain.model import Delegation, User
from chalicelib.storage import delegations, groups, keys, refs, users
from chalicelib.storage.items import ActionLinkItem, BaseItem, DelegationItem, UserItem
from chalicelib.storage.table import find_item

if TYPE_CHECKING:
    from pynamodb.transactions import TransactWrite

    from chalicelib.services.order_store import LinkUse

Key = tuple[str, str]

Item = ActionLinkItem


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


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def put(link: ActionLink, expires: datetime) -> None:
    """A new link (its hash is new: 128 random bits), conditional on not existing all the same."""
    item = Item(
        *keys.action_link(link.tenant, link.token_hash),
        kind=link.kind,
        order_id=link.order_id,
        approver_id=link.approver_id,
        on_behalf_of=link.on_behalf_of,
        locale=link.locale,
        order_version=link.order_version,
        created_at=link.created_at,
        valid_until=link.valid_until,
        expires_at=expires,
    )
    item.save(condition=Item.pk.does_not_exist(), add_version_condition=False)


def get(tenant: str, hashed: str) -> ActionLink | None:
    item = find_item(Item, keys.action_link(tenant, hashed), consistent=True)
    if item is None:
        return None
    return _link(tenant, hashed, item)


def _link(tenant: str, hashed: str, item: ActionLinkItem) -> ActionLink:
    return ActionLink(
        tenant=tenant,
        token_hash=hashed,
        kind=item.kind,
        order_id=item.order_id,
        approver_id=item.approver_id,
        order_version=int(item.order_version),
        created_at=item.created_at,
        valid_until=item.valid_until,
        on_behalf_of=item.on_behalf_of,
        locale=item.locale,
        used_at=item.used_at,
        used_by=item.used_by,
        used_by_name=item.used_by_name,
        decision=item.decision,
    )


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
    item = items.get(link_key)
    link = _link(tenant, hashed, item) if isinstance(item, ActionLinkItem) else None
    return link, _acting(tenant, items, on_behalf_of)


def acting(tenant: str, user_ids: Sequence[str], on_behalf_of: str | None) -> Acting:
    """What acting through a link needs, for a link whose token does not name it (issued before tokens did):
    one BatchGet of its own."""
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
    """Mark the link used, in the transaction of the decision it carries (storage/orders.py `save`): only
    if it exists, is unused and still valid at `use.at`, else the whole write fails (LinkUsedError)."""
    item = Item(*keys.action_link(tenant, use.token_hash))
    tx.update(
        item,
        actions=[
            Item.used_at.set(use.at),
            Item.used_by.set(use.by),
            Item.used_by_name.set(use.by_name),
            Item.decision.set(use.decision),
        ],
        condition=Item.pk.exists() & Item.used_at.does_not_exist() & (Item.valid_until > use.at),
        add_version_condition=False,
    )
