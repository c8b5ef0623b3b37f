"""SES throttling is retried by the client bootstrap builds (botocore's standard retry mode, with backoff);
other refusals are not retried, and become EmailRefusedError. Against a local HTTP server answering as
SES v2 does: moto never throttles."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from chalicelib.bootstrap import AWS_ATTEMPTS, aws_client
from chalicelib.config import get_settings
from chalicelib.notifications.sender import EmailRefusedError, OutgoingEmail, SesEmailSender

MAIL = OutgoingEmail("orders@acme.example", "buyer@bistro.example", "s", "t", "<p>h</p>", "k")


class Ses:
    """Answers each SendEmail with the next scripted error code (an HTTP status and SES's error type), then
    accepts it."""

    def __init__(self) -> None:
        self.errors: list[tuple[int, str]] = []
        self.bodies: list[bytes] = []
        self.waits: list[float] = []


@pytest.fixture
def ses(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Ses, str]]:
    script = Ses()
    monkeypatch.setattr("time.sleep", script.waits.append)  # botocore's backoff, recorded instead of waited

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            script.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
            status, body = (200, {"MessageId": f"msg-{len(script.bodies)}"})
            if script.errors:
                status, code = script.errors.pop(0)
                body = {"message": "Maximum sending rate exceeded."}
                self.send_response(status)
                self.send_header("x-amzn-ErrorType", code)
            else:
                self.send_response(status)
            data = json.dumps(body).encode()
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield script, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def sender(url: str) -> SesEmailSender:
    return SesEmailSender(aws_client("sesv2", get_settings(), endpoint=url))


def test_throttling_is_retried_by_the_client_until_ses_accepts(ses: tuple[Ses, str]) -> None:
    script, url = ses
    script.errors = [(429, "TooManyRequestsException"), (429, "TooManyRequestsException")]
    assert sender(url).send(MAIL) == "msg-3"
    assert len(script.bodies) == 3 and script.bodies[0] == script.bodies[2]  # the same message each time
    assert len(script.waits) == 2 and all(w > 0 for w in script.waits)  # spaced out


def test_throttling_gives_up_after_the_client_s_last_attempt(ses: tuple[Ses, str]) -> None:
    script, url = ses
    script.errors = [(429, "TooManyRequestsException")] * (AWS_ATTEMPTS + 2)
    with pytest.raises(EmailRefusedError) as refused:
        sender(url).send(MAIL)
    assert refused.value.code == "TooManyRequestsException"
    assert len(script.bodies) == AWS_ATTEMPTS


def test_a_refusal_that_is_not_throttling_is_not_retried(ses: tuple[Ses, str]) -> None:
    script, url = ses
    script.errors = [(400, "MessageRejected")]
    with pytest.raises(EmailRefusedError) as refused:
        sender(url).send(MAIL)
    assert refused.value.code == "MessageRejected"
    assert len(script.bodies) == 1 and script.waits == []
