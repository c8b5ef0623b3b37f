"""Who belongs to a customer (keys.customer_members): one item per customer holding its active customer
users and their security group ids, so that submit decides "does anyone else approve?" from items it
reads in its one BatchGet (this record for each customer of the order's path, and the security group
index for what each group permits) instead of looking users and groups up.

Kept true by the writes themselves, never by a cache: the record is created (empty) in the customer's
create transaction, and every user write SETs or REMOVEs the user's own key of the records it changes,
in the user's transaction, conditional on the map existing (every customer has one from its creation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.model import User
from chalicelib.domain.permissions import UserKind
from chalicelib.storage import keys
from chalicelib.storage.items import BaseItem, CustomerMembersItem

# user id → the security group ids the user holds
Members = Mapping[str, Sequence[str]]


def new_record(tenant: str, customer_id: str) -> CustomerMembersItem:
    """The empty record of a new customer, put in the customer's create transaction."""
    return CustomerMembersItem(*keys.customer_members(tenant, customer_id), members={})


def customer_of(key: tuple[str, str]) -> str:
    return key[1].removeprefix(keys.CUSTOMER_MEMBERS)


def members_of(item: BaseItem | None) -> dict[str, list[str]] | None:
    """The record as read (None: not a record)."""
    if not isinstance(item, CustomerMembersItem):
        return None
    raw: dict[str, Any] = item.members.attribute_values if item.members is not None else {}
    return {uid: [str(g) for g in groups] for uid, groups in raw.items()}


def memberships(u: User | None) -> dict[str, list[str]]:
    """The records a user is in, with what it holds there: an active customer user is in each of its
    customers' (staff and inactive users are in none)."""
    if u is None or u.kind != UserKind.CUSTOMER or not u.active:
        return {}
    return {cid: sorted(u.security_group_ids) for cid in u.customer_ids}


@dataclass(frozen=True)
class Move:
    """One user's key in one customer's record: set to `groups`, or removed (None)."""

    customer_id: str
    user_id: str
    groups: list[str] | None


def moves(before: User | None, after: User | None) -> list[Move]:
    """What a user write changes in the records: only the keys that differ (a password or name change
    touches none)."""
    user = after or before
    if user is None:
        return []
    old, new = memberships(before), memberships(after)
    out: list[Move] = []
    for cid in sorted(old.keys() | new.keys()):
        if cid in new and old.get(cid) != new[cid]:
            out.append(Move(cid, user.id, new[cid]))
        elif cid not in new:
            out.append(Move(cid, user.id, None))
    return out


def add_moves(tx: Any, tenant: str, found: Sequence[Move]) -> None:
    """The moves as updates of `tx`, one per record, each conditional on the record's map existing (a
    nested SET fails on a missing map: a customer deleted meanwhile refuses the write)."""
    for move in found:
        path: Any = CustomerMembersItem.members[move.user_id]  # a document path (the stubs type it as the value)
        action = path.remove() if move.groups is None else path.set(move.groups)
        item = CustomerMembersItem(*keys.customer_members(tenant, move.customer_id))
        tx.update(item, actions=[action], condition=CustomerMembersItem.members.exists(), add_version_condition=False)
