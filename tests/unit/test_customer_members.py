"""What a user write changes in its customers' members records (storage/members.py), and how submit
decides from a record and the security group index (storage/approvers.py): pure, no table."""

from __future__ import annotations

import dataclasses

import pytest

from chalicelib.domain.model import User
from chalicelib.domain.permissions import Permission, UserKind
from chalicelib.storage.approvers import holders
from chalicelib.storage.members import Move, moves
from chalicelib.storage.refs import Refs

BUYERS, APPROVERS = ["customer-buyers"], ["customer-approvers"]
COOK = User("u1", UserKind.CUSTOMER, "cook", "Cook", "c@x.test", security_group_ids=BUYERS, customer_ids=["a"])


def as_(**changes: object) -> User:
    return dataclasses.replace(COOK, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (None, COOK, [Move("a", "u1", BUYERS)]),  # created
        (None, as_(status="inactive"), []),  # created inactive: in no record
        (COOK, as_(name="Chef", password_hash="x"), []),  # nothing that a record holds
        (COOK, as_(status="inactive"), [Move("a", "u1", None)]),  # deactivated
        (as_(status="inactive"), COOK, [Move("a", "u1", BUYERS)]),  # active again
        (COOK, as_(customer_ids=["b"]), [Move("a", "u1", None), Move("b", "u1", BUYERS)]),  # moved
        (COOK, as_(customer_ids=["a", "b"]), [Move("b", "u1", BUYERS)]),  # one more customer
        (COOK, as_(security_group_ids=APPROVERS), [Move("a", "u1", APPROVERS)]),  # other groups
        (COOK, None, [Move("a", "u1", None)]),  # gone
        (
            User("s1", UserKind.STAFF, "desk", "Desk", "d@x.test", security_group_ids=["order-desk"]),
            User("s1", UserKind.STAFF, "desk", "Desk", "d@x.test", security_group_ids=["administrators"]),
            [],
        ),  # staff: never a member
    ],
)
def test_a_user_write_moves_only_its_own_keys_that_changed(
    before: User | None, after: User | None, expected: list[Move]
) -> None:
    assert moves(before, after) == expected


def test_the_approvers_are_the_members_holding_orders_approve_through_a_customer_group() -> None:
    index = {
        "customer-buyers": (UserKind.CUSTOMER, frozenset({"orders.place"})),
        "customer-approvers": (UserKind.CUSTOMER, frozenset({"orders.approve"})),
        "odd": (UserKind.STAFF, frozenset({"orders.approve"})),  # not of the members' kind
    }
    found = Refs(members={"a": {"u1": BUYERS, "u2": APPROVERS}, "b": {"u3": ["odd", "deleted-group"]}})
    found.security_groups = index
    assert holders(found, ["a", "b"], Permission.ORDERS_APPROVE) == {"u2"}
    assert holders(found, ["b", "nobody"], Permission.ORDERS_APPROVE) == set()
