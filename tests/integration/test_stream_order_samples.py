"""The order samples of events/ (made by tests/sample_events.py) through app.py's stream entry point,
on moto with the sample world they refer to (events/sample_world.json)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.bootstrap import get_services
from devstack.fakes import FakeEmailSender
from devstack.replay import seed
from tests.events import combine, load_event
from tests.stream_tap import run

REP, BUYER, APPROVER = "sam@acme.example", "amelie@bistro.example", "piotr@bistro.example"


@pytest.fixture
def outbox(aws: None) -> Iterator[FakeEmailSender]:
    seed(load_event("sample_world")["Items"])
    fake = FakeEmailSender()
    get_services().email_sender = fake
    yield fake


@pytest.mark.parametrize(
    ("sample", "to", "subject"),
    [
        ("stream_order_submitted", REP, "New order ORD-000101 from Bistro Lumière"),
        ("stream_order_needs_approval", APPROVER, "Zamówienie ORD-000102 czeka na Twoją akceptację"),
        ("stream_order_proposal_sent", BUYER, "La commande ORD-000101 attend votre validation"),
        ("stream_order_shipment_inserted", BUYER, "Commande ORD-000101 expédiée"),
        ("stream_order_message_inserted", REP, "New message on order ORD-000101"),
    ],
)
def test_each_order_sample_tells_its_reader_in_their_language(
    outbox: FakeEmailSender, sample: str, to: str, subject: str
) -> None:
    assert run(load_event(sample)) == {"batchItemFailures": []}
    [mail] = outbox.sent
    assert (mail.to, mail.subject, mail.sender) == (to, subject, "orders@acme.example")
    assert "https://portal.acme.example/orders/01SAMPLEORDER" in mail.text


@pytest.mark.parametrize("sample", ["stream_order_noop_modify", "stream_order_lines_modified"])
def test_order_changes_that_tell_nobody_anything_send_nothing(outbox: FakeEmailSender, sample: str) -> None:
    assert run(load_event(sample)) == {"batchItemFailures": []}
    assert outbox.sent == []


def test_the_proposal_note_and_the_shipment_tracking_are_in_the_emails(outbox: FakeEmailSender) -> None:
    run(combine("stream_order_proposal_sent", "stream_order_shipment_inserted"))
    proposal, shipment = outbox.sent
    assert "Remarque : Cups ship on 12 March" in proposal.text
    assert "Numéro de suivi : 09831122" in shipment.text and "DN-2026-0042" in shipment.html


def test_every_sample_at_once_sends_five_emails_and_again_none(outbox: FakeEmailSender) -> None:
    names = [
        "stream_order_submitted",
        "stream_order_noop_modify",
        "stream_order_proposal_sent",
        "stream_order_shipment_inserted",
        "stream_order_lines_modified",
        "stream_order_message_inserted",
        "stream_order_needs_approval",
    ]
    assert run(combine(*names)) == {"batchItemFailures": []}
    assert run(combine(*names)) == {"batchItemFailures": []}
    assert len(outbox.sent) == 5


def test_a_poisoned_record_among_the_samples_is_the_only_failure(outbox: FakeEmailSender) -> None:
    result = run(combine("stream_order_submitted", "stream_poisoned_record", "stream_order_proposal_sent"))
    assert result == {"batchItemFailures": [{"itemIdentifier": "5"}]}
    assert [m.to for m in outbox.sent] == [REP, BUYER]
