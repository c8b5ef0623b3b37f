"""Everything a use case must read before it writes, in one BatchGetItem.

A write usually checks a handful of other items first (the groups, customers and sites a user is given;
the customer, tenant settings and order counter an order is created from). They live under keys that
are all known up front, so they are read together: one round trip however many kinds there are. Items
of every kind come back as their own model (the table's `type` discriminator) and are mapped here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from chalicelib.domain.accounts import Ledger
from chalicelib.domain.catalog import Product, ProductGroup
from chalicelib.domain.model import Covers, Customer, Delegation, SecurityGroup, Site, TenantSettings, User
from chalicelib.domain.pricing import PriceEntry
from chalicelib.storage import customers as customer_store
from chalicelib.storage import delegations as delegation_store
from chalicelib.storage import groups as group_store
from chalicelib.storage import keys
from chalicelib.storage import ledger as ledger_store
from chalicelib.storage import members as member_store
from chalicelib.storage import prices as price_store
from chalicelib.storage import product_groups as pgroup_store
from chalicelib.storage import products as product_store
from chalicelib.storage import tenants as tenant_store
from chalicelib.storage import users as user_store
from chalicelib.storage.items import (
    BaseItem,
    BudgetItem,
    CounterItem,
    CustomerItem,
    CustomerMembersItem,
    DelegationItem,
    DelegationsToItem,
    LedgerSummaryItem,
    ListPricesItem,
    PriceEntryItem,
    PriceListItem,
    ProductGroupIndexItem,
    ProductGroupItem,
    ProductItem,
    SecurityGroupIndexItem,
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
    order_counter: int = 0  # the last order number handed out (0: none yet)
    owners: dict[Key, str] = field(default_factory=dict)  # uniqueness guard → the id it points to
    items: dict[Key, BaseItem] = field(default_factory=dict)  # everything read, by key
    # the catalog's kinds (keys passed in `extra`)
    products: dict[str, Product] = field(default_factory=dict)
    product_groups: dict[str, ProductGroup] = field(default_factory=dict)
    group_index: pgroup_store.GroupIndex | None = None  # None: not asked for, or not written yet
    price_entries: dict[str, dict[str, PriceEntry]] = field(default_factory=dict)  # partition → product id → entry
    list_prices: dict[str, dict[str, PriceEntry]] = field(default_factory=dict)  # product id → list id → entry
    budgets: dict[Key, int] = field(default_factory=dict)  # keys.budget(...) → cents spent (absent: none)
    price_lists: set[str] = field(default_factory=set)  # the price lists found (their headers)
    # who approves (keys passed in `extra`: storage/members.py, storage/approvers.py)
    members: dict[str, member_store.Members] = field(default_factory=dict)  # customer id → its members record
    security_groups: group_store.GroupIndex | None = None  # None: not asked for, or not written yet
    security_group_versions: dict[str, int] = field(default_factory=dict)  # group id → its version, in the index
    delegations: dict[str, Delegation] = field(default_factory=dict)  # approver id → their delegation
    covers: dict[str, Covers] = field(default_factory=dict)  # delegate id → whom they stand in for
    ledgers: dict[str, Ledger] = field(default_factory=dict)  # customer id → its ledger (keys.ledger_summary)


def fetch(keys_: Iterable[Key], *, consistent: bool = False) -> dict[Key, BaseItem]:
    """The items that exist under these keys: one BatchGetItem per 100 keys (PynamoDB also retries
    unprocessed keys)."""
    wanted = list(dict.fromkeys(keys_))
    if not wanted:
        return {}
    return {(item.pk, item.sk): item for item in BaseItem.batch_get(wanted, consistent_read=consistent or None)}


def merge(first: Refs, second: Refs) -> Refs:
    """Two rounds of reads as one (the second's items win)."""
    out = Refs(items={**first.items, **second.items})
    out.groups = {**first.groups, **second.groups}
    out.customers = {**first.customers, **second.customers}
    out.sites = {**first.sites, **second.sites}
    out.users = {**first.users, **second.users}
    out.settings = second.settings or first.settings
    out.order_counter = second.order_counter if second.order_counter else first.order_counter
    out.owners = {**first.owners, **second.owners}
    out.products = {**first.products, **second.products}
    out.product_groups = {**first.product_groups, **second.product_groups}
    out.group_index = second.group_index or first.group_index
    out.list_prices = {**first.list_prices, **second.list_prices}
    out.budgets = {**first.budgets, **second.budgets}
    out.members = {**first.members, **second.members}
    out.security_groups = second.security_groups or first.security_groups
    out.security_group_versions = second.security_group_versions or first.security_group_versions
    out.delegations = {**first.delegations, **second.delegations}
    out.covers = {**first.covers, **second.covers}
    out.ledgers = {**first.ledgers, **second.ledgers}
    out.price_entries = {pk: dict(entries) for pk, entries in first.price_entries.items()}
    for pk, entries in second.price_entries.items():
        out.price_entries.setdefault(pk, {}).update(entries)
    return out


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
    consistent: bool = False,
) -> Refs:
    wanted: list[Key] = [keys.group(tenant, g) for g in groups]
    wanted += [keys.customer(tenant, c) for c in customers]
    wanted += [keys.site(tenant, s) for s in sites]
    wanted += [keys.user(tenant, u) for u in users]
    wanted += [keys.tenant_settings(tenant)] if settings else []
    wanted += [keys.order_counter(tenant)] if order_counter else []
    wanted += list(guards) + list(extra)
    refs = Refs(items=fetch(wanted, consistent=consistent))
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
            refs.order_counter = int(item.value or 0) if isinstance(item, CounterItem) else 0
        elif isinstance(item, UniqueItem):
            refs.owners[key] = item.owner_id
        elif isinstance(item, ProductItem):
            refs.products[item.id] = product_store._to_product(item)
        elif isinstance(item, ProductGroupItem):
            refs.product_groups[item.id] = pgroup_store._to_group(item)
        elif isinstance(item, ProductGroupIndexItem):
            refs.group_index = pgroup_store.index_of(item)
        elif isinstance(item, PriceEntryItem):
            refs.price_entries.setdefault(key[0], {})[item.product_id] = price_store._to_entry(item)
        elif isinstance(item, PriceListItem):
            refs.price_lists.add(item.id)
        elif isinstance(item, BudgetItem):
            refs.budgets[key] = int(item.spent_cents or 0)
        elif isinstance(item, CustomerMembersItem):
            refs.members[member_store.customer_of(key)] = member_store.members_of(item) or {}
        elif isinstance(item, SecurityGroupIndexItem):
            refs.security_groups = group_store.index_of(item)
            refs.security_group_versions = group_store.versions_of(item)
        elif isinstance(item, DelegationItem):
            refs.delegations[item.delegator_id] = delegation_store._domain(item)
        elif isinstance(item, DelegationsToItem):
            refs.covers[item.delegate_id] = delegation_store.covers_of(item, item.delegate_id)
        elif isinstance(item, LedgerSummaryItem):
            customer_id = key[0].removeprefix(keys.ledger_pk(tenant, ""))
            refs.ledgers[customer_id] = ledger_store.ledger_of(item, customer_id)
        elif isinstance(item, ListPricesItem):
            pid = key[1].removeprefix(keys.PRICE_ENTRY)
            lists: dict[str, str] = item.lists.attribute_values if item.lists is not None else {}
            refs.list_prices[pid] = {lid: price_store.entry_from_json(pid, raw) for lid, raw in lists.items()}
    return refs
