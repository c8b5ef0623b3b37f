"""Functional tests drive the real Chalice app (app.py) through chalice.test.Client on moto."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib.bootstrap import get_services
from chalicelib.services.tenants import create_tenant

ADMIN_PASSWORD = "admin-password-1"
USER_PASSWORD = "user-password-1"


@dataclass
class Reply:
    status_code: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Api:
    """A thin HTTP client over chalice.test.Client that speaks JSON and remembers a token."""

    client: Client
    token: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        raw: bytes | str | None = None,
    ) -> Any:
        h = {"Content-Type": "application/json", **self.headers, **(headers or {})}
        if self.token:
            h.setdefault("Authorization", f"Bearer {self.token}")
        payload = raw if raw is not None else (json.dumps(body) if body is not None else b"")
        data = payload.encode() if isinstance(payload, str) else payload
        r = self.client.http.request(method, path, headers=h, body=data)
        return Reply(r.status_code, dict(r.headers), r.body)

    def get(self, path: str, **kw: Any) -> Any:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.call("POST", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.call("PATCH", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.call("PUT", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.call("DELETE", path, **kw)

    def as_token(self, token: str | None) -> Api:
        return Api(self.client, token)

    def login(self, tenant: str, username: str, password: str, customer_number: str | None = None) -> Api:
        body = {"tenant": tenant, "username": username, "password": password}
        if customer_number:
            body["customer_number"] = customer_number
        r = self.as_token(None).post("/auth/login", body)
        assert r.status_code == 200, r.body
        return self.as_token(r.json["access_token"])


@pytest.fixture
def client(aws: None) -> Iterator[Client]:
    with Client(app) as c:
        yield c


@pytest.fixture
def anon(client: Client) -> Api:
    return Api(client)


def make_tenant(slug: str, admin: str = "admin") -> None:
    create_tenant(
        get_services().passwords,
        slug=slug,
        name=f"{slug.title()} Ltd",
        admin_username=admin,
        admin_password=ADMIN_PASSWORD,
        admin_email=f"{admin}@{slug}.test",
    )


@pytest.fixture
def admin(anon: Api) -> Api:
    """The administrator of tenant `acme`."""
    make_tenant("acme")
    return anon.login("acme", "admin", ADMIN_PASSWORD)


def create_customer(admin: Api, number: str, **extra: Any) -> dict[str, Any]:
    r = admin.post("/customers", {"number": number, "name": f"Customer {number}", **extra})
    assert r.status_code == 201, r.body
    return r.json


def create_user(admin: Api, username: str, groups: list[str], kind: str = "customer", **extra: Any) -> dict[str, Any]:
    body = {
        "kind": kind,
        "username": username,
        "name": username.title(),
        "email": f"{username}@example.test",
        "password": USER_PASSWORD,
        "security_group_ids": groups,
        **extra,
    }
    r = admin.post("/users", body)
    assert r.status_code == 201, r.body
    return r.json


def verified_sender_domain(admin: Api, domain: str) -> dict[str, Any]:
    """Adds a sender domain through the API and publishes its DKIM records (what SES then verifies)."""
    from devstack.ses_identities import publish_dkim_records

    r = admin.post("/sender-domains", {"domain": domain})
    assert r.status_code == 201, r.body
    publish_dkim_records(domain)
    shown = admin.get(f"/sender-domains/{domain}")
    assert shown.status_code == 200 and shown.json["status"] == "verified", shown.body
    return dict(shown.json)
