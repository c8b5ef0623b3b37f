"""Security groups of a tenant, and their index (keys.security_group_index): every group's kind, permissions
and version in one item, written in the same transaction as each group write, so that a login or a
refresh reads the permissions of any user with the user (one BatchGet) instead of after it. The versions
are what an order write checks of the caller's groups (storage/sessions.py `standing_checks`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib.domain.errors import NotFoundError, VersionMismatchError
from chalicelib.domain.model import SecurityGroup
from chalicelib.domain.permissions import UserKind
from chalicelib.storage import keys
from chalicelib.storage.items import BaseItem, SecurityGroupIndexItem, SecurityGroupItem
from chalicelib.storage.mapping import item_values
from chalicelib.storage.paging import Page, prefix_page
from chalicelib.storage.table import get_item, is_condition_failure, transaction

# group id → (kind, permissions): what a token's permissions are derived from
GroupIndex = Mapping[str, tuple[UserKind, frozenset[str]]]


def group_item(tenant: str, g: SecurityGroup) -> SecurityGroupItem:
    pk, sk = keys.group(tenant, g.id)
    return SecurityGroupItem(
        pk, sk, id=g.id, name=g.name, kind=g.kind.value, permissions=set(g.permissions), builtin=g.builtin
    )


def _to_domain(item: SecurityGroupItem) -> SecurityGroup:
    return item_values(item, SecurityGroup, kind=UserKind(item.kind), permissions=sorted(item.permissions or []))


def get(tenant: str, group_id: str) -> SecurityGroup:
    return _to_domain(get_item(SecurityGroupItem, keys.group(tenant, group_id), "security group"))


def get_many(tenant: str, group_ids: list[str]) -> list[SecurityGroup]:
    """One BatchGetItem (groups per user are few)."""
    if not group_ids:
        return []
    wanted = [keys.group(tenant, g) for g in dict.fromkeys(group_ids)]
    return [_to_domain(i) for i in SecurityGroupItem.batch_get(wanted)]


def list_page(tenant: str, limit: int, cursor: str | None) -> Page[SecurityGroup]:
    return prefix_page(SecurityGroupItem, keys.tenant_pk(tenant), keys.GROUP, limit, cursor, _to_domain)


def _entry(kind: str, permissions: set[str] | list[str], written: int | None) -> dict[str, Any]:
    """A group's entry in the index: `written` is the version the group's item had before its write (None: a
    new one), which the write moves one up (PynamoDB's VersionAttribute)."""
    return {"kind": kind, "permissions": sorted(permissions), "version": (written or 0) + 1}


def index_item(tenant: str, groups: list[SecurityGroup]) -> SecurityGroupIndexItem:
    """The index of new groups (a new tenant's)."""
    entries = {g.id: _entry(g.kind.value, g.permissions, None) for g in groups}
    return SecurityGroupIndexItem(*keys.security_group_index(tenant), groups=entries)


def index_of(item: BaseItem | None) -> GroupIndex | None:
    """The index as read (None: not read; every tenant has one from its creation, services/tenants.py)."""
    if not isinstance(item, SecurityGroupIndexItem):
        return None
    raw: dict[str, Any] = item.groups or {}
    return {gid: (UserKind(g["kind"]), frozenset(g["permissions"])) for gid, g in raw.items()}


def versions_of(item: BaseItem | None) -> dict[str, int]:
    """Each group's version as the index read holds it (empty: not read)."""
    if not isinstance(item, SecurityGroupIndexItem):
        return {}
    return {gid: int(g["version"]) for gid, g in (item.groups or {}).items()}


def permissions_of(index: GroupIndex, kind: UserKind, group_ids: list[str]) -> frozenset[str]:
    """A user's permissions: those of their groups of their own kind."""
    held = (index[g] for g in group_ids if g in index)
    return frozenset(p for k, perms in held if k == kind for p in perms)


def _write(tenant: str, read: BaseItem | None, put: SecurityGroupItem | None, gone: SecurityGroupItem | None) -> None:
    """One group write with the index rewritten to match, conditional on the index as `read` (the item
    under keys.security_group_index, read with the write's other reads) and the group's own version: a
    concurrent group write makes it fail (VersionMismatchError), and the caller reads again
    (services/updates.py) or, with If-Match, answers 412."""
    if not isinstance(read, SecurityGroupIndexItem):  # every tenant is created with its index
        raise NotFoundError("tenant")
    groups = dict(read.groups or {})
    index = SecurityGroupIndexItem(*keys.security_group_index(tenant), groups=groups)
    index.version = read.version
    if put is not None:
        groups[put.id] = _entry(put.kind, put.permissions or set(), put.version)
    if gone is not None:
        groups.pop(gone.id, None)
    try:
        with transaction() as tx:
            if put is not None:
                tx.save(put)
            if gone is not None:
                # Refuse to delete a built-in group even if the read before raced with something odd.
                tx.delete(gone, condition=SecurityGroupItem.builtin == False)  # noqa: E712 (a PynamoDB condition)
            tx.save(index)
    except TransactWriteError as exc:
        if is_condition_failure(exc):
            raise VersionMismatchError() from exc
        raise


def create(tenant: str, read: BaseItem | None, g: SecurityGroup) -> SecurityGroup:
    item = group_item(tenant, g)
    _write(tenant, read, item, None)  # new id, version condition makes it a create-only write
    return _to_domain(item)


def replace(tenant: str, read: BaseItem | None, g: SecurityGroup) -> SecurityGroup:
    item = group_item(tenant, g)
    item.version = g.version
    _write(tenant, read, item, None)
    return _to_domain(item)


def delete(tenant: str, read: BaseItem | None, g: SecurityGroup) -> None:
    item = group_item(tenant, g)
    item.version = g.version
    _write(tenant, read, None, item)
