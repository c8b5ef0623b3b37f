"""Who approves a customer's orders: the active customer users holding `orders.approve` whose
customers include the order's customer or one of its ancestors (PRODUCT.md). Also used to find
who to e-mail."""

from __future__ import annotations

from chalicelib.domain.model import Customer, User
from chalicelib.domain.permissions import Permission
from chalicelib.storage import customers, groups, users

MAX_DEPTH = 20
MAX_USERS_PER_CUSTOMER = 100


def customer_path(tenant: str, customer: Customer) -> list[str]:
    """The customer and its ancestors, nearest first."""
    path = [customer.id]
    parent = customer.parent_id
    while parent and parent not in path and len(path) < MAX_DEPTH:
        path.append(parent)
        parent = customers.get(tenant, parent).parent_id
    return path


def users_with(tenant: str, customer_ids: list[str], permission: Permission) -> list[User]:
    """Active users of these customers holding `permission`: one Query per customer for its users'
    login guards, then one BatchGet for all of the users and one for their groups."""
    owner_ids: list[str] = []
    for cid in customer_ids:
        owner_ids += users.user_ids_of_customer(tenant, cid, MAX_USERS_PER_CUSTOMER)
    found = {u.id: u for u in users.get_many(tenant, list(dict.fromkeys(owner_ids))) if u.active}
    group_ids = sorted({g for u in found.values() for g in u.security_group_ids})
    perms_of_group = {g.id: set(g.permissions) for g in groups.get_many(tenant, group_ids)}
    return [
        u for u in found.values() if any(permission.value in perms_of_group.get(g, set()) for g in u.security_group_ids)
    ]


def approvers(tenant: str, path: list[str]) -> list[User]:
    return users_with(tenant, path, Permission.ORDERS_APPROVE)


def anyone_approves(tenant: str, path: list[str]) -> bool:
    """Whether the order's customer or a parent has an approver: nearest first, stopping at the first
    customer that has one (usually the order's own)."""
    return any(users_with(tenant, [cid], Permission.ORDERS_APPROVE) for cid in path)
