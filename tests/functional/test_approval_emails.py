"""Approval e-mails worth reading (PRODUCT.md "Notifications"): the lines (the first 25, then how many
more), net, tax and gross, why approval is needed, the approver's Approve and Reject links; the "approved"
e-mail says what the approver changed. Real order actions, the e-mails the stream handler composes."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.bootstrap import get_services
from chalicelib.notifications.sender import OutgoingEmail
from devstack.fakes import FakeEmailSender
from tests.functional.order_world import World, offer
from tests.stream_tap import StreamTap, run


class Mailbox:
    def __init__(self, world: World) -> None:
        self.world = world
        self.outbox = FakeEmailSender()
        get_services().email_sender = self.outbox
        self.tap = StreamTap()
        self.tap.drain()

    def deliver(self) -> list[OutgoingEmail]:
        before = len(self.outbox.sent)
        assert run(self.tap.event()) == {"batchItemFailures": []}
        return self.outbox.sent[before:]

    def submit(self, lines: list[dict[str, Any]] | None = None) -> tuple[dict[str, Any], OutgoingEmail]:
        o = self.world.order(lines=lines)
        r = self.world.buyer.post(f"/orders/{o['id']}/submit")
        assert r.json["status"] == "pending_approval", r.body
        mails = [m for m in self.deliver() if m.dedupe_key.startswith("approval_needed")]
        assert [m.to for m in mails] == ["boss@example.test"]
        return r.json, mails[0]


@pytest.fixture
def mailbox(world: World) -> Mailbox:
    return Mailbox(world)


def policy(w: World, **customer: Any) -> None:
    r = w.admin.patch(f"/customers/{w.customer['id']}", customer)
    assert r.status_code == 200, r.body


def test_the_approval_email_lists_lines_totals_reasons_and_links(mailbox: Mailbox) -> None:
    w = mailbox.world
    policy(w, approval_policy="always")
    _, mail = mailbox.submit([{"sku": "SKU-1", "quantity": 2}])
    for body in (mail.text, mail.html):
        assert "SKU-1 Product SKU-1: 2 x 10.00 EUR = 20.00 EUR" in body
        assert "20.00 EUR" in body and "4.00 EUR" in body and "24.00 EUR" in body  # net, tax, gross
        assert "policy asks for approval of every order" in body
        assert "/actions/acme_" in body and "#reject" in body
    assert "Net: 20.00 EUR" in mail.text and "Tax: 4.00 EUR" in mail.text and "Total (gross): 24.00 EUR" in mail.text
    assert "Approve: http" in mail.text and "Reject (with a reason): http" in mail.text


def test_a_long_order_lists_25_lines_then_how_many_more(mailbox: Mailbox) -> None:
    w = mailbox.world
    policy(w, approval_policy="always")
    for i in range(27):
        w.catalog.add(offer(f"x{i}", f"X-{i:02d}", "1.00"))
    _, mail = mailbox.submit([{"sku": f"X-{i:02d}", "quantity": 1} for i in range(27)])
    assert "X-24" in mail.text and "X-25" not in mail.text and "X-26" not in mail.text
    assert "… and 2 more lines" in mail.text and "… and 2 more lines" in mail.html


def test_over_the_submitter_s_limit_says_the_limit(mailbox: Mailbox) -> None:
    w = mailbox.world
    policy(w, approval_policy="over_limit")
    assert w.admin.patch(f"/users/{w.ids['buyer']}", {"approval_limit": "10.00"}).status_code == 200
    _, mail = mailbox.submit()
    assert "over the submitter's approval limit of 10.00 EUR" in mail.text


def test_over_the_budget_says_spent_and_remaining(mailbox: Mailbox) -> None:
    w = mailbox.world
    policy(w, monthly_budget="30.00")
    first = w.order()
    assert w.buyer.post(f"/orders/{first['id']}/submit").json["status"] == "submitted"  # 24.00 of 30.00
    mailbox.deliver()
    _, mail = mailbox.submit()
    assert "over the budget of 30.00 EUR: 24.00 EUR spent, 6.00 EUR remaining" in mail.text


def test_the_approval_email_is_in_the_approver_s_language(mailbox: Mailbox) -> None:
    w = mailbox.world
    policy(w, approval_policy="always")
    assert w.admin.patch(f"/users/{w.ids['approver']}", {"locale": "fr"}).status_code == 200
    _, mail = mailbox.submit()
    assert "La politique de votre organisation" in mail.text and "Approuver" in mail.text
    assert "20,00 EUR" in mail.text


def test_the_approved_email_says_what_the_approver_changed(mailbox: Mailbox) -> None:
    w = mailbox.world
    policy(w, approval_policy="always")
    order, _ = mailbox.submit([{"sku": "SKU-1", "quantity": 3}, {"sku": "BOX-6", "quantity": 6}])
    lines = {line["sku"]: line["id"] for line in order["lines"]}
    r = w.approver.post(
        f"/orders/{order['id']}/approve",
        {"lines": [{"id": lines["SKU-1"], "quantity": 1}, {"id": lines["BOX-6"], "remove": True}]},
    )
    assert r.status_code == 200, r.body
    approved = [m for m in mailbox.deliver() if m.dedupe_key.startswith("approved")]
    assert [m.to for m in approved] == ["buyer@example.test"]
    text = approved[0].text
    assert "Changed by the approver" in text
    assert "SKU-1 Product SKU-1: 3 → 1" in text and "BOX-6 Product BOX-6: removed" in text


def test_an_approval_untouched_says_no_changes(mailbox: Mailbox) -> None:
    w = mailbox.world
    policy(w, approval_policy="always")
    order, _ = mailbox.submit()
    assert w.approver.post(f"/orders/{order['id']}/approve").status_code == 200
    approved = [m for m in mailbox.deliver() if m.dedupe_key.startswith("approved")]
    assert "Changed by the approver" not in approved[0].text
