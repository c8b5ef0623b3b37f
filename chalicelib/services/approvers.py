"""Who approves a customer's orders: the active customer users holding `orders.approve` whose
customers include the order's customer or one of its ancestors (PRODUCT.md). Also used to find
who to e-mail.

A submit that needs approval must know that somebody can approve (else it is refused, no_approver),
not who. The process remembers one approver per customer it has found (the user and the group that
gives them the permission); a submit may rely on that copy if its write checks the user still is an
active approver of that customer through that group (storage/orders.py `approver_unchanged` and
`approving_group_unchanged`). A refusal
is always decided on reads.
"""

from __future__ import annotations

from chalicelib.domain.model import Customer, User
from chalicelib.domain.permissions import Permission
from chalicelib.storage import customers, groups, users
from chalicelib.storage.orders import approver_unchanged, approving_group_unchanged
from chalicelib.storage.table import Check

MAX_DEPTH = 20
MAX_USERS_PER_CUSTOMER = 100
MAX_REMEMBERED = 10_000

# (tenant, customer id) → (user id, group id): an approver of that customer, as last found here.
_known: dict[tuple[str, str], tuple[str, str]] = {}


def forget() -> None:
    _known.clear()


def remember(tenant: str, customer_ids: list[str], user_id: str, group_id: str) -> None:
    """An approver of these customers, seen elsewhere (a login): a hint for `anyone_approves`."""
    if len(_known) > MAX_REMEMBERED:
        _known.clear()
    for cid in customer_ids:
        _known[(tenant, cid)] = (user_id, group_id)


def customer_path(tenant: str, customer: Customer) -> list[str]:
    """The customer and its ancestors, nearest first."""
    path = [customer.id]
    parent = customer.parent_id
    while parent and parent not in path and len(path) < MAX_DEPTH:
        path.append(parent)
        parent = customers.get(tenant, parent).parent_id
    return path


def _holders(tenant: str, customer_ids: list[str], permission: Permission) -> list[tuple[User, str]]:
    """Active users of these customers holding `permission`, each with a group that gives it to them:
    one Query per customer for its users' login guards, then one BatchGet for all of the users and one
    for their groups."""
    owner_ids: list[str] = []
    for cid in customer_ids:
        owner_ids += users.user_ids_of_customer(tenant, cid, MAX_USERS_PER_CUSTOMER)
    found = {u.id: u for u in users.get_many(tenant, list(dict.fromkeys(owner_ids))) if u.active}
    group_ids = sorted({g for u in found.values() for g in u.security_group_ids})
    perms_of_group = {g.id: set(g.permissions) for g in groups.get_many(tenant, group_ids)}
    out: list[tuple[User, str]] = []
    for u in found.values():
        giving = [g for g in u.security_group_ids if permission.value in perms_of_group.get(g, set())]
        if giving:
            out.append((u, giving[0]))
    return out


def users_with(tenant: str, customer_ids: list[str], permission: Permission) -> list[User]:
    return [u for u, _ in _holders(tenant, customer_ids, permission)]


def approvers(tenant: str, path: list[str]) -> list[User]:
    return users_with(tenant, path, Permission.ORDERS_APPROVE)


def anyone_approves(
    tenant: str, path: list[str], *, checks: list[Check] | None = None, besides: str | None = None
) -> bool:
    """Whether the order's customer or a parent has an approver: nearest first, stopping at the first
    customer that has one (usually the order's own). With `checks`, a "yes" may rest on an approver
    remembered from earlier (never `besides`, the caller): the checks that verify it are appended, and
    the caller's write must carry it (a failed one raises StaleError("approver"))."""
    if checks is not None:
        for cid in path:
            hint = _known.get((tenant, cid))
            if hint is not None and hint[0] != besides:
                checks += [approver_unchanged(tenant, cid, *hint), approving_group_unchanged(tenant, hint[1])]
                return True
    for cid in path:
        holders = _holders(tenant, [cid], Permission.ORDERS_APPROVE)
        others = [(u, g) for u, g in holders if u.id != besides]
        if others:
            remember(tenant, [cid], others[0][0].id, others[0][1])
        else:
            _known.pop((tenant, cid), None)
        if holders:
            return True
    return False
