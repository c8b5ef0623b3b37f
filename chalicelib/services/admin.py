"""Tenant administration use cases: settings, security groups, sites, customers, users.

Every function takes the caller's Principal first: permissions are checked here, not in views, and
the tenant always comes from it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

from chalicelib.auth.passwords import Passwords
from chalicelib.auth.principal import Principal
from chalicelib.domain.errors import ForbiddenError, NotFoundError, VersionMismatchError, invalid_field
from chalicelib.domain.ids import new_id
from chalicelib.domain.model import Address, CodeName, Customer, SecurityGroup, Site, TenantSettings, User
from chalicelib.domain.permissions import PERMISSION_KIND, Permission, UserKind
from chalicelib.services.updates import apply_change
from chalicelib.storage import customers, groups, prices, sites, tenants, users
from chalicelib.storage.paging import Page

P = Permission
T = TypeVar("T")
MAX_CUSTOMER_DEPTH = 20


def _replace(obj: T, changes: Mapping[str, Any]) -> T:
    return dataclasses.replace(obj, **changes)  # type: ignore[type-var]


# --- settings ---------------------------------------------------------------------------------
def get_settings(principal: Principal) -> TenantSettings:
    settings = tenants.get_settings(principal.tenant)
    if settings is None:
        raise NotFoundError("tenant")
    return settings


def update_settings(principal: Principal, changes: dict[str, Any], expected_version: int | None) -> TenantSettings:
    principal.require_staff(P.TENANT_ADMIN)
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


def create_group(principal: Principal, name: str, kind: str, permissions: list[str]) -> SecurityGroup:
    principal.require_staff(P.TENANT_ADMIN)
    user_kind = UserKind(kind)
    _check_group_permissions(user_kind, permissions)
    group = SecurityGroup(new_id(), name, user_kind, sorted(set(permissions)), builtin=False)
    return groups.create(principal.tenant, group)


def replace_group(
    principal: Principal, group_id: str, name: str, kind: str | None, permissions: list[str], expected: int | None
) -> SecurityGroup:
    principal.require_staff(P.TENANT_ADMIN)

    def change(current: SecurityGroup) -> SecurityGroup:
        if current.builtin:
            raise ForbiddenError("Built-in security groups cannot be changed.")
        if kind is not None and kind != current.kind.value:
            raise invalid_field("kind", "The kind of a security group cannot change.")
        _check_group_permissions(current.kind, permissions)
        return _replace(current, {"name": name, "permissions": sorted(set(permissions))})

    return apply_change(
        expected,
        lambda: groups.get(principal.tenant, group_id),
        change,
        lambda before, after: groups.replace(principal.tenant, after),
    )


def delete_group(principal: Principal, group_id: str, expected: int | None) -> None:
    principal.require_staff(P.TENANT_ADMIN)
    current = groups.get(principal.tenant, group_id)
    if current.builtin:
        raise ForbiddenError("Built-in security groups cannot be deleted.")
    if expected is not None and expected != current.version:
        raise VersionMismatchError()
    groups.delete(principal.tenant, current)


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


def _check_customer_refs(
    tenant: str, customer_id: str, parent_id: str | None, sales_rep_id: str | None, price_list_id: str | None = None
) -> None:
    if price_list_id is not None and prices.find_list(tenant, price_list_id) is None:
        raise invalid_field("price_list_id", "No price list has this id.")
    if sales_rep_id is not None:
        rep = users.find(tenant, sales_rep_id)
        if rep is None or rep.kind != UserKind.STAFF:
            raise invalid_field("sales_rep_id", "No staff user has this id.")
    seen = {customer_id}
    current = parent_id
    for _ in range(MAX_CUSTOMER_DEPTH):
        if current is None:
            return
        if current in seen:
            raise invalid_field("parent_id", "A customer cannot be its own ancestor.")
        seen.add(current)
        try:
            current = customers.get(tenant, current).parent_id
        except NotFoundError:
            raise invalid_field("parent_id", "No customer has this id.") from None
    raise invalid_field("parent_id", f"Customer hierarchies are at most {MAX_CUSTOMER_DEPTH} levels deep.")


def create_customer(principal: Principal, data: dict[str, Any]) -> Customer:
    principal.require_staff(P.CUSTOMERS_MANAGE)
    customer = Customer(id=new_id(), **{**data, "addresses": _addresses(data.get("addresses", []))})
    _check_customer_refs(
        principal.tenant, customer.id, customer.parent_id, customer.sales_rep_id, customer.price_list_id
    )
    return customers.create(principal.tenant, customer)


def update_customer(principal: Principal, customer_id: str, changes: dict[str, Any], expected: int | None) -> Customer:
    principal.require_staff(P.CUSTOMERS_MANAGE)
    if "addresses" in changes:
        changes["addresses"] = _addresses(changes["addresses"])

    def change(current: Customer) -> Customer:
        after: Customer = _replace(current, changes)
        if "parent_id" in changes or "sales_rep_id" in changes:
            _check_customer_refs(principal.tenant, customer_id, after.parent_id, after.sales_rep_id)
        if changes.get("price_list_id") is not None:
            _check_customer_refs(principal.tenant, customer_id, None, None, after.price_list_id)
        return after

    return apply_change(
        expected,
        lambda: customers.get(principal.tenant, customer_id),
        change,
        lambda before, after: customers.update(principal.tenant, before, after),
    )


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

    def _in_org(self, principal: Principal, user: User) -> bool:
        return user.kind == UserKind.CUSTOMER and set(user.customer_ids) <= set(principal.customer_ids)

    def list(self, principal: Principal, limit: int, cursor: str | None, customer_id: str | None) -> Page[User]:
        self._require_manager(principal)
        if self._is_org_manager(principal):
            customer_id = customer_id or principal.customer_ids[0]
            principal.check_customer_visible(customer_id)
        if customer_id:
            return users.list_of_customer(principal.tenant, customer_id, limit, cursor)
        return users.list_page(principal.tenant, limit, cursor)

    def get(self, principal: Principal, user_id: str) -> User:
        self._require_manager(principal)
        user = users.get(principal.tenant, user_id)
        if self._is_admin(principal) or self._in_org(principal, user):
            return user
        raise NotFoundError("user")

    def _validate(self, principal: Principal, user: User) -> None:
        tenant = principal.tenant
        if user.kind == UserKind.CUSTOMER and not user.customer_ids:
            raise invalid_field("customer_ids", "A customer user needs at least one customer.")
        if user.kind == UserKind.STAFF and (user.customer_ids or user.site_ids):
            raise invalid_field("customer_ids", "Staff users are not tied to customers or sites.")
        held = {g.id: g for g in groups.get_many(tenant, user.security_group_ids)}
        for i, gid in enumerate(user.security_group_ids):
            if gid not in held:
                raise invalid_field(f"security_group_ids[{i}]", "No security group has this id.")
            if held[gid].kind != user.kind:
                raise invalid_field(f"security_group_ids[{i}]", f"This group is not for {user.kind.value} users.")
        found_customers = {c.id for c in customers.get_many(tenant, user.customer_ids)}
        for i, cid in enumerate(user.customer_ids):
            if cid not in found_customers:
                raise invalid_field(f"customer_ids[{i}]", "No customer has this id.")
        found_sites = {s.id for s in sites.get_many(tenant, user.site_ids)}
        for i, sid in enumerate(user.site_ids):
            if sid not in found_sites:
                raise invalid_field(f"site_ids[{i}]", "No site has this id.")
        if self._is_org_manager(principal):
            if user.kind != UserKind.CUSTOMER or not self._in_org(principal, user):
                raise ForbiddenError("You may only manage users of your own organisation.")
            granted = {p for g in held.values() for p in g.permissions}
            if not granted <= principal.permissions:
                raise ForbiddenError("You cannot grant permissions you do not hold.")
            if user.site_ids and principal.site_ids and not set(user.site_ids) <= set(principal.site_ids):
                raise ForbiddenError("You cannot grant sites you may not use.")

    def create(self, principal: Principal, data: dict[str, Any]) -> User:
        self._require_manager(principal)
        password = data.pop("password")
        user = User(id=new_id(), **{**data, "kind": UserKind(data["kind"])})
        self._validate(principal, user)
        user.password_hash = self._passwords.hash(password)
        return users.create(principal.tenant, user)

    def update(self, principal: Principal, user_id: str, changes: dict[str, Any], expected: int | None) -> User:
        password = changes.pop("password", None)
        password_hash = self._passwords.hash(password) if password is not None else None

        def change(current: User) -> User:
            after: User = _replace(current, changes)
            self._validate(principal, after)
            if password_hash is not None:
                after.password_hash = password_hash
            return after

        return apply_change(
            expected,
            lambda: self.get(principal, user_id),
            change,
            lambda before, after: users.update(principal.tenant, before, after),
        )
