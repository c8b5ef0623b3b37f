"""Approvers' delegations in the table (keys.delegation): one item per approver, in the tenant's partition."""

from __future__ import annotations

from datetime import date

from pynamodb.exceptions import DeleteError, PutError

from chalicelib.domain.errors import VersionMismatchError
from chalicelib.domain.model import Delegation
from chalicelib.storage import keys
from chalicelib.storage.items import BaseItem, DelegationItem
from chalicelib.storage.table import is_condition_failure

Item = DelegationItem


def _domain(item: DelegationItem) -> Delegation:
    return Delegation(
        delegator_id=item.delegator_id,
        delegate_id=item.delegate_id,
        starts_on=date.fromisoformat(item.starts_on),
        ends_on=date.fromisoformat(item.ends_on),
        version=int(item.version or 0),
        delegate_name=item.delegate_name or "",
    )


def of(item: BaseItem | None) -> Delegation | None:
    """The delegation an item read with others holds (None: there is none)."""
    return _domain(item) if isinstance(item, DelegationItem) else None


def get(tenant: str, user_id: str) -> Delegation | None:
    try:
        return _domain(Item.get(*keys.delegation(tenant, user_id), consistent_read=True))
    except Item.DoesNotExist:
        return None


def get_many(tenant: str, user_ids: list[str]) -> dict[str, Delegation]:
    """The delegations of these approvers, by approver, in one BatchGet."""
    if not user_ids:
        return {}
    return {
        i.delegator_id: _domain(i)
        for i in Item.batch_get([keys.delegation(tenant, u) for u in dict.fromkeys(user_ids)])
    }


def put(tenant: str, d: Delegation) -> Delegation:
    """Create or replace, conditional on the version read (0: none yet)."""
    item = Item(
        *keys.delegation(tenant, d.delegator_id),
        delegator_id=d.delegator_id,
        delegate_id=d.delegate_id,
        delegate_name=d.delegate_name or None,
        starts_on=d.starts_on.isoformat(),
        ends_on=d.ends_on.isoformat(),
    )
    if d.version:
        item.version = d.version
    try:
        item.save()  # the version attribute makes it conditional: not there yet, or still at the version read
    except PutError as exc:
        if is_condition_failure(exc):
            raise VersionMismatchError() from exc
        raise
    return _domain(item)


def delete(tenant: str, user_id: str) -> None:
    try:
        Item(*keys.delegation(tenant, user_id)).delete(add_version_condition=False)
    except DeleteError as exc:
        if not is_condition_failure(exc):
            raise
