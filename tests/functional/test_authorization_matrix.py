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
from chalicelib.services.api_keys import GRANTABLE as GRANTABLE_TO_KEYS
from tests.conftest import aws_environment
from tests.functional.conftest import ADMIN_PASSWORD, USER_PASSWORD, Api, create_user, make_tenant
from tests.functional.order_world import World, build_world

# The columns of MATRIX: no token (non), an expired one (exp), the administrator of another tenant
# (oth), a buyer (buy), an approver (apr) and a customer admin (cad) of the customer, a customer admin
# restricted to one site with an approval limit of 500.00 (sad), a manager of the customer's users
# without `orders.approve` (mgr), its sales rep (rep), the order desk (dsk) and the tenant's
# administrator (adm).
CALLERS = (
    "none",
    "expired",
    "other_tenant",
    "buyer",
    "approver",
    "customer_admin",
    "site_admin",
    "manager",
    "sales_rep",
    "order_desk",
    "admin",
)
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
            "invoiced": [
                (w.buyer, "submit", None),
                (w.desk, "confirm", None),
                (w.desk, "invoices", {"date": TODAY, "number": "INV-0", "amount": "12.00"}),
            ],
        }
        for api, action, body in plans[status]:
            r = api.post(f"/orders/{o['id']}/{action}", body)
            assert r.status_code in (200, 201), r.body
            o = r.json
        assert o["status"] == ("confirmed" if status == "invoiced" else status)
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


def password_link(m: MatrixWorld) -> Target:
    """An invitation link of a user of its own (setting the password changes nobody else's): the link, not
    the token, decides."""
    from chalicelib.bootstrap import get_services

    name = m.unique("invited")
    user = create_user(m.admin, name, ["customer-buyers"], customer_ids=[m.ids["customer"]])
    return {"token": get_services().password_links.issue("acme", user["id"], name, "invitation", None)}


def delegation_body(m: MatrixWorld, caller: str = "", target: Target | None = None) -> dict[str, Any]:
    from datetime import UTC, datetime, timedelta

    today = datetime.now(UTC).date()
    return {"delegate_id": m.ids["member"], "starts_on": today.isoformat(), "ends_on": str(today + timedelta(days=9))}


def delegations(m: MatrixWorld) -> Target:
    """Each caller holding orders.approve (the approver, both customer admins) has named the member."""
    for caller in ("approver", "customer_admin", "site_admin"):
        r = m.apis[caller].put("/me/delegation", delegation_body(m))
        assert r.status_code == 200, r.body
    return {}


def staff_draft(m: MatrixWorld) -> Target:
    """An order the supplier builds for the customer (taken by phone), not yet sent."""
    o = m.world.order(m.admin, customer_id=m.ids["customer"])
    return {"order_id": o["id"], "line_id": o["lines"][0]["id"]}


def credit_hold(m: MatrixWorld) -> Target:
    """A buyer's order submitted past the customer's credit limit (the limit is lifted again after)."""
    cid = m.ids["customer"]
    assert m.admin.patch(f"/customers/{cid}", {"credit_limit": "1.00"}).status_code == 200
    o = m.world.order(lines=[{"sku": "SKU-1", "quantity": 1}])
    r = m.world.buyer.post(f"/orders/{o['id']}/submit")
    assert m.admin.patch(f"/customers/{cid}", {"credit_limit": None}).status_code == 200
    assert r.status_code == 200 and r.json["credit_hold"] is True, r.body
    return {"order_id": o["id"], "line_id": o["lines"][0]["id"]}


def document(m: MatrixWorld) -> Target:
    """The buyer's purchase order on their submitted order, uploaded (available)."""
    from tests.functional.test_order_documents import upload

    target = order("submitted")(m)
    doc = upload(m.world, m.world.buyer, target["order_id"])
    return {**target, "document_id": doc["id"]}


def api_key(m: MatrixWorld) -> Target:
    r = m.admin.post("/api-keys", {"name": m.unique("ERP "), "permissions": ["orders.read_all"]})
    assert r.status_code == 201, r.body
    return {"key_id": r.json["id"]}


def webhook(m: MatrixWorld) -> Target:
    """An endpoint with one delivery (a ping), on a pipeline that posts nowhere (see `_webhook_pipeline`)."""
    _webhook_pipeline()
    r = m.admin.post("/webhook-endpoints", {"url": "https://93.184.216.34/hooks", "event_types": ["*"]})
    assert r.status_code == 201, r.body
    ping = m.admin.post(f"/webhook-endpoints/{r.json['id']}/test")
    assert ping.status_code == 202, ping.body
    return {"endpoint_id": r.json["id"], "delivery_id": ping.json["id"]}


def sender_domain(m: MatrixWorld) -> Target:
    r = m.admin.post("/sender-domains", {"domain": f"{m.unique('mail')}.acme.test"})
    assert r.status_code == 201, r.body
    return {"domain": r.json["domain"]}


def _webhook_pipeline() -> None:
    from chalicelib.bootstrap import get_services
    from chalicelib.webhooks.delivery import Pipeline
    from chalicelib.webhooks.post import Outcome

    class Nowhere:
        def send(self, messages: list[dict[str, Any]], delay_seconds: int = 0) -> None:
            pass

    get_services().webhook_pipeline = Pipeline(Nowhere(), lambda target, headers, body: Outcome(200, None))


TARGETS: dict[str | None, Arrange] = {
    "an api key": api_key,
    "a webhook": webhook,
    "a sender domain": sender_domain,
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
    "invoiced": order("invoiced"),
    "staff draft": staff_draft,
    "credit hold": credit_hold,
    "a product group": product_group,
    "a product": product,
    "a price list": price_list,
    "a document": document,
    "an action link": action_link,
    "a password link": password_link,
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
        "site_ids": [m.ids["site"]],  # within every manager's sites (GRANTS tries the others)
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
    #                                                       non exp oth buy apr cad sad mgr rep dsk adm  about
    ("GET", "/health"):                                row("200 200 200 200 200 200 200 200 200 200 200"),
    ("GET", "/openapi.json"):                          row("200 200 200 200 200 200 200 200 200 200 200"),
    ("POST", "/auth/login"):                           row("200 200 200 200 200 200 200 200 200 200 200"),
    ("POST", "/auth/refresh"):                         row("200 200 200 200 200 200 200 200 200 200 200", "a login"),
    ("POST", "/auth/password-reset"):                  row("202 202 202 202 202 202 202 202 202 202 202"),
    ("GET", "/password-reset/{token}"):                row("200 200 200 200 200 200 200 200 200 200 200", "a password link"),
    ("HEAD", "/password-reset/{token}"):               row("200 200 200 200 200 200 200 200 200 200 200", "a password link"),
    ("POST", "/password-reset/{token}"):               row("200 200 200 200 200 200 200 200 200 200 200", "a password link"),
    ("POST", "/auth/logout"):                          row("401 401 204 204 204 204 204 204 204 204 204"),
    ("GET", "/me"):                                    row("401 401 200 200 200 200 200 200 200 200 200"),
    ("POST", "/me/password"):                          row("401 401 204 204 204 204 204 204 204 204 204"),
    # tenant administration
    ("GET", "/settings"):                              row("401 401 200 200 200 200 200 200 200 200 200"),
    ("PATCH", "/settings"):                            row("401 401 200 403 403 403 403 403 403 403 200"),
    ("GET", "/sender-domains"):                        row("401 401 200 403 403 403 403 403 403 403 200"),
    ("POST", "/sender-domains"):                       row("401 401 201 403 403 403 403 403 403 403 201"),
    ("GET", "/sender-domains/{domain}"):               row("401 401 404 403 403 403 403 403 403 403 200", "a sender domain"),
    ("DELETE", "/sender-domains/{domain}"):            row("401 401 404 403 403 403 403 403 403 403 204", "a sender domain"),
    ("GET", "/security-groups"):                       row("401 401 200 403 403 200 200 200 403 403 200"),
    ("POST", "/security-groups"):                      row("401 401 201 403 403 403 403 403 403 403 201"),
    ("GET", "/security-groups/{group_id}"):            row("401 401 404 403 403 200 200 200 403 403 200", "a group"),
    ("PUT", "/security-groups/{group_id}"):            row("401 401 404 403 403 403 403 403 403 403 200", "a group"),
    ("DELETE", "/security-groups/{group_id}"):         row("401 401 404 403 403 403 403 403 403 403 204", "a group"),
    ("GET", "/sites"):                                 row("401 401 200 200 200 200 200 200 200 200 200"),
    ("POST", "/sites"):                                row("401 401 201 403 403 403 403 403 403 403 201"),
    ("GET", "/sites/{site_id}"):                       row("401 401 404 200 200 200 200 200 200 200 200", "the site"),
    ("PATCH", "/sites/{site_id}"):                     row("401 401 404 403 403 403 403 403 403 403 200", "the site"),
    ("GET", "/users"):                                 row("401 401 200 403 403 200 200 200 403 403 200"),
    # another tenant's administrator names a customer their tenant does not have: a body reference, 422
    ("POST", "/users"):                                row("401 401 422 403 403 201 201 201 403 403 201"),
    ("GET", "/users/{user_id}"):                       row("401 401 404 403 403 200 200 200 403 403 200", "a member"),
    ("PATCH", "/users/{user_id}"):                     row("401 401 404 403 403 200 200 200 403 403 200", "a member"),
    ("GET", "/customers"):                             row("401 401 200 200 200 200 200 200 200 200 200"),
    ("POST", "/customers"):                            row("401 401 201 403 403 403 403 403 403 403 201"),
    ("GET", "/customers/{customer_id}"):               row("401 401 404 200 200 200 200 200 200 200 200", "the customer"),
    ("PATCH", "/customers/{customer_id}"):             row("401 401 404 403 403 403 403 403 403 403 200", "the customer"),
    # the statement: the customer's users, its sales rep, staff who see every order
    ("GET", "/customers/{customer_id}/statement"):     row("401 401 404 200 200 200 200 200 200 200 200", "the customer"),
    # orders: the buyer builds and submits, approvers approve, the rep and the desk review, the desk fulfils
    ("GET", "/orders"):                                row("401 401 200 200 200 200 200 200 200 200 200"),
    ("POST", "/orders"):                               row("401 401 404 201 201 201 201 201 201 403 201"),
    ("GET", "/orders/{order_id}"):                     row("401 401 404 200 200 200 200 200 200 200 200", "draft"),
    ("PATCH", "/orders/{order_id}"):                   row("401 401 404 200 403 403 403 403 403 403 403", "draft"),
    ("POST", "/orders/{order_id}/lines"):              row("401 401 404 201 403 403 403 403 403 403 403", "draft"),
    ("PATCH", "/orders/{order_id}/lines/{line_id}"):   row("401 401 404 200 403 403 403 403 403 403 403", "draft"),
    ("DELETE", "/orders/{order_id}/lines/{line_id}"):  row("401 401 404 200 403 403 403 403 403 403 403", "draft"),
    ("POST", "/orders/{order_id}/lines/import"):       row("401 401 404 200 403 403 403 403 403 403 403", "draft"),
    ("POST", "/orders/{order_id}/submit"):             row("401 401 404 200 403 403 403 403 403 403 403", "draft"),
    # the manager (mgr) lacks orders.approve: no approving, no accepting a proposal that needs approval
    # (240.00 under `over_limit`, and no limit), no cancelling someone else's order
    ("POST", "/orders/{order_id}/approve"):            row("401 401 404 403 200 200 200 403 403 403 403", "pending_approval"),
    ("POST", "/orders/{order_id}/reject"):             row("401 401 404 403 200 200 200 403 403 403 403", "pending_approval"),
    # a supplier's draft is hidden from buyers until it is sent; approvers see every order of their customer
    ("POST", "/orders/{order_id}/send"):               row("401 401 404 404 404 404 404 404 200 403 200", "staff draft"),
    ("POST", "/orders/{order_id}/confirm"):            row("401 401 404 403 403 403 403 403 200 200 200", "submitted"),
    ("POST", "/orders/{order_id}/propose"):            row("401 401 404 403 403 403 403 403 200 200 200", "submitted"),
    ("POST", "/orders/{order_id}/accept"):             row("401 401 404 200 200 200 200 403 403 403 403", "awaiting_customer"),
    ("POST", "/orders/{order_id}/decline"):            row("401 401 404 200 200 200 200 200 403 403 403", "awaiting_customer"),
    ("POST", "/orders/{order_id}/cancel"):             row("401 401 404 200 200 200 200 403 200 200 200", "draft"),
    ("POST", "/orders/{order_id}/shipments"):          row("401 401 404 403 403 403 403 403 403 201 201", "confirmed"),
    ("POST", "/orders/{order_id}/invoices"):           row("401 401 404 403 403 403 403 403 403 201 201", "confirmed"),
    ("POST", "/orders/{order_id}/credit-notes"):       row("401 401 404 403 403 403 403 403 403 201 201", "invoiced"),
    ("POST", "/orders/{order_id}/payments"):           row("401 401 404 403 403 403 403 403 403 201 201", "confirmed"),
    ("POST", "/orders/{order_id}/release-credit-hold"): row("401 401 404 403 403 403 403 403 200 200 200", "credit hold"),
    ("POST", "/orders/{order_id}/reorder"):            row("401 401 404 201 201 201 201 201 201 403 201", "confirmed"),
    ("GET", "/orders/{order_id}/messages"):            row("401 401 404 200 200 200 200 200 200 200 200", "submitted"),
    ("POST", "/orders/{order_id}/messages"):           row("401 401 404 201 201 201 201 201 201 201 201", "submitted"),
    # documents: the buyer who submitted it and staff who review or fulfil attach; the uploader or
    # orders.review delete; whoever sees the order sees its visible documents
    ("POST", "/orders/{order_id}/documents"):          row("401 401 404 201 403 403 403 403 201 201 201", "submitted"),
    ("GET", "/orders/{order_id}/documents"):           row("401 401 404 200 200 200 200 200 200 200 200", "a document"),
    ("GET", "/orders/{order_id}/documents/{document_id}/download"): row("401 401 404 302 302 302 302 302 302 302 302", "a document"),
    ("DELETE", "/orders/{order_id}/documents/{document_id}"): row("401 401 404 204 403 403 403 403 204 204 204", "a document"),
    # an approver's e-mail link: no Authorization needed, whatever token comes along is ignored
    ("GET", "/actions/{token}"):                       row("200 200 200 200 200 200 200 200 200 200 200", "an action link"),
    ("HEAD", "/actions/{token}"):                      row("200 200 200 200 200 200 200 200 200 200 200", "an action link"),
    ("POST", "/actions/{token}"):                      row("200 200 200 200 200 200 200 200 200 200 200", "an action link"),
    # an approver's delegate while away: approvers only (orders.approve; the manager (mgr) has it not)
    ("GET", "/me/delegation"):                         row("401 401 403 403 200 200 200 403 403 403 403", "delegations"),
    ("PUT", "/me/delegation"):                         row("401 401 403 403 200 200 200 403 403 403 403", "delegations"),
    ("DELETE", "/me/delegation"):                      row("401 401 403 403 204 204 204 403 403 403 403", "delegations"),
    ("GET", "/orders/{order_id}/notifications"):       row("401 401 404 403 403 403 403 403 200 200 200", "submitted"),
    # catalog: everyone signed in reads it (customers what the portal shows); catalog.manage changes it
    ("GET", "/product-groups"):                        row("401 401 200 200 200 200 200 200 200 200 200"),
    ("POST", "/product-groups"):                       row("401 401 201 403 403 403 403 403 403 403 201"),
    ("GET", "/product-groups/{group_id}"):             row("401 401 404 200 200 200 200 200 200 200 200", "a product group"),
    ("PATCH", "/product-groups/{group_id}"):           row("401 401 404 403 403 403 403 403 403 403 200", "a product group"),
    ("GET", "/products"):                              row("401 401 200 200 200 200 200 200 200 200 200"),
    ("POST", "/products"):                             row("401 401 201 403 403 403 403 403 403 403 201"),
    ("GET", "/products/export"):                       row("401 401 200 403 403 403 403 403 403 403 200"),
    ("POST", "/products/import"):                      row("401 401 200 403 403 403 403 403 403 403 200"),
    ("GET", "/products/{product_id}"):                 row("401 401 404 200 200 200 200 200 200 200 200", "a product"),
    ("PATCH", "/products/{product_id}"):               row("401 401 404 403 403 403 403 403 403 403 200", "a product"),
    # prices: price lists and customer prices are prices.manage's alone; customers see only their own price
    ("GET", "/price-lists"):                           row("401 401 200 403 403 403 403 403 403 403 200"),
    ("POST", "/price-lists"):                          row("401 401 201 403 403 403 403 403 403 403 201"),
    ("GET", "/price-lists/{list_id}"):                 row("401 401 404 403 403 403 403 403 403 403 200", "a price list"),
    ("PUT", "/price-lists/{list_id}"):                 row("401 401 404 403 403 403 403 403 403 403 200", "a price list"),
    ("GET", "/customers/{customer_id}/prices"):        row("401 401 404 403 403 403 403 403 403 403 200", "the customer"),
    ("PUT", "/customers/{customer_id}/prices"):        row("401 401 404 403 403 403 403 403 403 403 200", "the customer"),
    # machine clients (issue 15): keys are the administrator's; the event feed needs orders.read_all
    ("GET", "/api-keys"):                              row("401 401 200 403 403 403 403 403 403 403 200"),
    ("POST", "/api-keys"):                             row("401 401 201 403 403 403 403 403 403 403 201"),
    ("GET", "/api-keys/{key_id}"):                     row("401 401 404 403 403 403 403 403 403 403 200", "an api key"),
    ("DELETE", "/api-keys/{key_id}"):                  row("401 401 404 403 403 403 403 403 403 403 204", "an api key"),
    ("GET", "/events"):                                row("401 401 200 403 403 403 403 403 403 200 200"),
    ("PUT", "/stock"):                                 row("401 401 200 403 403 403 403 403 403 403 200"),
    ("GET", "/webhook-endpoints"):                     row("401 401 200 403 403 403 403 403 403 403 200"),
    ("POST", "/webhook-endpoints"):                    row("401 401 201 403 403 403 403 403 403 403 201"),
    ("GET", "/webhook-endpoints/{endpoint_id}"):       row("401 401 404 403 403 403 403 403 403 403 200", "a webhook"),
    ("PATCH", "/webhook-endpoints/{endpoint_id}"):     row("401 401 404 403 403 403 403 403 403 403 200", "a webhook"),
    ("DELETE", "/webhook-endpoints/{endpoint_id}"):    row("401 401 404 403 403 403 403 403 403 403 204", "a webhook"),
    ("POST", "/webhook-endpoints/{endpoint_id}/rotate-secret"): row("401 401 404 403 403 403 403 403 403 403 200", "a webhook"),
    ("POST", "/webhook-endpoints/{endpoint_id}/test"): row("401 401 404 403 403 403 403 403 403 403 202", "a webhook"),
    ("GET", "/webhook-endpoints/{endpoint_id}/deliveries"): row("401 401 404 403 403 403 403 403 403 403 200", "a webhook"),
    ("POST", "/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/retry"):
        row("401 401 404 403 403 403 403 403 403 403 202", "a webhook"),
}
# fmt: on

# What each request carries; a function gets the world, the caller and the target.
BODIES: dict[tuple[str, str], Body] = {
    ("POST", "/actions/{token}"): {"decision": "approve"},
    ("POST", "/password-reset/{token}"): {"password": "a-new-password-1"},
    ("POST", "/auth/password-reset"): {"tenant": "acme", "username": "member", "customer_number": "C-100"},
    ("PUT", "/me/delegation"): delegation_body,
    ("POST", "/auth/login"): login_body,
    ("POST", "/auth/refresh"): refresh_body,
    ("POST", "/me/password"): own_password,
    ("PATCH", "/settings"): {"default_locale": "en"},
    ("POST", "/sender-domains"): lambda m, c, t: {"domain": f"{m.unique('new')}.{c.replace('_', '-')}.test"},
    ("POST", "/security-groups"): lambda m, c, t: {"name": m.unique("G"), "kind": "customer", "permissions": []},
    ("PUT", "/security-groups/{group_id}"): {"name": "Renamed", "permissions": ["orders.place"]},
    ("POST", "/sites"): lambda m, c, t: {"code": m.unique("S"), "name": "Site"},
    ("PATCH", "/sites/{site_id}"): {"name": "Warsaw"},
    ("POST", "/users"): new_user,
    ("PATCH", "/users/{user_id}"): {"name": "Member"},
    ("POST", "/customers"): lambda m, c, t: {"number": m.unique("N-"), "name": "New"},
    ("PATCH", "/customers/{customer_id}"): {"payment_terms": 30},
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
    ("POST", "/orders/{order_id}/credit-notes"): {"date": TODAY, "number": "CN-1", "amount": "1.00", "reason": "Late"},
    ("POST", "/orders/{order_id}/payments"): {"date": TODAY, "reference": "PAY-1", "amount": "12.00"},
    ("POST", "/orders/{order_id}/messages"): {"body": "When will it ship?"},
    ("POST", "/orders/{order_id}/documents"): {
        "filename": "po.pdf",
        "content_type": "application/pdf",
        "size": 10,
        "kind": "purchase_order",
    },
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
    ("POST", "/api-keys"): {"name": "ERP", "permissions": ["orders.read_all"]},
    ("PUT", "/stock"): {"entries": [{"sku": "SKU-1", "site_id": "nosuchsite", "quantity": 1}]},
    ("POST", "/webhook-endpoints"): {"url": "https://93.184.216.34/in", "event_types": ["order.submitted"]},
    ("PATCH", "/webhook-endpoints/{endpoint_id}"): {"description": "ERP"},
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
    site_id = w.admin.post("/sites", {"code": "WAW", "name": "Warsaw"}).json["id"]
    other_site_id = w.admin.post("/sites", {"code": "KRK", "name": "Krakow"}).json["id"]
    other_customer_id = w.admin.post("/customers", {"number": "C-200", "name": "Elsewhere"}).json["id"]
    managers = w.admin.post(
        "/security-groups",
        {"name": "Org managers", "kind": "customer", "permissions": ["org.manage", "orders.place", "orders.view_org"]},
    ).json["id"]
    cadmin = create_user(w.admin, "cadmin", ["customer-admins"], customer_ids=[cid])
    sadmin = create_user(
        w.admin, "sadmin", ["customer-admins"], customer_ids=[cid], site_ids=[site_id], approval_limit="500.00"
    )
    manager = create_user(w.admin, "manager", [managers], customer_ids=[cid])
    member_user = create_user(w.admin, "member", ["customer-buyers"], customer_ids=[cid], site_ids=[site_id])
    make_tenant("globex")
    apis = {
        "none": anon,
        "expired": anon.as_token(_expired(str(w.admin.token))),
        "other_tenant": anon.login("globex", "admin", ADMIN_PASSWORD),
        "buyer": w.buyer,
        "approver": w.approver,
        "customer_admin": anon.login("acme", "cadmin", USER_PASSWORD, "C-100"),
        "site_admin": anon.login("acme", "sadmin", USER_PASSWORD, "C-100"),
        "manager": anon.login("acme", "manager", USER_PASSWORD, "C-100"),
        "sales_rep": w.rep,
        "order_desk": w.desk,
        "admin": w.admin,
    }
    passwords = {"admin": ADMIN_PASSWORD, "other_tenant": ADMIN_PASSWORD}
    ids = {
        "customer": cid,
        "member": member_user["id"],
        "site": site_id,
        "other_site": other_site_id,
        "other_customer": other_customer_id,
        "managers": managers,
        "customer_admin": cadmin["id"],
        "site_admin": sadmin["id"],
        "manager": manager["id"],
        "admin": w.admin.get("/me").json["id"],
    }
    return MatrixWorld(w, apis, passwords, ids)


# Who each signed-in caller is, to sign them in again: (tenant, username, customer number).
LOGINS = {
    "other_tenant": ("globex", "admin", None),
    "buyer": ("acme", "buyer", "C-100"),
    "approver": ("acme", "boss", "C-100"),
    "customer_admin": ("acme", "cadmin", "C-100"),
    "site_admin": ("acme", "sadmin", "C-100"),
    "manager": ("acme", "manager", "C-100"),
    "sales_rep": ("acme", "rep", None),
    "order_desk": ("acme", "desk", None),
    "admin": ("acme", "admin", None),
}


def _call(m: MatrixWorld, route: tuple[str, str], caller: str, target: Target) -> Any:
    method, template = route
    path = template.format(**target)
    api = m.apis[caller]
    if route == ("POST", "/auth/logout") and caller in LOGINS:
        # Logging out ends the session the token belongs to, its writes too: end a session of its own.
        tenant, username, number = LOGINS[caller]
        api = m.world.anon.login(tenant, username, m.passwords.get(caller, USER_PASSWORD), number)
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
        succeeds = 200 <= expected < 400  # a redirect (a download link) is a success too
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
    "site_admin": "customer-admins",  # restricted to one site, with a limit: the same permissions
    "sales_rep": "sales-reps",
    "order_desk": "order-desk",
    "admin": "administrators",
}


# Refusals that come from what the valid body names, not from the route: another tenant's
# administrator may create orders, but not for a customer of this tenant (404 for the body's customer_id).
DECIDED_BY_THE_BODY = {(("POST", "/orders"), "other_tenant")}


# The callers whose group is not a built-in one (matrix_world): the permissions of their custom group.
OWN_PERMISSIONS = {"site_admin": None, "manager": {"org.manage", "orders.place", "orders.view_org"}}


def _holds_a_permission_of(caller: str, route: tuple[str, str]) -> bool:
    needed = set(SPECS[route].permissions)
    if caller not in GROUP_OF and caller not in OWN_PERMISSIONS:
        return False
    if not needed:
        return True
    held = OWN_PERMISSIONS.get(caller)
    if held is None:
        (group,) = [g for g in BUILTIN_GROUPS if g.id == GROUP_OF[caller]]
        held = {p.value for p in group.permissions}
    return bool(needed & held)


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


# --- what a manager of users may grant ---------------------------------------------------------------
# API.md: a user with `org.manage` never grants more than they hold, on their own record as on others':
# sites (a subset of their own; `[]`, every site, only when theirs is `[]`), customers (within their
# own), groups (no permission they lack) and approval limits (only holders of `orders.approve`, at most
# their own limit when they have one; keeping a user's limit or clearing it grants nothing).
# Columns: the customer admin (every site, no limit), the one restricted to the site with a limit of
# 500.00, the manager without orders.approve, and the tenant's administrator, whom nothing restricts.
# "-": not tried (a staff user cannot hold customers or customer groups: that is a 422 of its own).
GRANTERS = ("customer_admin", "site_admin", "manager", "admin")
Change = Callable[[MatrixWorld], dict[str, Any]]


@dataclass(frozen=True)
class Grant:
    expected: str  # one status per GRANTERS
    on: str  # "new": POST /users; "member": PATCH a buyer of the customer; "self": PATCH the caller's own record
    change: Change  # what the body sets besides a valid new user (on "new") or alone (PATCH)

    def status_for(self, caller: str) -> int | None:
        status = self.expected.split()[GRANTERS.index(caller)]
        return None if status == "-" else int(status)


def grant(expected: str, on: str, change: Change) -> Grant:
    return Grant(expected, on, change)


# fmt: off
GRANTS: dict[str, Grant] = {
    #                                        cad sad mgr adm
    "a new user of the manager's site":  grant("201 201 201 201", "new", lambda m: {}),
    "a new user of every site":          grant("201 403 201 201", "new", lambda m: {"site_ids": []}),
    "a new user of another site":        grant("201 403 201 201", "new", lambda m: {"site_ids": [m.ids["other_site"]]}),
    "a new user of both sites":          grant("201 403 201 201", "new", lambda m: {"site_ids": [m.ids["site"], m.ids["other_site"]]}),
    "a new user of another customer":    grant("403 403 403 201", "new", lambda m: {"customer_ids": [m.ids["customer"], m.ids["other_customer"]]}),
    "a new approver":                    grant("201 201 403 201", "new", lambda m: {"security_group_ids": ["customer-approvers"]}),
    "a new manager":                     grant("201 201 201 201", "new", lambda m: {"security_group_ids": [m.ids["managers"]]}),
    "a new user with a limit of 999999": grant("201 403 403 201", "new", lambda m: {"approval_limit": "999999.00"}),
    "a new user with a limit of 500":    grant("201 201 403 201", "new", lambda m: {"approval_limit": "500.00"}),
    "a new user with a limit of 500.01": grant("201 403 403 201", "new", lambda m: {"approval_limit": "500.01"}),
    "a member renamed":                  grant("200 200 200 200", "member", lambda m: {"name": "Renamed"}),
    "a member given every site":         grant("200 403 200 200", "member", lambda m: {"site_ids": []}),
    "a member given another site":       grant("200 403 200 200", "member", lambda m: {"site_ids": [m.ids["other_site"]]}),
    "a member given another customer":   grant("403 403 403 200", "member", lambda m: {"customer_ids": [m.ids["customer"], m.ids["other_customer"]]}),
    "a member made an approver":         grant("200 200 403 200", "member", lambda m: {"security_group_ids": ["customer-approvers"]}),
    "a member given a limit of 999999":  grant("200 403 403 200", "member", lambda m: {"approval_limit": "999999.00"}),
    "a member given a limit of 500":     grant("200 200 403 200", "member", lambda m: {"approval_limit": "500.00"}),
    "a member keeping their limit":      grant("200 200 200 200", "member", lambda m: {"approval_limit": "100.00"}),
    "a member's limit cleared":          grant("200 200 200 200", "member", lambda m: {"approval_limit": None}),
    "oneself given every site":          grant("200 403 200 200", "self", lambda m: {"site_ids": []}),
    "oneself given another site":        grant("200 403 200 -",   "self", lambda m: {"site_ids": [m.ids["other_site"]]}),
    "oneself given another customer":    grant("403 403 403 -",   "self", lambda m: {"customer_ids": [m.ids["customer"], m.ids["other_customer"]]}),
    # Nobody changes their own security groups (API.md), not even within what they hold.
    "oneself made an approver":          grant("403 403 403 -",   "self", lambda m: {"security_group_ids": ["customer-approvers"]}),
    "oneself given a limit of 999999":   grant("200 403 403 200", "self", lambda m: {"approval_limit": "999999.00"}),
    "oneself given a limit of 400":      grant("200 200 403 200", "self", lambda m: {"approval_limit": "400.00"}),
}
# fmt: on


def _grant_member(m: MatrixWorld) -> str:
    """A buyer of the customer at the site, with a limit of 100.00: every granter may manage them."""
    name = m.unique("granted")
    member = create_user(
        m.admin,
        name,
        ["customer-buyers"],
        customer_ids=[m.ids["customer"]],
        site_ids=[m.ids["site"]],
        approval_limit="100.00",
    )
    return str(member["id"])


def _users_named(m: MatrixWorld, username: str) -> list[dict[str, Any]]:
    found, cursor = [], ""
    while cursor is not None:
        page = m.admin.get(f"/users?limit=100{'&cursor=' + cursor if cursor else ''}").json
        found += [u for u in page["items"] if u["username"] == username]
        cursor = page["next_cursor"]
    return found


@pytest.mark.parametrize("name", list(GRANTS))
def test_a_manager_of_users_never_grants_more_than_they_hold(matrix: MatrixWorld, name: str) -> None:
    m = matrix
    g = GRANTS[name]
    shared: str | None = None
    wrong = []
    for caller in GRANTERS:
        expected = g.status_for(caller)
        if expected is None:
            continue
        succeeds = expected < 300
        if g.on == "new":
            body = {**new_user(m, caller, {}), **g.change(m)}
            reply = m.apis[caller].post("/users", body)
            stored = _users_named(m, body["username"])
            if succeeds and reply.status_code == expected:
                given = {k: reply.json[k] for k in g.change(m)}
                if given != g.change(m):
                    wrong.append(f"  as {caller}: asked for {g.change(m)}, got {given}")
            changed = bool(stored) != succeeds
        else:
            if g.on == "self":
                user_id = m.ids[caller]
            elif succeeds:
                user_id = _grant_member(m)
            else:
                shared = shared or _grant_member(m)
                user_id = shared
            before = m.admin.get(f"/users/{user_id}").json
            reply = m.apis[caller].patch(f"/users/{user_id}", g.change(m))
            after = m.admin.get(f"/users/{user_id}").json
            wanted = {**before, **g.change(m)} if succeeds else before
            changed = after != wanted
            if g.on == "self":  # put the caller back as they were: later rows rely on them
                m.admin.patch(f"/users/{user_id}", {k: before[k] for k in g.change(m)})
        if reply.status_code != expected:
            wrong.append(f"  as {caller}: expected {expected}, got {reply.status_code} {reply.body[:200]!r}")
        elif changed:
            wrong.append(f"  as {caller}: the stored user is not what the answer says")
        elif not succeeds and reply.json["error"]["code"] != "forbidden":
            wrong.append(f"  as {caller}: refused without the forbidden code: {reply.body[:200]!r}")
    assert not wrong, f"{name}\n" + "\n".join(wrong)


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
    for name, g in GRANTS.items():
        assert len(g.expected.split()) == len(GRANTERS) and g.on in ("new", "member", "self"), name


# --- API keys: a key with a permission gets what staff with that permission get ------------------------
KEY_PERMISSIONS = sorted(GRANTABLE_TO_KEYS)
# The routes every caller may try without naming anything; /me and /me/password are a person's account.
UNNAMED_GETS = sorted(
    path
    for (method, path), r in MATRIX.items()
    if method == "GET" and r.about is None and not SPECS[(method, path)].public and not path.startswith("/me")
)


@pytest.mark.parametrize("permission", KEY_PERMISSIONS)
def test_a_key_with_a_permission_gets_what_staff_with_it_get(matrix: MatrixWorld, permission: str) -> None:
    """API.md "Machine clients": a key acts as staff of the tenant with the key's permissions, through the
    same routes, permission and scope checks. One row per permission: a staff user holding only that
    permission and a key holding only it get the same status on every route, and on an order."""
    m = matrix
    group = m.admin.post("/security-groups", {"name": m.unique("Only "), "kind": "staff", "permissions": [permission]})
    assert group.status_code == 201, group.body
    username = m.unique("staff")
    create_user(m.admin, username, [group.json["id"]], kind="staff")
    person = m.world.anon.login("acme", username, USER_PASSWORD)
    made = m.admin.post("/api-keys", {"name": m.unique("Key "), "permissions": [permission]})
    assert made.status_code == 201, made.body
    key = m.world.anon.as_token(made.json["key"])
    target = order("submitted")(m)
    paths = [*UNNAMED_GETS, f"/orders/{target['order_id']}", f"/orders/{target['order_id']}/messages"]
    wrong = []
    for path in paths:
        as_person, as_key = person.get(path).status_code, key.get(path).status_code
        if as_person != as_key:
            wrong.append(f"  GET {path}: staff {as_person}, key {as_key}")
    # An action: confirming the submitted order (orders.review with a scope that includes it).
    as_key = key.post(f"/orders/{target['order_id']}/confirm").status_code
    as_person = person.post(f"/orders/{target['order_id']}/confirm").status_code
    if as_key != as_person and not (as_key == 200 and as_person == 409):  # the key confirmed it first
        wrong.append(f"  POST confirm: staff {as_person}, key {as_key}")
    assert not wrong, f"{permission}\n" + "\n".join(wrong)


# --- callers whose rights ended after their token was issued (API.md "Rights come from current data") -----
# Every write the administrator may make, tried with the token of an administrator deactivated since, and of
# one demoted to the order desk since: the first is refused (401) on every one of them, the second on every
# one the order desk may not make (401, or 403 where the route's permission is checked on the user as stored
# now), and neither refusal changes anything. Logging out ends a session whatever became of its user.
ADMIN_WRITES = sorted(
    route
    for route, r in MATRIX.items()
    if route[0] != "GET"
    and not SPECS[route].public
    and route != ("POST", "/auth/logout")
    and 200 <= r.status_for("admin") < 400
)


def _former_admin(m: MatrixWorld, fate: str) -> Api:
    username = m.unique(fate)
    made = create_user(m.admin, username, ["administrators"], kind="staff")
    api = m.world.anon.login("acme", username, USER_PASSWORD)
    change = {"status": "inactive"} if fate == "deactivated" else {"security_group_ids": ["order-desk"]}
    assert m.admin.patch(f"/users/{made['id']}", change).status_code == 200
    return api


@pytest.mark.parametrize("route", ADMIN_WRITES, ids=[f"{m} {p}" for m, p in ADMIN_WRITES])
def test_a_deactivated_or_demoted_administrator_writes_nothing_more(
    matrix: MatrixWorld, route: tuple[str, str]
) -> None:
    m = matrix
    method, template = route
    wrong = []
    target = TARGETS[MATRIX[route].about](m)  # both are refused: one target for both
    before = _order_state(m, target)
    for fate in ("deactivated", "demoted"):
        if fate == "demoted" and 200 <= MATRIX[route].status_for("order_desk") < 400:
            continue  # the order desk may do this: the demoted administrator still may
        api = _former_admin(m, fate)
        body = BODIES.get(route)
        if route in CSV_BODIES:
            reply = api.call(
                method, template.format(**target), raw=CSV_BODIES[route], headers={"Content-Type": "text/csv"}
            )
        else:
            reply = api.call(method, template.format(**target), body(m, "admin", target) if callable(body) else body)
        allowed = {401} if fate == "deactivated" else {401, 403}
        if reply.status_code not in allowed:
            wrong.append(f"  {fate}: expected {sorted(allowed)}, got {reply.status_code} {reply.body[:200]!r}")
        elif _order_state(m, target) != before:
            wrong.append(f"  {fate}: the refused request changed the order")
        if api.get("/me").status_code != 200:
            wrong.append(f"  {fate}: the token no longer reads (reads end with the token, not before)")
    if "endpoint_id" in target:  # a tenant holds at most 20 webhook endpoints: give this one back
        m.admin.delete(f"/webhook-endpoints/{target['endpoint_id']}")
    assert not wrong, f"{method} {template}\n" + "\n".join(wrong)


# --- assigning a sales rep: the rights of reading the customer's orders -----------------------------------
# A customer's sales rep reads all its orders, so setting `sales_rep_id` (on POST or PATCH /customers, to
# someone, someone else or nobody) takes `orders.read_all` besides `customers.manage`: the status for a staff
# user holding the permissions of each column (the administrators hold both).
REP_ASSIGNERS = {
    "customers.manage": ["customers.manage"],
    "and orders.read_all": ["customers.manage", "orders.read_all"],
}
REP_ASSIGNMENTS = {
    # what the request does: (status with customers.manage alone, status with orders.read_all too)
    "create a customer without a rep": (201, 201),
    "create a customer with themselves as its rep": (403, 201),
    "edit a customer's terms": (200, 200),
    "make themselves a customer's rep": (403, 200),
    "take a customer's rep away": (403, 200),
}


def _assign(m: MatrixWorld, api: Api, assignment: str, me: str, cid: str) -> Any:
    new = {"number": m.unique("N-"), "name": "New"}
    if assignment == "create a customer without a rep":
        return api.post("/customers", new)
    if assignment == "create a customer with themselves as its rep":
        return api.post("/customers", {**new, "sales_rep_id": me})
    change = {
        "edit a customer's terms": {"payment_terms": 14},
        "make themselves a customer's rep": {"sales_rep_id": me},
        "take a customer's rep away": {"sales_rep_id": None},
    }[assignment]
    return api.patch(f"/customers/{cid}", change)


@pytest.mark.parametrize("assignment", list(REP_ASSIGNMENTS))
def test_assigning_a_sales_rep_takes_the_rights_of_reading_the_customers_orders(
    matrix: MatrixWorld, assignment: str
) -> None:
    m = matrix
    wrong = []
    for column, (name, permissions) in enumerate(REP_ASSIGNERS.items()):
        group = m.admin.post(
            "/security-groups", {"name": m.unique("Reps "), "kind": "staff", "permissions": permissions}
        )
        assert group.status_code == 201, group.body
        username = m.unique("manager")
        me = create_user(m.admin, username, [group.json["id"]], kind="staff")["id"]
        api = m.world.anon.login("acme", username, USER_PASSWORD)
        rep = m.world.ids["rep"]
        number = m.unique("R-")
        made = m.admin.post("/customers", {"number": number, "name": "Shop", "sales_rep_id": rep})
        assert made.status_code == 201, made.body
        cid = made.json["id"]
        reply = _assign(m, api, assignment, me, cid)
        expected = REP_ASSIGNMENTS[assignment][column]
        if reply.status_code != expected:
            wrong.append(f"  with {name}: expected {expected}, got {reply.status_code} {reply.body[:200]!r}")
        elif expected == 403 and m.admin.get(f"/customers/{cid}").json["sales_rep_id"] != rep:
            wrong.append(f"  with {name}: a refused request changed the customer's rep")
        if expected == 403:  # the customer's orders stay out of their lists (the policy keeps what they see)
            theirs = m.admin.post("/orders", {"customer_id": cid, "lines": [{"sku": "SKU-1", "quantity": 1}]})
            assert theirs.status_code == 201, theirs.body
            listed = api.get(f"/orders?customer_id={cid}")
            if (
                listed.status_code != 200
                or listed.json["items"]
                or api.get(f"/orders/{theirs.json['id']}").status_code != 404
            ):
                wrong.append(f"  with {name}: reads the orders of a customer they are not the rep of")
    assert not wrong, f"{assignment}\n" + "\n".join(wrong)
