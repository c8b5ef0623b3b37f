from __future__ import annotations

import time

import jwt
import pytest

from chalicelib.auth.principal import Principal
from chalicelib.auth.tokens import TokenSigner
from chalicelib.domain.errors import UnauthenticatedError
from chalicelib.domain.permissions import UserKind

KEY = "k" * 40


def principal() -> Principal:
    return Principal("acme", "u1", UserKind.CUSTOMER, frozenset({"orders.place"}), ("c1",), ("s1",), "fam1")


def test_a_token_carries_tenant_user_and_scope() -> None:
    signer = TokenSigner(KEY, 900)
    assert signer.verify(signer.issue(principal())) == principal()


def test_an_expired_token_is_refused() -> None:
    signer = TokenSigner(KEY, -10)
    with pytest.raises(UnauthenticatedError, match="expired"):
        signer.verify(signer.issue(principal()))


def test_a_token_signed_with_another_key_is_refused() -> None:
    token = TokenSigner("x" * 40, 900).issue(principal())
    with pytest.raises(UnauthenticatedError):
        TokenSigner(KEY, 900).verify(token)


def test_an_unsigned_alg_none_token_is_refused() -> None:
    signer = TokenSigner(KEY, 900)
    claims = jwt.decode(signer.issue(principal()), options={"verify_signature": False})
    forged = jwt.encode(claims, key="", algorithm="none")
    with pytest.raises(UnauthenticatedError):
        signer.verify(forged)


def test_a_token_with_tampered_claims_is_refused() -> None:
    signer = TokenSigner(KEY, 900)
    header, _payload, signature = signer.issue(principal()).split(".")
    claims = jwt.decode(signer.issue(principal()), options={"verify_signature": False})
    claims["ten"] = "other-tenant"
    other_payload = jwt.encode(claims, KEY + "-wrong", algorithm="HS256").split(".")[1]
    with pytest.raises(UnauthenticatedError):
        signer.verify(f"{header}.{other_payload}.{signature}")


def test_garbage_is_refused() -> None:
    with pytest.raises(UnauthenticatedError):
        TokenSigner(KEY, 900).verify("not.a.token")


def test_a_short_signing_key_is_a_configuration_error() -> None:
    with pytest.raises(ValueError):
        TokenSigner("short", 900)


def test_token_lifetime_is_the_configured_one() -> None:
    signer = TokenSigner(KEY, 900)
    claims = jwt.decode(signer.issue(principal()), KEY, algorithms=["HS256"], issuer="ordergate")
    assert claims["exp"] - claims["iat"] == 900
    assert abs(claims["iat"] - time.time()) < 5


def test_a_token_carries_the_display_name_for_the_history() -> None:
    from dataclasses import replace

    signer = TokenSigner(KEY, 900)
    named = replace(principal(), name="Amélie Martin")
    assert signer.verify(signer.issue(named)) == named


def test_a_token_carries_what_an_order_write_checks_of_its_caller() -> None:
    """The session epoch and each security group with its version (services/callers.py `standing_of`)."""
    from dataclasses import replace

    signer = TokenSigner(KEY, 900)
    standing = replace(principal(), session_epoch=3, group_ids=("customer-buyers", "g2"), group_versions=(1, 7))
    back = signer.verify(signer.issue(standing))
    assert back == standing and back.current is False  # a token never makes its caller current
