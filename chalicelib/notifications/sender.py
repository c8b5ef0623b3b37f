"""Sending e-mail: the port (`EmailSender`) and the SES v2 adapter (an in-memory fake: devstack/fakes.py).

Messages go to SES as raw MIME (multipart/alternative: text and HTML) so every reader gets both
bodies, and the local outbox shows exactly what was sent.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Protocol

# SES answers these when the account's sending rate is exceeded: worth a few retries, spaced out.
THROTTLING_CODES = frozenset(
    {"TooManyRequestsException", "Throttling", "ThrottlingException", "LimitExceededException"}
)


class EmailRefusedError(Exception):
    """The mail service did not accept the message (unverified sender, bad address, suspended
    account, or still throttled after the retries)."""

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
    """SES v2 SendEmail with raw MIME. Throttling is retried `attempts` times in all with exponential
    backoff (`base_delay` doubling, capped at `max_delay`, with jitter); anything else is refused
    at once. `sleep` is injected so tests do not wait."""

    def __init__(
        self,
        client: Any,
        *,
        configuration_set: str | None = None,
        attempts: int = 5,
        base_delay: float = 0.2,
        max_delay: float = 3.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client  # a boto3 "sesv2" client, injected by bootstrap or tests
        # Its event destination reports deliveries, bounces, complaints and rejections (app.py on_ses_event).
        self._configuration_set = configuration_set
        self._attempts = max(1, attempts)
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._sleep = sleep

    def send(self, email: OutgoingEmail) -> str:
        from botocore.exceptions import ClientError

        raw = email.to_mime().as_bytes()
        for attempt in range(self._attempts):
            try:
                extra: dict[str, Any] = {}
                if self._configuration_set:
                    extra["ConfigurationSetName"] = self._configuration_set
                if email.tags:
                    extra["EmailTags"] = [{"Name": k, "Value": v} for k, v in email.tags]
                response = self._client.send_email(
                    FromEmailAddress=email.sender,
                    Destination={"ToAddresses": [email.to]},
                    Content={"Raw": {"Data": raw}},
                    **extra,
                )
                return str(response["MessageId"])
            except ClientError as exc:
                error = exc.response.get("Error", {})
                code = str(error.get("Code", "Unknown"))
                if code not in THROTTLING_CODES or attempt + 1 >= self._attempts:
                    raise EmailRefusedError(code, str(error.get("Message", ""))) from exc
                self._sleep(self.backoff(attempt))
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after the `attempt`-th (0-based) throttled try: half fixed, half jitter."""
        delay = min(self._max_delay, self._base_delay * 2.0**attempt)
        return delay / 2 + random.uniform(0, delay / 2)  # noqa: S311 - jitter, not crypto
