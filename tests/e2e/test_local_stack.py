"""`python -m devstack` as a developer runs it: a subprocess on free ports, talked to over HTTP.

The stack's own `.local` folder is a temporary one (ORDERGATE_LOCAL_DIR), so these tests never touch
the developer's signing key or outbox.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import Any

import pytest
import requests

from devstack import settings
from devstack.ports import free_port, port_in_use

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 150  # DynamoDB Local's JVM: 5 s idle, 30-40 s measured on a loaded 2-core machine
MAIL_SECONDS = 10


@dataclass
class Stack:
    process: subprocess.Popen[bytes]
    api_url: str
    aws_port: int
    api_port: int
    local_dir: Path
    log: Path
    dynamodb_port: int

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def login(
        self,
        tenant: str = "demo",
        username: str = "admin",
        password: str = "demo-admin-pw",
        customer_number: str | None = None,
    ) -> str:
        body = {"tenant": tenant, "username": username, "password": password}
        if customer_number:
            body["customer_number"] = customer_number
        r = requests.post(f"{self.api_url}/auth/login", json=body, timeout=10)
        assert r.status_code == 200, r.text
        token: str = r.json()["access_token"]
        return token

    def call(self, method: str, path: str, token: str, body: Any = None) -> requests.Response:
        return requests.request(
            method, f"{self.api_url}{path}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=10
        )

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise


def stack_env(aws_port: int, api_port: int, local_dir: Path, dynamodb_port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            settings.LOCAL_AWS_PORT: str(aws_port),
            settings.LOCAL_API_PORT: str(api_port),
            settings.LOCAL_DYNAMODB_PORT: str(dynamodb_port),
            settings.LOCAL_DIR: str(local_dir),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def start_stack(workdir: Path, local_dir: Path | None = None) -> Stack:
    aws_port, api_port, dynamodb_port = free_port(), free_port(), free_port()
    while len({aws_port, api_port, dynamodb_port}) < 3:
        api_port, dynamodb_port = free_port(), free_port()
    local_dir = local_dir or workdir / ".local"
    log = workdir / f"stack-{api_port}.log"
    with log.open("wb") as out:  # a file, not a pipe: a chatty child never blocks on a full pipe
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack"],
            cwd=ROOT,
            env=stack_env(aws_port, api_port, local_dir, dynamodb_port),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    stack = Stack(process, f"http://127.0.0.1:{api_port}", aws_port, api_port, local_dir, log, dynamodb_port)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the stack exited with {process.returncode} while starting:\n{stack.output()}")
        try:
            if requests.get(f"{stack.api_url}/health", timeout=1).status_code == 200:
                return stack
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    stack.stop()
    pytest.fail(f"the stack did not answer /health within {STARTUP_SECONDS} s:\n{stack.output()}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start_stack(tmp_path_factory.mktemp("stack"))
    yield running
    running.stop()


def mail_to(outbox: Path, address: str) -> list[EmailMessage]:
    found = []
    for path in sorted(outbox.glob("*.eml")):
        msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        assert isinstance(msg, EmailMessage)
        if address in [a for _, a in getaddresses([str(msg["To"] or "")])]:
            found.append(msg)
    return found


def test_the_banner_names_the_api_the_emulator_the_login_and_the_outbox(stack: Stack):
    text = stack.output()
    assert stack.api_url in text
    assert f"http://127.0.0.1:{stack.aws_port}" in text
    assert "tenant demo, username admin, password demo-admin-pw" in text
    assert str(stack.local_dir / "outbox") in text
    assert (stack.local_dir / "signing-key").is_file()


def test_the_demo_admin_logs_in_and_sees_themselves(stack: Stack):
    token = stack.login()
    r = stack.call("GET", "/me", token)
    assert r.status_code == 200, r.text
    assert r.json()["tenant"] == "demo"
    assert r.json()["username"] == "admin"


def test_a_new_customer_user_finds_a_welcome_email_in_the_outbox(stack: Stack):
    token = stack.login()
    customer = stack.call("POST", "/customers", token, {"number": "E2E-1", "name": "Jane's Bakery"})
    assert customer.status_code == 201, customer.text
    email = "jane@bakery.example"
    user = stack.call(
        "POST",
        "/users",
        token,
        {
            "kind": "customer",
            "username": "jane",
            "name": "Jane Baker",
            "email": email,
            "password": "jane-password-1",
            "security_group_ids": ["customer-buyers"],
            "customer_ids": [customer.json()["id"]],
        },
    )
    assert user.status_code == 201, user.text

    # The user's INSERT goes table → stream → worker → handle_batch → SES → outbox.
    outbox = stack.local_dir / "outbox"
    deadline = time.monotonic() + MAIL_SECONDS
    while not mail_to(outbox, email) and time.monotonic() < deadline:
        time.sleep(0.2)
    messages = mail_to(outbox, email)
    assert messages, f"no e-mail to {email} in {outbox} after {MAIL_SECONDS} s:\n{stack.output()}"
    assert parseaddr(messages[0]["From"]) == ("Demo Supplies Ltd", "orders@demo.example.com")


def test_a_second_start_on_the_same_ports_says_which_port_is_in_use(stack: Stack, tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-m", "devstack"],
        cwd=ROOT,
        env=stack_env(stack.aws_port, stack.api_port, tmp_path / ".local", stack.dynamodb_port),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert f"port {stack.aws_port} (the AWS emulator) is in use" in result.stderr
    assert f"port {stack.api_port} (the API) is in use" in result.stderr
    assert f"port {stack.dynamodb_port} (DynamoDB Local) is in use" in result.stderr
    assert stack.process.poll() is None  # the first one runs on


def test_without_java_it_stops_at_once_and_says_how_to_install_it(tmp_path: Path):
    env = stack_env(free_port(), free_port(), tmp_path / ".local", free_port())
    env["PATH"] = str(tmp_path)  # an empty folder: no `java` on PATH (python is started by its full path)
    result = subprocess.run(
        [sys.executable, "-m", "devstack"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 1
    assert "needs Java 17" in result.stderr
    assert "apt-get install -y openjdk-17-jre-headless" in result.stderr


def test_sigterm_stops_it_within_seconds_and_frees_its_ports_and_a_restart_works(tmp_path: Path):
    first = start_stack(tmp_path)
    key = (first.local_dir / "signing-key").read_text()
    token = first.login()

    started = time.monotonic()
    assert first.stop() == 0
    assert time.monotonic() - started < 5
    assert not port_in_use("127.0.0.1", first.api_port)
    assert not port_in_use("127.0.0.1", first.aws_port)
    assert not port_in_use("127.0.0.1", first.dynamodb_port)  # the JVM is gone too
    assert "stopped" in first.output()

    second = start_stack(tmp_path, first.local_dir)  # same .local: same signing key, fresh emulator
    try:
        assert (second.local_dir / "signing-key").read_text() == key
        assert "password demo-admin-pw" in second.output()
        assert second.call("GET", "/health", token).status_code == 200
        assert second.login()
    finally:
        assert second.stop() == 0
