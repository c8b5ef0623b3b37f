"""A delegate decides through the API too, not only through the e-mail links (API.md "Approval reminders,
escalation and delegation"): `POST /orders/{id}/approve|reject` with the delegate's own token and
`"on_behalf_of": <the approver's id>` acts as the approver, exactly as the delegate's link does (history `by`
the delegate, `on_behalf_of` the approver; the same e-mails), while the approver's delegation names them and
lasts. Anything else naming `on_behalf_of` is refused (403) and changes nothing. It costs the approver's own
decision plus one BatchGet: 3 round trips."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from chalicelib.auth.principal import Principal
from chalicelib.domain.errors import ForbiddenError
from chalicelib.domain.permissions import UserKind
from chalicelib.services.delegations import DelegationService
from tests.functional.conftest import USER_PASSWORD, Api, create_customer, create_user
from tests.functional.order_world import World
from tests.functional.test_action_link_decisions import ops
from tests.functional.test_action_links import JSON, token_of
from tests.functional.test_delegation import PERIOD, TODAY, Inbox, submit

Reply = Any


@pytest.fixture(autouse=True)
def every_order_waits(world: World) -> None:
    r = world.admin.patch(f"/customers/{world.customer['id']}", {"approval_policy": "always"})
    assert r.status_code == 200, r.body


@pytest.fixture
def deputy(world: World) -> dict[str, Any]:
    """A buyer of the same customer, without approval rights of their own."""
    return create_user(world.admin, "deputy", ["customer-buyers"], customer_ids=[world.customer["id"]])


@pytest.fixture
def deputy_api(world: World, deputy: dict[str, Any]) -> Api:
    return world.anon.login("acme", "deputy", USER_PASSWORD, "C-100")


def delegate(world: World, deputy: dict[str, Any], period: dict[str, str] = PERIOD) -> None:
    r = world.approver.put("/me/delegation", {"delegate_id": deputy["id"], **period})
    assert r.status_code == 200, r.body


def order_now(world: World, order_id: str) -> dict[str, Any]:
    return dict(world.admin.get(f"/orders/{order_id}").json)


def refused_and_unchanged(world: World, reply: Reply, order: dict[str, Any], status: int = 403) -> None:
    assert reply.status_code == status, reply.body
    now = order_now(world, order["id"])
    assert (now["status"], now["version"]) == ("pending_approval", order["version"])


def events(mails: list[Any]) -> set[tuple[str, str]]:
    return {(m.event, m.to) for m in mails}


# --- the decision ---------------------------------------------------------------------------------------
def test_a_delegate_approves_on_the_approver_s_behalf_with_their_own_token(
    world: World, deputy: dict[str, Any], deputy_api: Api
) -> None:
    delegate(world, deputy)
    inbox = Inbox(world)
    order = submit(world)
    inbox.approval_mails()

    r = deputy_api.post(f"/orders/{order['id']}/approve", {"on_behalf_of": world.ids["approver"]})
    assert r.status_code == 200, r.body
    assert r.json["status"] == "submitted"
    assert r.headers["ETag"] == f'"{r.json["version"]}"'
    last = order_now(world, order["id"])["history"][-1]
    assert (last["action"], last["by"], last["by_name"], last["on_behalf_of"]) == (
        "approve",
        deputy["id"],
        "Deputy",
        world.ids["approver"],
    )
    before = len(inbox.outbox.sent)
    inbox.approval_mails()  # runs the stream: the e-mails the decision sends
    delegate_mails = inbox.outbox.sent[before:]

    # The same e-mails as the approver's own approval of an order like it.
    other = submit(world)
    inbox.approval_mails()
    assert world.approver.post(f"/orders/{other['id']}/approve").status_code == 200
    before = len(inbox.outbox.sent)
    inbox.approval_mails()
    assert delegate_mails and events(delegate_mails) == events(inbox.outbox.sent[before:])


def test_a_delegate_rejects_with_a_reason_on_the_approver_s_behalf(
    world: World, deputy: dict[str, Any], deputy_api: Api
) -> None:
    delegate(world, deputy)
    order = submit(world)
    body = {"reason": "Not this month", "on_behalf_of": world.ids["approver"]}
    r = deputy_api.post(f"/orders/{order['id']}/reject", body)
    assert r.status_code == 200, r.body
    assert r.json["status"] == "draft"
    last = order_now(world, order["id"])["history"][-1]
    assert (last["action"], last["by"], last["on_behalf_of"], last["note"]) == (
        "reject",
        deputy["id"],
        world.ids["approver"],
        "Not this month",
    )


def test_the_api_and_the_link_make_the_same_decision(world: World, deputy: dict[str, Any], deputy_api: Api) -> None:
    """One order approved through the delegate's link, one through the API: the same history entry."""
    delegate(world, deputy)
    inbox = Inbox(world)
    by_link = submit(world)
    token = token_of(inbox.approval_mails()["deputy@example.test"])
    assert world.anon.post(f"/actions/{token}", {"decision": "approve"}, headers=JSON).status_code == 200
    by_api = submit(world)
    assert (
        deputy_api.post(f"/orders/{by_api['id']}/approve", {"on_behalf_of": world.ids["approver"]}).status_code == 200
    )
    keys = ("action", "by", "by_name", "on_behalf_of")
    entries = [{k: order_now(world, o["id"])["history"][-1][k] for k in keys} for o in (by_link, by_api)]
    assert entries[0] == entries[1]


def test_a_delegate_s_decision_is_one_batch_read_one_query_and_one_transaction(
    world: World, deputy: dict[str, Any], deputy_api: Api
) -> None:
    delegate(world, deputy)
    order = submit(world)
    body = {"on_behalf_of": world.ids["approver"]}
    r, counted = ops(lambda: deputy_api.post(f"/orders/{order['id']}/approve", body))
    assert r.status_code == 200, r.body
    assert counted == {"BatchGetItem": 1, "Query": 1, "TransactWriteItems": 1}
    order = submit(world)
    body = {"reason": "No", "on_behalf_of": world.ids["approver"]}
    r, counted = ops(lambda: deputy_api.post(f"/orders/{order['id']}/reject", body))
    assert r.status_code == 200, r.body
    assert counted == {"BatchGetItem": 1, "Query": 1, "TransactWriteItems": 1}
    # The approver's own decision: the order's Query and the transaction, which checks the caller's rights.
    order = submit(world)
    r, counted = ops(lambda: world.approver.post(f"/orders/{order['id']}/approve"))
    assert r.status_code == 200, r.body
    assert counted == {"Query": 1, "TransactWriteItems": 1}


# --- the refusals ---------------------------------------------------------------------------------------
def test_without_on_behalf_of_the_delegate_is_refused(world: World, deputy: dict[str, Any], deputy_api: Api) -> None:
    """A buyer may not approve: the delegate sees the order that waits on whom they cover (PRODUCT.md), so
    acting on it as themselves is a 403 (a visible thing they may not change); an invalid body changes
    nothing for a caller the route does not accept."""
    delegate(world, deputy)
    order = submit(world)
    assert deputy_api.get(f"/orders/{order['id']}").status_code == 200
    refused_and_unchanged(world, deputy_api.post(f"/orders/{order['id']}/approve"), order, 403)
    refused_and_unchanged(world, deputy_api.post(f"/orders/{order['id']}/reject", {"reason": "No"}), order, 403)
    refused_and_unchanged(world, deputy_api.post(f"/orders/{order['id']}/approve", {"lines": "x"}), order, 403)
    bad = {"on_behalf_of": "../x", "lines": "x"}  # not an id: names nobody
    refused_and_unchanged(world, deputy_api.post(f"/orders/{order['id']}/approve", bad), order, 403)


@pytest.mark.parametrize(
    "period",
    [
        {"starts_on": (TODAY + timedelta(days=1)).isoformat(), "ends_on": (TODAY + timedelta(days=5)).isoformat()},
        None,  # named, then ended (DELETE /me/delegation)
    ],
    ids=["not yet started", "ended"],
)
def test_outside_the_delegation_the_delegate_is_refused(
    world: World, deputy: dict[str, Any], deputy_api: Api, period: dict[str, str] | None
) -> None:
    delegate(world, deputy, period or PERIOD)
    if period is None:
        assert world.approver.delete("/me/delegation").status_code == 204
    order = submit(world)
    body = {"on_behalf_of": world.ids["approver"]}
    r = deputy_api.post(f"/orders/{order['id']}/approve", body)
    refused_and_unchanged(world, r, order)
    assert r.json["error"]["code"] == "forbidden" and "delegation" in r.json["error"]["message"]
    r = deputy_api.post(f"/orders/{order['id']}/reject", {"reason": "No", **body})
    refused_and_unchanged(world, r, order)


def test_the_last_day_counts_and_the_day_after_does_not(world: World, deputy: dict[str, Any]) -> None:
    """`ends_on` is included; the next day the delegate is refused (the service's clock moved)."""
    delegate(world, deputy)
    caller = Principal("acme", deputy["id"], UserKind.CUSTOMER, frozenset(), (world.customer["id"],))
    last_day = datetime.combine(TODAY + timedelta(days=7), time(23, 59), UTC)
    acting = DelegationService(lambda: last_day).acting_for(caller, world.ids["approver"])
    assert (acting.user_id, acting.on_behalf_of) == (deputy["id"], world.ids["approver"])
    with pytest.raises(ForbiddenError):
        DelegationService(lambda: last_day + timedelta(minutes=1)).acting_for(caller, world.ids["approver"])


def test_only_the_approver_whose_delegation_names_the_caller(
    world: World, deputy: dict[str, Any], deputy_api: Api
) -> None:
    """Another approver of the customer has named no delegate, or named someone else: refused."""
    other = create_user(world.admin, "other", ["customer-approvers"], customer_ids=[world.customer["id"]])
    delegate(world, deputy)
    order = submit(world)
    for named in (other["id"], world.ids["buyer"], "nobody", world.ids["rep"]):
        r = deputy_api.post(f"/orders/{order['id']}/approve", {"on_behalf_of": named})
        refused_and_unchanged(world, r, order)
    someone = world.anon.login("acme", "other", USER_PASSWORD, "C-100")
    r = someone.put("/me/delegation", {"delegate_id": world.ids["buyer"], **PERIOD})
    assert r.status_code == 200, r.body
    refused_and_unchanged(
        world, deputy_api.post(f"/orders/{order['id']}/approve", {"on_behalf_of": other["id"]}), order
    )


def test_nobody_acts_on_their_own_behalf(world: World, deputy: dict[str, Any], deputy_api: Api) -> None:
    delegate(world, deputy)
    order = submit(world)
    r = deputy_api.post(f"/orders/{order['id']}/approve", {"on_behalf_of": deputy["id"]})
    refused_and_unchanged(world, r, order)
    # an approver naming themselves is refused too, rather than silently acting as themselves
    r = world.approver.post(f"/orders/{order['id']}/approve", {"on_behalf_of": world.ids["approver"]})
    refused_and_unchanged(world, r, order)


def test_nobody_approves_their_own_order_delegate_or_not(world: World, deputy: dict[str, Any], deputy_api: Api) -> None:
    """As through the link: the domain refuses the submitter (409 invalid_transition), changing nothing."""
    delegate(world, deputy)
    order = submit(world, deputy_api)
    body = {"on_behalf_of": world.ids["approver"]}
    r = deputy_api.post(f"/orders/{order['id']}/approve", body)
    refused_and_unchanged(world, r, order, 409)
    assert r.json["error"]["code"] == "invalid_transition"
    r = deputy_api.post(f"/orders/{order['id']}/reject", {"reason": "No", **body})
    refused_and_unchanged(world, r, order, 409)


@pytest.mark.parametrize("change", ["deactivated", "no longer an approver"])
def test_an_approver_who_may_no_longer_approve_lends_nothing(
    world: World, deputy: dict[str, Any], deputy_api: Api, change: str
) -> None:
    delegate(world, deputy)
    order = submit(world)
    patch = {"status": "inactive"} if change == "deactivated" else {"security_group_ids": ["customer-buyers"]}
    assert world.admin.patch(f"/users/{world.ids['approver']}", patch).status_code == 200
    r = deputy_api.post(f"/orders/{order['id']}/approve", {"on_behalf_of": world.ids["approver"]})
    refused_and_unchanged(world, r, order)


def test_a_deactivated_delegate_is_refused(world: World, deputy: dict[str, Any], deputy_api: Api) -> None:
    """Their access token outlives the deactivation by minutes at most; the delegation read says no now."""
    delegate(world, deputy)
    order = submit(world)
    assert world.admin.patch(f"/users/{deputy['id']}", {"status": "inactive"}).status_code == 200
    r = deputy_api.post(f"/orders/{order['id']}/approve", {"on_behalf_of": world.ids["approver"]})
    assert r.status_code in (401, 403), r.body  # the token itself may be refused first
    refused_and_unchanged(world, r, order, r.status_code)


def test_staff_and_api_keys_may_not_name_on_behalf_of(world: World, deputy: dict[str, Any]) -> None:
    """No staff user or key holds orders.approve, and none stands in for an approver: 403, whatever the
    body (who may call a route is decided before its body is read)."""
    delegate(world, deputy)
    order = submit(world)
    made = world.admin.post("/api-keys", {"name": "ERP", "permissions": ["orders.read_all", "orders.review"]})
    assert made.status_code == 201, made.body
    key = world.anon.as_token(made.json["key"])
    for api in (world.admin, world.rep, world.desk, key):
        r = api.post(f"/orders/{order['id']}/approve", {"on_behalf_of": world.ids["approver"]})
        refused_and_unchanged(world, r, order)
        assert r.json["error"]["code"] == "forbidden"


def test_a_refused_on_behalf_of_says_nothing_of_the_order(world: World, deputy: dict[str, Any]) -> None:
    """The delegation is checked before the order is read: a caller of another customer, whom no delegation
    names, gets the same 403 for the approver's order as for an order that does not exist."""
    other = create_customer(world.admin, "C-900")
    create_user(world.admin, "far", ["customer-buyers"], customer_ids=[other["id"]])
    far = world.anon.login("acme", "far", USER_PASSWORD, "C-900")
    delegate(world, deputy)
    order = submit(world)
    body = {"on_behalf_of": world.ids["approver"]}
    r = far.post(f"/orders/{order['id']}/approve", body)
    refused_and_unchanged(world, r, order)
    missing = far.post("/orders/01NOSUCHORDER0000000000000/approve", body)
    assert (missing.status_code, missing.json) == (r.status_code, r.json)


def test_an_invalid_on_behalf_of_is_a_422_for_a_caller_the_route_accepts(world: World) -> None:
    order = submit(world)
    r = world.approver.post(f"/orders/{order['id']}/approve", {"on_behalf_of": "a" * 65})
    refused_and_unchanged(world, r, order, 422)
    assert r.json["error"]["details"][0]["field"] == "on_behalf_of"


def test_the_document_describes_on_behalf_of(world: World) -> None:
    doc = world.anon.get("/openapi.json").json
    schemas = doc["components"]["schemas"]
    for name in ("ApproveRequest", "RejectRequest"):
        assert "on_behalf_of" in schemas[name]["properties"], name


def test_an_idempotency_key_replays_the_delegate_s_decision(
    world: World, deputy: dict[str, Any], deputy_api: Api
) -> None:
    delegate(world, deputy)
    order = submit(world)
    body = {"on_behalf_of": world.ids["approver"]}
    key = {"Idempotency-Key": "approve-once"}
    first = deputy_api.post(f"/orders/{order['id']}/approve", body, headers=key)
    assert first.status_code == 200, first.body
    again = deputy_api.post(f"/orders/{order['id']}/approve", body, headers=key)
    assert (again.status_code, again.json) == (200, first.json)
    assert [h["action"] for h in order_now(world, order["id"])["history"]].count("approve") == 1
