"""The local stack under refused writes, unknown paths and signals, over HTTP (issue 13, points 2 to 4).

- A refused transaction leaves no stream record: the worker sends no e-mail about it and keeps
  delivering the e-mails of what happens next.
- An unknown path or method answers 404/405 in the error envelope and never repeats a header.
- SIGTERM or Ctrl-C ends the process within 5 s whatever is in flight; each start has an empty outbox.
"""

from __future__ import annotations

import json
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from devstack.ports import port_in_use
from tests.e2e.test_local_stack import MAIL_SECONDS, Stack, mail_to, start_stack

pytestmark = pytest.mark.e2e

DESK = "order-desk@demo.example.com"
SECRET = "Bearer not-a-token-but-a-secret-0123456789"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start_stack(tmp_path_factory.mktemp("robust"))
    yield running
    running.stop()


def _ok(response: requests.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _wait_for(outbox: Path, address: str, count: int, stack: Stack) -> list[Any]:
    deadline = time.monotonic() + MAIL_SECONDS
    while len(mail_to(outbox, address)) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    found = mail_to(outbox, address)
    assert len(found) >= count, f"{len(found)} e-mail(s) to {address}, expected {count}:\n{stack.output()}"
    return found


def _login(stack: Stack, username: str, customer_number: str) -> str:
    body = {"tenant": "demo", "username": username, "password": "e2e-password-1", "customer_number": customer_number}
    return str(_ok(requests.post(f"{stack.api_url}/auth/login", json=body, timeout=10))["access_token"])


def _user(stack: Stack, admin: str, username: str, group: str, customer_id: str) -> dict[str, Any]:
    body = {
        "kind": "customer",
        "username": username,
        "name": username.title(),
        "email": f"{username}@e2e.example",
        "password": "e2e-password-1",
        "security_group_ids": [group],
        "customer_ids": [customer_id],
    }
    return dict(_ok(stack.call("POST", "/users", admin, body), 201))


# --- 2: refused writes ------------------------------------------------------------------------------
def test_refused_transactions_leave_no_e_mail_and_the_next_actions_e_mails_arrive(stack: Stack):
    outbox = stack.local_dir / "outbox"
    admin = stack.login()
    flour = {"sku": "E2E-1", "name": "Flour", "base_price": "4.00", "tax_rate": "0.20", "portal": True}
    product = _ok(stack.call("POST", "/products", admin, flour), 201)
    bakery = {"number": "E2E-R", "name": "Budget Bakery", "monthly_budget": "10.00"}
    customer = _ok(stack.call("POST", "/customers", admin, bakery), 201)
    _user(stack, admin, "rbuyer", "customer-buyers", customer["id"])
    _user(stack, admin, "rapprover", "customer-approvers", customer["id"])
    _wait_for(outbox, "rapprover@e2e.example", 1, stack)  # welcome: the worker is live
    buyer = _login(stack, "rbuyer", "E2E-R")
    desk_before = len(mail_to(outbox, DESK))

    # Refused, each by a conditional write in a transaction:
    # an over-budget submit (the budget counter's condition; the order then waits for approval) ...
    order = _ok(stack.call("POST", "/orders", buyer, {"lines": [{"sku": "E2E-1", "quantity": 5}]}), 201)
    submitted = _ok(stack.call("POST", f"/orders/{order['id']}/submit", buyer))
    assert submitted["status"] == "pending_approval"
    # ... customer prices naming a product that does not exist ...
    prices = {"entries": [{"product_id": "no-such-product", "price": "1.00"}]}
    assert stack.call("PUT", f"/customers/{customer['id']}/prices", admin, prices).status_code == 422
    # ... a duplicate customer number, username and sku ...
    assert stack.call("POST", "/customers", admin, {"number": "E2E-R", "name": "Again"}).status_code == 409
    duplicate_user = {
        "kind": "customer",
        "username": "rbuyer",
        "name": "Again",
        "email": "again@e2e.example",
        "password": "e2e-password-1",
        "security_group_ids": ["customer-buyers"],
        "customer_ids": [customer["id"]],
    }
    assert stack.call("POST", "/users", admin, duplicate_user).status_code == 409
    again = {"sku": "E2E-1", "name": "Again", "base_price": "1.00", "tax_rate": "0.20"}
    assert stack.call("POST", "/products", admin, again).status_code == 409
    # ... and a stale version.
    stale = requests.patch(
        f"{stack.api_url}/products/{product['id']}",
        json={"name": "Rye flour"},
        headers={"Authorization": f"Bearer {admin}", "If-Match": '"999"'},
        timeout=10,
    )
    assert stale.status_code == 412

    # What happened is told, and only that: the approver hears of the order, the desk does not (yet).
    _wait_for(outbox, "rapprover@e2e.example", 2, stack)
    # The next actions' e-mails arrive: a new user's welcome, then the approval reaching the desk.
    _user(stack, admin, "rlater", "customer-buyers", customer["id"])
    _wait_for(outbox, "rlater@e2e.example", 1, stack)
    assert not mail_to(outbox, "again@e2e.example")
    assert len(mail_to(outbox, DESK)) == desk_before
    approver = _login(stack, "rapprover", "E2E-R")
    assert _ok(stack.call("POST", f"/orders/{order['id']}/approve", approver))["status"] == "submitted"
    _wait_for(outbox, DESK, desk_before + 1, stack)
    assert "Traceback" not in stack.output()


# --- 4: unknown paths and methods ---------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/nothing-here", "/orders/x/y/z", "/", "/health/"[:-1] + "z"])
@pytest.mark.parametrize("auth", [None, SECRET])
def test_an_unknown_path_is_a_404_in_the_envelope_that_repeats_no_header(stack: Stack, path: str, auth: str | None):
    headers = {"Authorization": auth} if auth else {}
    r = requests.get(f"{stack.api_url}{path}", headers=headers, timeout=10)

    assert r.status_code == 404
    assert r.headers["Content-Type"] == "application/json"
    error = r.json()["error"]
    assert error["code"] == "not_found" and error["message"]
    assert "not-a-token" not in r.text and "Authorization" not in r.text


def test_a_method_the_path_does_not_take_is_a_405_naming_the_allowed_ones(stack: Stack):
    r = requests.delete(f"{stack.api_url}/health", headers={"Authorization": SECRET}, timeout=10)

    assert r.status_code == 405
    assert r.headers["Allow"] == "GET"
    assert r.json()["error"]["code"] == "method_not_allowed"
    assert r.json()["error"]["message"] == "This path does not accept DELETE; use GET."
    assert "not-a-token" not in r.text


def test_a_method_http_does_not_know_is_a_405_in_the_envelope(stack: Stack):
    r = requests.request("BREW", f"{stack.api_url}/health", headers={"Authorization": SECRET}, timeout=10)

    assert r.status_code == 405
    assert r.json()["error"]["code"] == "method_not_allowed"
    assert "not-a-token" not in r.text


# --- 3: stopping and the outbox --------------------------------------------------------------------------
def _hang_a_request(port: int) -> socket.socket:
    """A request whose body never comes: its server thread waits for it as long as the socket is open."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(
        b"POST /customers HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b'Content-Length: 100000\r\n\r\n{"number": '
    )
    return s


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_signal_ends_the_stack_within_5_s_whatever_is_in_flight(tmp_path: Path, sig: signal.Signals):
    running = start_stack(tmp_path)
    token = running.login()
    _ok(running.call("GET", "/me", token))
    hanging = [_hang_a_request(port) for port in (running.api_port, running.aws_port, running.dynamodb_port)]
    time.sleep(0.3)  # the servers have picked the requests up
    try:
        started = time.monotonic()
        running.process.send_signal(sig)
        code = running.process.wait(10)
        took = time.monotonic() - started
    finally:
        for s in hanging:
            s.close()
        if running.process.poll() is None:
            running.process.kill()
    assert took < 5, f"took {took:.1f} s:\n{running.output()}"
    assert code == 0
    assert "stopped" in running.output()
    assert not port_in_use("127.0.0.1", running.api_port)
    assert not port_in_use("127.0.0.1", running.aws_port)
    assert not port_in_use("127.0.0.1", running.dynamodb_port)  # DynamoDB Local's JVM ended too


def test_each_start_has_an_empty_outbox(tmp_path: Path):
    local_dir = tmp_path / ".local"
    outbox = local_dir / "outbox"
    outbox.mkdir(parents=True)
    (outbox / "20260101T000000-0001-old@example.test.eml").write_text("From: old\n\nold run\n")
    (outbox / "20260101T000000-0002-half.part").write_text("half")
    (outbox / "notes.txt").write_text("mine")  # not an e-mail: left alone

    running = start_stack(tmp_path, local_dir)
    try:
        # This run may already have e-mailed (the demo administrator's welcome): only the old files must be gone.
        assert [p.name for p in outbox.iterdir() if p.name.startswith("20260101T")] == []
        assert (outbox / "notes.txt").read_text() == "mine"
        assert "removed 1 e-mail(s) of an earlier run" in running.output()
        _user(running, running.login(), "fresh", "customer-buyers", _new_customer(running))
        _wait_for(outbox, "fresh@e2e.example", 1, running)
    finally:
        assert running.stop() == 0


def _new_customer(stack: Stack) -> str:
    admin = stack.login()
    return str(_ok(stack.call("POST", "/customers", admin, {"number": "E2E-O", "name": "Outbox Ltd"}), 201)["id"])


def test_json_bodies_stay_json(stack: Stack):  # the wrapper leaves the app's own answers alone
    r = requests.get(f"{stack.api_url}/health", timeout=10)
    assert r.status_code == 200 and json.loads(r.text) == {"status": "ok"}
