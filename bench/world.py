"""A realistic supplier for the benchmark: a tenant, staff, a head office with a branch, buyers and an
approver, a catalog, and orders in every status the actions start from.

Everything here runs outside the counted blocks: it is set-up, built through the HTTP API where that
is how the data would arrive (customers, users, orders) and through the storage layer where only
volume matters (the 10,000 orders of the list-scaling figure).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

from chalice.test import Client

from chalicelib.bootstrap import get_services
from chalicelib.services.tenants import create_tenant

TENANT = "acme"
PASSWORD = "bench-password-1"
PRODUCTS = 40
BIG_PRODUCTS = 1000
LINES_PER_ORDER = 10

CATALOG_NOTE = (
    "Orders are priced by the real catalog (products, groups, a price list and customer prices "
    "in the table): the catalog's reads are in the order figures."
)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Request:
    """One HTTP request of a scenario: everything but the caller."""

    method: str
    path: str
    body: Any = None
    raw: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class World:
    client: Client
    tokens: dict[str, str | None] = field(default_factory=dict)
    refresh_tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    products: dict[str, str] = field(default_factory=dict)  # sku → id
    serial: int = 0

    # --- HTTP ------------------------------------------------------------------------------------------
    def send(self, actor: str, request: Request) -> Reply:
        headers = {"Content-Type": "application/json", **request.headers}
        token = self.tokens.get(actor)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if request.raw is not None:
            payload = request.raw.encode()
        elif request.body is not None:
            payload = json.dumps(request.body).encode()
        else:
            payload = b""
        r = self.client.http.request(request.method, request.path, headers=headers, body=payload)
        return Reply(r.status_code, dict(r.headers), r.body)

    def ok(self, actor: str, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        r = self.send(actor, Request(method, path, body, **kw))
        if r.status >= 300:
            raise RuntimeError(f"set-up failed: {method} {path} as {actor}: {r.status} {r.body[:300]!r}")
        return r.json

    def login(self, actor: str, username: str, customer_number: str | None = None) -> None:
        body: dict[str, Any] = {"tenant": TENANT, "username": username, "password": PASSWORD}
        if customer_number:
            body["customer_number"] = customer_number
        pair = self.ok("anon", "POST", "/auth/login", body)
        self.tokens[actor] = pair["access_token"]
        self.refresh_tokens[actor] = pair["refresh_token"]

    def fresh_refresh_token(self, actor: str, username: str, customer_number: str | None = None) -> str:
        """A new login's refresh token (each refresh or logout scenario uses one up)."""
        body: dict[str, Any] = {"tenant": TENANT, "username": username, "password": PASSWORD}
        if customer_number:
            body["customer_number"] = customer_number
        token: str = self.ok("anon", "POST", "/auth/login", body)["refresh_token"]
        return token

    def unique(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial:05d}"

    # --- orders in each status ---------------------------------------------------------------------------
    def lines(self, n: int = LINES_PER_ORDER, quantity: int = 2) -> list[dict[str, Any]]:
        rng = random.Random(self.serial)  # noqa: S311 - reproducible data, not secrets
        picks = rng.sample(range(1, PRODUCTS + 1), n)
        return [{"sku": f"P-{i:03d}", "quantity": quantity} for i in picks]

    def over_limit_lines(self) -> list[dict[str, Any]]:
        """Lines worth more than the buyer's approval limit (5,000)."""
        return [{"sku": "P-030", "quantity": 1000}, *self.lines(9)]

    def draft(self, actor: str = "buyer", **body: Any) -> dict[str, Any]:
        self.serial += 1
        payload = {
            "customer_reference": f"PO-{self.serial}",
            "delivery_method": "courier",
            "payment_method": "transfer",
            "lines": self.lines(),
            **body,
        }
        if actor in ("rep", "desk", "admin"):
            payload.setdefault("customer_id", self.ids["branch"])
        order: dict[str, Any] = self.ok(actor, "POST", "/orders", payload)
        return order

    def order_in(self, status: str) -> dict[str, Any]:
        """A fresh order of the branch in `status`, reached through the API as users would."""
        if status == "draft":
            return self.draft()
        if status == "staff_draft":
            return self.draft("rep")
        if status == "pending_approval":
            # Over the buyer's approval limit (5,000): the customer's policy asks for approval.
            o = self.draft(lines=self.over_limit_lines())
            return self._act("buyer", o, "submit", expect="pending_approval")
        if status == "submitted":
            return self._act("buyer", self.draft(), "submit", expect="submitted")
        if status == "confirmed":
            return self._act("desk", self.order_in("submitted"), "confirm", expect="confirmed")
        if status == "awaiting_customer":
            o = self.order_in("submitted")
            body = {
                "note": "We can ship 1 of the first line this week.",
                "lines": [{"id": o["lines"][0]["id"], "quantity": 1}],
            }
            return self._act("desk", o, "propose", body, expect="awaiting_customer")
        raise ValueError(status)

    def _act(self, actor: str, order: dict[str, Any], action: str, body: Any = None, *, expect: str) -> dict[str, Any]:
        out: dict[str, Any] = self.ok(actor, "POST", f"/orders/{order['id']}/{action}", body)
        if out["status"] != expect:
            raise RuntimeError(f"set-up: {action} left the order {out['status']}, not {expect}")
        return out


def products_csv(prefix: str, count: int, first: int = 1) -> str:
    """Products as the catalog's CSV import takes them: portal products of the group "Kitchen"."""
    rows = ["sku,name,barcodes,group,unit,min_quantity,order_multiple,base_price,tax_rate,portal,status"]
    for i in range(first, first + count):
        sku = f"{prefix}-{i:03d}" if prefix == "P" else f"{prefix}-{i:04d}"
        barcode = f"590{i:010d}" if prefix == "P" else ""
        rows.append(f"{sku},Product {sku},{barcode},Kitchen,pcs,1,1,{5 + (i % 17)}.50,0.20,true,active")
    return "\n".join(rows) + "\n"


def import_products(world: World, text: str) -> None:
    r = world.send("admin", Request("POST", "/products/import", raw=text, headers={"Content-Type": "text/csv"}))
    if r.status >= 300:
        raise RuntimeError(f"set-up failed: product import: {r.status} {r.body[:300]!r}")


def product_ids(world: World, skus: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for sku in skus:
        items = world.ok("admin", "GET", f"/products?sku={sku}")["items"]
        out[sku] = items[0]["id"]
    return out


def build(client: Client, background_orders: int = 30) -> World:
    """The tenant `acme` and its people; `background_orders` drafts and submitted orders of the branch
    so that lists return full pages."""
    services = get_services()
    create_tenant(
        services.passwords,
        slug=TENANT,
        name="Acme Supplies Ltd",
        admin_username="admin",
        admin_password=PASSWORD,
        admin_email="admin@acme.example",
        portal_url="https://portal.acme.example",
        sender_email="orders@acme.example",
    )
    world = World(client, tokens={"anon": None})
    world.login("admin", "admin")
    world.ok(
        "admin",
        "PATCH",
        "/settings",
        {
            "order_desk_email": "desk@acme.example",
            "delivery_methods": [{"code": "courier", "name": "Courier"}, {"code": "pickup", "name": "Pick-up"}],
            "payment_methods": [{"code": "transfer", "name": "Bank transfer"}, {"code": "card", "name": "Card"}],
        },
    )
    world.ids["site"] = world.ok("admin", "POST", "/sites", {"code": "WH1", "name": "Main warehouse"})["id"]
    world.ids["group"] = world.ok("admin", "POST", "/product-groups", {"name": "Kitchen", "portal": True})["id"]
    import_products(world, products_csv("P", PRODUCTS))
    world.products = product_ids(world, [f"P-{i:03d}" for i in range(1, PRODUCTS + 1)])
    trade = [{"product_id": world.products[f"P-{i:03d}"], "price": f"{4 + (i % 17)}.90"} for i in range(1, 21)]
    world.ids["price_list"] = world.ok("admin", "POST", "/price-lists", {"name": "Trade", "entries": trade})["id"]
    for actor, group in (("rep", "sales-reps"), ("desk", "order-desk")):
        user = world.ok(
            "admin",
            "POST",
            "/users",
            {
                "kind": "staff",
                "username": actor,
                "name": actor.title(),
                "email": f"{actor}@acme.example",
                "password": PASSWORD,
                "security_group_ids": [group],
            },
        )
        world.ids[actor] = user["id"]
        world.login(actor, actor)
    addresses = [
        {
            "kind": "delivery",
            "label": "Dock 4",
            "line1": "1 Harbour Road",
            "city": "Lyon",
            "postal_code": "69002",
            "country": "FR",
        },
        {
            "kind": "billing",
            "label": "Accounts",
            "line1": "2 Rue de la Paix",
            "city": "Lyon",
            "postal_code": "69001",
            "country": "FR",
        },
    ]
    hq = world.ok("admin", "POST", "/customers", {"number": "C-100", "name": "Bistro Group HQ", "addresses": addresses})
    branch = world.ok(
        "admin",
        "POST",
        "/customers",
        {
            "number": "C-101",
            "name": "Bistro Group Lyon",
            "parent_id": hq["id"],
            "sales_rep_id": world.ids["rep"],
            "payment_terms": 30,
            "approval_policy": "over_limit",
            "monthly_budget": "1000000.00",
            "price_list_id": world.ids["price_list"],
            "addresses": addresses,
        },
    )
    world.ids.update(hq=hq["id"], branch=branch["id"])
    own = [
        {
            "product_id": world.products[f"P-{i:03d}"],
            "price": f"{3 + (i % 17)}.75",
            "tiers": [{"min_quantity": 50, "price": f"{2 + (i % 17)}.95"}],
        }
        for i in range(1, 6)
    ]
    world.ok("admin", "PUT", f"/customers/{branch['id']}/prices", {"entries": own})
    for actor, group, customers, limit in (
        ("buyer", "customer-buyers", [branch["id"]], "5000.00"),
        ("approver", "customer-approvers", [branch["id"]], None),
        ("orgadmin", "customer-admins", [branch["id"]], None),
        ("hqapprover", "customer-approvers", [hq["id"]], None),  # the head office's: sees the branch's orders
        ("deputy", "customer-buyers", [branch["id"]], None),  # a buyer who stands in for the approver
    ):
        body: dict[str, Any] = {
            "kind": "customer",
            "username": actor,
            "name": actor.title(),
            "email": f"{actor}@bistro.example",
            "password": PASSWORD,
            "security_group_ids": [group],
            "customer_ids": customers,
            "approval_limit": limit,
        }
        world.ids[actor] = world.ok("admin", "POST", "/users", body)["id"]
        world.login(actor, actor, "C-100" if customers == [hq["id"]] else "C-101")
    for i in range(background_orders):
        world.order_in("submitted" if i % 3 == 0 else "draft")
    return world
