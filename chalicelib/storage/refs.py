"""Everything a use case must read before it writes, in one BatchGetItem.

A write usually checks a handful of other items first (the groups, customers and sites a user is given;
the customer, tenant settings and order counter an order is created from). They live under keys that
are all known up front, so they are read together: one round trip however many kinds there are. Items
of every kind come back as their own model (the table's `type` discriminator) and are mapped here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from chalicelib.domain.model import Customer, SecurityGroup, Site, TenantSettings, User
from chalicelib.storage import customers as customer_store
from chalicelib.storage import groups as group_store
from chalicelib.storage import keys
from chalicelib.storage import tenants as tenant_store
from chalicelib.storage import users as user_store
from chalicelib.storage.items import (
    BaseItem,
    CounterItem,
    CustomerItem,
    SecurityGroupItem,
    SiteItem,
    TenantItem,
    UniqueItem,
    UserItem,
)
from chalicelib.storage.mapping import item_values

Key = tuple[str, str]


@dataclass
class Refs:
    groups: dict[str, SecurityGroup] = field(default_factory=dict)
    customers: dict[str, Customer] = field(default_factory=dict)
    sites: dict[str, Site] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    settings: TenantSettings | None = None
    order_counter: int | None = 0  # the last order number handed out (0: none yet; None: read it alone)
    owners: dict[Key, str] = field(default_factory=dict)  # uniqueness guard → the id it points to
    items: dict[Key, BaseItem] = field(default_factory=dict)  # everything read, by key


def fetch(keys_: Iterable[Key]) -> dict[Key, BaseItem]:
    """The items that exist under these keys: one BatchGetItem per 100 keys (PynamoDB also retries
    unprocessed keys)."""
    wanted = list(dict.fromkeys(keys_))
    if not wanted:
        return {}
    return {(item.pk, item.sk): item for item in BaseItem.batch_get(wanted)}


def load(
    tenant: str,
    *,
    groups: Iterable[str] = (),
    customers: Iterable[str] = (),
    sites: Iterable[str] = (),
    users: Iterable[str] = (),
    settings: bool = False,
    order_counter: bool = False,
    guards: Iterable[Key] = (),
    extra: Iterable[Key] = (),
) -> Refs:
    wanted: list[Key] = [keys.group(tenant, g) for g in groups]
    wanted += [keys.customer(tenant, c) for c in customers]
    wanted += [keys.site(tenant, s) for s in sites]
    wanted += [keys.user(tenant, u) for u in users]
    wanted += [keys.tenant_settings(tenant)] if settings else []
    wanted += [keys.order_counter(tenant)] if order_counter else []
    wanted += list(guards) + list(extra)
    refs = Refs(items=fetch(wanted))
    for key, item in refs.items.items():
        if isinstance(item, SecurityGroupItem):
            refs.groups[item.id] = group_store._to_domain(item)
        elif isinstance(item, CustomerItem):
            refs.customers[item.id] = customer_store._to_domain(item)
        elif isinstance(item, SiteItem):
            refs.sites[item.id] = item_values(item, Site)
        elif isinstance(item, UserItem):
            refs.users[item.id] = user_store._to_domain(item)
        elif isinstance(item, TenantItem):
            refs.settings = tenant_store._to_domain(item)
        elif key == keys.order_counter(tenant):
            # A counter last written by an older release has no `type`: it reads back as a BaseItem.
            refs.order_counter = int(item.value or 0) if isinstance(item, CounterItem) else None
        elif isinstance(item, UniqueItem):
            refs.owners[key] = item.owner_id
    return refs
