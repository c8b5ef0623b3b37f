"""Who belongs to the customers of an order's path, with which permissions: read from each customer's
members record (storage/members.py, created with the customer and kept by every user write) and the
security group index (storage/groups.py). Read every time: nothing is remembered between requests.
Whether someone may approve, accept or is told is the policy's to say (domain/authority.py); this module
only says who holds what.

Submit and the proposal actions decide from what their one BatchGet read (`holders` of a `found` read
of `read_keys`); the e-mails find their people from the same records (`users_with`).
"""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib.domain.authority import Person
from chalicelib.domain.model import User
from chalicelib.domain.permissions import Permission, UserKind
from chalicelib.storage import groups, keys, refs, users
from chalicelib.storage.refs import Key, Refs


def read_keys(tenant: str, path: Sequence[str]) -> list[Key]:
    """What `holders` decides from, for an action's one BatchGet: the path's members records and the
    security group index."""
    return [*(keys.customer_members(tenant, cid) for cid in path), keys.security_group_index(tenant)]


def holders(found: Refs, path: Sequence[str], permission: Permission) -> set[str]:
    """The ids of the active customer users of these customers holding `permission` through one of
    their groups, from a read of `read_keys`."""
    index = found.security_groups
    if index is None:
        return set()  # a tenant without groups: nobody holds anything
    wanted = permission.value
    return {
        uid
        for cid in path
        for uid, group_ids in (found.members.get(cid) or {}).items()
        if wanted in groups.permissions_of(index, UserKind.CUSTOMER, list(group_ids))
    }


def people(found: Refs, path: Sequence[str]) -> list[Person]:
    """The active customer users of these customers as the policy sees them (their permissions from their
    groups; of their customers, those on the path), from a read of `read_keys`. Names are not in the
    records: the caller reads the users it shows."""
    index = found.security_groups
    held: dict[str, tuple[frozenset[str], list[str]]] = {}
    for cid in path:
        for uid, group_ids in (found.members.get(cid) or {}).items():
            granted = groups.permissions_of(index, UserKind.CUSTOMER, list(group_ids)) if index else frozenset()
            perms, customers = held.get(uid, (frozenset(), []))
            held[uid] = (perms | granted, [*customers, cid])
    return [Person(uid, UserKind.CUSTOMER.value, perms, tuple(cids)) for uid, (perms, cids) in held.items()]


def users_with(tenant: str, customer_ids: Sequence[str], permission: Permission) -> list[User]:
    """Active users of these customers holding `permission` (whom the e-mails go to): one BatchGet of the
    customers' members records and the security group index, one of the users they name."""
    found = refs.load(tenant, extra=read_keys(tenant, customer_ids))
    named = sorted(holders(found, customer_ids, permission))
    return [u for u in users.get_many(tenant, named) if u.active] if named else []
