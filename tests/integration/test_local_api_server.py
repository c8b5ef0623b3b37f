"""The local stack's HTTP server under a burst (issue 23 point 9): 50 clients connecting at once are
all accepted at once and all answered, none reset or left to retry its connection."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from chalice.app import Chalice

from devstack.api import ApiServer
from devstack.ports import free_port

CLIENTS = 50
HANDLER_SECONDS = 0.3  # every request is still in its handler when the last client connects
# A connection the listen queue had no room for waits for its SYN to be sent again: 1 s on Linux.
SYN_RETRY_SECONDS = 1.0


@pytest.fixture
def server() -> Iterator[int]:
    app = Chalice("burst")

    @app.route("/slow")
    def slow() -> dict[str, bool]:
        time.sleep(HANDLER_SECONDS)
        return {"ok": True}

    port = free_port()
    api = ApiServer(app, "127.0.0.1", port)
    api.start()
    yield port
    api.stop()


def test_fifty_clients_connecting_at_once_are_accepted_at_once_and_all_answered(server: int) -> None:
    start = threading.Barrier(CLIENTS)
    statuses: list[str] = []
    connect_seconds: list[float] = []

    def client() -> None:
        start.wait()
        began = time.monotonic()
        try:
            with socket.create_connection(("127.0.0.1", server), timeout=30) as s:
                connect_seconds.append(time.monotonic() - began)
                s.sendall(b"GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                answer = b""
                while chunk := s.recv(65536):
                    answer += chunk
            statuses.append(answer.split(b"\r\n", 1)[0].decode())
        except OSError as exc:  # a reset, a refusal, a timeout
            statuses.append(repr(exc))

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert statuses == ["HTTP/1.1 200 OK"] * CLIENTS
    assert max(connect_seconds) < SYN_RETRY_SECONDS / 2, sorted(connect_seconds)[-5:]
