"""Who may call what: every route, for every kind of caller, answers the status API.md and PRODUCT.md promise.

One table, one row per route. A row names the thing the call is about (a real order in the status
the action needs, its line, the customer, a user of that customer, a site, a group), the request
body, and the expected status for each caller. The status is about authorization, not about a
missing resource: 401 without a valid token; a token of another tenant acts as a user of that
tenant (404 for this tenant's things); 403 for a visible thing the caller may not change; 404
outside the caller's scope. A route the app serves without a row here fails
`test_every_route_has_a_row`: adding a route means adding its row.

All rows share one seeded world. A call expected to succeed gets its own fresh target when it
changes it; the others share one per row, and a refused call must leave it unchanged.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
from chalice.test import Client

from app import app
from chalicelib.api import openapi
from chalicelib.domain.permissions import BUILTIN_GROUPS
from tests.conftest import aws_environment
from tests.functional.conftest import ADMIN_PASSWORD, USER_PASSWORD, Api, create_user, make_tenant
from tests.functional.order_world import World, build_world

# The columns of MATRIX: no token (non), an expired one (exp), the administrator of another tenant
# (oth), a buyer (buy), an approver (apr) and a customer admin (cad) of the customer, its sales rep
# (rep), the order desk (dsk) and the tenant's administrator (adm).
CALLERS = ("none", "expired", "other_tenant", "buyer", "approver", "customer_admin", "sales_rep", "order_desk", "admin")
TODAY = "2026-11-23"


@dataclass
class MatrixWorld:
    world: World
    apis: dict[str, Api]
    passwords: dict[str, str]
    ids: dict[str, str]
    counter: Iterator[int] = field(default_factory=itertools.count)

    def unique(self, prefix: str) -> str:
        return f"{prefix}{next(self.counter)}"

    @property
    def admin(self) -> Api:
        return self.world.admin


# --- targets: what a call is about ---------------------------------------------------------------
Target = dict[str, str]
Arrange = Callable[[MatrixWorld], Target]


def nothing(m: MatrixWorld) -> Target:
    return {}


def customer(m: MatrixWorld) -> Target:
    return {"customer_id": m.ids["customer"]}


def member(m: MatrixWorld) -> Target:
    """A buyer of the customer: someone a customer admin may manage."""
    return {"user_id": m.ids["member"]}


def site(m: MatrixWorld) -> Target:
    return {"site_id": m.ids["site"]}


def group(m: MatrixWorld) -> Target:
    r = m.admin.post("/security-groups", {"name": m.unique("Group "), "kind": "customer", "permissions": []})
    assert r.status_code == 201, r.body
    return {"group_id": r.json["id"]}


def fresh_login(m: MatrixWorld) -> Target:
    r = m.world.anon.post(
        "/auth/login", {"tenant": "acme", "username": "member", "password": USER_PASSWORD, "customer_number": "C-100"}
    )
    assert r.status_code == 200, r.body
    return {"refresh_token": r.json["refresh_token"]}


def order(status: str) -> Arrange:
    """A buyer's order of the customer, brought to `status` the way the product does it."""

    def arrange(m: MatrixWorld) -> Target:
        w = m.world
        quantity = 20 if status == "pending_approval" else 1  # 240.00 is over the buyer's 100.00 limit
        o = w.order(lines=[{"sku": "SKU-1", "quantity": quantity}])
        plans: dict[str, list[tuple[Api, str, dict[str, Any] | None]]] = {
            "draft": [],
            "pending_approval": [(w.buyer, "submit", None)],
            "submitted": [(w.buyer, "submit", None)],
            "awaiting_customer": [(w.buyer, "submit", None), (w.desk, "propose", {"note": "Next week"})],
            "confirmed": [(w.buyer, "submit", None), (w.desk, "confirm", None)],
        }
        for api, action, body in plans[status]:
            r = api.post(f"/orders/{o['id']}/{action}", body)
            assert r.status_code == 200, r.body
            o = r.json
        assert o["status"] == status
        return {"order_id": o["id"], "line_id": o["lines"][0]["id"]}

    arrange.__name__ = f"order_{status}"
    return arrange


def product_group(m: MatrixWorld) -> Target:
    """A portal group: its products are visible to customers, so they may read it but not change it."""
    r = m.admin.post("/product-groups", {"name": m.unique("Tools "), "portal": True})
    assert r.status_code == 201, r.body
    return {"group_id": r.json["id"]}


def product(m: MatrixWorld) -> Target:
    """A product on the portal (customers see it at their price)."""
    body = {"sku": m.unique("P-"), "name": "Hammer", "base_price": "9.50", "tax_rate": "0.23", "portal": True}
    r = m.admin.post("/products", body)
    assert r.status_code == 201, r.body
    return {"product_id": r.json["id"]}


def price_list(m: MatrixWorld) -> Target:
    r = m.admin.post("/price-lists", {"name": m.unique("Dealers "), "entries": []})
    assert r.status_code == 201, r.body
    return {"list_id": r.json["id"]}


def action_link(m: MatrixWorld) -> Target:
    """An approver's one-time link to an order waiting for approval: the link, not the token, decides."""
    from chalicelib.bootstrap import get_services

    target = order("pending_approval")(m)
    version = m.admin.get(f"/orders/{target['order_id']}").json["version"]
    token = get_services().action_links.issue("acme", target["order_id"], m.world.ids["approver"], version)
    return {**target, "token": token}


def delegation_body(m: MatrixWorld, caller: str = "", target: Target | None = None) -> dict[str, Any]:
    from datetime import UTC, datetime, timedelta

    today = datetime.now(UTC).date()
    return {"delegate_id": m.ids["member"], "starts_on": today.isoformat(), "ends_on": str(today + timedelta(days=9))}


def delegations(m: MatrixWorld) -> Target:
    """The approver and the customer admin (both hold orders.approve) have each named the member."""
    for caller in ("approver", "customer_admin"):
        r = m.apis[caller].put("/me/delegation", delegation_body(m))
        assert r.status_code == 200, r.body
    return {}


def staff_draft(m: MatrixWorld) -> Target:
    """An order the supplier builds for the customer (taken by phone), not yet sent."""
    o = m.world.order(m.admin, customer_id=m.ids["customer"])
    return {"order_id": o["id"], "line_id": o["lines"][0]["id"]}


TARGETS: dict[str | None, Arrange] = {
    None: nothing,
    "a login": fresh_login,
    "a group": group,
    "the site": site,
    "a member": member,
    "the customer": customer,
    "draft": order("draft"),
    "pending_approval": order("pending_approval"),
    "submitted": order("submitted"),
    "awaiting_customer": order("awaiting_customer"),
    "confirmed": order("confirmed"),
    "staff draft": staff_draft,
    "a product group": product_group,
    "a product": product,
    "a price list": price_list,
    "an action link": action_link,
    "delegations": delegations,
}


# --- bodies ----------------------------------------------------------------------------------------
Body = dict[str, Any] | Callable[[MatrixWorld, str, Target], dict[str, Any]] | None


def new_user(m: MatrixWorld, caller: str, target: Target) -> dict[str, Any]:
    name = m.unique("user")
    return {
        "kind": "customer",
        "username": name,
        "name": name,
        "email": f"{name}@example.test",
        "password": USER_PASSWORD,
        "security_group_ids": ["customer-buyers"],
        "customer_ids": [m.ids["customer"]],
    }


def own_password(m: MatrixWorld, caller: str, target: Target) -> dict[str, Any]:
    current = m.passwords.get(caller, USER_PASSWORD)
    return {"current_password": current, "new_password": current + "-changed"}


def login_body(m: MatrixWorld, caller: str, target: Target) -> dict[str, Any]:
    return {"tenant": "acme", "username": "member", "password": USER_PASSWORD, "customer_number": "C-100"}


def refresh_body(m: MatrixWorld, caller: str, target: Target) -> dict[str, Any]:
    return {"refresh_token": target["refresh_token"]}


@dataclass(frozen=True)
class Row:
    expected: str  # one status per caller, in the order of CALLERS
    about: str | None  # the target: see TARGETS

    def status_for(self, caller: str) -> int:
        return int(self.expected.split()[CALLERS.index(caller)])


def row(expected: str, about: str | None = None) -> Row:
    return Row(expected, about)


# fmt: off
MATRIX: dict[tuple[str, str], Row] = {
    #                                                       non exp oth buy apr cad rep dsk adm  about
    ("GET", "/health"):                                row("200 200 200 200 200 200 200 200 200"),
    ("GET", "/openapi.json"):                          row("200 200 200 200 200 200 200 200 200"),
    ("POST", "/auth/login"):                           row("200 200 200 200 200 200 200 200 200"),
    ("POST", "/auth/refresh"):                         row("200 200 200 200 200 200 200 200 200", "a login"),
    ("POST", "/auth/logout"):                          row("401 401 204 204 204 204 204 204 204"),
    ("GET", "/me"):                                    row("401 401 200 200 200 200 200 200 200"),
    ("POST", "/me/password"):                          row("401 401 204 204 204 204 204 204 204"),
    # tenant administration
    ("GET", "/settings"):                              row("401 401 200 200 200 200 200 200 200"),
    ("PATCH", "/settings"):                            row("401 401 200 403 403 403 403 403 200"),
    ("GET", "/security-groups"):                       row("401 401 200 403 403 200 403 403 200"),
    ("POST", "/security-groups"):                      row("401 401 201 403 403 403 403 403 201"),
    ("GET", "/security-groups/{group_id}"):            row("401 401 404 403 403 200 403 403 200", "a group"),
    ("PUT", "/security-groups/{group_id}"):            row("401 401 404 403 403 403 403 403 200", "a group"),
    ("DELETE", "/security-groups/{group_id}"):         row("401 401 404 403 403 403 403 403 204", "a group"),
    ("GET", "/sites"):                                 row("401 401 200 200 200 200 200 200 200"),
    ("POST", "/sites"):                                row("401 401 201 403 403 403 403 403 201"),
    ("GET", "/sites/{site_id}"):                       row("401 401 404 200 200 200 200 200 200", "the site"),
    ("PATCH", "/sites/{site_id}"):                     row("401 401 404 403 403 403 403 403 200", "the site"),
    ("GET", "/users"):                                 row("401 401 200 403 403 200 403 403 200"),
    # another tenant's administrator names a customer their tenant does not have: a body reference, 422
    ("POST", "/users"):                                row("401 401 422 403 403 201 403 403 201"),
    ("GET", "/users/{user_id}"):                       row("401 401 404 403 403 200 403 403 200", "a member"),
    ("PATCH", "/users/{user_id}"):                     row("401 401 404 403 403 200 403 403 200", "a member"),
    ("GET", "/customers"):                             row("401 401 200 200 200 200 200 200 200"),
    ("POST", "/customers"):                            row("401 401 201 403 403 403 403 403 201"),
    ("GET", "/customers/{customer_id}"):               row("401 401 404 200 200 200 200 200 200", "the customer"),
    ("PATCH", "/customers/{customer_id}"):             row("401 401 404 403 403 403 403 403 200", "the customer"),
    # orders: the buyer builds and submits, approvers approve, the rep and the desk review, the desk fulfils
    ("GET", "/orders"):                                row("401 401 200 200 200 200 200 200 200"),
    ("POST", "/orders"):                               row("401 401 404 201 201 201 201 403 201"),
    ("GET", "/orders/{order_id}"):                     row("401 401 404 200 200 200 200 200 200", "draft"),
    ("PATCH", "/orders/{order_id}"):                   row("401 401 404 200 403 403 403 403 403", "draft"),
    ("POST", "/orders/{order_id}/lines"):              row("401 401 404 201 403 403 403 403 403", "draft"),
    ("PATCH", "/orders/{order_id}/lines/{line_id}"):   row("401 401 404 200 403 403 403 403 403", "draft"),
    ("DELETE", "/orders/{order_id}/lines/{line_id}"):  row("401 401 404 200 403 403 403 403 403", "draft"),
    ("POST", "/orders/{order_id}/lines/import"):       row("401 401 404 200 403 403 403 403 403", "draft"),
    ("POST", "/orders/{order_id}/submit"):             row("401 401 404 200 403 403 403 403 403", "draft"),
    ("POST", "/orders/{order_id}/approve"):            row("401 401 404 403 200 200 403 403 403", "pending_approval"),
    ("POST", "/orders/{order_id}/reject"):             row("401 401 404 403 200 200 403 403 403", "pending_approval"),
    # a supplier's draft is hidden from buyers until it is sent; approvers see every order of their customer
    ("POST", "/orders/{order_id}/send"):               row("401 401 404 404 403 403 200 403 200", "staff draft"),
    ("POST", "/orders/{order_id}/confirm"):            row("401 401 404 403 403 403 200 200 200", "submitted"),
    ("POST", "/orders/{order_id}/propose"):            row("401 401 404 403 403 403 200 200 200", "submitted"),
    ("POST", "/orders/{order_id}/accept"):             row("401 401 404 200 200 200 403 403 403", "awaiting_customer"),
    ("POST", "/orders/{order_id}/decline"):            row("401 401 404 200 200 200 403 403 403", "awaiting_customer"),
    ("POST", "/orders/{order_id}/cancel"):             row("401 401 404 200 200 200 200 200 200", "draft"),
    ("POST", "/orders/{order_id}/shipments"):          row("401 401 404 403 403 403 403 201 201", "confirmed"),
    ("POST", "/orders/{order_id}/invoices"):           row("401 401 404 403 403 403 403 201 201", "confirmed"),
    ("POST", "/orders/{order_id}/payments"):           row("401 401 404 403 403 403 403 201 201", "confirmed"),
    ("POST", "/orders/{order_id}/reorder"):            row("401 401 404 201 201 201 201 403 201", "confirmed"),
    # an approver's e-mail link: no Authorization needed, whatever token comes along is ignored
    ("GET", "/actions/{token}"):                       row("200 200 200 200 200 200 200 200 200", "an action link"),
    ("HEAD", "/actions/{token}"):                      row("200 200 200 200 200 200 200 200 200", "an action link"),
    ("POST", "/actions/{token}"):                      row("200 200 200 200 200 200 200 200 200", "an action link"),
    # an approver's delegate while away: approvers only (orders.approve)
    ("GET", "/me/delegation"):                         row("401 401 403 403 200 200 403 403 403", "delegations"),
    ("PUT", "/me/delegation"):                         row("401 401 403 403 200 200 403 403 403", "delegations"),
    ("DELETE", "/me/delegation"):                      row("401 401 403 403 204 204 403 403 403", "delegations"),
    ("GET", "/orders/{order_id}/notifications"):       row("401 401 404 403 403 403 200 200 200", "submitted"),
    ("GET", "/orders/{order_id}/messages"):            row("401 401 404 200 200 200 200 200 200", "submitted"),
    ("POST", "/orders/{order_id}/messages"):           row("401 401 404 201 201 201 201 201 201", "submitted"),
    # catalog: everyone signed in reads it (customers what the portal shows); catalog.manage changes it
    ("GET", "/product-groups"):                        row("401 401 200 200 200 200 200 200 200"),
    ("POST", "/product-groups"):                       row("401 401 201 403 403 403 403 403 201"),
    ("GET", "/product-groups/{group_id}"):             row("401 401 404 200 200 200 200 200 200", "a product group"),
    ("PATCH", "/product-groups/{group_id}"):           row("401 401 404 403 403 403 403 403 200", "a product group"),
    ("GET", "/products"):                              row("401 401 200 200 200 200 200 200 200"),
    ("POST", "/products"):                             row("401 401 201 403 403 403 403 403 201"),
    ("GET", "/products/export"):                       row("401 401 200 403 403 403 403 403 200"),
    ("POST", "/products/import"):                      row("401 401 200 403 403 403 403 403 200"),
    ("GET", "/products/{product_id}"):                 row("401 401 404 200 200 200 200 200 200", "a product"),
    ("PATCH", "/products/{product_id}"):               row("401 401 404 403 403 403 403 403 200", "a product"),
    # prices: price lists and customer prices are prices.manage's alone; customers see only their own price
    ("GET", "/price-lists"):                           row("401 401 200 403 403 403 403 403 200"),
    ("POST", "/price-lists"):                          row("401 401 201 403 403 403 403 403 201"),
    ("GET", "/price-lists/{list_id}"):                 row("401 401 404 403 403 403 403 403 200", "a price list"),
    ("PUT", "/price-lists/{list_id}"):                 row("401 401 404 403 403 403 403 403 200", "a price list"),
    ("GET", "/customers/{customer_id}/prices"):        row("401 401 404 403 403 403 403 403 200", "the customer"),
    ("PUT", "/customers/{customer_id}/prices"):        row("401 401 404 403 403 403 403 403 200", "the customer"),
}
# fmt: on

# What each request carries; a function gets the world, the caller and the target.
BODIES: dict[tuple[str, str], Body] = {
    ("POST", "/actions/{token}"): {"decision": "approve"},
    ("PUT", "/me/delegation"): delegation_body,
    ("POST", "/auth/login"): login_body,
    ("POST", "/auth/refresh"): refresh_body,
    ("POST", "/me/password"): own_password,
    ("PATCH", "/settings"): {"default_locale": "en"},
    ("POST", "/security-groups"): lambda m, c, t: {"name": m.unique("G"), "kind": "customer", "permissions": []},
    ("PUT", "/security-groups/{group_id}"): {"name": "Renamed", "permissions": ["orders.place"]},
    ("POST", "/sites"): lambda m, c, t: {"code": m.unique("S"), "name": "Site"},
    ("PATCH", "/sites/{site_id}"): {"name": "Warsaw"},
    ("POST", "/users"): new_user,
    ("PATCH", "/users/{user_id}"): {"name": "Member"},
    ("POST", "/customers"): lambda m, c, t: {"number": m.unique("N-"), "name": "New"},
    ("PATCH", "/customers/{customer_id}"): {"payment_terms": "30 days"},
    ("POST", "/orders"): lambda m, c, t: {"customer_id": m.ids["customer"], "lines": [{"sku": "SKU-1", "quantity": 1}]},
    ("PATCH", "/orders/{order_id}"): {"notes": "Gate 4"},
    ("POST", "/orders/{order_id}/lines"): {"sku": "SKU-1", "quantity": 1},
    ("PATCH", "/orders/{order_id}/lines/{line_id}"): {"quantity": 3},
    ("POST", "/orders/{order_id}/reject"): {"reason": "Too much"},
    ("POST", "/orders/{order_id}/propose"): {"note": "We can deliver next week"},
    ("POST", "/orders/{order_id}/decline"): {"reason": "Too late"},
    ("POST", "/orders/{order_id}/cancel"): {"reason": "Not needed"},
    ("POST", "/orders/{order_id}/shipments"): {"date": TODAY, "document_number": "DN-1"},
    ("POST", "/orders/{order_id}/invoices"): {"date": TODAY, "number": "INV-1", "amount": "12.00"},
    ("POST", "/orders/{order_id}/payments"): {"date": TODAY, "reference": "PAY-1", "amount": "12.00"},
    ("POST", "/orders/{order_id}/messages"): {"body": "When will it ship?"},
    ("POST", "/product-groups"): lambda m, c, t: {"name": m.unique("Group "), "portal": True},
    ("PATCH", "/product-groups/{group_id}"): {"name": "Renamed"},
    ("POST", "/products"): lambda m, c, t: {
        "sku": m.unique("N-"),
        "name": "Saw",
        "base_price": "5",
        "tax_rate": "0.23",
    },
    ("PATCH", "/products/{product_id}"): {"name": "Claw hammer"},
    ("POST", "/price-lists"): lambda m, c, t: {"name": m.unique("List "), "entries": []},
    ("PUT", "/price-lists/{list_id}"): {"name": "Dealers", "entries": []},
    ("PUT", "/customers/{customer_id}/prices"): {"entries": []},
}
# Successful calls that leave their target as it was (besides GETs), so every caller may share one.
KEEPS_TARGET = {("POST", "/orders/{order_id}/messages"), ("POST", "/orders/{order_id}/reorder")}
CSV_BODIES = {
    ("POST", "/orders/{order_id}/lines/import"): "code,quantity\nSKU-1,1\n",
    ("POST", "/products/import"): "sku,name,base_price,tax_rate\nIMP-1,Imported,2.00,0.23\n",
}


# --- the world -------------------------------------------------------------------------------------
def _expired(token: str) -> str:
    """The same claims, signed with the right key, expired a minute ago."""
    claims = jwt.decode(token, options={"verify_signature": False})
    now = int(time.time())
    claims.update(iat=now - 3600, exp=now - 60)
    return jwt.encode(claims, os.environ["ORDERGATE_SIGNING_KEY"], algorithm="HS256")


def matrix_world(w: World) -> MatrixWorld:
    """The order world, plus a customer admin, a member, a site, a second tenant and an expired token."""
    anon = w.anon
    cid = w.customer["id"]
    # Orders over 100.00 by the buyer need approval: a draft of 20 x 10.00 goes to pending_approval.
    assert w.admin.patch(f"/customers/{cid}", {"approval_policy": "over_limit"}).status_code == 200
    assert w.admin.patch(f"/users/{w.ids['buyer']}", {"approval_limit": "100.00"}).status_code == 200
    create_user(w.admin, "cadmin", ["customer-admins"], customer_ids=[cid])
    member_user = create_user(w.admin, "member", ["customer-buyers"], customer_ids=[cid])
    site_id = w.admin.post("/sites", {"code": "WAW", "name": "Warsaw"}).json["id"]
    make_tenant("globex")
    apis = {
        "none": anon,
        "expired": anon.as_token(_expired(str(w.admin.token))),
        "other_tenant": anon.login("globex", "admin", ADMIN_PASSWORD),
        "buyer": w.buyer,
        "approver": w.approver,
        "customer_admin": anon.login("acme", "cadmin", USER_PASSWORD, "C-100"),
        "sales_rep": w.rep,
        "order_desk": w.desk,
        "admin": w.admin,
    }
    passwords = {"admin": ADMIN_PASSWORD, "other_tenant": ADMIN_PASSWORD}
    return MatrixWorld(w, apis, passwords, {"customer": cid, "member": member_user["id"], "site": site_id})


def _call(m: MatrixWorld, route: tuple[str, str], caller: str, target: Target) -> Any:
    method, template = route
    path = template.format(**target)
    api = m.apis[caller]
    if route in CSV_BODIES:
        return api.call(method, path, raw=CSV_BODIES[route], headers={"Content-Type": "text/csv"})
    body = BODIES.get(route)
    return api.call(method, path, body(m, caller, target) if callable(body) else body)


def _order_state(m: MatrixWorld, target: Target) -> Any:
    return m.admin.get(f"/orders/{target['order_id']}").json if "order_id" in target else None


@pytest.fixture(scope="module")
def matrix() -> Iterator[MatrixWorld]:
    with aws_environment():
        anon = Api(Client(app))
        make_tenant("acme")
        yield matrix_world(build_world(anon.login("acme", "admin", ADMIN_PASSWORD), anon))


@pytest.mark.parametrize("route", list(MATRIX), ids=[f"{m} {p}" for m, p in MATRIX])
def test_each_kind_of_caller_gets_the_status_the_matrix_gives(matrix: MatrixWorld, route: tuple[str, str]) -> None:
    m = matrix
    arrange = TARGETS[MATRIX[route].about]
    changes_target = route[0] != "GET" and route not in KEEPS_TARGET
    shared: Target | None = None
    wrong = []
    for caller in CALLERS:
        expected = MATRIX[route].status_for(caller)
        succeeds = 200 <= expected < 300
        # A call that succeeds changes its target, so it gets its own; the others share one.
        if succeeds and changes_target:
            target = arrange(m)
        else:
            shared = shared if shared is not None else arrange(m)
            target = shared
        before = None if succeeds else _order_state(m, target)
        reply = _call(m, route, caller, target)
        if reply.status_code != expected:
            wrong.append(f"  as {caller}: expected {expected}, got {reply.status_code} {reply.body[:200]!r}")
        elif not succeeds and (not reply.json["error"]["code"] or _order_state(m, target) != before):
            wrong.append(f"  as {caller}: a refused request changed the order or had no error code")
    assert not wrong, f"{route[0]} {route[1]}\n" + "\n".join(wrong)


# Bodies no route accepts: not JSON, JSON that is no object, and (CSV routes) bytes that are not UTF-8.
INVALID_BODIES: tuple[tuple[str, str | bytes], ...] = (
    ("application/json", "{not json"),
    ("application/json", '[{"quantity": -1}]'),
)
INVALID_CSV = b"\xff\xfe\x00sku"
BODY_ROUTES = sorted((r.method, r.path) for r in openapi.ROUTES if r.has_body and not r.public)
SPECS = {(r.method, r.path): r for r in openapi.ROUTES}
# Each caller's permissions: the built-in group they were given (order_world.py, matrix_world).
GROUP_OF = {
    "other_tenant": "administrators",
    "buyer": "customer-buyers",
    "approver": "customer-approvers",
    "customer_admin": "customer-admins",
    "sales_rep": "sales-reps",
    "order_desk": "order-desk",
    "admin": "administrators",
}


# Refusals that come from what the valid body names, not from the route: another tenant's
# administrator may create orders, but not for a customer of this tenant (404 for the body's customer_id).
DECIDED_BY_THE_BODY = {(("POST", "/orders"), "other_tenant")}


def _holds_a_permission_of(caller: str, route: tuple[str, str]) -> bool:
    needed = set(SPECS[route].permissions)
    if caller not in GROUP_OF:
        return False
    if not needed:
        return True
    (group,) = [g for g in BUILTIN_GROUPS if g.id == GROUP_OF[caller]]
    return bool(needed & {p.value for p in group.permissions})


@pytest.mark.parametrize("route", BODY_ROUTES, ids=[f"{m} {p}" for m, p in BODY_ROUTES])
def test_a_caller_who_may_not_use_a_route_gets_its_refusal_whatever_the_body(
    matrix: MatrixWorld, route: tuple[str, str]
) -> None:
    """API.md "Conventions": who may call a route is decided before its body is read, so an invalid
    body changes nothing for a caller without the route's permission (403) or who cannot see what the
    path names (404), nor for one without a valid token (401): never a 400 or a 422 that describes the
    route's fields. A caller the route accepts gets the body's 400/422; so does one who holds the
    permission and sees the order but whom the order's own rules refuse (an approver editing a buyer's
    draft): the service decides that after reading the body, and the 422 tells them nothing about a
    route they may use on their own orders."""
    m = matrix
    method, template = route
    target = TARGETS[MATRIX[route].about](m)
    path = template.format(**target)
    bodies = [("text/csv", INVALID_CSV)] if route in CSV_BODIES else list(INVALID_BODIES)
    wrong = []
    for caller in CALLERS:
        expected = MATRIX[route].status_for(caller)
        for content_type, raw in bodies:
            reply = m.apis[caller].call(method, path, raw=raw, headers={"Content-Type": content_type})
            refused_first = (route, caller) not in DECIDED_BY_THE_BODY and (
                expected in (401, 404) or (expected == 403 and not _holds_a_permission_of(caller, route))
            )
            ok = reply.status_code == expected if refused_first else reply.status_code in (400, 422)
            if not ok:
                wanted = expected if refused_first else "400/422"
                got = f"{reply.status_code} {reply.body[:160]!r}"
                wrong.append(f"  as {caller} with {raw!r}: expected {wanted}, got {got}")
    assert not wrong, f"{method} {template}\n" + "\n".join(wrong)


def test_every_route_has_a_row() -> None:
    served = {(method, path) for path, methods in app.routes.items() for method in methods}
    assert served - set(MATRIX) == set(), "routes without a row in MATRIX: add one"
    assert set(MATRIX) - served == set(), "rows for routes the app does not serve"


def test_the_matrix_is_well_formed() -> None:
    for route, r in MATRIX.items():
        statuses = r.expected.split()
        assert len(statuses) == len(CALLERS), route
        assert all(s.isdigit() and 200 <= int(s) < 500 for s in statuses), route
        assert r.about in TARGETS, route
        assert "{" not in route[1] or r.about is not None, f"{route}: a path with ids needs a target"
    assert set(BODIES) | set(CSV_BODIES) <= set(MATRIX)
