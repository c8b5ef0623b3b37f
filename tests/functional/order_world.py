"""A small supplier world for order tests: customers, their people, staff, and a fake catalog.

The catalog is the in-memory FakeCatalog (services/order_catalog.py); the same flows run against
the real catalog adapter in test_orders_catalog_contract once catalog and orders meet.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.bootstrap import get_services
from chalicelib.domain.pricing import PriceRule, Tier
from chalicelib.services.order_catalog import Offer
from chalicelib.services.orders import OrderService
from chalicelib.storage.orders import DynamoOrderStore
from devstack.fakes import FakeCatalog
from tests.functional.conftest import USER_PASSWORD, Api, create_customer, create_user

D = Decimal


def offer(
    pid: str,
    sku: str,
    price: str,
    *,
    tax: str = "0.20",
    min_q: str = "1",
    multiple: str = "1",
    tiers: tuple[tuple[str, str], ...] = (),
) -> Offer:
    rule = PriceRule.of(D(price), [Tier(D(q), D(p)) for q, p in tiers])
    return Offer(pid, sku, f"Product {sku}", D(tax), D(min_q), D(multiple), rule)


@dataclass
class World:
    admin: Api
    anon: Api
    catalog: FakeCatalog
    customer: dict[str, Any]
    buyer: Api
    approver: Api
    rep: Api
    desk: Api
    ids: dict[str, str]

    def order(self, api: Api | None = None, lines: list[dict[str, Any]] | None = None, **body: Any) -> dict[str, Any]:
        r = (api or self.buyer).post("/orders", {"lines": lines or [{"sku": "SKU-1", "quantity": 2}], **body})
        assert r.status_code == 201, r.body
        return r.json


@pytest.fixture
def world(admin: Api, anon: Api) -> World:
    return build_world(admin, anon)


def build_world(admin: Api, anon: Api) -> World:
    """The world on tenant `acme` (whose administrator `admin` is): also used by module-scoped fixtures."""
    catalog = FakeCatalog()
    catalog.add(offer("p1", "SKU-1", "10.00"), barcode="5901234123457")
    catalog.add(offer("p2", "BOX-6", "2.50", multiple="6", tiers=(("12", "2.00"),)))
    catalog.add(offer("p3", "HIDDEN", "99.00"))
    catalog.hidden.add("p3")
    services = get_services()
    services.catalog = catalog
    services.orders = OrderService(catalog, DynamoOrderStore(), files=services.document_files)

    admin.patch(
        "/settings",
        {
            "delivery_methods": [{"code": "courier", "name": "Courier"}],
            "payment_methods": [{"code": "transfer", "name": "Bank transfer"}],
        },
    )
    rep = create_user(admin, "rep", ["sales-reps"], kind="staff")
    create_user(admin, "desk", ["order-desk"], kind="staff")
    customer = create_customer(
        admin,
        "C-100",
        sales_rep_id=rep["id"],
        addresses=[
            {"kind": "delivery", "label": "Dock", "line1": "1 Road", "city": "Lyon", "country": "FR"},
            {"kind": "billing", "label": "HQ", "line1": "2 Street", "city": "Lyon", "country": "FR"},
        ],
    )
    buyer = create_user(admin, "buyer", ["customer-buyers"], customer_ids=[customer["id"]])
    approver = create_user(admin, "boss", ["customer-approvers"], customer_ids=[customer["id"]])
    return World(
        admin=admin,
        anon=anon,
        catalog=catalog,
        customer=customer,
        buyer=anon.login("acme", "buyer", USER_PASSWORD, "C-100"),
        approver=anon.login("acme", "boss", USER_PASSWORD, "C-100"),
        rep=anon.login("acme", "rep", USER_PASSWORD),
        desk=anon.login("acme", "desk", USER_PASSWORD),
        ids={"buyer": buyer["id"], "approver": approver["id"], "rep": rep["id"]},
    )
