"""Delegation (API.md "Approval reminders, escalation and delegation"): an approver away names a delegate
for a period; the delegate receives the approval e-mails and decides through their links as the approver
could, on the approver's behalf; nobody approves their own order, delegate or not."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.bootstrap import get_services
from devstack.fakes import FakeEmailSender
from tests.functional.conftest import USER_PASSWORD, Api, create_customer, create_user
from tests.functional.order_world import World
from tests.functional.test_action_links import JSON, token_of
from tests.stream_tap import StreamTap, run

TODAY = datetime.now(UTC).date()
PERIOD = {"starts_on": (TODAY - timedelta(days=1)).isoformat(), "ends_on": (TODAY + timedelta(days=7)).isoformat()}


@pytest.fixture
def deputy(world: World) -> dict[str, Any]:
    """A buyer of the same customer, without approval rights of their own."""
    return create_user(world.admin, "deputy", ["customer-buyers"], customer_ids=[world.customer["id"]])


def test_an_approver_names_reads_and_ends_a_delegation(world: World, deputy: dict[str, Any]) -> None:
    boss = world.approver
    assert boss.get("/me/delegation").status_code == 404
    r = boss.put("/me/delegation", {"delegate_id": deputy["id"], **PERIOD})
    assert r.status_code == 200, r.body
    assert r.json == {"delegate_id": deputy["id"], **PERIOD}
    assert boss.get("/me/delegation").json == r.json
    later = {**PERIOD, "ends_on": (TODAY + timedelta(days=14)).isoformat()}
    assert boss.put("/me/delegation", {"delegate_id": deputy["id"], **later}).json["ends_on"] == later["ends_on"]
    assert boss.delete("/me/delegation").status_code == 204
    assert boss.get("/me/delegation").status_code == 404
    assert boss.delete("/me/delegation").status_code == 404


def test_only_approvers_delegate(world: World, deputy: dict[str, Any]) -> None:
    body = {"delegate_id": deputy["id"], **PERIOD}
    assert world.buyer.put("/me/delegation", body).status_code == 403
    assert world.rep.put("/me/delegation", body).status_code == 403
    assert world.anon.put("/me/delegation", body).status_code == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"delegate_id": "self"}, "delegate_id"),
        ({"delegate_id": "stranger"}, "delegate_id"),
        ({"delegate_id": "rep"}, "delegate_id"),
        ({"delegate_id": "nobody"}, "delegate_id"),
        ({"ends_on": (TODAY - timedelta(days=2)).isoformat()}, "ends_on"),
        ({"starts_on": "2026-13-01"}, "starts_on"),
    ],
)
def test_a_delegate_is_an_active_user_of_the_same_customers(
    world: World, deputy: dict[str, Any], change: dict[str, str], field: str
) -> None:
    other = create_customer(world.admin, "C-900")
    stranger = create_user(world.admin, "stranger", ["customer-buyers"], customer_ids=[other["id"]])
    names = {"self": world.ids["approver"], "stranger": stranger["id"], "rep": world.ids["rep"], "nobody": "nobody"}
    body = {"delegate_id": deputy["id"], **PERIOD, **change}
    body["delegate_id"] = names.get(body["delegate_id"], body["delegate_id"])
    r = world.approver.put("/me/delegation", body)
    assert r.status_code == 422, r.body
    assert r.json["error"]["details"][0]["field"] == field
    assert world.approver.get("/me/delegation").status_code == 404


class Inbox:
    def __init__(self, world: World) -> None:
        r = world.admin.patch(f"/customers/{world.customer['id']}", {"approval_policy": "always"})
        assert r.status_code == 200, r.body
        self.outbox = FakeEmailSender()
        get_services().email_sender = self.outbox
        self.tap = StreamTap()
        self.tap.drain()

    def approval_mails(self) -> dict[str, Any]:
        before = len(self.outbox.sent)
        assert run(self.tap.event()) == {"batchItemFailures": []}
        return {m.to: m for m in self.outbox.sent[before:] if m.dedupe_key.startswith("approval_needed")}


def submit(world: World, api: Api | None = None) -> dict[str, Any]:
    o = world.order(api)
    r = (api or world.buyer).post(f"/orders/{o['id']}/submit")
    assert r.json["status"] == "pending_approval", r.body
    return dict(r.json)


def test_the_delegate_gets_the_approval_email_and_approves_on_the_approver_s_behalf(
    world: World, deputy: dict[str, Any]
) -> None:
    assert world.approver.put("/me/delegation", {"delegate_id": deputy["id"], **PERIOD}).status_code == 200
    inbox = Inbox(world)
    order = submit(world)
    mails = inbox.approval_mails()
    assert set(mails) == {"boss@example.test", "deputy@example.test"}

    r = world.anon.post(f"/actions/{token_of(mails['deputy@example.test'])}", {"decision": "approve"}, headers=JSON)
    assert r.status_code == 200, r.body
    last = world.admin.get(f"/orders/{order['id']}").json["history"][-1]
    assert (last["action"], last["by"], last["by_name"], last["on_behalf_of"]) == (
        "approve",
        deputy["id"],
        "Deputy",
        world.ids["approver"],
    )


def test_no_email_to_the_delegate_outside_the_period(world: World, deputy: dict[str, Any]) -> None:
    future = {"starts_on": (TODAY + timedelta(days=3)).isoformat(), "ends_on": (TODAY + timedelta(days=5)).isoformat()}
    assert world.approver.put("/me/delegation", {"delegate_id": deputy["id"], **future}).status_code == 200
    inbox = Inbox(world)
    submit(world)
    assert set(inbox.approval_mails()) == {"boss@example.test"}


def test_an_ended_delegation_stops_the_delegate_s_link(world: World, deputy: dict[str, Any]) -> None:
    assert world.approver.put("/me/delegation", {"delegate_id": deputy["id"], **PERIOD}).status_code == 200
    inbox = Inbox(world)
    order = submit(world)
    token = token_of(inbox.approval_mails()["deputy@example.test"])
    assert world.approver.delete("/me/delegation").status_code == 204
    r = world.anon.post(f"/actions/{token}", {"decision": "approve"}, headers=JSON)
    assert r.status_code == 403
    assert world.admin.get(f"/orders/{order['id']}").json["status"] == "pending_approval"


def test_nobody_approves_their_own_order_delegate_or_not(world: World, deputy: dict[str, Any]) -> None:
    """The deputy submits an order while standing in for the boss: they get no link for it, and a link
    issued to them on the boss's behalf all the same refuses."""
    assert world.approver.put("/me/delegation", {"delegate_id": deputy["id"], **PERIOD}).status_code == 200
    inbox = Inbox(world)
    deputy_api = world.anon.login("acme", "deputy", USER_PASSWORD, "C-100")
    order = submit(world, deputy_api)
    assert set(inbox.approval_mails()) == {"boss@example.test"}  # not the deputy, who submitted it

    token = get_services().action_links.issue(
        "acme", order["id"], deputy["id"], order["version"], on_behalf_of=world.ids["approver"]
    )
    r = world.anon.post(f"/actions/{token}", {"decision": "approve"}, headers=JSON)
    assert r.status_code == 409 and r.json["error"]["code"] == "invalid_transition"
    assert world.admin.get(f"/orders/{order['id']}").json["status"] == "pending_approval"


def listed(api: Api, query: str = "") -> set[str]:
    r = api.get(f"/orders?limit=100{'&' + query if query else ''}")
    assert r.status_code == 200, r.body
    assert r.json["next_cursor"] is None
    return {o["id"] for o in r.json["items"]}


def test_naming_another_delegate_moves_the_orders_to_their_list(world: World, deputy: dict[str, Any]) -> None:
    second = create_user(world.admin, "second", ["customer-buyers"], customer_ids=[world.customer["id"]])
    Inbox(world)  # approval always
    order = submit(world)["id"]
    first_api = world.anon.login("acme", "deputy", USER_PASSWORD, "C-100")
    second_api = world.anon.login("acme", "second", USER_PASSWORD, "C-100")
    assert world.approver.put("/me/delegation", {"delegate_id": deputy["id"], **PERIOD}).status_code == 200
    assert (listed(first_api), listed(second_api)) == ({order}, set())
    assert world.approver.put("/me/delegation", {"delegate_id": second["id"], **PERIOD}).status_code == 200
    assert (listed(first_api), listed(second_api)) == (set(), {order})
    assert first_api.get(f"/orders/{order}").status_code == 404
    assert second_api.get(f"/orders/{order}").status_code == 200
    assert world.approver.delete("/me/delegation").status_code == 204
    assert (listed(first_api), listed(second_api)) == (set(), set())


def test_two_approvers_naming_one_delegate_at_once_are_both_covered(world: World, deputy: dict[str, Any]) -> None:
    """Each delegation writes the delegate's covers conditionally on what it read: a writer that lost the race
    reads again, so neither approver's cover is lost."""
    other = create_customer(world.admin, "C-700", approval_policy="always")
    create_user(world.admin, "boss2", ["customer-approvers"], customer_ids=[world.customer["id"], other["id"]])
    create_user(world.admin, "cook", ["customer-buyers"], customer_ids=[other["id"]])
    boss2 = world.anon.login("acme", "boss2", USER_PASSWORD, "C-100")
    cook = world.anon.login("acme", "cook", USER_PASSWORD, "C-700")
    Inbox(world)  # C-100: approval always
    waiting = {submit(world)["id"], submit(world, cook)["id"]}
    body = {"delegate_id": deputy["id"], **PERIOD}
    for _ in range(3):
        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(lambda api: api.put("/me/delegation", body).status_code, [world.approver, boss2]))
        assert answers == [200, 200]
        covered = world.anon.login("acme", "deputy", USER_PASSWORD, "C-100")
        assert listed(covered, "status=pending_approval") == waiting
        assert world.approver.delete("/me/delegation").status_code == 204
        assert boss2.delete("/me/delegation").status_code == 204
        assert listed(covered) == set()
