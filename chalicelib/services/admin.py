"""Tenant administration use cases: settings, security groups, sites, customers, users.

Every function takes the caller's Principal first: permissions are checked here, not in views, and
the tenant always comes from it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypeVar

from chalicelib.auth.passwords import Passwords
from chalicelib.auth.principal import Principal
from chalicelib.domain.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    ParentsMovedError,
    VersionMismatchError,
    invalid_field,
)
from chalicelib.domain.ids import new_id
from chalicelib.domain.model import Address, CodeName, Customer, SecurityGroup, Site, TenantSettings, User
from chalicelib.domain.permissions import BUILTIN_GROUPS, PERMISSION_KIND, Permission, UserKind
from chalicelib.retry import attempts
from chalicelib.services.callers import caller_keys, check_token_rights
from chalicelib.services.sender_domains import SenderDomains
from chalicelib.services.updates import ATTEMPTS, apply_change
from chalicelib.storage import customers, groups, keys, sites, tenants, users
from chalicelib.storage.paging import Page
from chalicelib.storage.refs import Refs
from chalicelib.storage.refs import load as load_refs

P = Permission
T = TypeVar("T")
MAX_CUSTOMER_DEPTH = 20


CUSTOMER_BUILTIN_GROUPS = tuple(g.id for g in BUILTIN_GROUPS if g.kind == UserKind.CUSTOMER)


def _replace(obj: T, changes: Mapping[str, Any]) -> T:
    return dataclasses.replace(obj, **changes)  # type: ignore[type-var]


# --- settings ---------------------------------------------------------------------------------
def get_settings(principal: Principal) -> TenantSettings:
    settings = tenants.get_settings(principal.tenant)
    if settings is None:
        raise NotFoundError("tenant")
    return settings


def update_settings(
    principal: Principal, changes: dict[str, Any], expected_version: int | None, sender_domains: SenderDomains
) -> TenantSettings:
    principal.require_staff(P.TENANT_ADMIN)
    if changes.get("sender_email") is not None:  # None: back to the platform's sender
        sender_domains.require_verified(principal.tenant, changes["sender_email"])
    for key in ("delivery_methods", "payment_methods"):
        if key in changes:
            changes[key] = [CodeName(**m) for m in changes[key]]
    return apply_change(
        expected_version,
        lambda: get_settings(principal),
        lambda current: _replace(current, changes),
        lambda before, after: tenants.save_settings(after),
    )


# --- security groups --------------------------------------------------------------------------
def _check_group_permissions(kind: UserKind, permissions: list[str]) -> None:
    for i, name in enumerate(permissions):
        try:
            perm = Permission(name)
        except ValueError:
            raise invalid_field(f"permissions[{i}]", f"'{name}' is not a permission.") from None
        if PERMISSION_KIND[perm] != kind:
            raise invalid_field(f"permissions[{i}]", f"'{name}' is not a {kind.value} permission.")


def list_groups(principal: Principal, limit: int, cursor: str | None) -> Page[SecurityGroup]:
    if principal.is_staff:
        principal.require(P.TENANT_ADMIN)
    else:
        principal.require(P.ORG_MANAGE)
    page = groups.list_page(principal.tenant, limit, cursor)
    if principal.is_customer:  # a customer admin assigns only customer groups
        page.items = [g for g in page.items if g.kind == UserKind.CUSTOMER]
    return page


def get_group(principal: Principal, group_id: str) -> SecurityGroup:
    group = groups.get(principal.tenant, group_id)
    if principal.is_staff and principal.has(P.TENANT_ADMIN):
        return group
    if principal.is_customer and principal.has(P.ORG_MANAGE) and group.kind == UserKind.CUSTOMER:
        return group
    raise ForbiddenError("You do not have permission to do this.")


def _group_write_reads(principal: Principal, group_id: str | None) -> tuple[SecurityGroup | None, Any]:
    """What a group write reads, in one BatchGet: the group (None: a new one, or not found), the index the
    write rewrites (as read: storage/groups.py takes it back), and the caller as stored now
    (services/callers.py)."""
    tenant = principal.tenant
    index_key = keys.security_group_index(tenant)
    found = load_refs(tenant, groups=[group_id] if group_id else [], extra=[index_key, *caller_keys(principal)])
    check_token_rights(principal, found)
    return (found.groups.get(group_id) if group_id else None), found.items.get(index_key)


def create_group(principal: Principal, name: str, kind: str, permissions: list[str]) -> SecurityGroup:
    principal.require_staff(P.TENANT_ADMIN)
    user_kind = UserKind(kind)
    _check_group_permissions(user_kind, permissions)
    group = SecurityGroup(new_id(), name, user_kind, sorted(set(permissions)), builtin=False)
    for _ in range(ATTEMPTS):
        _, index = _group_write_reads(principal, None)
        try:
            return groups.create(principal.tenant, index, group)
        except VersionMismatchError:
            continue  # another group's write moved the index: read it again
    raise ConflictError("The security groups are being changed by others right now; try again.")


def replace_group(
    principal: Principal, group_id: str, name: str, kind: str | None, permissions: list[str], expected: int | None
) -> SecurityGroup:
    principal.require_staff(P.TENANT_ADMIN)
    read: list[Any] = []

    def load() -> SecurityGroup:
        current, index = _group_write_reads(principal, group_id)
        if current is None:
            raise NotFoundError("security group")
        read[:] = [index]
        return current

    def change(current: SecurityGroup) -> SecurityGroup:
        if current.builtin:
            raise ForbiddenError("Built-in security groups cannot be changed.")
        if kind is not None and kind != current.kind.value:
            raise invalid_field("kind", "The kind of a security group cannot change.")
        _check_group_permissions(current.kind, permissions)
        return _replace(current, {"name": name, "permissions": sorted(set(permissions))})

    return apply_change(expected, load, change, lambda before, after: groups.replace(principal.tenant, read[0], after))


def delete_group(principal: Principal, group_id: str, expected: int | None) -> None:
    principal.require_staff(P.TENANT_ADMIN)
    read: list[Any] = []

    def load() -> SecurityGroup:
        current, index = _group_write_reads(principal, group_id)
        if current is None:
            raise NotFoundError("security group")
        if current.builtin:
            raise ForbiddenError("Built-in security groups cannot be deleted.")
        read[:] = [index]
        return current

    def remove(before: SecurityGroup, after: SecurityGroup) -> SecurityGroup:
        groups.delete(principal.tenant, read[0], before)
        return before

    apply_change(expected, load, lambda current: current, remove)


# --- sites ------------------------------------------------------------------------------------
def list_sites(principal: Principal, limit: int, cursor: str | None) -> Page[Site]:
    page = sites.list_page(principal.tenant, limit, cursor)
    page.items = [s for s in page.items if principal.may_use_site(s.id)]
    return page


def get_site(principal: Principal, site_id: str) -> Site:
    site = sites.get(principal.tenant, site_id)
    if not principal.may_use_site(site_id):
        raise NotFoundError("site")
    return site


def create_site(principal: Principal, code: str, name: str, address: str | None) -> Site:
    principal.require_staff(P.TENANT_ADMIN)
    return sites.save(principal.tenant, None, Site(new_id(), code, name, address))


def update_site(principal: Principal, site_id: str, changes: dict[str, Any], expected: int | None) -> Site:
    principal.require_staff(P.TENANT_ADMIN)
    return apply_change(
        expected,
        lambda: sites.get(principal.tenant, site_id),
        lambda current: _replace(current, changes),
        lambda before, after: sites.save(principal.tenant, before, after),
    )


# --- customers --------------------------------------------------------------------------------
def list_customers(principal: Principal, limit: int, cursor: str | None, sales_rep_id: str | None) -> Page[Customer]:
    if principal.is_customer:
        # At most a few dozen authorized customers: one BatchGet, one page.
        return Page(customers.get_many(principal.tenant, principal.customer_ids), None)
    return customers.list_page(principal.tenant, limit, cursor, sales_rep_id)


def get_customer(principal: Principal, customer_id: str) -> Customer:
    principal.check_customer_visible(customer_id)
    return customers.get(principal.tenant, customer_id)


def _addresses(raw: list[dict[str, Any]]) -> list[Address]:
    return [Address(**{**a, "id": a.get("id") or new_id()}) for a in raw]


def _parents(
    principal: Principal,
    customer_id: str,
    parent_id: str | None,
    sales_rep_id: str | None,
    *,
    walk: bool,
    price_list_id: str | None = None,
) -> tuple[list[str], list[str]]:
    """The new line of parents of `customer_id` under `parent_id` (nearest first), twice: as the customer
    will store it, and as the write must check it still is. The rep, the parent and the price list are
    read in one BatchGet; the parent's stored `ancestor_ids` give the rest of the line, verified in the
    write's transaction (`walk`: read the line level by level instead, after a check failed)."""
    tenant = principal.tenant
    price_list_key = keys.price_list(tenant, price_list_id) if price_list_id else None
    refs = load_refs(
        tenant,
        users=[sales_rep_id] if sales_rep_id else [],
        customers=[parent_id] if parent_id else [],
        extra=[price_list_key] if price_list_key else [],
    )
    if price_list_id is not None and price_list_id not in refs.price_lists:
        raise invalid_field("price_list_id", "No price list has this id.")
    if sales_rep_id is not None:
        rep = refs.users.get(sales_rep_id)
        if rep is None or rep.kind != UserKind.STAFF:
            raise invalid_field("sales_rep_id", "No staff user has this id.")
    if parent_id is None:
        return [], []
    parent = refs.customers.get(parent_id)
    if parent is None:
        raise invalid_field("parent_id", "No customer has this id.")
    if walk or parent.ancestor_ids is None:
        chain = customers.walk_ancestors(tenant, parent_id, MAX_CUSTOMER_DEPTH + 1)
    else:
        chain = [parent_id, *parent.ancestor_ids]
    if customer_id in chain or len(set(chain)) != len(chain):
        raise invalid_field("parent_id", "A customer cannot be its own ancestor.")
    if len(chain) >= MAX_CUSTOMER_DEPTH:
        raise invalid_field("parent_id", f"Customer hierarchies are at most {MAX_CUSTOMER_DEPTH} levels deep.")
    return chain, chain


def _check_rep_assignment(principal: Principal) -> None:
    """A customer's sales rep reads all its orders: assigning one (or another, or none) takes the rights
    of reading the customer's orders, `orders.read_all`, besides `customers.manage` (else someone who
    manages customers could make themselves the rep of any and read its orders)."""
    if not principal.has(P.ORDERS_READ_ALL):
        raise ForbiddenError(
            "Assigning a sales rep needs the orders.read_all permission: a rep reads the customer's orders."
        )


def create_customer(principal: Principal, data: dict[str, Any]) -> Customer:
    principal.require_staff(P.CUSTOMERS_MANAGE)
    if data.get("sales_rep_id") is not None:
        _check_rep_assignment(principal)
    customer = Customer(id=new_id(), **{**data, "addresses": _addresses(data.get("addresses", []))})
    for attempt in attempts(ATTEMPTS, pause=0.01):
        chain, relied = _parents(
            principal,
            customer.id,
            customer.parent_id,
            customer.sales_rep_id,
            walk=attempt > 0,
            price_list_id=customer.price_list_id,
        )
        customer.ancestor_ids = chain
        try:
            return customers.create(principal.tenant, customer, relied)
        except ParentsMovedError:
            continue  # a parent moved meanwhile: read the line again
    raise ConflictError("The customer hierarchy is being changed by others right now; try again.")


def update_customer(principal: Principal, customer_id: str, changes: dict[str, Any], expected: int | None) -> Customer:
    principal.require_staff(P.CUSTOMERS_MANAGE)
    if "addresses" in changes:
        changes["addresses"] = _addresses(changes["addresses"])
    relied: list[str] = []
    stale = [False]

    def change(current: Customer) -> Customer:
        after: Customer = _replace(current, changes)
        if after.sales_rep_id != current.sales_rep_id:
            _check_rep_assignment(principal)
        relied.clear()
        new_list = changes.get("price_list_id")
        if "parent_id" in changes or "sales_rep_id" in changes or new_list is not None:
            chain, path = _parents(
                principal,
                customer_id,
                after.parent_id if "parent_id" in changes else None,
                after.sales_rep_id if "sales_rep_id" in changes else None,
                walk=stale[0],
                price_list_id=new_list,
            )
            if "parent_id" in changes:
                after.ancestor_ids = chain
                relied.extend(path)
        return after

    for _ in attempts(ATTEMPTS, pause=0.01):
        try:
            return apply_change(
                expected,
                lambda: customers.get(principal.tenant, customer_id),
                change,
                lambda before, after: customers.update(principal.tenant, before, after, relied),
            )
        except ParentsMovedError:
            stale[0] = True  # a parent moved meanwhile: read the line level by level
    raise ConflictError("The customer hierarchy is being changed by others right now; try again.")


# --- users ------------------------------------------------------------------------------------
class UserAdmin:
    """Users of a tenant. Administrators manage everyone; a customer user holding `org.manage`
    manages customer users inside their own customers, never granting more than they hold."""

    def __init__(self, passwords: Passwords) -> None:
        self._passwords = passwords

    def _is_admin(self, principal: Principal) -> bool:
        return principal.is_staff and principal.has(P.TENANT_ADMIN)

    def _is_org_manager(self, principal: Principal) -> bool:
        return principal.is_customer and principal.has(P.ORG_MANAGE)

    def _require_manager(self, principal: Principal) -> None:
        if not (self._is_admin(principal) or self._is_org_manager(principal)):
            raise ForbiddenError("You do not have permission to manage users.")

    def _in_org(self, principal: Principal, user: User, known: Mapping[str, Customer] | None = None) -> bool:
        """A customer user of the manager's organisation: each of their customers is one of the manager's or
        a branch below one (a head office manages its branches' users). The branches' parents are read
        only when the user has a customer the manager does not hold directly (unless `known`)."""
        if user.kind != UserKind.CUSTOMER:
            return False
        return self._within(principal, [c for c in user.customer_ids if c not in principal.customer_ids], known)

    def _within(self, principal: Principal, branches: list[str], known: Mapping[str, Customer] | None = None) -> bool:
        if not branches:
            return True
        found = dict(known or {})
        missing = [c for c in branches if c not in found]
        if missing:
            found.update(load_refs(principal.tenant, customers=missing).customers)
        held = set(principal.customer_ids)
        return all(c in found and held & set(found[c].ancestor_ids or []) for c in branches)

    def list(self, principal: Principal, limit: int, cursor: str | None, customer_id: str | None) -> Page[User]:
        self._require_manager(principal)
        if self._is_org_manager(principal):
            customer_id = customer_id or principal.customer_ids[0]
            if not self._within(principal, [customer_id] if customer_id not in principal.customer_ids else []):
                raise NotFoundError("customer")
        if customer_id:
            return users.list_of_customer(principal.tenant, customer_id, limit, cursor)
        return users.list_page(principal.tenant, limit, cursor)

    def get(self, principal: Principal, user_id: str) -> User:
        self._require_manager(principal)
        user = users.get(principal.tenant, user_id)
        if self._is_admin(principal) or self._in_org(principal, user):
            return user
        raise NotFoundError("user")

    def _validate(
        self, principal: Principal, user: User, refs: Refs | None = None, only: set[str] | None = None
    ) -> None:
        """Checks the groups, customers and sites `user` is given. `refs` holds what was read already
        (one BatchGet); `only` limits the existence checks to the lists a change sets (the others were
        checked when they were set). A customer admin's grants are always checked in full."""
        tenant = principal.tenant
        if user.kind == UserKind.CUSTOMER and not user.customer_ids:
            raise invalid_field("customer_ids", "A customer user needs at least one customer.")
        if user.kind == UserKind.STAFF and (user.customer_ids or user.site_ids):
            raise invalid_field("customer_ids", "Staff users are not tied to customers or sites.")
        checked = only if only is not None else {"security_group_ids", "customer_ids", "site_ids"}
        needs_groups = "security_group_ids" in checked or self._is_org_manager(principal)
        wanted = {
            "groups": [g for g in user.security_group_ids if refs is None or g not in refs.groups]
            if needs_groups
            else [],
            "customers": [c for c in user.customer_ids if refs is None or c not in refs.customers]
            if "customer_ids" in checked
            else [],
            "sites": [x for x in user.site_ids if refs is None or x not in refs.sites] if "site_ids" in checked else [],
        }
        if any(wanted.values()):  # one BatchGet for everything not read yet
            more = load_refs(tenant, groups=wanted["groups"], customers=wanted["customers"], sites=wanted["sites"])
            if refs is None:
                refs = more
            else:
                refs.groups.update(more.groups)
                refs.customers.update(more.customers)
                refs.sites.update(more.sites)
        refs = refs or Refs()
        held = {g: refs.groups[g] for g in user.security_group_ids if g in refs.groups}
        if "security_group_ids" in checked:
            for i, gid in enumerate(user.security_group_ids):
                if gid not in held:
                    raise invalid_field(f"security_group_ids[{i}]", "No security group has this id.")
                if held[gid].kind != user.kind:
                    raise invalid_field(f"security_group_ids[{i}]", f"This group is not for {user.kind.value} users.")
        if "customer_ids" in checked:
            for i, cid in enumerate(user.customer_ids):
                if cid not in refs.customers:
                    raise invalid_field(f"customer_ids[{i}]", "No customer has this id.")
        if "site_ids" in checked:
            for i, sid in enumerate(user.site_ids):
                if sid not in refs.sites:
                    raise invalid_field(f"site_ids[{i}]", "No site has this id.")
        if self._is_org_manager(principal):
            if user.kind != UserKind.CUSTOMER or not self._in_org(principal, user, refs.customers):
                raise ForbiddenError("You may only manage users of your own organisation.")
            granted = {p for g in held.values() for p in g.permissions}
            if not granted <= principal.permissions:
                raise ForbiddenError("You cannot grant permissions you do not hold.")
            if principal.site_ids and not user.site_ids:
                # Empty `site_ids` means every site: more than a manager restricted to some holds.
                raise ForbiddenError("You cannot grant every site: you may use only some.")
            if principal.site_ids and not set(user.site_ids) <= set(principal.site_ids):
                raise ForbiddenError("You cannot grant sites you may not use.")

    def _check_limit(
        self, principal: Principal, limit: Decimal | None, before: Decimal | None, found: Refs | None = None
    ) -> None:
        """A customer admin's grant of an approval limit (PRODUCT.md: orders up to it skip approval
        under `over_limit`). Only a holder of `orders.approve` sets one, at most their own limit when
        they have one. Keeping the limit a user has is no grant, and clearing it takes away only (no
        limit: every order needs approval), so neither is checked."""
        if not self._is_org_manager(principal) or limit is None or limit == before:
            return
        if not principal.has(P.ORDERS_APPROVE):
            raise ForbiddenError("Only users who may approve orders can set an approval limit.")
        # The manager's own limit as stored now: read with the caller (`found`, services/callers.py), else
        # only when a limit is granted; a copy in the token could be 15 minutes old.
        me = found.users.get(principal.user_id) if found is not None else None
        own = (me or users.get(principal.tenant, principal.user_id)).approval_limit
        if own is not None and limit > own:
            raise ForbiddenError(f"You cannot grant an approval limit above your own ({own:.2f}).")

    def create(self, principal: Principal, data: dict[str, Any]) -> User:
        self._require_manager(principal)
        password = data.pop("password", None)
        user = User(id=new_id(), **{**data, "kind": UserKind(data["kind"])})
        self._validate(principal, user)
        self._check_limit(principal, user.approval_limit, None)
        # Without a password the user is invited (API.md): the stream e-mails them a link to choose one, and
        # until then an empty hash logs nobody in.
        user.password_hash = self._passwords.hash(password) if password is not None else ""
        return users.create(principal.tenant, user)

    def update(self, principal: Principal, user_id: str, changes: dict[str, Any], expected: int | None) -> User:
        self._require_manager(principal)
        password = changes.pop("password", None)
        password_hash = self._passwords.hash(password) if password is not None else None
        named: set[str] = {name for name in ("security_group_ids", "customer_ids", "site_ids") if name in changes}
        read: list[Refs] = []

        # A customer admin's change is checked against the user's groups even when it names none (no one
        # edits a user who holds more than they do). Customer users are nearly always in the built-in
        # customer groups: read those with the user, and only a custom group costs another read.
        speculated = list(CUSTOMER_BUILTIN_GROUPS) if self._is_org_manager(principal) else []
        group_ids = changes.get("security_group_ids") or speculated

        def load() -> User:
            # The user, the caller as stored now (services/callers.py) and whatever the change names (or
            # is likely to need), in one BatchGet.
            refs = load_refs(
                principal.tenant,
                users=[user_id],
                groups=group_ids,
                customers=changes.get("customer_ids") or [],
                sites=changes.get("site_ids") or [],
                extra=caller_keys(principal),
            )
            check_token_rights(principal, refs)
            user = refs.users.get(user_id)
            if user is None or not (self._is_admin(principal) or self._in_org(principal, user)):
                raise NotFoundError("user")
            read[:] = [refs]
            return user

        def change(current: User) -> User:
            after: User = _replace(current, changes)
            if current.id == principal.user_id and (
                after.status != current.status or set(after.security_group_ids) != set(current.security_group_ids)
            ):
                # Nobody raises their own rights or ends someone else's deactivation of them (API.md).
                raise ForbiddenError("You cannot change your own status or security groups.")
            self._validate(principal, after, read[0], only=named)
            self._check_limit(principal, after.approval_limit, current.approval_limit, read[0])
            if password_hash is not None:
                after.password_hash = password_hash
            if password_hash is not None or (current.active and not after.active):
                # A password set by a manager, or a deactivation, ends every session of the user, the
                # manager's own included when they change themselves (storage/sessions.py); access
                # tokens already issued live out their 15 minutes. Reactivating revives none.
                after.session_epoch = current.session_epoch + 1
            return after

        return apply_change(expected, load, change, lambda before, after: users.update(principal.tenant, before, after))
