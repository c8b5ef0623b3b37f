"""The operator's create-tenant command, on the same table the API uses."""

from __future__ import annotations

import pytest

from chalicelib import cli
from tests.functional.conftest import Api


def test_create_tenant_makes_a_tenant_whose_admin_can_log_in(
    anon: Api, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(cli.ADMIN_PASSWORD_ENV, "a-strong-password")
    args = [
        "create-tenant",
        "--slug",
        "initech",
        "--name",
        "Initech",
        "--admin",
        "peter",
        "--email",
        "peter@initech.example",
        "--sender-email",
        "orders@initech.example",
    ]
    assert cli.main(args) == 0
    assert "Tenant 'initech' created" in capsys.readouterr().out
    admin = anon.login("initech", "peter", "a-strong-password")
    assert admin.get("/settings").json["sender_email"] == "orders@initech.example"
    groups = {g["id"] for g in admin.get("/security-groups?limit=100").json["items"]}
    assert {
        "administrators",
        "sales-reps",
        "order-desk",
        "customer-buyers",
        "customer-approvers",
        "customer-admins",
    } <= groups

    assert cli.main(args) == 1  # the same slug again
    assert "already exists" in capsys.readouterr().err


def test_create_tenant_refuses_a_bad_slug_or_short_password(
    anon: Api, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(cli.ADMIN_PASSWORD_ENV, "short")
    assert cli.main(["create-tenant", "--slug", "ok", "--name", "X", "--admin", "a", "--email", "a@x.example"]) == 1
    monkeypatch.setenv(cli.ADMIN_PASSWORD_ENV, "a-strong-password")
    assert (
        cli.main(["create-tenant", "--slug", "Bad Slug", "--name", "X", "--admin", "a", "--email", "a@x.example"]) == 1
    )
    assert "slug" in capsys.readouterr().err
