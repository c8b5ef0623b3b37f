"""A submit that needs approval asks whether anyone else approves for the order's customer or a parent
(API.md: 409 no_approver, the submitter never counts). It is answered from the customers' members records
and the security group index, read in the submit's one BatchGet (storage/members.py): 3 round trips, the
same in a fresh process, and true after every user and group write that can change the answer."""

from __future__ import annotations

from typing import Any

from chalicelib.storage import keys
from chalicelib.storage.items import CustomerMembersItem
from tests.functional.conftest import USER_PASSWORD, Api, create_customer, create_user
from tests.functional.order_world import World
from tests.functional.test_round_trips_and_copies import counted, ops

ONE_EACH = {"Query": 1, "BatchGetItem": 1, "TransactWriteItems": 1}


def lonely(world: World, number: str) -> tuple[dict[str, Any], Api]:
    """A customer whose orders always need approval, with one buyer and nobody to approve."""
    customer = create_customer(world.admin, number, approval_policy="always")
    create_user(world.admin, f"solo{number.lower()}", ["customer-buyers"], customer_ids=[customer["id"]])
    return customer, world.anon.login("acme", f"solo{number.lower()}", USER_PASSWORD, number)


def submitted(world: World, api: Api) -> str:
    """What submitting a new order answers: its status, or the error's code."""
    o = world.order(api=api)
    r = api.post(f"/orders/{o['id']}/submit")
    return str(r.json["status"]) if r.status_code == 200 else str(r.json["error"]["code"])


def record(customer_id: str) -> dict[str, list[str]] | None:
    try:
        item = CustomerMembersItem.get(*keys.customer_members("acme", customer_id))
    except CustomerMembersItem.DoesNotExist:
        return None
    return {uid: list(groups) for uid, groups in item.members.attribute_values.items()}


def test_a_submit_that_needs_approval_is_one_query_one_batch_read_and_one_transaction(world: World) -> None:
    world.admin.patch(f"/customers/{world.customer['id']}", {"approval_policy": "always"})
    o = world.order()
    r, tally = counted(lambda: world.buyer.post(f"/orders/{o['id']}/submit"))
    assert r.json["status"] == "pending_approval", r.body
    assert ops(tally) == ONE_EACH  # the order; customer, caller, month, members, group index; the write

    # Refused: nobody else approves, and nothing is written.
    _, solo = lonely(world, "C-200")
    o = world.order(api=solo)
    r, tally = counted(lambda: solo.post(f"/orders/{o['id']}/submit"))
    assert (r.status_code, r.json["error"]["code"]) == (409, "no_approver")
    assert ops(tally) == {"Query": 1, "BatchGetItem": 1}

    # A branch whose approver is at its parent: every customer of the path is read in the same BatchGet.
    branch = create_customer(world.admin, "C-101", parent_id=world.customer["id"], approval_policy="always")
    create_user(world.admin, "cook", ["customer-buyers"], customer_ids=[branch["id"]])
    cook = world.anon.login("acme", "cook", USER_PASSWORD, "C-101")
    o = world.order(api=cook)
    r, tally = counted(lambda: cook.post(f"/orders/{o['id']}/submit"))
    assert r.json["status"] == "pending_approval", r.body
    assert ops(tally) == ONE_EACH

    # Nothing is remembered: the same request in a "fresh process" costs the same.
    from chalicelib import bootstrap

    services = bootstrap.get_services()
    bootstrap.reset()
    bootstrap.set_services(services)
    o = world.order()
    r, tally = counted(lambda: world.buyer.post(f"/orders/{o['id']}/submit"))
    assert r.json["status"] == "pending_approval" and ops(tally) == ONE_EACH


def test_who_approves_follows_every_user_and_group_write(world: World) -> None:
    customer, solo = lonely(world, "C-200")
    admin = world.admin
    assert submitted(world, solo) == "no_approver"
    boss = create_user(admin, "boss2", ["customer-approvers"], customer_ids=[customer["id"]])
    assert submitted(world, solo) == "pending_approval"  # added

    def patch(changes: dict[str, Any]) -> None:
        r = admin.patch(f"/users/{boss['id']}", changes)
        assert r.status_code == 200, r.body

    patch({"status": "inactive"})
    assert submitted(world, solo) == "no_approver"  # deactivated
    patch({"status": "active"})
    assert submitted(world, solo) == "pending_approval"  # active again
    patch({"customer_ids": [world.customer["id"]]})
    assert submitted(world, solo) == "no_approver"  # moved to another customer
    patch({"customer_ids": [world.customer["id"], customer["id"]]})
    assert submitted(world, solo) == "pending_approval"  # back, beside the other
    patch({"security_group_ids": ["customer-buyers"]})
    assert submitted(world, solo) == "no_approver"  # no longer in a group that approves

    # A custom group: editing its permissions changes the answer with no user write.
    r = admin.post("/security-groups", {"name": "Signers", "kind": "customer", "permissions": ["orders.approve"]})
    assert r.status_code == 201, r.body
    gid = r.json["id"]
    patch({"security_group_ids": ["customer-buyers", gid]})
    assert submitted(world, solo) == "pending_approval"

    def permit(*permissions: str) -> None:
        r = admin.put(f"/security-groups/{gid}", {"name": "Signers", "permissions": list(permissions)})
        assert r.status_code == 200, r.body

    permit()
    assert submitted(world, solo) == "no_approver"  # the group lost orders.approve
    permit("orders.approve")
    assert submitted(world, solo) == "pending_approval"

    # The record holds exactly the active users of the customer, with their groups.
    assert record(customer["id"]) == {
        solo_id(admin, customer["id"]): ["customer-buyers"],
        boss["id"]: sorted(["customer-buyers", gid]),
    }


def solo_id(admin: Api, customer_id: str) -> str:
    found = admin.get(f"/users?customer_id={customer_id}").json["items"]
    return next(u["id"] for u in found if u["username"].startswith("solo"))


def test_an_approver_of_another_customer_does_not_count(world: World) -> None:
    customer, solo = lonely(world, "C-200")
    create_user(world.admin, "elsewhere", ["customer-approvers"], customer_ids=[world.customer["id"]])
    assert submitted(world, solo) == "no_approver"
    assert len(record(customer["id"]) or {}) == 1  # the buyer alone


def test_the_approval_emails_find_their_approvers_from_the_same_records(world: World) -> None:
    from chalicelib.domain.permissions import Permission
    from chalicelib.storage import approvers

    def whom(path: list[str]) -> tuple[set[str], dict[str, int]]:
        found, tally = counted(lambda: approvers.users_with("acme", path, Permission.ORDERS_APPROVE))
        return {u.username for u in found}, ops(tally)

    branch = create_customer(world.admin, "C-101", parent_id=world.customer["id"])
    create_user(world.admin, "sous", ["customer-approvers"], customer_ids=[branch["id"]])
    create_user(world.admin, "cook", ["customer-buyers"], customer_ids=[branch["id"]])
    path = [branch["id"], world.customer["id"]]
    # The records and the group index in one BatchGet, the approvers they name in another: no Query.
    assert whom(path) == ({"sous", "boss"}, {"BatchGetItem": 2})

    off = create_user(world.admin, "away", ["customer-approvers"], customer_ids=[branch["id"]])
    world.admin.patch(f"/users/{off['id']}", {"status": "inactive"})
    assert whom(path)[0] == {"sous", "boss"}
