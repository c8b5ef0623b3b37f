"""Small parts of the local stack that need no emulator: settings, signing key, environment, ports,
the polling loop and the banner."""

from __future__ import annotations

import socket
import stat
import threading
from pathlib import Path

import pytest

from chalicelib import config
from devstack import environment, settings
from devstack.loop import PollingThread
from devstack.ports import free_port, port_in_use
from devstack.stack import Running, banner, busy_ports


def test_local_settings_default_to_the_documented_ports_and_folder(monkeypatch: pytest.MonkeyPatch):
    for var in (settings.LOCAL_AWS_PORT, settings.LOCAL_API_PORT, settings.LOCAL_DYNAMODB_PORT, settings.LOCAL_DIR):
        monkeypatch.delenv(var, raising=False)
    local = settings.LocalSettings.from_env()
    assert local == settings.LocalSettings("127.0.0.1", 5000, 8000, None, dynamodb_port=8001)


def test_local_settings_read_ports_and_folder_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(settings.LOCAL_AWS_PORT, "5123")
    monkeypatch.setenv(settings.LOCAL_API_PORT, "8123")
    monkeypatch.setenv(settings.LOCAL_DYNAMODB_PORT, "8124")
    monkeypatch.setenv(settings.LOCAL_DIR, "/tmp/elsewhere")
    local = settings.LocalSettings.from_env()
    assert local == settings.LocalSettings("127.0.0.1", 5123, 8123, "/tmp/elsewhere", dynamodb_port=8124)


@pytest.mark.parametrize("value", ["http", "0", "70000", "-1"])
def test_a_port_that_is_not_a_port_is_refused_with_its_variable_name(monkeypatch: pytest.MonkeyPatch, value: str):
    monkeypatch.setenv(settings.LOCAL_API_PORT, value)
    with pytest.raises(ValueError, match=settings.LOCAL_API_PORT):
        settings.LocalSettings.from_env()


def test_the_signing_key_is_made_once_kept_private_and_reused(tmp_path: Path):
    local_dir = tmp_path / ".local"
    key = environment.signing_key(local_dir)

    assert len(key) >= 32
    path = local_dir / environment.SIGNING_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert environment.signing_key(local_dir) == key


def test_a_too_short_signing_key_file_is_replaced(tmp_path: Path):
    (tmp_path / environment.SIGNING_KEY_FILE).write_text("short\n")
    assert len(environment.signing_key(tmp_path)) >= 32


def test_the_environment_points_dynamodb_at_dynamodb_local_and_the_rest_at_the_emulator():
    env = environment.local_environment("http://127.0.0.1:5000", "http://127.0.0.1:8001", "k" * 40, "eu-west-1")

    assert env[config.DYNAMODB_ENDPOINT] == "http://127.0.0.1:8001"
    assert env[config.SES_ENDPOINT] == env[config.S3_ENDPOINT] == "http://127.0.0.1:5000"
    assert env[config.AWS_REGION] == env[config.AWS_REGION_ALT] == "eu-west-1"
    assert env[config.AWS_ACCOUNT_ID_ENDPOINT_MODE] == "disabled"
    assert env[config.PASSWORD_HASH_PROFILE] == "production"
    assert env[config.SIGNING_KEY] == "k" * 40


def test_a_listening_port_is_in_use_and_a_closed_one_is_not():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert port_in_use("127.0.0.1", port)
        local = settings.LocalSettings("127.0.0.1", port, free_port(), None, dynamodb_port=free_port())
        (problem,) = busy_ports(local)
        assert f"port {port} (the AWS emulator) is in use" in problem
        assert settings.LOCAL_AWS_PORT in problem
        local = settings.LocalSettings("127.0.0.1", free_port(), free_port(), None, dynamodb_port=port)
        (problem,) = busy_ports(local)
        assert f"port {port} (DynamoDB Local) is in use" in problem
        assert settings.LOCAL_DYNAMODB_PORT in problem
    assert not port_in_use("127.0.0.1", port)


def test_the_polling_thread_keeps_going_after_a_failing_step():
    calls: list[int] = []
    third = threading.Event()

    def step() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("first step fails")
        if len(calls) >= 3:
            third.set()

    loop = PollingThread("test", step, interval=0.01)
    loop.start()
    assert third.wait(5)
    loop.stop()
    assert not loop.running


def test_the_banner_shows_urls_login_curl_and_outbox(tmp_path: Path):
    running = Running(
        "http://127.0.0.1:8000", "http://127.0.0.1:5000", "http://127.0.0.1:8001", "ordergate", tmp_path, seeded=True
    )
    text = banner(running)

    assert "http://127.0.0.1:8000" in text and "http://127.0.0.1:5000" in text
    assert "http://127.0.0.1:8001" in text and "DynamoDB Local" in text
    assert "ordergate" in text
    assert "tenant demo, username admin, password demo-admin-pw" in text
    assert "curl -s -X POST http://127.0.0.1:8000/auth/login" in text
    assert str(tmp_path) in text
