"""Approvers' delegations in the table: one item per approver (keys.delegation), and per delegate the
approvers whose delegation names them (keys.delegations_to), both in the tenant's partition and written in
one transaction, each conditional on the version read."""

from __future__ import annotations

from datetime import date
from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib.domain.errors import VersionMismatchError
from chalicelib.domain.model import Cover, Covers, Delegation
from chalicelib.storage import keys
from chalicelib.storage.items import BaseItem, DelegationItem, DelegationsToItem
from chalicelib.storage.table import cancellation_codes, transaction

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


def covers_of(item: BaseItem | None, delegate_id: str) -> Covers:
    """Whom a delegate stands in for, from their item read with others (none stored: nobody, version 0)."""
    if not isinstance(item, DelegationsToItem):
        return Covers(delegate_id)
    raw: dict[str, dict[str, Any]] = item.approvers or {}
    return Covers(
        delegate_id,
        {
            approver_id: Cover(
                approver_id,
                date.fromisoformat(c["starts_on"]),
                date.fromisoformat(c["ends_on"]),
                tuple(c.get("customer_ids") or ()),
            )
            for approver_id, c in raw.items()
        },
        int(item.version or 0),
    )


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


def put(tenant: str, d: Delegation, to: Covers, was: Covers | None = None) -> Delegation:
    """The approver's delegation `d` (at the version read; 0: none yet), with the covers of its delegate as
    they become (`to`) and, when the approver named someone else before, that delegate's without them
    (`was`): one transaction, each item conditional on the version read (else VersionMismatchError: read
    again and redo)."""
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
    _write(tenant, item, [to, *([was] if was else [])])
    return _domain(item)


def delete(tenant: str, d: Delegation, to: Covers) -> None:
    """The approver's delegation `d` (at the version read) and its delegate's covers without it (`to`)."""
    item = Item(*keys.delegation(tenant, d.delegator_id))
    item.version = d.version
    _write(tenant, item, [to], delete=True)


def _write(tenant: str, item: DelegationItem, covers: list[Covers], *, delete: bool = False) -> None:
    try:
        with transaction() as tx:
            if delete:
                tx.delete(item)
            else:
                tx.save(item)
            for c in covers:
                stored = _covers_item(tenant, c)
                if c.approvers:
                    tx.save(stored)
                elif c.version:
                    tx.delete(stored)  # nobody left to stand in for
    except TransactWriteError as exc:
        codes = cancellation_codes(exc)
        if "ConditionalCheckFailed" in codes or "TransactionConflict" in codes:
            raise VersionMismatchError() from exc  # changed meanwhile: nothing written
        raise


def _covers_item(tenant: str, c: Covers) -> DelegationsToItem:
    item = DelegationsToItem(
        *keys.delegations_to(tenant, c.delegate_id),
        delegate_id=c.delegate_id,
        approvers={
            a.approver_id: {
                "starts_on": a.starts_on.isoformat(),
                "ends_on": a.ends_on.isoformat(),
                "customer_ids": list(a.customer_ids),
            }
            for a in c.approvers.values()
        },
    )
    if c.version:
        item.version = c.version
    return item
