"""Sending e-mail: the port (`EmailSender`) and the SES v2 adapter (an in-memory fake: devstack/fakes.py).

Messages go to SES as raw MIME (multipart/alternative: text and HTML) so every reader gets both
bodies, and the local outbox shows exactly what was sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Any, Protocol


class EmailRefusedError(Exception):
    """The mail service did not accept the message (unverified sender, bad address, suspended
    account, or still throttled after the client's retries)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass(frozen=True)
class OutgoingEmail:
    sender: str
    to: str
    subject: str
    text: str
    html: str
    # Stable per (event, recipient): lets readers and de-duplication recognise the same message.
    dedupe_key: str = ""
    event: str = ""  # the e-mail's event name (approval_needed, submitted, ...)
    order_id: str | None = None  # the order it is about: its e-mails are listed per order
    # Message tags the mail service hands back with its delivery, bounce and complaint events, so they
    # find their e-mail: (name, value) with values of letters, digits, `_` and `-` only.
    tags: tuple[tuple[str, str], ...] = ()
    # Shown beside the address (the tenant's name): what a reader sees when the address is the platform's.
    sender_name: str = ""

    @property
    def from_header(self) -> str:
        return formataddr((self.sender_name, self.sender)) if self.sender_name else self.sender

    def to_mime(self) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.from_header
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
    """SES v2 SendEmail with raw MIME. Throttling (the account's sending rate exceeded) is retried by the
    client itself (botocore's standard retry mode, bootstrap.py `aws_client`); what SES still refuses is an
    EmailRefusedError."""

    def __init__(self, client: Any, *, configuration_set: str | None = None) -> None:
        self._client = client  # a boto3 "sesv2" client, injected by bootstrap or tests
        # Its event destination reports deliveries, bounces, complaints and rejections (app.py on_ses_event).
        self._configuration_set = configuration_set

    def send(self, email: OutgoingEmail) -> str:
        from botocore.exceptions import ClientError

        extra: dict[str, Any] = {}
        if self._configuration_set:
            extra["ConfigurationSetName"] = self._configuration_set
        if email.tags:
            extra["EmailTags"] = [{"Name": k, "Value": v} for k, v in email.tags]
        try:
            response = self._client.send_email(
                FromEmailAddress=email.from_header,
                Destination={"ToAddresses": [email.to]},
                Content={"Raw": {"Data": email.to_mime().as_bytes()}},
                **extra,
            )
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise EmailRefusedError(str(error.get("Code", "Unknown")), str(error.get("Message", ""))) from exc
        return str(response["MessageId"])
