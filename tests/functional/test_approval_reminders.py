"""Approval reminders and escalation, driven by a controllable clock: the scheduled function finds what is
due through its index and records each reminder or escalation on the order (its history, and a notice the
stream turns into e-mails like every other: the approvers with fresh links, the sales rep once past the
escalation time), and stops at a decision."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app import approval_reminders
from chalicelib.bootstrap import get_services
from chalicelib.notifications.sender import OutgoingEmail
from chalicelib.services.approval_reminders import ApprovalReminders
from chalicelib.storage import keys
from chalicelib.storage.items import ApprovalDueItem
from chalicelib.storage.orders import DynamoOrderStore
from devstack.fakes import FakeEmailSender
from tests.functional.order_world import World
from tests.functional.test_action_links import JSON, token_of
from tests.stream_tap import StreamTap, run


@pytest.fixture
def outbox(world: World) -> FakeEmailSender:
    r = world.admin.patch(f"/customers/{world.customer['id']}", {"approval_policy": "always"})
    assert r.status_code == 200, r.body
    sender = FakeEmailSender()
    get_services().email_sender = sender
    return sender


def scheduler(start: datetime) -> tuple[Callable[[float], list[Any]], FakeEmailSender]:
    """The scheduled function at a time of the test's choosing, then the stream's batch of what it wrote."""
    sender: FakeEmailSender = get_services().email_sender  # type: ignore[assignment]
    at = {"now": start}
    reminders = ApprovalReminders(DynamoOrderStore(), clock=lambda: at["now"])
    tap = StreamTap()

    def run_at(hours: float) -> list[Any]:
        at["now"] = start + timedelta(hours=hours)
        done = reminders.run()
        written = tap.event()
        if written["Records"]:  # Lambda is not invoked with an empty batch
            assert run(written) == {"batchItemFailures": []}
        return done

    return run_at, sender


def waiting(world: World) -> tuple[dict[str, Any], datetime]:
    o = world.order()
    start = datetime.now(UTC)
    r = world.buyer.post(f"/orders/{o['id']}/submit")
    assert r.json["status"] == "pending_approval", r.body
    return r.json, start


def mails(sender: FakeEmailSender, since: int) -> list[OutgoingEmail]:
    return sender.sent[since:]


def history(world: World, order_id: str) -> list[str]:
    return [h["action"] for h in world.admin.get(f"/orders/{order_id}").json["history"]]


def test_reminders_then_escalation_then_nothing_after_the_decision(world: World, outbox: FakeEmailSender) -> None:
    order, start = waiting(world)
    run_at, sender = scheduler(start)

    assert run_at(23) == []  # nothing due before the reminder period
    seen = len(sender.sent)
    done = run_at(24.5)
    assert [(d.order_id, d.kind) for d in done] == [(order["id"], "remind")]
    reminder = mails(sender, seen)
    assert [m.to for m in reminder] == ["boss@example.test"]
    assert reminder[0].subject.startswith("Reminder: order") and "/actions/acme_" in reminder[0].text
    assert history(world, order["id"])[-1] == "remind"

    assert run_at(25) == []  # once per period
    seen = len(sender.sent)
    assert [d.kind for d in run_at(48.5)] == ["remind"]
    assert [m.to for m in mails(sender, seen)] == ["boss@example.test"]

    seen = len(sender.sent)
    assert [d.kind for d in run_at(72.5)] == ["escalate"]
    escalated = mails(sender, seen)
    assert sorted(m.to for m in escalated) == ["boss@example.test", "rep@example.test"]
    to_rep = next(m for m in escalated if m.to == "rep@example.test")
    assert "/actions/" not in to_rep.text  # the sales rep is told, not given an approver's link
    assert history(world, order["id"])[-3:] == ["remind", "remind", "escalate"]

    # The newest e-mail's link decides; the decision stops everything.
    token = token_of(next(m for m in escalated if m.to == "boss@example.test"))
    assert world.anon.post(f"/actions/{token}", {"decision": "approve"}, headers=JSON).status_code == 200
    assert ApprovalDueItem.count(keys.order_pk("acme", order["id"])) == 0
    seen = len(sender.sent)
    assert run_at(500) == []
    assert sorted({m.event for m in mails(sender, seen)}) == ["approved", "submitted"]  # the decision's only


def test_a_reminder_s_fresh_link_works_and_the_first_one_is_superseded(world: World, outbox: FakeEmailSender) -> None:
    tap = StreamTap()
    tap.drain()
    _order, start = waiting(world)
    assert run(tap.event()) == {"batchItemFailures": []}
    first = next(m for m in outbox.sent if m.dedupe_key.startswith("approval_needed"))
    run_at, sender = scheduler(start)
    seen = len(sender.sent)
    run_at(24.5)
    fresh = mails(sender, seen)[0]
    old = world.anon.get(f"/actions/{token_of(first)}", headers=JSON).json
    assert old["state"] == "superseded"
    page = world.anon.get(f"/actions/{token_of(first)}", headers={"Accept": "text/html"}).body.decode()
    assert "use the newest e-mail" in page and "<form" not in page
    r = world.anon.post(f"/actions/{token_of(fresh)}", {"decision": "reject", "reason": "Not now"}, headers=JSON)
    assert r.status_code == 200 and r.json["decided"]["action"] == "reject"


def test_a_cancelled_order_is_not_reminded(world: World, outbox: FakeEmailSender) -> None:
    order, start = waiting(world)
    assert world.buyer.post(f"/orders/{order['id']}/cancel", {"reason": "no"}).status_code == 200
    run_at, sender = scheduler(start)
    seen = len(sender.sent)
    assert run_at(100) == []
    assert mails(sender, seen) == []


def test_settings_can_turn_reminders_and_escalation_off(world: World, outbox: FakeEmailSender) -> None:
    r = world.admin.patch("/settings", {"approval_reminder_hours": None, "approval_escalation_hours": None})
    assert r.status_code == 200, r.body
    assert (r.json["approval_reminder_hours"], r.json["approval_escalation_hours"]) == (None, None)
    order, start = waiting(world)
    assert ApprovalDueItem.count(keys.order_pk("acme", order["id"])) == 0
    run_at, _ = scheduler(start)
    assert run_at(1000) == []


def test_settings_set_the_periods(world: World, outbox: FakeEmailSender) -> None:
    r = world.admin.patch("/settings", {"approval_reminder_hours": 2, "approval_escalation_hours": 3})
    assert r.status_code == 200, r.body
    assert world.admin.get("/settings").json["approval_link_hours"] == 72
    _order, start = waiting(world)
    run_at, _ = scheduler(start)
    assert [d.kind for d in run_at(2.1)] == ["remind"]
    assert [d.kind for d in run_at(3.1)] == ["escalate"]
    assert [d.kind for d in run_at(4.1)] == ["remind"]
    assert world.admin.patch("/settings", {"approval_reminder_hours": 0}).status_code == 422


def test_the_scheduled_function_of_app_py_runs(world: World, outbox: FakeEmailSender) -> None:
    import json
    from pathlib import Path

    waiting(world)  # due in 24 hours: nothing yet at the real time
    event = json.loads((Path(__file__).parents[2] / "events" / "scheduled_approval_reminders.json").read_text())
    assert approval_reminders(event, None) == {"reminded": 0}


def test_a_reminder_is_e_mailed_but_neither_in_the_event_feed_nor_sent_to_webhooks(
    world: World, outbox: FakeEmailSender
) -> None:
    import dataclasses
    import time

    from tests.functional.test_event_feed import follow

    services = get_services()
    services.settings = dataclasses.replace(services.settings, event_settle_seconds=0.1)
    fanned: list[str] = []

    class Recording:  # the webhooks' pipeline, as the stream's fan-out reaches it
        def fan_out(self, tenant: str, event: dict[str, Any]) -> int:
            fanned.append(str(event["type"]))
            return 0

    services.webhook_pipeline = Recording()  # type: ignore[assignment]
    order, start = waiting(world)
    run_at, sender = scheduler(start)
    seen = len(sender.sent)
    assert [d.kind for d in run_at(24.5)] == ["remind"]
    assert [m.dedupe_key.split(":")[0] for m in mails(sender, seen)] == ["approval_reminder"]
    assert fanned == []  # the submit's events were written before the test's stream tap opened
    time.sleep(0.2)
    events, _ = follow(world.desk)
    assert [e["type"] for e in events if e["order_id"] == order["id"]] == ["order.created", "order.approval_requested"]
    assert history(world, order["id"])[-1] == "remind"
