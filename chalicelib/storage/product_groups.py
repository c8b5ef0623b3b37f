"""Product groups, their name guards, and the group index (keys.product_group_index): every group's name,
portal flag and version in one item, rewritten in the transaction of each group write, so a catalog
read or an order gets the groups of products it has not read yet in the BatchGet it makes anyway."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from pynamodb.exceptions import TransactWriteError

from chalicelib.domain.catalog import ProductGroup
from chalicelib.domain.errors import ConflictError, DuplicateError, VersionMismatchError
from chalicelib.retry import attempts
from chalicelib.storage import keys
from chalicelib.storage.items import BaseItem, ProductGroupIndexItem, ProductGroupItem, UniqueItem
from chalicelib.storage.mapping import item_values
from chalicelib.storage.paging import Page, prefix_page
from chalicelib.storage.products import LabelledTx
from chalicelib.storage.table import get_item

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
    return _to_group(get_item(ProductGroupItem, keys.product_group(tenant, group_id), "product group"))


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


def read_for_write(tenant: str, group_id: str | None) -> tuple[ProductGroup | None, GroupIndex]:
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


def create_group(tenant: str, group: ProductGroup) -> ProductGroup:
    """A new group: written with its name guard and the index, again when the index moved meanwhile
    (another group's write)."""
    for _ in attempts(GROUP_TX_RETRIES, pause=0.03):
        _, index = read_for_write(tenant, None)
        try:
            return write_group(tenant, None, index, group)
        except VersionMismatchError:
            pass  # the index moved: read it again
    raise ConflictError("The product groups are being changed by others right now; try again.")


def write_group(tenant: str, current: ProductGroup | None, index: GroupIndex, after: ProductGroup) -> ProductGroup:
    """One transaction: the group (conditional on `current`'s version; a create on its absence), its
    name guard moved when the name changes, and the index (conditional on the version read).
    VersionMismatchError when the group or the index moved since they were read (the caller reads them
    again: services/updates.py), DuplicateError when another group holds the name."""
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
    except TransactWriteError as exc:
        failed, conflict = tx.failed(exc)
        # This group or the index moved: the name may be taken by this very group's other write, so
        # only a write on what is still current can tell a name another group holds.
        if failed & {"group", "old-name", "index"} or (conflict and not failed):
            raise VersionMismatchError() from exc
        if "name" in failed:
            raise DuplicateError(
                f"A product group named '{after.name}' already exists.",
                details=[{"field": "name", "message": "is already taken"}],
            ) from exc
        raise
    return saved
