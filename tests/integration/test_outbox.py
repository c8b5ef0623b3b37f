"""The local outbox: whatever moto's SES accepted (v1 or v2 API, simple, raw or templated) ends up
as one readable .eml file, once."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import boto3
import pytest

from devstack.outbox import Outbox

SENDER = "orders@demo.example.com"
ACCEPTED_AT = datetime(2026, 3, 1, 12, 0, 30, tzinfo=UTC)


@pytest.fixture
def ses(aws: None) -> Any:
    client = boto3.client("ses")
    client.verify_domain_identity(Domain="demo.example.com")
    return client


@pytest.fixture
def outbox(tmp_path: Path) -> Outbox:
    return Outbox(tmp_path / "outbox", clock=lambda: ACCEPTED_AT)


def read(path: Path) -> EmailMessage:
    msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(msg, EmailMessage)
    return msg


def body_of(msg: EmailMessage, preference: tuple[str, ...] = ("plain",)) -> str:
    part = msg.get_body(preferencelist=preference)
    assert part is not None
    content: str = part.get_content()
    return content


def test_a_simple_message_becomes_one_eml_file_with_headers_and_body(ses: Any, outbox: Outbox):
    ses.send_email(
        Source=SENDER,
        Destination={"ToAddresses": ["jane@customer.example"], "CcAddresses": ["desk@demo.example.com"]},
        Message={"Subject": {"Data": "Your account"}, "Body": {"Text": {"Data": "Hello Jane,\nwelcome."}}},
    )

    (path,) = outbox.collect()

    assert path.parent == outbox.directory and path.suffix == ".eml"
    assert "jane@customer.example" in path.name
    msg = read(path)
    assert msg["From"] == SENDER
    assert msg["To"] == "jane@customer.example"
    assert msg["Cc"] == "desk@demo.example.com"
    assert msg["Subject"] == "Your account"
    assert msg["Date"].datetime == ACCEPTED_AT
    assert msg["X-SES-Message-Id"]
    assert body_of(msg) == "Hello Jane,\nwelcome.\n"


def test_each_message_is_written_once(ses: Any, outbox: Outbox):
    send = {"Source": SENDER, "Message": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}}
    ses.send_email(Destination={"ToAddresses": ["a@customer.example"]}, **send)
    assert len(outbox.collect()) == 1
    assert outbox.collect() == []

    ses.send_email(Destination={"ToAddresses": ["b@customer.example"]}, **send)
    (second,) = outbox.collect()

    assert "b@customer.example" in second.name
    assert len(list(outbox.directory.glob("*.eml"))) == 2


def test_a_v2_raw_message_keeps_its_text_and_html_parts(aws: None, outbox: Outbox):
    boto3.client("sesv2").create_email_identity(EmailIdentity="demo.example.com")
    mime = EmailMessage()
    mime["From"] = SENDER
    mime["To"] = "jane@customer.example"
    mime["Subject"] = "Your account at Demo"
    mime.set_content("Hello Jane,\n")
    mime.add_alternative("<p>Hello Jane,</p>\n", subtype="html")
    boto3.client("sesv2").send_email(
        FromEmailAddress=SENDER,
        Destination={"ToAddresses": ["jane@customer.example"]},
        Content={"Raw": {"Data": mime.as_bytes()}},
    )

    (path,) = outbox.collect()

    msg = read(path)
    assert msg["To"] == "jane@customer.example"
    assert msg["Subject"] == "Your account at Demo"
    assert msg["Date"] is not None
    assert body_of(msg) == "Hello Jane,\n"
    assert body_of(msg, ("html",)) == "<p>Hello Jane,</p>\n"


def test_a_v2_simple_message_with_both_bodies_keeps_the_html_moto_kept(aws: None, outbox: Outbox):
    sesv2 = boto3.client("sesv2")
    sesv2.create_email_identity(EmailIdentity=SENDER)
    sesv2.send_email(
        FromEmailAddress=SENDER,
        Destination={"ToAddresses": ["jane@customer.example"]},
        Content={
            "Simple": {
                "Subject": {"Data": "Order confirmed"},
                "Body": {"Text": {"Data": "Order 1 confirmed"}, "Html": {"Data": "<p>Order 1 confirmed</p>"}},
            }
        },
    )

    (path,) = outbox.collect()

    msg = read(path)
    assert msg.get_content_type() == "text/html"
    assert body_of(msg, ("html",)).strip() == "<p>Order 1 confirmed</p>"


def test_a_templated_message_shows_its_template_and_data(ses: Any, outbox: Outbox):
    ses.create_template(Template={"TemplateName": "welcome", "SubjectPart": "Hi", "TextPart": "Hi {{name}}"})
    ses.send_templated_email(
        Source=SENDER,
        Destination={"ToAddresses": ["jane@customer.example"]},
        Template="welcome",
        TemplateData=json.dumps({"name": "Jane"}),
    )

    (path,) = outbox.collect()

    msg = read(path)
    assert msg["Subject"] == "[SES template welcome]"
    assert '"name": "Jane"' in body_of(msg)


def test_a_refused_sender_leaves_nothing_in_the_outbox(aws: None, outbox: Outbox):
    with pytest.raises(Exception, match="not verified"):
        boto3.client("ses").send_email(
            Source="someone@unverified.example",
            Destination={"ToAddresses": ["jane@customer.example"]},
            Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}},
        )
    assert outbox.collect() == []
