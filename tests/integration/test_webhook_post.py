"""One webhook POST against real sockets: no redirect is followed, and the time limit holds."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from chalicelib.webhooks import post as post_module
from chalicelib.webhooks.urls import Target, check

hits: list[str] = []


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        hits.append(self.path)
        self.rfile.read(int(self.headers.get("content-length", "0")))
        if self.path == "/redirect":
            self.send_response(307)
            self.send_header("Location", "/elsewhere")
            self.end_headers()
            return
        if self.path == "/slow":
            time.sleep(1.5)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def target(port: int, path: str) -> Target:
    return check(f"http://127.0.0.1:{port}{path}", local_refused_ports=frozenset())


def test_a_2xx_is_delivered_with_the_headers_given(port: int) -> None:
    outcome = post_module.post(target(port, "/ok"), {"webhook-id": "x"}, "{}")
    assert outcome.delivered and outcome.status == 204


def test_a_redirect_is_not_followed(port: int) -> None:
    hits.clear()
    outcome = post_module.post(target(port, "/redirect"), {}, "{}")
    assert outcome.status == 307 and not outcome.delivered
    assert hits == ["/redirect"]


def test_the_time_limit_ends_a_slow_receiver(port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(post_module, "TIMEOUT_SECONDS", 0.3)
    started = time.monotonic()
    outcome = post_module.post(target(port, "/slow"), {}, "{}")
    assert outcome.status is None and outcome.error and "Timeout" in outcome.error
    assert time.monotonic() - started < 1.2


def test_nobody_listening_is_an_error_not_an_exception() -> None:
    outcome = post_module.post(Target("http", "127.0.0.1", 9, "/", "127.0.0.1"), {}, "{}")
    assert outcome.status is None and outcome.error
