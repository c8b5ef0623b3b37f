"""Deciding from an e-mail link (API.md "Acting from an e-mail"): what it costs, what two racing clicks do,
and links issued before tokens named their users.

The decision is 3 round trips: the link with its approver as they are now (user, group index; a delegate's
link adds the delegation and the delegate) in one BatchGet, the order's Query, and one transaction that
writes the decision and spends the link. The link is spent only with its decision: a click that loses a
race changes nothing and its page says why.
"""

from __future__ import annotations

import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bench.counting import Tally, storage_counter
from chalicelib.bootstrap import get_services
from chalicelib.domain.clock import iso
from chalicelib.domain.errors import OrderGateError
from chalicelib.services.action_links import Named, new_token, parse
from chalicelib.storage import action_links
from chalicelib.storage.action_links import ActionLink
from tests.functional.conftest import USER_PASSWORD, create_user
from tests.functional.order_world import World
from tests.functional.test_action_links import JSON, Inbox, decide, open_inbox, order_now, page, text, token_of

TODAY = datetime.now(UTC).date()
PERIOD = {"starts_on": (TODAY - timedelta(days=1)).isoformat(), "ends_on": (TODAY + timedelta(days=7)).isoformat()}


@pytest.fixture
def inbox(world: World) -> Inbox:
    return open_inbox(world)


def ops(call: Any) -> tuple[Any, dict[str, int]]:
    with storage_counter().measure() as tally:
        reply = call()
    assert isinstance(tally, Tally)
    return reply, dict(tally.summary()["operations"])


def unnamed_link(w: World, order: dict[str, Any], secret: str | None = None) -> str:
    """A link stored under a token that names no users: `{tenant}_{128 random bits}`."""
    token = f"acme_{secret or secrets.token_urlsafe(16)}"
    now = datetime.now(UTC)
    link = ActionLink(
        tenant="acme",
        token_hash=action_links.token_hash(token),
        kind="approval",
        order_id=order["id"],
        approver_id=w.ids["approver"],
        order_version=order["version"],
        created_at=iso(now),
        valid_until=iso(now + timedelta(hours=72)),
    )
    action_links.put(link, now + timedelta(days=4))
    return token


def decisions(w: World, order_id: str) -> list[dict[str, Any]]:
    return [h for h in order_now(w, order_id)["history"] if h["action"] in ("approve", "reject")]


# --- the cost ---------------------------------------------------------------------------------------------
def test_a_decision_from_an_email_is_one_batch_read_one_query_and_one_transaction(inbox: Inbox) -> None:
    w = inbox.world
    order, email = inbox.waiting_order()
    token = token_of(email)
    r, counted = ops(lambda: w.anon.post(f"/actions/{token}", {"decision": "approve"}, headers=JSON))
    assert r.status_code == 200, r.body
    assert counted == {"BatchGetItem": 1, "Query": 1, "TransactWriteItems": 1}
    assert r.json["state"] == "used" and r.json["decided"]["by_name"] == "Boss"
    assert order_now(w, order["id"])["status"] == "submitted"

    # A reject costs the same; the page (HTML) too.
    order, email = inbox.waiting_order()
    r, counted = ops(lambda: decide(w.anon, token_of(email), decision="reject", reason="Too much"))
    assert r.status_code == 200, r.body
    assert counted == {"BatchGetItem": 1, "Query": 1, "TransactWriteItems": 1}
    assert order_now(w, order["id"])["status"] == "draft"


def test_a_delegate_s_link_costs_the_same(inbox: Inbox) -> None:
    w = inbox.world
    deputy = create_user(w.admin, "deputy", ["customer-buyers"], customer_ids=[w.customer["id"]])
    assert w.approver.put("/me/delegation", {"delegate_id": deputy["id"], **PERIOD}).status_code == 200
    order = w.order()
    assert w.buyer.post(f"/orders/{order['id']}/submit").json["status"] == "pending_approval"
    to_deputy = [m for m in inbox.deliver() if m.to == "deputy@example.test" and "approval_needed" in m.dedupe_key]
    token = token_of(to_deputy[0])
    assert parse(token) == Named("acme", deputy["id"], w.ids["approver"])
    r, counted = ops(lambda: w.anon.post(f"/actions/{token}", {"decision": "approve"}, headers=JSON))
    assert r.status_code == 200, r.body
    assert counted == {"BatchGetItem": 1, "Query": 1, "TransactWriteItems": 1}
    last = order_now(w, order["id"])["history"][-1]
    assert (last["action"], last["by"], last["on_behalf_of"]) == ("approve", deputy["id"], w.ids["approver"])


def test_the_token_names_its_users_beside_128_random_bits_and_only_its_hash_is_stored() -> None:
    token = new_token("acme", "01ABCDEFGHJKMNPQRSTVWXYZ00", None)
    tenant, approver, delegator, secret = token.split("_", 3)
    assert (tenant, approver, delegator) == ("acme", "01ABCDEFGHJKMNPQRSTVWXYZ00", "")
    assert len(secret) >= 22  # 16 bytes, base64url
    assert parse(token) == Named("acme", "01ABCDEFGHJKMNPQRSTVWXYZ00", None)
    delegated = new_token("acme", "01ABCDEFGHJKMNPQRSTVWXYZ00", "01ABCDEFGHJKMNPQRSTVWXYZ11")
    assert parse(delegated) == Named("acme", "01ABCDEFGHJKMNPQRSTVWXYZ00", "01ABCDEFGHJKMNPQRSTVWXYZ11")
    with pytest.raises(ValueError):  # ids are ULIDs: one a token could not carry is a bug, not a token
        new_token("acme", "odd_id", None)
    assert parse("nonsense") is None
    assert parse(f"acme_{secrets.token_urlsafe(16)}") is None  # a tenant and a secret name nobody


# --- tokens that name nobody ------------------------------------------------------------------------------
@pytest.mark.parametrize("secret", [None, "ab_cd_" + "x" * 22])  # the second looks like ids: it is not
def test_a_link_stored_under_a_token_that_names_no_users_is_not_found(inbox: Inbox, secret: str | None) -> None:
    """Every token names its users (one BatchGet reads the link with them): a stored link whose token does
    not is nobody's, and nothing is decided through it."""
    w = inbox.world
    order, _ = inbox.waiting_order()
    token = unnamed_link(w, order, secret)
    assert page(w.anon, token, headers=JSON).status_code == 404
    assert w.anon.post(f"/actions/{token}", {"decision": "approve"}, headers=JSON).status_code == 404
    assert order_now(w, order["id"])["status"] == "pending_approval"


def test_a_token_whose_named_users_were_changed_names_nothing(inbox: Inbox) -> None:
    """The ids are not the secret, but the hash covers them: another user's id in a real link is a 404."""
    w = inbox.world
    order, email = inbox.waiting_order()
    tenant, _, delegator, secret = token_of(email).split("_", 3)
    forged = f"{tenant}_{w.ids['buyer']}_{delegator}_{secret}"
    assert w.anon.post(f"/actions/{forged}", {"decision": "approve"}, headers=JSON).status_code == 404
    assert order_now(w, order["id"])["status"] == "pending_approval"


# --- races ----------------------------------------------------------------------------------------------
def test_concurrent_clicks_of_one_link_decide_once(inbox: Inbox) -> None:
    # Through the service: chalice.test.Client swaps os.environ per request, which threads would garble.
    w = inbox.world
    order, email = inbox.waiting_order()
    token = token_of(email)
    links = get_services().action_links
    start = threading.Barrier(6)

    def click(n: int) -> str:
        start.wait()
        try:
            if n % 2:
                links.decide(token, "reject", f"no {n}")
            else:
                links.decide(token, "approve", None)
        except OrderGateError as exc:
            return exc.code
        return "decided"

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(click, range(6)))
    assert outcomes.count("decided") == 1, outcomes
    assert set(outcomes) - {"decided"} <= {"action_used"}, outcomes
    assert len(decisions(w, order["id"])) == 1
    shown = page(w.anon, token, headers=JSON).json
    assert shown["state"] == "used" and shown["decided"]["by_name"] == "Boss"
    assert shown["decided"]["action"] == decisions(w, order["id"])[0]["action"]


def test_a_click_that_loses_to_an_approval_through_the_api_changes_nothing_and_says_so(
    inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deputy approves through the API between the link's reads (link, approver, order) and its write:
    the link's transaction is refused on the order's version; the link is not spent, its page says who
    decided, and a later click is refused the same way."""
    w = inbox.world
    create_user(w.admin, "deputy", ["customer-approvers"], customer_ids=[w.customer["id"]])
    deputy = w.anon.login("acme", "deputy", USER_PASSWORD, "C-100")
    order, email = inbox.waiting_order()
    token = token_of(email)
    store = get_services().orders._store
    real_save = type(store).save
    raced: list[int] = []

    def save(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("link") is not None and not raced:
            raced.append(deputy.post(f"/orders/{order['id']}/approve").status_code)
        return real_save(*args, **kwargs)

    monkeypatch.setattr(store, "save", save)
    r = w.anon.post(f"/actions/{token}", {"decision": "reject", "reason": "no"}, headers=JSON)
    assert raced == [200]
    assert r.status_code == 409 and r.json["error"]["code"] == "superseded"
    now = order_now(w, order["id"])
    assert now["status"] == "submitted"
    assert [(d["action"], d["by_name"]) for d in decisions(w, order["id"])] == [("approve", "Deputy")]
    link = action_links.get("acme", action_links.token_hash(token))
    assert link is not None and link.used_at is None  # not spent: its decision was not written
    shown = page(w.anon, token)
    assert shown.status_code == 200 and "Approved by Deputy" in text(shown) and "<form" not in text(shown)
    assert page(w.anon, token, headers=JSON).json["state"] == "superseded"
    again = decide(w.anon, token, decision="approve")
    assert again.status_code == 409 and "Approved by Deputy" in text(again)


def test_an_approval_through_the_api_that_loses_to_a_click_is_refused(inbox: Inbox) -> None:
    """The other way round: the link's decision is written first; the API's approval on the version it read
    is refused (412), and the link's page says who decided through it."""
    w = inbox.world
    order, email = inbox.waiting_order()
    token = token_of(email)
    assert decide(w.anon, token, decision="approve").status_code == 200
    late = w.approver.post(f"/orders/{order['id']}/approve", headers={"If-Match": str(order["version"])})
    assert late.status_code == 412, late.body
    assert [(d["action"], d["by_name"]) for d in decisions(w, order["id"])] == [("approve", "Boss")]
    shown = page(w.anon, token, headers=JSON).json
    assert shown["state"] == "used" and shown["decided"]["by_name"] == "Boss"


def test_an_expired_link_cannot_be_spent_even_when_it_expires_between_the_read_and_the_write(
    inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = inbox.world
    order, email = inbox.waiting_order()
    token = token_of(email)
    links = get_services().action_links
    link = action_links.get("acme", action_links.token_hash(token))
    assert link is not None
    # The clock reads the link as valid, then (the write's `at`) at its end.
    instants = iter([datetime.now(UTC), datetime.fromisoformat(link.valid_until.replace("Z", "+00:00"))])
    monkeypatch.setattr(links, "_clock", lambda: next(instants, datetime.now(UTC) + timedelta(days=3)))
    with pytest.raises(OrderGateError) as refused:
        links.decide(token, "approve", None)
    assert refused.value.code == "action_expired"
    assert order_now(w, order["id"])["status"] == "pending_approval"
