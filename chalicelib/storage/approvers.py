"""Who approves a customer's orders: the active customer users holding `orders.approve` whose
customers include the order's customer or one of its ancestors (PRODUCT.md). Used by submit (is there
anyone?) and to find who to e-mail. Read every time: nothing is remembered between requests.

Submit decides from what its one BatchGet read (`anyone_approves` with `found`): each path customer's
members record (storage/members.py) and the security group index (storage/groups.py). Only a customer
written before members records existed (or a tenant without a group index) is looked up as before: a
Query of its users' login guards, a BatchGet of the users, a BatchGet of their groups. The e-mails find
their approvers from the same records (`users_with`).
"""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib.domain.model import Customer, User
from chalicelib.domain.permissions import Permission, UserKind
from chalicelib.storage import customers, groups, keys, refs, users
from chalicelib.storage.members import Members
from chalicelib.storage.refs import Key, Refs

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
    """Active users of these customers holding `permission` (whom the e-mails go to): one BatchGet of the
    customers' members records and the security group index, one of the users they name. A customer
    without a record (written before records existed) is looked up as `_holders` does."""
    found = refs.load(tenant, extra=read_keys(tenant, customer_ids))
    index = found.security_groups
    named: list[str] = []
    legacy: list[str] = []
    for cid in customer_ids:
        record = found.members.get(cid)
        if record is None or index is None:
            legacy.append(cid)
            continue
        named += [uid for uid, gids in record.items() if permission.value in _granted(index, gids)]
    out = [u for u in users.get_many(tenant, list(dict.fromkeys(named))) if u.active] if named else []
    seen = {u.id for u in out}
    out += [u for u, _ in _holders(tenant, legacy, permission) if u.id not in seen] if legacy else []
    return out


def _granted(index: groups.GroupIndex, group_ids: Sequence[str]) -> frozenset[str]:
    return groups.permissions_of(index, UserKind.CUSTOMER, list(group_ids))


def approvers(tenant: str, path: list[str]) -> list[User]:
    return users_with(tenant, path, Permission.ORDERS_APPROVE)


def read_keys(tenant: str, path: list[str]) -> list[Key]:
    """What `anyone_approves` decides from, for the action's one BatchGet: the path's members records and
    the security group index."""
    return [*(keys.customer_members(tenant, cid) for cid in path), keys.security_group_index(tenant)]


def approves_in(members: Members, index: groups.GroupIndex, besides: str | None) -> bool:
    """Whether a member other than `besides` holds orders.approve through one of their groups."""
    wanted = Permission.ORDERS_APPROVE.value
    return any(uid != besides and wanted in _granted(index, group_ids) for uid, group_ids in members.items())


def anyone_approves(tenant: str, path: list[str], *, besides: str | None = None, found: Refs | None = None) -> bool:
    """Whether someone other than `besides` (the submitter) approves for the order's customer or a
    parent: nearest first, stopping at the first customer that has one (usually the order's own). With
    `found` (a read of `read_keys`), a customer whose members record was read costs no more reads."""
    index = found.security_groups if found is not None else None

    def someone(cid: str) -> bool:
        record = found.members.get(cid) if found is not None else None
        if record is not None and index is not None:
            return approves_in(record, index, besides)
        # A customer written before its record existed: look its users up (lazily: nearest first).
        return any(u.id != besides for u, _ in _holders(tenant, [cid], Permission.ORDERS_APPROVE))

    return any(someone(cid) for cid in path)
