"""SES throttling is retried with bounded exponential backoff; other refusals are not retried."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.notifications.sender import EmailRefusedError, OutgoingEmail, SesEmailSender

MAIL = OutgoingEmail("orders@acme.example", "buyer@bistro.example", "s", "t", "<p>h</p>", "k")


@dataclass
class FlakySes:
    """A stand-in sesv2 client: answers each call with the next scripted error code, then succeeds."""

    errors: list[str]
    calls: int = 0
    raw: list[bytes] = field(default_factory=list)

    def send_email(self, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        self.raw.append(kwargs["Content"]["Raw"]["Data"])
        if self.errors:
            code = self.errors.pop(0)
            raise ClientError({"Error": {"Code": code, "Message": "Maximum sending rate exceeded."}}, "SendEmail")
        return {"MessageId": f"msg-{self.calls}"}


@pytest.mark.parametrize("code", ["TooManyRequestsException", "Throttling", "LimitExceededException"])
def test_throttling_is_retried_until_ses_accepts(code: str) -> None:
    client, waits = FlakySes([code, code]), list[float]()
    sender = SesEmailSender(client, sleep=waits.append)
    assert sender.send(MAIL) == "msg-3"
    assert client.calls == 3 and len(waits) == 2
    assert client.raw[0] == client.raw[2]  # the same message each time


def test_throttling_gives_up_after_the_last_attempt() -> None:
    client, waits = FlakySes(["Throttling"] * 10), list[float]()
    sender = SesEmailSender(client, attempts=4, sleep=waits.append)
    with pytest.raises(EmailRefusedError) as refused:
        sender.send(MAIL)
    assert refused.value.code == "Throttling"
    assert client.calls == 4 and len(waits) == 3


def test_backoff_doubles_with_jitter_and_never_exceeds_the_cap() -> None:
    sender = SesEmailSender(FlakySes([]), base_delay=0.2, max_delay=1.0, sleep=lambda _: None)
    for attempt, ceiling in enumerate([0.2, 0.4, 0.8, 1.0, 1.0, 1.0]):
        waits = [sender.backoff(attempt) for _ in range(50)]
        assert all(ceiling / 2 <= w <= ceiling for w in waits), (attempt, min(waits), max(waits))


def test_a_refusal_that_is_not_throttling_is_not_retried() -> None:
    client, waits = FlakySes(["MessageRejected"]), list[float]()
    with pytest.raises(EmailRefusedError) as refused:
        SesEmailSender(client, sleep=waits.append).send(MAIL)
    assert refused.value.code == "MessageRejected" and client.calls == 1 and waits == []
