"""E-mail that keeps reaching people: each e-mail of an order is listed with what became of it; SES's
events (samples in events/ses_*.json, as EventBridge delivers them to app.on_ses_event) mark it
delivered, bounced or complained; a hard bounce or a complaint suppresses the address for the tenant,
and the next e-mail to it is skipped and listed as `suppressed`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app import on_ses_event
from chalicelib.bootstrap import get_services
from chalicelib.storage import notified
from devstack.fakes import FakeEmailSender
from tests.functional.order_world import World
from tests.stream_tap import StreamTap, run

EVENTS = Path(__file__).resolve().parents[2] / "events"


class Mail:
    def __init__(self, world: World) -> None:
        self.world = world
        self.outbox = FakeEmailSender()
        get_services().email_sender = self.outbox
        self.tap = StreamTap()
        self.tap.drain()

    def deliver(self) -> None:
        assert run(self.tap.event()) == {"batchItemFailures": []}

    def listed(self, order_id: str) -> list[dict[str, Any]]:
        r = self.world.desk.get(f"/orders/{order_id}/notifications")
        assert r.status_code == 200, r.body
        return list(r.json["items"])


@pytest.fixture
def mail(world: World) -> Mail:
    return Mail(world)


def ses(sample: str, order_id: str, dedupe_key: str, recipient: str) -> dict[str, Any]:
    """A sample SES event about the e-mail (dedupe_key, recipient) of the order, through app.on_ses_event."""
    event = json.loads((EVENTS / sample).read_text())
    event["detail"]["mail"]["tags"]["order"] = [order_id]
    event["detail"]["mail"]["tags"]["claim"] = [notified.claim_key(dedupe_key, recipient)]
    result: dict[str, Any] = on_ses_event(event, None)
    return result


def confirmed_order(w: World, mail: Mail) -> tuple[str, str]:
    """An order confirmed by the desk: the buyer gets the "confirmed" e-mail. Returns (order id, its key)."""
    o = w.order()
    assert w.buyer.post(f"/orders/{o['id']}/submit").json["status"] == "submitted"
    assert w.desk.post(f"/orders/{o['id']}/confirm").status_code == 200
    mail.deliver()
    to_buyer = [m for m in mail.outbox.sent if m.to == "buyer@example.test" and m.order_id == o["id"]]
    assert len(to_buyer) == 1
    return o["id"], to_buyer[0].dedupe_key


def test_each_email_of_an_order_is_listed_for_staff(world: World, mail: Mail) -> None:
    order_id, _ = confirmed_order(world, mail)
    listed = mail.listed(order_id)
    assert {(m["event"], m["recipient"], m["status"]) for m in listed} == {
        ("submitted", "rep@example.test", "sent"),
        ("confirmed", "buyer@example.test", "sent"),
    }
    assert all(m["at"].endswith("Z") for m in listed)
    # Customers do not see it; another tenant's staff cannot even find the order.
    assert world.buyer.get(f"/orders/{order_id}/notifications").status_code == 403
    assert world.approver.get(f"/orders/{order_id}/notifications").status_code == 403


def test_delivery_and_soft_bounce_update_the_status(world: World, mail: Mail) -> None:
    order_id, key = confirmed_order(world, mail)
    assert ses("ses_delivery.json", order_id, key, "buyer@example.test") == {"status": "delivered"}
    assert ("confirmed", "delivered") in {(m["event"], m["status"]) for m in mail.listed(order_id)}
    assert ses("ses_bounce_transient.json", order_id, key, "buyer@example.test") == {"status": "sent"}
    o2, _ = confirmed_order(world, mail)
    assert {m["status"] for m in mail.listed(o2) if m["recipient"] == "buyer@example.test"} == {"sent"}


@pytest.mark.parametrize(
    ("sample", "status"), [("ses_bounce_permanent.json", "bounced"), ("ses_complaint.json", "complained")]
)
def test_a_hard_bounce_or_complaint_suppresses_the_address(world: World, mail: Mail, sample: str, status: str) -> None:
    order_id, key = confirmed_order(world, mail)
    assert ses(sample, order_id, key, "buyer@example.test") == {"status": status}
    assert (("confirmed", "buyer@example.test", status)) in {
        (m["event"], m["recipient"], m["status"]) for m in mail.listed(order_id)
    }

    sent_before = len(mail.outbox.sent)
    second, _ = confirmed_order_without_check(world, mail)
    assert [m.to for m in mail.outbox.sent[sent_before:]] == ["rep@example.test"]  # not the buyer
    listed = {(m["event"], m["recipient"], m["status"]) for m in mail.listed(second)}
    assert ("confirmed", "buyer@example.test", "suppressed") in listed
    mail.deliver()  # a redelivery sends nothing to the suppressed address either
    assert [m.to for m in mail.outbox.sent[sent_before:]] == ["rep@example.test"]


def confirmed_order_without_check(w: World, mail: Mail) -> tuple[str, None]:
    o = w.order()
    assert w.buyer.post(f"/orders/{o['id']}/submit").json["status"] == "submitted"
    assert w.desk.post(f"/orders/{o['id']}/confirm").status_code == 200
    mail.deliver()
    return o["id"], None


def test_a_rejected_email_is_listed_as_failed(world: World, mail: Mail) -> None:
    order_id, key = confirmed_order(world, mail)
    assert ses("ses_reject.json", order_id, key, "buyer@example.test") == {"status": "failed"}
    failed = [m for m in mail.listed(order_id) if m["status"] == "failed"]
    assert failed and failed[0]["detail"] == "Bad content"


def test_an_event_about_nothing_of_ours_changes_nothing(world: World, mail: Mail) -> None:
    event = json.loads((EVENTS / "ses_bounce_permanent.json").read_text())
    event["detail"]["mail"]["tags"] = {}
    assert on_ses_event(event, None) == {"status": None}
    order_id, _ = confirmed_order(world, mail)
    assert {m["status"] for m in mail.listed(order_id)} == {"sent"}


def test_a_refused_send_is_listed_as_failed(world: World, mail: Mail) -> None:
    mail.outbox.refuse.add("buyer@example.test")
    o = world.order()
    assert world.buyer.post(f"/orders/{o['id']}/submit").status_code == 200
    assert world.desk.post(f"/orders/{o['id']}/confirm").status_code == 200
    result = run(mail.tap.event())
    assert result["batchItemFailures"]  # retried by Lambda
    assert ("confirmed", "buyer@example.test", "failed") in {
        (m["event"], m["recipient"], m["status"]) for m in mail.listed(o["id"])
    }
