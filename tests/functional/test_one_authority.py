"""One authority (issue 21): who sees an order, who may act on it and who is told are one policy
(domain/authority.py). Through the HTTP API, a test per finding of the issue: proposals that need approval
reach the approvers, head offices see and act on their branches' orders, delegates see what waits on
whom they cover, sales reps list what they created, and every waiting order says whom it waits on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.bootstrap import get_services
from chalicelib.notifications.sender import OutgoingEmail
from devstack.fakes import FakeEmailSender
from tests.functional.conftest import USER_PASSWORD, Api, create_customer, create_user
from tests.functional.order_world import World
from tests.functional.test_action_links import JSON, token_of
from tests.stream_tap import StreamTap, run

TODAY = datetime.now(UTC).date()
PERIOD = {"starts_on": (TODAY - timedelta(days=1)).isoformat(), "ends_on": (TODAY + timedelta(days=7)).isoformat()}


class Mail:
    """E-mails as the stream handler composes them from the recorded events."""

    def __init__(self) -> None:
        self.outbox = FakeEmailSender()
        get_services().email_sender = self.outbox
        self.tap = StreamTap()
        self.tap.drain()

    def deliver(self) -> list[OutgoingEmail]:
        before = len(self.outbox.sent)
        assert run(self.tap.event()) == {"batchItemFailures": []}
        return self.outbox.sent[before:]


@pytest.fixture
def mail(world: World) -> Mail:
    return Mail()


def submitted_order(w: World) -> dict[str, Any]:
    o = w.order()
    r = w.buyer.post(f"/orders/{o['id']}/submit")
    assert r.json["status"] == "submitted", r.body
    return dict(r.json)


def propose(w: World, o: dict[str, Any]) -> Any:
    return w.desk.post(
        f"/orders/{o['id']}/propose", {"note": "Short.", "lines": [{"id": o["lines"][0]["id"], "quantity": 1}]}
    )


# --- proposals that need approval ---------------------------------------------------------------------------
def test_a_proposal_that_needs_approval_reaches_the_approvers_with_accept_and_decline_links(
    world: World, mail: Mail
) -> None:
    o = submitted_order(world)
    world.admin.patch(f"/customers/{world.customer['id']}", {"approval_policy": "always"})
    mail.deliver()
    r = propose(world, o)
    assert r.status_code == 200, r.body
    assert r.json["waiting_on"]["kind"] == "approval"
    assert [x["code"] for x in r.json["waiting_on"]["reasons"]] == ["policy"]
    sent = {m.to: m for m in mail.deliver() if "proposal_sent" in m.dedupe_key}
    # The buyer is told it waits for an approver, and gets no link; the approver gets personal links.
    assert "waits for an approver" in sent["buyer@example.test"].subject
    assert "/actions/" not in sent["buyer@example.test"].text
    token = token_of(sent["boss@example.test"])
    # Its links are labelled as the page they open: Accept and Decline, not Approve and Reject.
    boss = sent["boss@example.test"]
    assert "Accept: " in boss.text and "Decline (with a reason): " in boss.text and "Approve:" not in boss.text
    assert ">Accept</a>" in boss.html and ">Approve</a>" not in boss.html
    # The buyer may not accept it: a 403 that says why, and nothing changes.
    refused = world.buyer.post(f"/orders/{o['id']}/accept")
    assert refused.status_code == 403 and "approver" in refused.json["error"]["message"]
    # GET names whom it waits on.
    waiting = world.buyer.get(f"/orders/{o['id']}").json["waiting_on"]
    assert [p["name"] for p in waiting["people"]] == ["Boss"]
    # The link's page offers Accept and Decline; accepting through it confirms the order.
    shown = world.anon.call("GET", f"/actions/{token}", headers=JSON)
    assert (shown.json["action"], shown.json["state"]) == ("proposal", "open")
    wrong = world.anon.post(f"/actions/{token}", {"decision": "approve"}, headers=JSON)
    assert wrong.status_code == 422
    done = world.anon.post(f"/actions/{token}", {"decision": "accept"}, headers=JSON)
    assert done.status_code == 200, done.body
    # A spent link tells only what became of it (never the order's state): the order, as its API shows it.
    assert (done.json["state"], done.json["decided"]["action"], done.json["order"]) == ("used", "accept", None)
    assert world.buyer.get(f"/orders/{o['id']}").json["status"] == "confirmed"
    assert world.anon.post(f"/actions/{token}", {"decision": "accept"}, headers=JSON).json["error"]["code"] == (
        "action_used"
    )


def test_an_approver_accepts_a_proposal_through_the_api_and_a_buyer_declines(world: World) -> None:
    first, second = submitted_order(world), submitted_order(world)
    world.admin.patch(f"/customers/{world.customer['id']}", {"approval_policy": "always"})
    for o in (first, second):
        assert propose(world, o).status_code == 200
    assert world.approver.post(f"/orders/{first['id']}/accept").json["status"] == "confirmed"
    declined = world.buyer.post(f"/orders/{second['id']}/decline", {"reason": "Not like this."})
    assert declined.json["status"] == "submitted", declined.body


def test_a_proposal_that_needs_approval_without_an_approver_is_refused_when_sent(world: World) -> None:
    lonely = create_customer(world.admin, "C-300", approval_policy="none")
    create_user(world.admin, "solo", ["customer-buyers"], customer_ids=[lonely["id"]])
    solo = world.anon.login("acme", "solo", USER_PASSWORD, "C-300")
    o = world.order(api=solo, customer_id=lonely["id"])
    o = solo.post(f"/orders/{o['id']}/submit").json
    world.admin.patch(f"/customers/{lonely['id']}", {"approval_policy": "always"})
    r = propose(world, o)
    assert (r.status_code, r.json["error"]["code"]) == (409, "no_approver"), r.body
    assert "approver" in r.json["error"]["message"]
    assert world.desk.get(f"/orders/{o['id']}").json["status"] == "submitted"  # nothing changed
    # A staff order sent to such a customer: the same.
    draft = world.rep.post("/orders", {"customer_id": lonely["id"], "lines": [{"sku": "SKU-1", "quantity": 1}]})
    world.admin.patch(f"/customers/{lonely['id']}", {"sales_rep_id": world.ids["rep"]})
    sent = world.rep.post(f"/orders/{draft.json['id']}/send")
    assert (sent.status_code, sent.json["error"]["code"]) == (409, "no_approver"), sent.body


# --- head offices -------------------------------------------------------------------------------------------
def test_a_head_office_sees_filters_and_acts_on_its_branches_orders(world: World) -> None:
    hq = create_customer(world.admin, "HQ-1")
    branch = create_customer(world.admin, "BR-1", parent_id=hq["id"], approval_policy="always")
    create_user(world.admin, "branchbuyer", ["customer-buyers"], customer_ids=[branch["id"]])
    create_user(world.admin, "hqadmin", ["customer-admins"], customer_ids=[hq["id"]])
    buyer = world.anon.login("acme", "branchbuyer", USER_PASSWORD, "BR-1")
    hq_admin = world.anon.login("acme", "hqadmin", USER_PASSWORD, "HQ-1")
    o = world.order(api=buyer)
    waiting = buyer.post(f"/orders/{o['id']}/submit").json
    assert waiting["status"] == "pending_approval"
    assert [p["name"] for p in buyer.get(f"/orders/{o['id']}").json["waiting_on"]["people"]] == ["Hqadmin"]
    assert [i["id"] for i in hq_admin.get("/orders").json["items"]] == [o["id"]]
    assert [i["id"] for i in hq_admin.get(f"/orders?customer_id={branch['id']}").json["items"]] == [o["id"]]
    assert hq_admin.post(f"/orders/{o['id']}/approve").json["status"] == "submitted"
    assert hq_admin.get(f"/orders/{o['id']}").status_code == 200  # and keeps seeing it
    # The head office's customer admin manages the branch's users, within what they hold.
    made = hq_admin.post(
        "/users",
        {
            "kind": "customer",
            "username": "branchhelper",
            "name": "Helper",
            "email": "helper@example.test",
            "password": USER_PASSWORD,
            "security_group_ids": ["customer-buyers"],
            "customer_ids": [branch["id"]],
        },
    )
    assert made.status_code == 201, made.body
    assert hq_admin.patch(f"/users/{made.json['id']}", {"name": "Helper Two"}).json["name"] == "Helper Two"
    assert [u["username"] for u in hq_admin.get(f"/users?customer_id={branch['id']}").json["items"]] == [
        "branchbuyer",
        "branchhelper",
    ]
    # Never above what they hold: no customer outside their organisation.
    outside = hq_admin.patch(f"/users/{made.json['id']}", {"customer_ids": [world.customer["id"]]})
    assert outside.status_code == 403, outside.body


# --- delegates and sales reps -------------------------------------------------------------------------------
def test_a_delegate_sees_what_waits_on_the_approver_they_stand_in_for(world: World, mail: Mail) -> None:
    deputy = create_user(world.admin, "deputy", ["customer-buyers"], customer_ids=[world.customer["id"]])
    assert world.approver.put("/me/delegation", {"delegate_id": deputy["id"], **PERIOD}).status_code == 200
    world.admin.patch(f"/customers/{world.customer['id']}", {"approval_policy": "always"})
    delegate = world.anon.login("acme", "deputy", USER_PASSWORD, "C-100")
    o = world.order()
    assert world.buyer.post(f"/orders/{o['id']}/submit").json["status"] == "pending_approval"
    seen = delegate.get(f"/orders/{o['id']}")
    assert seen.status_code == 200, seen.body
    assert {p["name"] for p in seen.json["waiting_on"]["people"]} == {"Boss", "Deputy"}
    to_deputy = [m for m in mail.deliver() if m.to == "deputy@example.test" and "approval_needed" in m.dedupe_key]
    assert len(to_deputy) == 1 and "standing in for Boss" in to_deputy[0].text
    # Once it no longer waits on the approver, the delegate no longer sees it.
    assert world.approver.post(f"/orders/{o['id']}/approve").json["status"] == "submitted"
    assert delegate.get(f"/orders/{o['id']}").status_code == 404


def test_a_sales_rep_lists_the_orders_they_created_whatever_the_customer(world: World) -> None:
    other = create_customer(world.admin, "C-900")  # not the rep's customer
    r = world.rep.post("/orders", {"customer_id": other["id"], "lines": [{"sku": "SKU-1", "quantity": 1}]})
    assert r.status_code == 201, r.body
    listed = [i["id"] for i in world.rep.get("/orders").json["items"]]
    assert r.json["id"] in listed
    assert world.rep.get(f"/orders/{r.json['id']}").status_code == 200
    assert world.rep.get("/orders?status=draft").json["items"][0]["id"] == r.json["id"]


def test_a_submitted_order_waits_on_its_sales_rep_and_a_confirmed_one_on_nobody(world: World) -> None:
    o = submitted_order(world)
    waiting = world.buyer.get(f"/orders/{o['id']}").json["waiting_on"]
    assert (waiting["kind"], [p["id"] for p in waiting["people"]]) == ("supplier", [world.ids["rep"]])
    confirmed = world.desk.post(f"/orders/{o['id']}/confirm").json
    assert confirmed["waiting_on"] == {"kind": None, "reasons": [], "people": []}


def test_an_order_over_the_limit_says_so_with_the_limit(world: World, admin: Api) -> None:
    world.admin.patch(f"/customers/{world.customer['id']}", {"approval_policy": "over_limit"})
    world.admin.patch(f"/users/{world.ids['buyer']}", {"approval_limit": "5.00"})
    buyer = world.anon.login("acme", "buyer", USER_PASSWORD, "C-100")
    o = world.order(api=buyer)
    r = buyer.post(f"/orders/{o['id']}/submit")
    reasons = r.json["waiting_on"]["reasons"]
    assert [(x["code"], x["limit"]) for x in reasons] == [("over_limit", "5.00")], r.body
    assert "5.00" in reasons[0]["message"]


def test_a_proposal_link_s_page_offers_accept_and_decline_and_once_spent_tells_only_the_outcome(
    world: World, mail: Mail
) -> None:
    from tests.functional.test_action_links import decide, page, text

    o = submitted_order(world)
    world.admin.patch(f"/customers/{world.customer['id']}", {"approval_policy": "always"})
    mail.deliver()
    assert propose(world, o).status_code == 200
    sent = {m.to: m for m in mail.deliver() if "proposal_sent" in m.dedupe_key}
    token = token_of(sent["boss@example.test"])
    shown = text(page(world.anon, token))
    assert 'name="decision" value="accept"' in shown and 'name="decision" value="decline"' in shown
    assert 'value="approve"' not in shown and "Proposed total (gross)" in shown
    assert "Your organisation&#39;s policy asks for approval of every order." in shown
    done = decide(world.anon, token, decision="accept")
    assert done.status_code == 200, done.body
    after = text(done)
    assert "Accepted by Boss" in after
    # Only what became of the link: no lines, no totals, no status, no form.
    assert "<form" not in after and "Proposed total" not in after and o["lines"][0]["sku"] not in after
    again = text(page(world.anon, token))
    assert "Accepted by Boss" in again and "<form" not in again
