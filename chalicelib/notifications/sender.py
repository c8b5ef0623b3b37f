"""Sending e-mail: the port (`EmailSender`), the SES v2 adapter, and an in-memory fake for unit tests.

Messages go to SES as raw MIME (multipart/alternative: text and HTML) so every reader gets both
bodies, and the local outbox shows exactly what was sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Protocol


@dataclass(frozen=True)
class OutgoingEmail:
    sender: str
    to: str
    subject: str
    text: str
    html: str
    # Stable per (event, recipient): lets readers and de-duplication recognise the same message.
    dedupe_key: str = ""

    def to_mime(self) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = self.to
        msg["Subject"] = self.subject
        msg["Date"] = formatdate(usegmt=True)
        msg["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        if self.dedupe_key:
            msg["X-OrderGate-Event"] = self.dedupe_key
        # Quoted-printable keeps the message 7-bit: safe through every relay and readable as a file.
        msg.set_content(self.text, cte="quoted-printable")
        msg.add_alternative(self.html, subtype="html", cte="quoted-printable")
        return msg


class EmailSender(Protocol):
    def send(self, email: OutgoingEmail) -> str:
        """Hand the message to the mail service; returns its message id. Raises on refusal."""
        ...


class SesEmailSender:
    def __init__(self, client: Any) -> None:
        self._client = client  # a boto3 "sesv2" client, injected by bootstrap or tests

    def send(self, email: OutgoingEmail) -> str:
        response = self._client.send_email(
            FromEmailAddress=email.sender,
            Destination={"ToAddresses": [email.to]},
            Content={"Raw": {"Data": email.to_mime().as_bytes()}},
        )
        return str(response["MessageId"])


@dataclass
class FakeEmailSender:
    """Records messages; `refuse` makes it fail like SES refusing a sender."""

    sent: list[OutgoingEmail] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    def send(self, email: OutgoingEmail) -> str:
        if email.to in self.refuse or email.sender in self.refuse:
            raise RuntimeError(f"refused: {email.to}")
        self.sent.append(email)
        return f"fake-{len(self.sent)}"
