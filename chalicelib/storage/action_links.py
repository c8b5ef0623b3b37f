"""Approvers' one-time links in the table (keys.action_link): written when an approval e-mail is composed,
read by the action page, used once through a conditional update. Only the token's SHA-256 is stored."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import UpdateError

from chalicelib.storage import keys
from chalicelib.storage.items import ActionLinkItem
from chalicelib.storage.table import is_condition_failure

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
        order_version=link.order_version,
        created_at=link.created_at,
        valid_until=link.valid_until,
        expires_at=expires,
    )
    item.save(condition=Item.pk.does_not_exist(), add_version_condition=False)


def get(tenant: str, hashed: str) -> ActionLink | None:
    try:
        item = Item.get(*keys.action_link(tenant, hashed), consistent_read=True)
    except Item.DoesNotExist:
        return None
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
        used_at=item.used_at,
        used_by=item.used_by,
        used_by_name=item.used_by_name,
        decision=item.decision,
    )


def claim(tenant: str, hashed: str, *, at: str, by: str, by_name: str, decision: str) -> bool:
    """Mark the link used, once: False when it was used already (or is gone)."""
    item = Item(*keys.action_link(tenant, hashed))
    try:
        item.update(
            actions=[
                Item.used_at.set(at),
                Item.used_by.set(by),
                Item.used_by_name.set(by_name),
                Item.decision.set(decision),
            ],
            condition=Item.pk.exists() & Item.used_at.does_not_exist(),
            add_version_condition=False,
        )
    except UpdateError as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True


def release(tenant: str, hashed: str, at: str) -> None:
    """Undo our claim (the action it was for was refused), never someone else's."""
    item = Item(*keys.action_link(tenant, hashed))
    try:
        item.update(
            actions=[Item.used_at.remove(), Item.used_by.remove(), Item.used_by_name.remove(), Item.decision.remove()],
            condition=Item.used_at == at,
            add_version_condition=False,
        )
    except UpdateError as exc:
        if not is_condition_failure(exc):
            raise
