from __future__ import annotations

import pytest
from argon2 import Type, extract_parameters

from chalicelib import config
from chalicelib.auth.passwords import Passwords


def test_a_hash_verifies_only_its_password() -> None:
    pw = Passwords("fast")
    h = pw.hash("correct horse battery")
    assert h.startswith("$argon2id$")
    assert pw.verify(h, "correct horse battery")
    assert not pw.verify(h, "wrong horse battery")


def test_verifying_without_a_user_hash_always_fails() -> None:
    pw = Passwords("fast")
    assert not pw.verify(None, "not-a-real-password-0")
    assert not pw.verify(None, "anything")


def test_a_corrupt_hash_fails_instead_of_raising() -> None:
    assert not Passwords("fast").verify("$argon2id$garbage", "x")


def test_deployed_code_hashes_at_production_cost_unless_told_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    # The tests set the "fast" profile (tests/conftest.py) so a fixture's users cost nothing to create;
    # no stage sets it, so the deployed app must fall back to argon2id at RFC 9106's cost.
    monkeypatch.delenv(config.PASSWORD_HASH_PROFILE)
    profile = config.Settings.from_env().password_hash_profile

    for chosen in (profile, "Fast", "test"):  # only the exact word "fast" lowers the cost
        params = extract_parameters(Passwords(chosen).hash("correct horse battery"))
        assert (params.type, params.time_cost, params.memory_cost) == (Type.ID, 3, 64 * 1024), chosen
    assert extract_parameters(Passwords("fast").hash("x")).memory_cost < 64 * 1024
