"""Helpers for the catalog functional tests: products, groups, customers and their users."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.functional.conftest import USER_PASSWORD, Api, create_customer, create_user

CSV = {"Content-Type": "text/csv"}


def create_group(admin: Api, name: str, portal: bool = False) -> dict[str, Any]:
    r = admin.post("/product-groups", {"name": name, "portal": portal})
    assert r.status_code == 201, r.body
    return r.json


def create_product(admin: Api, sku: str, **extra: Any) -> dict[str, Any]:
    body = {"sku": sku, "name": f"Product {sku}", "base_price": "10.00", "tax_rate": "0.20", **extra}
    r = admin.post("/products", body)
    assert r.status_code == 201, r.body
    return r.json


def customer_user(admin: Api, number: str, username: str | None = None, **customer: Any) -> tuple[dict[str, Any], Api]:
    """A customer and a logged-in buyer of it."""
    c = create_customer(admin, number, **customer)
    name = username or f"buyer-{number.lower()}"
    create_user(admin, name, ["customer-buyers"], customer_ids=[c["id"]])
    return c, admin.login("acme", name, USER_PASSWORD, customer_number=number)


def ids(r: Any) -> list[str]:
    assert r.status_code == 200, r.body
    return [p["id"] for p in r.json["items"]]


def skus(r: Any) -> list[str]:
    assert r.status_code == 200, r.body
    return [p["sku"] for p in r.json["items"]]


def import_csv(admin: Api, text: str, dry_run: bool | None = None) -> Any:
    path = "/products/import" if dry_run is None else f"/products/import?dry_run={str(dry_run).lower()}"
    return admin.post(path, raw=text.encode(), headers=CSV)


@pytest.fixture(autouse=True)
def no_scan(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Imported by every catalog test module: a Scan anywhere behind these requests fails the test."""
    from pynamodb.connection.base import Connection

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("Scan called while serving a catalog request")

    monkeypatch.setattr(Connection, "scan", refuse)
    yield
