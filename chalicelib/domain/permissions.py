"""Permissions and the built-in security groups of PRODUCT.md, as data."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class UserKind(StrEnum):
    STAFF = "staff"
    CUSTOMER = "customer"


class Permission(StrEnum):
    TENANT_ADMIN = "tenant.admin"
    CUSTOMERS_MANAGE = "customers.manage"
    CATALOG_MANAGE = "catalog.manage"
    PRICES_MANAGE = "prices.manage"
    ORDERS_READ_ALL = "orders.read_all"
    ORDERS_CREATE_ON_BEHALF = "orders.create_on_behalf"
    ORDERS_REVIEW = "orders.review"
    ORDERS_FULFIL = "orders.fulfil"
    ORDERS_PLACE = "orders.place"
    ORDERS_APPROVE = "orders.approve"
    ORDERS_VIEW_ORG = "orders.view_org"
    ORG_MANAGE = "org.manage"


PERMISSION_KIND: dict[Permission, UserKind] = {
    Permission.TENANT_ADMIN: UserKind.STAFF,
    Permission.CUSTOMERS_MANAGE: UserKind.STAFF,
    Permission.CATALOG_MANAGE: UserKind.STAFF,
    Permission.PRICES_MANAGE: UserKind.STAFF,
    Permission.ORDERS_READ_ALL: UserKind.STAFF,
    Permission.ORDERS_CREATE_ON_BEHALF: UserKind.STAFF,
    Permission.ORDERS_REVIEW: UserKind.STAFF,
    Permission.ORDERS_FULFIL: UserKind.STAFF,
    Permission.ORDERS_PLACE: UserKind.CUSTOMER,
    Permission.ORDERS_APPROVE: UserKind.CUSTOMER,
    Permission.ORDERS_VIEW_ORG: UserKind.CUSTOMER,
    Permission.ORG_MANAGE: UserKind.CUSTOMER,
}


def permissions_of_kind(kind: UserKind) -> frozenset[Permission]:
    return frozenset(p for p, k in PERMISSION_KIND.items() if k == kind)


@dataclass(frozen=True)
class BuiltinGroup:
    id: str
    name: str
    kind: UserKind
    permissions: frozenset[Permission]


P = Permission
BUILTIN_GROUPS: tuple[BuiltinGroup, ...] = (
    BuiltinGroup("administrators", "Administrators", UserKind.STAFF, permissions_of_kind(UserKind.STAFF)),
    BuiltinGroup("sales-reps", "Sales reps", UserKind.STAFF, frozenset({P.ORDERS_REVIEW, P.ORDERS_CREATE_ON_BEHALF})),
    BuiltinGroup(
        "order-desk", "Order desk", UserKind.STAFF, frozenset({P.ORDERS_READ_ALL, P.ORDERS_REVIEW, P.ORDERS_FULFIL})
    ),
    BuiltinGroup("customer-buyers", "Customer buyers", UserKind.CUSTOMER, frozenset({P.ORDERS_PLACE})),
    BuiltinGroup(
        "customer-approvers",
        "Customer approvers",
        UserKind.CUSTOMER,
        frozenset({P.ORDERS_PLACE, P.ORDERS_APPROVE, P.ORDERS_VIEW_ORG}),
    ),
    BuiltinGroup("customer-admins", "Customer admins", UserKind.CUSTOMER, permissions_of_kind(UserKind.CUSTOMER)),
)
