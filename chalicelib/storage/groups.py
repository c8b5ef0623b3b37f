"""Security groups of a tenant."""

from __future__ import annotations

from pynamodb.exceptions import DeleteError, PutError

from chalicelib.domain.errors import NotFoundError, VersionMismatchError
from chalicelib.domain.model import SecurityGroup
from chalicelib.domain.permissions import UserKind
from chalicelib.storage import keys
from chalicelib.storage.items import SecurityGroupItem
from chalicelib.storage.mapping import item_values
from chalicelib.storage.paging import Page, prefix_page
from chalicelib.storage.table import is_condition_failure


def group_item(tenant: str, g: SecurityGroup) -> SecurityGroupItem:
    pk, sk = keys.group(tenant, g.id)
    return SecurityGroupItem(
        pk, sk, id=g.id, name=g.name, kind=g.kind.value, permissions=set(g.permissions), builtin=g.builtin
    )


def _to_domain(item: SecurityGroupItem) -> SecurityGroup:
    return item_values(item, SecurityGroup, kind=UserKind(item.kind), permissions=sorted(item.permissions or []))


def get(tenant: str, group_id: str) -> SecurityGroup:
    try:
        return _to_domain(SecurityGroupItem.get(*keys.group(tenant, group_id)))
    except SecurityGroupItem.DoesNotExist as exc:
        raise NotFoundError("security group") from exc


def get_many(tenant: str, group_ids: list[str]) -> list[SecurityGroup]:
    """One BatchGetItem (groups per user are few)."""
    if not group_ids:
        return []
    wanted = [keys.group(tenant, g) for g in dict.fromkeys(group_ids)]
    return [_to_domain(i) for i in SecurityGroupItem.batch_get(wanted)]


def list_page(tenant: str, limit: int, cursor: str | None) -> Page[SecurityGroup]:
    return prefix_page(SecurityGroupItem, keys.tenant_pk(tenant), keys.GROUP, limit, cursor, _to_domain)


def create(tenant: str, g: SecurityGroup) -> SecurityGroup:
    item = group_item(tenant, g)
    item.save()  # new id, version condition makes it a create-only write
    return _to_domain(item)


def replace(tenant: str, g: SecurityGroup) -> SecurityGroup:
    item = group_item(tenant, g)
    item.version = g.version
    try:
        item.save()
    except PutError as exc:
        if is_condition_failure(exc):
            raise VersionMismatchError() from exc
        raise
    return _to_domain(item)


def delete(tenant: str, g: SecurityGroup) -> None:
    item = group_item(tenant, g)
    item.version = g.version
    try:
        # Refuse to delete a built-in group even if the read above raced with something odd.
        item.delete(condition=SecurityGroupItem.builtin == False)  # noqa: E712 (a PynamoDB condition)
    except DeleteError as exc:
        if is_condition_failure(exc):
            raise VersionMismatchError() from exc
        raise
