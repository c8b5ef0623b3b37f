from __future__ import annotations

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
