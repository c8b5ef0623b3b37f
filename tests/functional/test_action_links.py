"""Approvers act from their e-mail (API.md "Acting from an e-mail"): the approval e-mail's one-time link,
followed as a person (and a mail scanner) would, through the real app, with the e-mail read from the
stream as the stream handler composes it.

Every state of a link: open, used, expired, superseded, unknown. Opening it (GET, HEAD) changes nothing
however often; deciding through it is the same action as POST /orders/{id}/approve|reject.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.bootstrap import get_services
from chalicelib.notifications.sender import OutgoingEmail
from chalicelib.services.action_links import ActionLinks
from chalicelib.storage import action_links, keys
from chalicelib.storage.items import ActionLinkItem, BudgetItem
from chalicelib.storage.orders import DynamoOrderStore
from devstack.fakes import FakeEmailSender
from tests.functional.conftest import Api, Reply, create_user
from tests.functional.order_world import World
from tests.stream_tap import StreamTap, run

FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}
JSON = {"Accept": "application/json"}
LINK = re.compile(r"https?://\S+?/actions/([A-Za-z0-9_-]+)")


@dataclass
class Inbox:
    world: World
    tap: StreamTap
    outbox: FakeEmailSender

    def deliver(self) -> list[OutgoingEmail]:
        before = len(self.outbox.sent)
        assert run(self.tap.event()) == {"batchItemFailures": []}
        return self.outbox.sent[before:]

    def waiting_order(self, **body: Any) -> tuple[dict[str, Any], OutgoingEmail]:
        """An order the buyer submitted that waits for approval, and the approval e-mail the boss got."""
        o = self.world.order(customer_reference="PO-<b>7</b>", **body)
        r = self.world.buyer.post(f"/orders/{o['id']}/submit")
        assert r.json["status"] == "pending_approval", r.body
        to_boss = [m for m in self.deliver() if m.to == "boss@example.test" and "approval_needed" in m.dedupe_key]
        assert len(to_boss) == 1
        return r.json, to_boss[0]


@pytest.fixture
def inbox(world: World) -> Inbox:
    return open_inbox(world)


def open_inbox(world: World) -> Inbox:
    """The customer's orders all wait for approval; approval e-mails are read from the stream."""
    r = world.admin.patch(f"/customers/{world.customer['id']}", {"approval_policy": "always"})
    assert r.status_code == 200, r.body
    outbox = FakeEmailSender()
    get_services().email_sender = outbox
    tap = StreamTap()
    tap.drain()
    return Inbox(world, tap, outbox)


def token_of(email: OutgoingEmail) -> str:
    found = LINK.search(email.text)
    assert found, email.text
    return found.group(1)


def page(api: Api, token: str, method: str = "GET", headers: dict[str, str] | None = None) -> Reply:
    return api.call(method, f"/actions/{token}", headers={"Accept": "text/html", **(headers or {})})


def decide(api: Api, token: str, **form: str) -> Reply:
    return api.call("POST", f"/actions/{token}", raw=urlencode(form), headers=FORM)


def text(reply: Reply) -> str:
    return reply.body.decode()


def order_now(w: World, order_id: str) -> dict[str, Any]:
    r = w.admin.get(f"/orders/{order_id}")
    assert r.status_code == 200, r.body
    return dict(r.json)


def spent(w: World) -> int:
    month = datetime.now(UTC).strftime("%Y-%m")
    try:
        return int(BudgetItem.get(*keys.budget("acme", w.customer["id"], month)).spent_cents or 0)
    except BudgetItem.DoesNotExist:
        return 0


def assert_safe_headers(reply: Reply) -> None:
    h = {k.lower(): v for k, v in reply.headers.items()}
    assert h["cache-control"] == "no-store"
    assert h["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in h["content-security-policy"]


# --- open ---------------------------------------------------------------------------------------------
def test_the_approval_email_carries_a_personal_link_to_a_page_that_shows_the_order(inbox: Inbox) -> None:
    order, email = inbox.waiting_order()
    token = token_of(email)
    assert len(token.split("_", 1)[1]) >= 22  # at least 128 random bits after the tenant
    # Only the token's hash is stored.
    assert ActionLinkItem.count(keys.action_link("acme", token)[0]) == 0
    assert ActionLinkItem.count(keys.action_link("acme", action_links.token_hash(token))[0]) == 1

    r = page(inbox.world.anon, token)
    assert r.status_code == 200, r.body
    assert r.headers["Content-Type"].startswith("text/html")
    assert_safe_headers(r)
    html = text(r)
    assert order["number"] in html and "Customer C-100" in html
    assert "SKU-1" in html and "24.00 EUR" in html  # a line and the gross total
    assert "policy asks for approval" in html  # why approval is needed
    assert '<form method="post"' in html and "<script" not in html.lower()
    assert "PO-&lt;b&gt;7&lt;/b&gt;" in html and "<b>7</b>" not in html  # escaped
    assert "Buyer" in html  # who submitted it


def test_get_and_head_ten_times_change_nothing(inbox: Inbox) -> None:
    order, email = inbox.waiting_order()
    token = token_of(email)
    before = order_now(inbox.world, order["id"])
    inbox.tap.drain()
    for _ in range(10):
        assert page(inbox.world.anon, token).status_code == 200
        head = page(inbox.world.anon, token, "HEAD")
        assert head.status_code == 200 and head.body == b""
        assert page(inbox.world.anon, token, headers=JSON).json["state"] == "open"
    assert inbox.tap.drain() == []  # not one write
    assert order_now(inbox.world, order["id"]) == before
    assert page(inbox.world.anon, token, headers=JSON).json["state"] == "open"


def test_approving_from_the_page_is_the_same_action_as_the_api(inbox: Inbox) -> None:
    w = inbox.world
    via_api, _ = inbox.waiting_order()
    before = spent(w)
    assert w.approver.post(f"/orders/{via_api['id']}/approve").status_code == 200
    api_added = spent(w) - before
    api_emails = inbox.deliver()

    order, email = inbox.waiting_order()
    before = spent(w)
    r = decide(w.anon, token_of(email), decision="approve")
    assert r.status_code == 200, r.body
    assert_safe_headers(r)
    assert "approved by Boss" in text(r)
    assert spent(w) - before == api_added == 2400  # the budget counts it as the API does

    now = order_now(w, order["id"])
    api = order_now(w, via_api["id"])
    assert now["status"] == api["status"] == "submitted"
    last, api_last = now["history"][-1], api["history"][-1]
    assert (last["action"], last["by"], last["by_name"]) == (api_last["action"], api_last["by"], "Boss")
    link_emails = inbox.deliver()
    assert sorted((m.dedupe_key.split(":")[0], m.to) for m in link_emails) == sorted(
        (m.dedupe_key.split(":")[0], m.to) for m in api_emails
    )
    assert ("submitted", "rep@example.test") in {(m.dedupe_key.split(":")[0], m.to) for m in link_emails}


def test_reject_needs_a_reason_and_then_sends_the_order_back(inbox: Inbox) -> None:
    w = inbox.world
    order, email = inbox.waiting_order()
    token = token_of(email)
    r = decide(w.anon, token, decision="reject", reason="  ")
    assert r.status_code == 422
    assert "Give a reason" in text(r) and '<form method="post"' in text(r)  # the page again, still open
    r = w.anon.post(f"/actions/{token}", {"decision": "reject"}, headers=JSON)
    assert r.status_code == 422 and r.json["error"]["details"][0]["field"] == "reason"
    assert order_now(w, order["id"])["status"] == "pending_approval"

    r = w.anon.post(f"/actions/{token}", {"decision": "reject", "reason": "Too many <boxes>"}, headers=JSON)
    assert r.status_code == 200, r.body
    assert r.json["state"] == "used" and r.json["order"]["status"] == "draft"
    last = order_now(w, order["id"])["history"][-1]
    assert (last["action"], last["note"], last["by_name"]) == ("reject", "Too many <boxes>", "Boss")


# --- used, expired, superseded, unknown -------------------------------------------------------------------
def test_a_used_link_says_who_decided_and_when(inbox: Inbox) -> None:
    w = inbox.world
    order, email = inbox.waiting_order()
    token = token_of(email)
    assert decide(w.anon, token, decision="approve").status_code == 200
    version = order_now(w, order["id"])["version"]

    again = decide(w.anon, token, decision="reject", reason="changed my mind")
    assert again.status_code == 409
    assert "approved by Boss" in text(again)
    r = w.anon.post(f"/actions/{token}", {"decision": "approve"}, headers=JSON)
    assert r.status_code == 409 and r.json["error"]["code"] == "action_used"
    shown = page(w.anon, token)
    assert shown.status_code == 200 and "has been used" in text(shown) and "<form" not in text(shown)
    assert page(w.anon, token, headers=JSON).json["decided"]["by_name"] == "Boss"
    assert order_now(w, order["id"])["version"] == version


def test_an_expired_link_explains_itself_and_acts_no_more(inbox: Inbox) -> None:
    w = inbox.world
    order, _ = inbox.waiting_order()
    services = get_services()
    long_ago = datetime.now(UTC) - timedelta(hours=73)
    old = ActionLinks(services.orders, DynamoOrderStore(), clock=lambda: long_ago)
    token = old.issue("acme", order["id"], w.ids["approver"], order["version"])

    shown = page(w.anon, token)
    assert shown.status_code == 200 and "expired" in text(shown) and "<form" not in text(shown)
    assert page(w.anon, token, headers=JSON).json["state"] == "expired"
    r = w.anon.post(f"/actions/{token}", {"decision": "approve"}, headers=JSON)
    assert r.status_code == 410 and r.json["error"]["code"] == "action_expired"
    assert decide(w.anon, token, decision="approve").status_code == 410
    assert order_now(w, order["id"])["status"] == "pending_approval"


def test_a_link_to_an_order_changed_since_is_superseded(inbox: Inbox, admin: Api) -> None:
    w = inbox.world
    create_user(admin, "deputy", ["customer-approvers"], customer_ids=[w.customer["id"]])
    order, email = inbox.waiting_order()
    token = token_of(email)
    deputy = w.anon.login("acme", "deputy", "user-password-1", "C-100")
    assert deputy.post(f"/orders/{order['id']}/approve").status_code == 200  # decided by someone else

    shown = page(w.anon, token)
    assert shown.status_code == 200 and "approved by Deputy" in text(shown) and "<form" not in text(shown)
    assert page(w.anon, token, headers=JSON).json["state"] == "superseded"
    version = order_now(w, order["id"])["version"]
    r = w.anon.post(f"/actions/{token}", {"decision": "reject", "reason": "no"}, headers=JSON)
    assert r.status_code == 409 and r.json["error"]["code"] == "superseded"
    assert decide(w.anon, token, decision="approve").status_code == 409
    assert order_now(w, order["id"])["version"] == version


def test_a_cancelled_order_supersedes_its_links(inbox: Inbox) -> None:
    w = inbox.world
    order, email = inbox.waiting_order()
    assert w.buyer.post(f"/orders/{order['id']}/cancel", {"reason": "not needed"}).status_code == 200
    r = w.anon.post(f"/actions/{token_of(email)}", {"decision": "approve"}, headers=JSON)
    assert r.status_code == 409 and r.json["error"]["code"] == "superseded"
    assert order_now(w, order["id"])["status"] == "cancelled"


@pytest.mark.parametrize(
    "token",
    ["acme_AAAAAAAAAAAAAAAAAAAAAAAAAAAA", "other_AAAAAAAAAAAAAAAAAAAAAAAA", "nonsense", "x" * 64, "ACME_" + "a" * 30],
)
def test_an_unknown_link_is_a_404(inbox: Inbox, token: str) -> None:
    r = page(inbox.world.anon, token)
    assert r.status_code == 404 and "not valid" in text(r)
    assert_safe_headers(r)
    assert page(inbox.world.anon, token, headers=JSON).status_code == 404
    assert inbox.world.anon.post(f"/actions/{token}", {"decision": "approve"}, headers=JSON).status_code == 404
    assert decide(inbox.world.anon, token, decision="approve").status_code == 404


def test_the_link_of_another_tenant_cannot_reach_this_one(inbox: Inbox) -> None:
    """The tenant is part of the token and of the key: swapping it names nothing."""
    _, email = inbox.waiting_order()
    secret = token_of(email).split("_", 1)[1]
    assert page(inbox.world.anon, f"other_{secret}").status_code == 404


def test_a_bad_decision_is_a_422_and_changes_nothing(inbox: Inbox) -> None:
    w = inbox.world
    order, email = inbox.waiting_order()
    token = token_of(email)
    assert decide(w.anon, token, decision="maybe").status_code == 422
    assert w.anon.post(f"/actions/{token}", {"decision": "approve", "extra": 1}, headers=JSON).status_code == 422
    assert w.anon.post(f"/actions/{token}", raw="{not json", headers=JSON).status_code == 400
    assert order_now(w, order["id"])["status"] == "pending_approval"
    assert page(w.anon, token, headers=JSON).json["state"] == "open"


def test_an_approver_who_lost_the_right_cannot_use_an_old_link(inbox: Inbox) -> None:
    w = inbox.world
    order, email = inbox.waiting_order()
    r = w.admin.patch(f"/users/{w.ids['approver']}", {"status": "inactive"})
    assert r.status_code == 200, r.body
    r = w.anon.post(f"/actions/{token_of(email)}", {"decision": "approve"}, headers=JSON)
    assert r.status_code == 403
    assert order_now(w, order["id"])["status"] == "pending_approval"
    assert page(w.anon, token_of(email), headers=JSON).json["state"] == "open"  # never spent: not used
