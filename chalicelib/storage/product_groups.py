"""Product groups, their name guards, and the group index (keys.product_group_index): every group's name,
portal flag and version in one item, rewritten in the transaction of each group write, so a catalog
read or an order gets the groups of products it has not read yet in the BatchGet it makes anyway."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pynamodb.exceptions import TransactWriteError

from chalicelib.domain.catalog import ProductGroup
from chalicelib.domain.errors import ConflictError, DuplicateError, NotFoundError, VersionMismatchError
from chalicelib.retry import attempts
from chalicelib.storage import keys
from chalicelib.storage.items import BaseItem, ProductGroupIndexItem, ProductGroupItem, UniqueItem
from chalicelib.storage.mapping import item_values
from chalicelib.storage.paging import Page, prefix_page
from chalicelib.storage.products import LabelledTx

# Group writes retry when another group write moved the group index first (rare admin work; a burst of
# concurrent creates in one tenant settles one writer per round).
GROUP_TX_RETRIES = 10


def _group_item(tenant: str, g: ProductGroup) -> ProductGroupItem:
    item = ProductGroupItem(*keys.product_group(tenant, g.id), id=g.id, name=g.name, portal=g.portal)
    if g.version:
        item.version = g.version
    return item


def _to_group(item: ProductGroupItem) -> ProductGroup:
    return item_values(item, ProductGroup, portal=bool(item.portal))


def get_group(tenant: str, group_id: str) -> ProductGroup:
    try:
        return _to_group(ProductGroupItem.get(*keys.product_group(tenant, group_id)))
    except ProductGroupItem.DoesNotExist as exc:
        raise NotFoundError("product group") from exc


def get_groups(tenant: str, group_ids: Iterable[str | None]) -> dict[str, ProductGroup]:
    """One BatchGetItem for the distinct groups of a page of products."""
    wanted = [keys.product_group(tenant, g) for g in dict.fromkeys(g for g in group_ids if g)]
    if not wanted:
        return {}
    return {i.id: _to_group(i) for i in ProductGroupItem.batch_get(wanted)}


def list_groups_page(tenant: str, limit: int, cursor: str | None) -> Page[ProductGroup]:
    return prefix_page(ProductGroupItem, keys.tenant_pk(tenant), keys.PRODUCT_GROUP, limit, cursor, _to_group)


def all_groups(tenant: str) -> list[ProductGroup]:
    """Every group of the tenant (tens to hundreds): for CSV import and export, which name them."""
    result = ProductGroupItem.query(keys.tenant_pk(tenant), ProductGroupItem.sk.startswith(keys.PRODUCT_GROUP))
    return [_to_group(i) for i in result]


@dataclass
class GroupIndex:
    """The tenant's group index item (keys.product_group_index): every group by id. `version` 0: the
    item does not exist yet (a tenant without groups)."""

    groups: dict[str, ProductGroup]
    version: int = 0


def index_of(item: BaseItem | None) -> GroupIndex:
    if not isinstance(item, ProductGroupIndexItem):
        return GroupIndex({})
    groups = {
        gid: ProductGroup(gid, str(g["name"]), bool(g["portal"]), int(g["version"]))
        for gid, g in (item.groups or {}).items()
    }
    return GroupIndex(groups, int(item.version or 0))


def _read_for_group_write(tenant: str, group_id: str | None) -> tuple[ProductGroup | None, GroupIndex]:
    """The group (if any) and the index in one BatchGet. A tenant without an index yet gets one built
    from its groups (one Query, once: every later group write keeps it whole)."""
    wanted = [keys.product_group_index(tenant)] + ([keys.product_group(tenant, group_id)] if group_id else [])
    found = {(i.pk, i.sk): i for i in BaseItem.batch_get(wanted)}
    index = index_of(found.get(keys.product_group_index(tenant)))
    if not index.version:
        index.groups = {g.id: g for g in all_groups(tenant)}
    item = found.get(keys.product_group(tenant, group_id)) if group_id else None
    return (_to_group(item) if isinstance(item, ProductGroupItem) else None), index


def _index_item(tenant: str, index: GroupIndex, group: ProductGroup) -> ProductGroupIndexItem:
    entries = {g.id: {"name": g.name, "portal": g.portal, "version": g.version} for g in index.groups.values()}
    entries[group.id] = {"name": group.name, "portal": group.portal, "version": group.version}
    item = ProductGroupIndexItem(*keys.product_group_index(tenant), groups=entries)
    if index.version:
        item.version = index.version  # the put is conditional on the index not having moved
    return item


def save_group(
    tenant: str, group_id: str | None, change: Callable[[ProductGroup | None], ProductGroup], expected: int | None
) -> ProductGroup:
    """Create (`group_id` None) or update a group: one BatchGet (the group and the index), one
    transaction (the group, its name guard moved when the name changes, the index). Without
    `expected` a concurrent change is read again and `change` re-applied to it."""
    for attempt in attempts(GROUP_TX_RETRIES, pause=0.03):
        current, index = _read_for_group_write(tenant, group_id)
        if group_id is not None and current is None:
            raise NotFoundError("product group")
        if current is not None and expected is not None and expected != current.version:
            raise VersionMismatchError()
        after = change(current)
        saved = dataclasses.replace(after, version=(current.version if current else 0) + 1)
        renamed = current is None or current.name.strip().lower() != after.name.strip().lower()
        tx = LabelledTx()
        if current is not None and renamed:
            old = UniqueItem(*keys.product_group_name_guard(tenant, current.name))
            tx.delete("old-name", old, UniqueItem.owner_id == current.id)
        tx.put("group", _group_item(tenant, dataclasses.replace(after, version=current.version if current else 0)))
        if renamed:
            tx.put("name", UniqueItem(*keys.product_group_name_guard(tenant, after.name), owner_id=after.id))
        tx.put("index", _index_item(tenant, index, saved))
        try:
            tx.run()
            return saved
        except TransactWriteError as exc:
            failed, conflict = tx.failed(exc)
            if "name" in failed:
                raise DuplicateError(
                    f"A product group named '{after.name}' already exists.",
                    details=[{"field": "name", "message": "is already taken"}],
                ) from exc
            if "group" in failed and expected is not None:
                raise VersionMismatchError() from exc
            if not (failed or conflict):
                raise
            if "old-name" in failed or attempt + 1 == GROUP_TX_RETRIES:
                raise ConflictError("The product group changed while it was being saved; try again.") from exc
            # the group or the index moved (another group write), or a transaction conflict: read again
    raise ConflictError("The product group changed while it was being saved; try again.")
