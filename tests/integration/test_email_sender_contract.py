"""One contract, two adapters: the in-memory fake used by unit tests behaves like SES (on moto)."""

from __future__ import annotations

import email
from collections.abc import Callable, Iterator
from email.message import Message

import boto3
import pytest
from moto import mock_aws

from chalicelib.notifications.sender import EmailSender, OutgoingEmail, SesEmailSender
from devstack.fakes import FakeEmailSender

MAIL = OutgoingEmail(
    sender="orders@acme.example",
    to="buyer@customer.example",
    subject="Zamówienie ORD-1 / Поръчка",
    text="Plain text body: Zażółć",
    html="<p>HTML body: <b>Zażółć</b></p>",
    dedupe_key="order-submitted:1:buyer",
)


def sent_by_moto() -> list[Message]:
    from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]
    from moto.ses.models import ses_backends

    backend = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    return [email.message_from_string(m.raw_data) for m in backend.sent_messages]


def fake_sent(sender: FakeEmailSender) -> Callable[[], list[Message]]:
    return lambda: [m.to_mime() for m in sender.sent]


@pytest.fixture(params=["fake", "ses"])
def adapter(request: pytest.FixtureRequest) -> Iterator[tuple[EmailSender, Callable[[], list[Message]]]]:
    if request.param == "fake":
        fake = FakeEmailSender()
        yield fake, fake_sent(fake)
        return
    with mock_aws():
        client = boto3.client("sesv2", region_name="us-east-1")
        client.create_email_identity(EmailIdentity="acme.example")
        yield SesEmailSender(client), sent_by_moto


def test_a_sent_message_carries_both_bodies_and_its_headers(adapter) -> None:
    sender, sent = adapter
    assert sender.send(MAIL)
    [msg] = sent()
    assert msg["To"] == MAIL.to and msg["From"] == MAIL.sender
    assert str(email.header.make_header(email.header.decode_header(msg["Subject"]))) == MAIL.subject
    assert msg["X-OrderGate-Event"] == MAIL.dedupe_key
    parts = {p.get_content_type(): p.get_payload(decode=True).decode() for p in msg.walk() if not p.is_multipart()}
    assert parts == {"text/plain": MAIL.text + "\n", "text/html": MAIL.html + "\n"}


def test_an_unverified_sender_is_refused(adapter) -> None:
    sender, sent = adapter
    if isinstance(sender, FakeEmailSender):
        sender.refuse.add("someone@else.example")
    with pytest.raises(Exception):
        sender.send(OutgoingEmail("someone@else.example", "x@y.example", "s", "t", "<p>h</p>"))
    assert sent() == []
