"""The scenario table: for every API route, who calls it and with what, on realistic data.

One row per route (plus optional variants). `prepare` runs outside the counted block and returns the
request to measure, creating whatever state the request needs (a draft to submit, a group to delete).
A route of `app.routes` with no row here is reported as "not exercised" and the run says so: adding a
route means adding a row.

`why` explains an endpoint that needs more than two DynamoDB round trips by design.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.world import PASSWORD, Request, World, products_csv

Prepare = Callable[[World], Request]


@dataclass(frozen=True)
class Scenario:
    route: str  # "METHOD /path/{param}" exactly as Chalice registers it
    actor: str  # a key of World.tokens ("anon" sends no token)
    prepare: Prepare
    expect: int = 200
    variant: str = ""  # empty for a route's main scenario
    why: str = ""

    @property
    def key(self) -> str:
        return f"{self.route} [{self.variant}]" if self.variant else self.route


def get(path: str) -> Prepare:
    return lambda w: Request("GET", path)


def _order(status: str) -> Callable[[World], dict[str, Any]]:
    return lambda w: w.order_in(status)


def on_order(status: str, method: str, suffix: str, body: Callable[[dict[str, Any]], Any] | None = None) -> Prepare:
    """A request on a fresh order in `status` (suffix after /orders/{id})."""

    def prepare(w: World) -> Request:
        o = w.order_in(status)
        return Request(method, f"/orders/{o['id']}{suffix}", body(o) if body else None)

    return prepare


def action_link(method: str, body: Any = None) -> Prepare:
    """A request on an approver's e-mail link to a fresh order waiting for approval."""

    def prepare(w: World) -> Request:
        from chalicelib.bootstrap import get_services

        o = w.order_in("pending_approval")
        token = get_services().action_links.issue("acme", o["id"], w.ids["approver"], o["version"])
        return Request(method, f"/actions/{token}", body, headers={"Accept": "application/json"})

    return prepare


def delegation(method: str) -> Prepare:
    """The approver's delegate for the coming week: the buyer of their customer."""

    def prepare(w: World) -> Request:
        from datetime import UTC, datetime, timedelta

        today = datetime.now(UTC).date()
        body = {"delegate_id": w.ids["buyer"], "starts_on": str(today), "ends_on": str(today + timedelta(days=7))}
        if method != "PUT":
            w.ok("approver", "PUT", "/me/delegation", body)
        return Request(method, "/me/delegation", body if method == "PUT" else None)

    return prepare


def on_behalf(suffix: str, body: dict[str, Any]) -> Prepare:
    """The approver's delegate for the coming week (the customer's admin) deciding on their behalf through
    the API (`on_behalf_of`), on a fresh order waiting for approval."""

    def prepare(w: World) -> Request:
        from datetime import UTC, datetime, timedelta

        today = datetime.now(UTC).date()
        period = {"starts_on": str(today), "ends_on": str(today + timedelta(days=7))}
        w.ok("approver", "PUT", "/me/delegation", {"delegate_id": w.ids["orgadmin"], **period})
        o = w.order_in("pending_approval")
        return Request("POST", f"/orders/{o['id']}{suffix}", {**body, "on_behalf_of": w.ids["approver"]})

    return prepare


def delegate_get(w: World) -> Request:
    """The approver's delegate for the coming week (a buyer of the branch) opening a fresh order that waits
    for the approver: seen through whom it waits on (the order's Query, the path's members records, their
    users and delegations)."""
    return Request("GET", f"/orders/{standing_in(w)['id']}")


def delegate_list(query: str) -> Prepare:
    """The approver's delegate for the coming week (a buyer of the branch) listing what waits on the approver
    (a fresh order among the organisation's): whom they stand in for with their customers (one BatchGet), the
    approver as stored now with the group index and the approver's customers (one more), the organisation's
    one Query page."""

    def prepare(w: World) -> Request:
        standing_in(w)
        return Request("GET", f"/orders{query}")

    return prepare


def standing_in(w: World) -> dict[str, Any]:
    """A fresh order waiting for the approver, whose delegation to the deputy lasts the coming week."""
    from datetime import UTC, datetime, timedelta

    today = datetime.now(UTC).date()
    period = {"starts_on": str(today), "ends_on": str(today + timedelta(days=7))}
    w.ok("approver", "PUT", "/me/delegation", {"delegate_id": w.ids["deputy"], **period})
    return w.order_in("pending_approval")


def session(username: str, customer_number: str | None = None) -> Prepare:
    """Log in afresh as `username` into the actor "session" (logout and password change end it)."""

    def prepare(w: World) -> Request:
        w.login("session", username, customer_number)
        return Request("POST", "/auth/logout", {"refresh_token": w.refresh_tokens["session"]})

    return prepare


def new_password_user(w: World) -> Request:
    name = w.unique("pw")
    w.ok(
        "admin",
        "POST",
        "/users",
        {
            "kind": "staff",
            "username": name,
            "name": "Password Changer",
            "email": f"{name}@acme.example",
            "password": PASSWORD,
            "security_group_ids": ["order-desk"],
        },
    )
    w.login("session", name)
    return Request("POST", "/me/password", {"current_password": PASSWORD, "new_password": PASSWORD + "-new"})


def new_group(w: World) -> str:
    body = {"name": w.unique("Group "), "kind": "customer", "permissions": ["orders.place"]}
    group_id: str = w.ok("admin", "POST", "/security-groups", body)["id"]
    return group_id


def new_customer(w: World) -> str:
    body = {"number": w.unique("C-"), "name": "Corner Cafe", "parent_id": w.ids["hq"], "sales_rep_id": w.ids["rep"]}
    customer_id: str = w.ok("admin", "POST", "/customers", body)["id"]
    return customer_id


def new_api_key(w: World) -> str:
    return str(w.ok("admin", "POST", "/api-keys", {"name": w.unique("ERP "), "permissions": []})["id"])


def new_webhook(w: World) -> str:
    """An endpoint (an address literal: no DNS in the bench), on a pipeline whose queue goes nowhere."""
    from chalicelib.bootstrap import get_services
    from chalicelib.webhooks.delivery import Pipeline
    from chalicelib.webhooks.post import Outcome

    class Nowhere:
        def send(self, messages: list[dict[str, Any]], delay_seconds: int = 0) -> None:
            pass

    get_services().webhook_pipeline = Pipeline(Nowhere(), lambda target, headers, body: Outcome(200, None))
    clear_webhooks(w)
    body = {"url": "https://93.184.216.34/in", "event_types": ["*"]}
    return str(w.ok("admin", "POST", "/webhook-endpoints", body)["id"])


def new_webhook_request(w: World) -> Request:
    clear_webhooks(w)
    return Request("POST", "/webhook-endpoints", {"url": "https://93.184.216.34/in", "event_types": ["*"]})


def clear_webhooks(w: World) -> None:
    """A tenant holds at most 20 endpoints, and every scenario runs more than once (fresh and warm): each
    starts from none."""
    for endpoint in w.ok("admin", "GET", "/webhook-endpoints?limit=100")["items"]:
        w.send("admin", Request("DELETE", f"/webhook-endpoints/{endpoint['id']}"))


def webhook_delivery(w: World) -> Request:
    endpoint_id = new_webhook(w)
    delivery = w.ok("admin", "POST", f"/webhook-endpoints/{endpoint_id}/test")
    return Request("POST", f"/webhook-endpoints/{endpoint_id}/deliveries/{delivery['id']}/retry")


def new_product_group(w: World) -> str:
    group_id: str = w.ok("admin", "POST", "/product-groups", {"name": w.unique("Group "), "portal": False})["id"]
    return group_id


def with_messages(w: World) -> Request:
    o = w.order_in("submitted")
    for text in ("Can you deliver before 8am?", "Yes, the driver starts at 6.", "Thanks!"):
        w.ok("buyer", "POST", f"/orders/{o['id']}/messages", {"body": text})
    return Request("GET", f"/orders/{o['id']}/messages")


DOCUMENT = b"%PDF-1.4 a purchase order\n"
DECLARED = {"filename": "po.pdf", "content_type": "application/pdf", "size": len(DOCUMENT), "kind": "purchase_order"}


def with_document(method: str, suffix: str | None = "") -> Prepare:
    """An available document on a submitted order: declared, its file put where the presigned POST would
    have, and the S3 event handled (outside the counted block)."""

    def prepare(w: World) -> Request:
        import boto3

        from chalicelib.bootstrap import get_services

        o = w.order_in("submitted")
        declared = w.ok("buyer", "POST", f"/orders/{o['id']}/documents", DECLARED)
        key = declared["upload"]["fields"]["key"]
        bucket = get_services().settings.documents_bucket
        boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=DOCUMENT, ContentType="application/pdf")
        get_services().orders.document_arrived(key)
        path = f"/orders/{o['id']}/documents"
        return Request(method, path + (f"/{declared['document']['id']}{suffix}" if suffix is not None else ""))

    return prepare


def import_csv(w: World) -> Request:
    o = w.draft(lines=[{"sku": "P-001", "quantity": 1}])
    rows = "\n".join(f"P-{i:03d},{i % 5 + 1}" for i in range(2, 22))
    return Request(
        "POST", f"/orders/{o['id']}/lines/import", raw=f"code,quantity\n{rows}\n", headers={"Content-Type": "text/csv"}
    )


def new_order(w: World, actor: str = "buyer", idempotency_key: bool = False) -> Request:
    headers = {"Idempotency-Key": w.unique("key-")} if idempotency_key else {}
    body: dict[str, Any] = {
        "customer_reference": w.unique("PO-"),
        "delivery_method": "courier",
        "payment_method": "transfer",
        "lines": w.lines(),
    }
    if actor != "buyer":
        body["customer_id"] = w.ids["branch"]
    return Request("POST", "/orders", body, headers=headers)


SHIPMENT = {"date": "2025-06-02", "document_number": "DN-1001", "carrier": "DHL", "tracking_number": "JD0001"}
INVOICE = {"date": "2025-06-02", "number": "INV-1001", "amount": "120.00", "due_date": "2025-07-02"}
PAYMENT = {"date": "2025-06-10", "reference": "BANK-7781", "amount": "120.00"}
REASON = {"reason": "Wrong delivery week, sorry."}
CREDIT_NOTE = {"date": "2025-06-12", "number": "CN-1001", "amount": "20.00", "reason": "Two units arrived damaged."}


def invoiced_order(suffix: str, body: dict[str, Any]) -> Prepare:
    """A request on a fresh confirmed order with an invoice of its gross."""

    def prepare(w: World) -> Request:
        o = w.order_in("confirmed")
        w.ok("desk", "POST", f"/orders/{o['id']}/invoices", {**INVOICE, "amount": o["totals"]["gross"]})
        return Request("POST", f"/orders/{o['id']}{suffix}", body)

    return prepare


def held_order(w: World) -> Request:
    """A fresh order submitted past the branch's credit limit (lifted again at once)."""
    branch = f"/customers/{w.ids['branch']}"
    w.ok("admin", "PATCH", branch, {"credit_limit": "1.00"})
    o = w.order_in("submitted")
    w.ok("admin", "PATCH", branch, {"credit_limit": None})
    assert o["credit_hold"], o
    return Request("POST", f"/orders/{o['id']}/release-credit-hold")


def statement(w: World) -> Request:
    """The branch's statement with an invoice on it."""
    o = w.order_in("confirmed")
    w.ok("desk", "POST", f"/orders/{o['id']}/invoices", {**INVOICE, "amount": o["totals"]["gross"]})
    return Request("GET", f"/customers/{w.ids['branch']}/statement")


# Order actions read the order (a Query), what they need besides in one BatchGet (customer, caller,
# settings, the month's budget, their lines' products, customer prices, list-prices items and the group
# index) and write one transaction: 3 round trips, in a fresh process as in a warm one.
PRICE_BY_CODE_WHY = (
    "A line named by sku or barcode: its product is known only through the code's guard, read in the "
    "action's BatchGet; the product and its prices are a second BatchGet: the order's Query, two BatchGets, "
    "the write (4). Lines named by product id (what the portal sends) cost 3."
)

SCENARIOS: list[Scenario] = [
    # --- system ---------------------------------------------------------------------------------------
    Scenario("GET /health", "anon", get("/health")),
    Scenario("GET /openapi.json", "anon", get("/openapi.json")),
    # --- auth -----------------------------------------------------------------------------------------
    Scenario(
        "POST /auth/login",
        "anon",
        lambda w: Request(
            "POST",
            "/auth/login",
            {"tenant": "acme", "username": "buyer", "password": PASSWORD, "customer_number": "C-101"},
        ),
        why="Attempts are counted per user and claimed before the password is checked (issue 23): the user is "
        "known only from the login guard, read with the customer after the customer number's guard, so the "
        "claim is a write of its own between those two BatchGets and the session's write (4).",
    ),
    Scenario(
        "POST /auth/login",
        "anon",
        lambda w: Request("POST", "/auth/login", {"tenant": "acme", "username": "desk", "password": PASSWORD}),
        variant="staff",
    ),
    Scenario(
        "POST /auth/refresh",
        "anon",
        lambda w: Request("POST", "/auth/refresh", {"refresh_token": w.fresh_refresh_token("buyer", "buyer", "C-101")}),
    ),
    Scenario("POST /auth/logout", "session", session("buyer", "C-101"), expect=204),
    Scenario("GET /me", "buyer", get("/me")),
    Scenario("POST /me/password", "session", new_password_user, expect=204),
    # --- tenant administration ------------------------------------------------------------------------
    Scenario("GET /settings", "admin", get("/settings")),
    Scenario(
        "PATCH /settings",
        "admin",
        lambda w: Request("PATCH", "/settings", {"order_desk_email": f"{w.unique('desk')}@acme.example"}),
    ),
    Scenario("GET /security-groups", "admin", get("/security-groups")),
    Scenario(
        "POST /security-groups",
        "admin",
        lambda w: Request(
            "POST",
            "/security-groups",
            {"name": w.unique("Buyers "), "kind": "customer", "permissions": ["orders.place"]},
        ),
        expect=201,
    ),
    Scenario("GET /security-groups/{group_id}", "admin", get("/security-groups/customer-buyers")),
    Scenario(
        "PUT /security-groups/{group_id}",
        "admin",
        lambda w: Request(
            "PUT",
            f"/security-groups/{new_group(w)}",
            {"name": w.unique("Renamed "), "permissions": ["orders.place", "orders.view_org"]},
        ),
    ),
    Scenario(
        "DELETE /security-groups/{group_id}",
        "admin",
        lambda w: Request("DELETE", f"/security-groups/{new_group(w)}"),
        expect=204,
    ),
    Scenario("GET /sites", "admin", get("/sites")),
    Scenario(
        "POST /sites",
        "admin",
        lambda w: Request("POST", "/sites", {"code": w.unique("WH"), "name": "Depot"}),
        expect=201,
    ),
    Scenario("GET /sites/{site_id}", "admin", lambda w: Request("GET", f"/sites/{w.ids['site']}")),
    Scenario(
        "PATCH /sites/{site_id}",
        "admin",
        lambda w: Request("PATCH", f"/sites/{w.ids['site']}", {"name": w.unique("Main warehouse ")}),
    ),
    Scenario("GET /users", "admin", get("/users")),
    Scenario("GET /users", "orgadmin", get("/users"), variant="customer admin: their customer's users"),
    Scenario(
        "POST /users",
        "admin",
        lambda w: Request(
            "POST",
            "/users",
            {
                "kind": "customer",
                "username": w.unique("cook"),
                "name": "Line Cook",
                "email": "cook@bistro.example",
                "password": PASSWORD,
                "security_group_ids": ["customer-buyers"],
                "customer_ids": [w.ids["branch"]],
                "site_ids": [w.ids["site"]],
            },
        ),
        expect=201,
    ),
    Scenario("GET /users/{user_id}", "admin", lambda w: Request("GET", f"/users/{w.ids['buyer']}")),
    Scenario(
        "PATCH /users/{user_id}",
        "admin",
        lambda w: Request("PATCH", f"/users/{w.ids['buyer']}", {"name": w.unique("Buyer ")}),
    ),
    Scenario(
        "PATCH /users/{user_id}",
        "orgadmin",
        lambda w: Request("PATCH", f"/users/{w.ids['buyer']}", {"name": w.unique("Buyer ")}),
        variant="customer admin: a user of their customer",
    ),
    Scenario("GET /customers", "admin", get("/customers")),
    Scenario("GET /customers", "buyer", get("/customers"), variant="customer user: their customers"),
    Scenario(
        "POST /customers",
        "admin",
        lambda w: Request(
            "POST",
            "/customers",
            {
                "number": w.unique("C-"),
                "name": "Bistro Group Lille",
                "parent_id": w.ids["hq"],
                "sales_rep_id": w.ids["rep"],
            },
        ),
        expect=201,
    ),
    Scenario("GET /customers/{customer_id}", "admin", lambda w: Request("GET", f"/customers/{w.ids['branch']}")),
    Scenario(
        "PATCH /customers/{customer_id}",
        "admin",
        lambda w: Request("PATCH", f"/customers/{new_customer(w)}", {"payment_terms": 60}),
    ),
    # --- orders: lists and drafts -----------------------------------------------------------------------
    Scenario("GET /orders", "buyer", get("/orders")),
    Scenario("GET /orders", "approver", get("/orders"), variant="customer approver: the organisation's orders"),
    Scenario(
        "GET /orders", "approver", get("/orders?status=pending_approval"), variant="approver: what waits for them"
    ),
    Scenario("GET /orders", "desk", get("/orders?status=submitted"), variant="order desk: status work queue"),
    Scenario("GET /orders", "hqapprover", get("/orders"), variant="head-office approver: the branches' orders (gsi5)"),
    Scenario("GET /orders", "rep", get("/orders"), variant="sales rep: their customers' orders"),
    Scenario(
        "GET /orders",
        "deputy",
        delegate_list(""),
        variant="a delegate: their orders and what waits on the approver they stand in for",
    ),
    Scenario(
        "GET /orders",
        "deputy",
        delegate_list("?status=pending_approval"),
        variant="a delegate: what waits on the approver they stand in for",
    ),
    Scenario("POST /orders", "buyer", new_order, expect=201),
    Scenario("POST /orders", "rep", lambda w: new_order(w, "rep"), expect=201, variant="staff, on behalf"),
    Scenario(
        "POST /orders",
        "buyer",
        lambda w: new_order(w, idempotency_key=True),
        expect=201,
        variant="with Idempotency-Key",
        why="The key's record, response included, is written by the create's own transaction "
        "(`claims_in_write`, api/idempotency.py). Cold: as a create.",
    ),
    Scenario("GET /orders/{order_id}", "buyer", on_order("draft", "GET", "")),
    Scenario(
        "GET /orders/{order_id}",
        "buyer",
        on_order("pending_approval", "GET", ""),
        variant="waiting for approval: whom it waits on, by name",
    ),
    Scenario(
        "GET /orders/{order_id}",
        "deputy",
        delegate_get,
        variant="a delegate: what waits on the approver they stand in for",
    ),
    Scenario(
        "PATCH /orders/{order_id}",
        "buyer",
        on_order("draft", "PATCH", "", lambda o: {"notes": "Leave at dock 4", "delivery_method": "pickup"}),
    ),
    Scenario(
        "POST /orders/{order_id}/lines",
        "buyer",
        on_order("draft", "POST", "/lines", lambda o: {"barcode": "5900000000040", "quantity": 3}),
        expect=201,
        why=PRICE_BY_CODE_WHY,
    ),
    Scenario(
        "PATCH /orders/{order_id}/lines/{line_id}",
        "buyer",
        lambda w: (lambda o: Request("PATCH", f"/orders/{o['id']}/lines/{o['lines'][0]['id']}", {"quantity": 7}))(
            w.order_in("draft")
        ),
    ),
    Scenario(
        "DELETE /orders/{order_id}/lines/{line_id}",
        "buyer",
        lambda w: (lambda o: Request("DELETE", f"/orders/{o['id']}/lines/{o['lines'][0]['id']}"))(w.order_in("draft")),
    ),
    Scenario(
        "POST /orders/{order_id}/lines/import",
        "buyer",
        import_csv,
        why="An import names products by code: the order's Query, the codes' guards (each code as a barcode "
        "and as a sku: 40 keys for 20 rows) with the customer in one BatchGet, the products behind them and "
        "their prices in a second, the write: 4.",
    ),
    # --- orders: lifecycle ---------------------------------------------------------------------------------
    Scenario("POST /orders/{order_id}/submit", "buyer", on_order("draft", "POST", "/submit")),
    Scenario(
        "POST /orders/{order_id}/submit",
        "buyer",
        lambda w: Request(
            "POST",
            f"/orders/{w.draft(lines=w.over_limit_lines())['id']}/submit",
        ),
        variant="over the buyer's limit: needs approval",
    ),
    Scenario("POST /orders/{order_id}/approve", "approver", on_order("pending_approval", "POST", "/approve")),
    Scenario(
        "POST /orders/{order_id}/reject", "approver", on_order("pending_approval", "POST", "/reject", lambda o: REASON)
    ),
    # A delegate: the approver, their delegation and the group index in one BatchGet; the order's Query;
    # the transaction: 3.
    Scenario(
        "POST /orders/{order_id}/approve",
        "orgadmin",
        on_behalf("/approve", {}),
        variant="a delegate, on the approver's behalf",
        why="The delegate's standing (both users, the delegation, the group index) is one BatchGet before "
        "the approver's own two round trips.",
    ),
    Scenario(
        "POST /orders/{order_id}/reject",
        "orgadmin",
        on_behalf("/reject", REASON),
        variant="a delegate, on the approver's behalf",
        why="As approving on the approver's behalf: one BatchGet more than the approver's own decision.",
    ),
    Scenario("GET /orders/{order_id}/notifications", "desk", on_order("submitted", "GET", "/notifications")),
    Scenario("GET /me/delegation", "approver", delegation("GET")),
    Scenario("PUT /me/delegation", "approver", delegation("PUT")),
    Scenario("DELETE /me/delegation", "approver", delegation("DELETE"), expect=204),
    Scenario("GET /actions/{token}", "anon", action_link("GET")),
    Scenario("HEAD /actions/{token}", "anon", action_link("HEAD")),
    # The link, its approver's user and the group index in one BatchGet; the order's Query; the transaction
    # that writes the decision and spends the link: 3.
    Scenario("POST /actions/{token}", "anon", action_link("POST", {"decision": "approve"})),
    Scenario("POST /orders/{order_id}/send", "rep", on_order("staff_draft", "POST", "/send")),
    Scenario("POST /orders/{order_id}/confirm", "desk", on_order("submitted", "POST", "/confirm")),
    Scenario(
        "POST /orders/{order_id}/propose",
        "desk",
        on_order(
            "submitted",
            "POST",
            "/propose",
            lambda o: {"note": "Two lines are short.", "lines": [{"id": o["lines"][0]["id"], "quantity": 1}]},
        ),
    ),
    Scenario("POST /orders/{order_id}/accept", "buyer", on_order("awaiting_customer", "POST", "/accept")),
    Scenario(
        "POST /orders/{order_id}/decline", "buyer", on_order("awaiting_customer", "POST", "/decline", lambda o: REASON)
    ),
    Scenario("POST /orders/{order_id}/cancel", "buyer", on_order("submitted", "POST", "/cancel", lambda o: REASON)),
    # --- orders: fulfilment, messages, reorder -------------------------------------------------------------
    Scenario(
        "POST /orders/{order_id}/shipments",
        "desk",
        on_order("confirmed", "POST", "/shipments", lambda o: SHIPMENT),
        expect=201,
    ),
    Scenario(
        "POST /orders/{order_id}/invoices",
        "desk",
        on_order("confirmed", "POST", "/invoices", lambda o: INVOICE),
        expect=201,
    ),
    # A money action: the order's Query, the customer and its ledger in one BatchGet, the transaction that
    # writes the order and the ledger: 3.
    Scenario(
        "POST /orders/{order_id}/payments",
        "desk",
        on_order("confirmed", "POST", "/payments", lambda o: PAYMENT),
        expect=201,
    ),
    Scenario("POST /orders/{order_id}/credit-notes", "desk", invoiced_order("/credit-notes", CREDIT_NOTE), expect=201),
    Scenario("POST /orders/{order_id}/release-credit-hold", "desk", held_order),
    # The customer, the settings and the ledger's summary in one BatchGet; the invoices in one Query: 2.
    Scenario("GET /customers/{customer_id}/statement", "buyer", statement),
    Scenario(
        "POST /orders/{order_id}/reorder",
        "buyer",
        on_order("confirmed", "POST", "/reorder"),
        expect=201,
    ),
    Scenario("GET /orders/{order_id}/messages", "buyer", with_messages),
    Scenario(
        "POST /orders/{order_id}/messages",
        "buyer",
        on_order("submitted", "POST", "/messages", lambda o: {"body": "Please call before delivery."}),
        expect=201,
    ),
    # --- orders: documents (files in S3; the S3 calls are not DynamoDB round trips) ------------------
    Scenario(
        "POST /orders/{order_id}/documents",
        "buyer",
        on_order("submitted", "POST", "/documents", lambda o: DECLARED),
        expect=201,
    ),
    Scenario("GET /orders/{order_id}/documents", "buyer", with_document("GET", None)),
    Scenario(
        "GET /orders/{order_id}/documents/{document_id}/download", "desk", with_document("GET", "/download"), expect=302
    ),
    Scenario("DELETE /orders/{order_id}/documents/{document_id}", "buyer", with_document("DELETE", ""), expect=204),
    # --- catalog and prices ----------------------------------------------------------------------------
    Scenario("GET /product-groups", "admin", get("/product-groups")),
    Scenario(
        "POST /product-groups",
        "admin",
        lambda w: Request("POST", "/product-groups", {"name": w.unique("Group "), "portal": True}),
        expect=201,
    ),
    Scenario("GET /product-groups/{group_id}", "admin", lambda w: Request("GET", f"/product-groups/{w.ids['group']}")),
    Scenario(
        "PATCH /product-groups/{group_id}",
        "admin",
        lambda w: Request("PATCH", f"/product-groups/{new_product_group(w)}", {"name": w.unique("Renamed ")}),
    ),
    Scenario("GET /products", "buyer", get("/products"), variant=""),
    Scenario("GET /products", "buyer", get("/products?q=product"), variant="buyer: search"),
    Scenario("GET /products", "admin", get("/products?q=product"), variant="staff: search"),
    Scenario("GET /products", "buyer", get("/products?barcode=5900000000001"), variant="buyer: by barcode"),
    Scenario(
        "GET /products",
        "admin",
        lambda w: Request("GET", f"/products?customer_id={w.ids['branch']}"),
        variant="staff: priced for a customer",
    ),
    Scenario(
        "POST /products",
        "admin",
        lambda w: Request(
            "POST",
            "/products",
            {
                "sku": w.unique("NEW-"),
                "name": "Chef's knife",
                "base_price": "49.00",
                "tax_rate": "0.20",
                "group_id": w.ids["group"],
                "barcodes": [w.unique("4000000")],
                "portal": True,
                "base_tiers": [{"min_quantity": 10, "price": "45.00"}],
            },
        ),
        expect=201,
    ),
    Scenario("GET /products/export", "admin", get("/products/export")),
    Scenario(
        "POST /products/import",
        "admin",
        lambda w: Request("POST", "/products/import", raw=products_csv("P", 20), headers={"Content-Type": "text/csv"}),
        why="A CSV import reads the rows' existing products and guards in batches and writes them in batches: "
        "its round trips grow with the file (here 20 rows).",
    ),
    Scenario("GET /products/{product_id}", "buyer", lambda w: Request("GET", f"/products/{w.products['P-001']}")),
    Scenario(
        "PATCH /products/{product_id}",
        "admin",
        lambda w: Request("PATCH", f"/products/{w.products['P-030']}", {"base_price": f"{w.serial % 9 + 20}.00"}),
    ),
    Scenario("GET /price-lists", "admin", get("/price-lists")),
    Scenario(
        "POST /price-lists",
        "admin",
        lambda w: Request(
            "POST",
            "/price-lists",
            {
                "name": w.unique("Promo "),
                "entries": [{"product_id": w.products[f"P-{i:03d}"], "price": "3.99"} for i in range(21, 31)],
            },
        ),
        expect=201,
    ),
    Scenario("GET /price-lists/{list_id}", "admin", lambda w: Request("GET", f"/price-lists/{w.ids['price_list']}")),
    Scenario(
        "PUT /price-lists/{list_id}",
        "admin",
        lambda w: Request(
            "PUT",
            f"/price-lists/{w.ids['price_list']}",
            {
                "name": "Trade",
                # New prices each time, so that every run writes (the same prices again write nothing).
                "entries": [
                    {"product_id": w.products[f"P-{i:03d}"], "price": f"{4 + (i % 17)}.{w.unique('')[-2:]}"}
                    for i in range(1, 21)
                ],
            },
        ),
    ),
    Scenario(
        "GET /customers/{customer_id}/prices",
        "admin",
        lambda w: Request("GET", f"/customers/{w.ids['branch']}/prices"),
    ),
    Scenario(
        "PUT /customers/{customer_id}/prices",
        "admin",
        lambda w: Request(
            "PUT",
            f"/customers/{w.ids['branch']}/prices",
            {
                "entries": [
                    {"product_id": w.products[f"P-{i:03d}"], "price": f"{3 + (i % 17)}.{w.unique('')[-2:]}"}
                    for i in range(1, 6)
                ]
            },
        ),
    ),
    # --- machine clients (issue 15) ----------------------------------------------------------------------
    Scenario("GET /api-keys", "admin", get("/api-keys")),
    Scenario(
        "POST /api-keys",
        "admin",
        lambda w: Request("POST", "/api-keys", {"name": w.unique("ERP "), "permissions": ["orders.read_all"]}),
        expect=201,
    ),
    Scenario("GET /api-keys/{key_id}", "admin", lambda w: Request("GET", f"/api-keys/{new_api_key(w)}")),
    Scenario(
        "DELETE /api-keys/{key_id}", "admin", lambda w: Request("DELETE", f"/api-keys/{new_api_key(w)}"), expect=204
    ),
    Scenario("GET /events", "desk", get("/events")),
    Scenario(
        "PUT /stock",
        "admin",
        lambda w: Request(
            "PUT",
            "/stock",
            {
                "entries": [
                    {"sku": f"P-{i:03d}", "site_id": w.ids["site"], "quantity": int(w.unique("")[-3:]) + i}
                    for i in range(1, 21)
                ]
            },
        ),
        why="the sku guards and sites (one BatchGet), the products (one BatchGet), one transaction per 99 "
        "products: 3 for up to 99 products, growing by ~3 per 100 entries up to 1,000",
    ),
    Scenario("GET /webhook-endpoints", "admin", get("/webhook-endpoints")),
    Scenario(
        "POST /webhook-endpoints",
        "admin",
        new_webhook_request,
        expect=201,
    ),
    Scenario(
        "GET /webhook-endpoints/{endpoint_id}",
        "admin",
        lambda w: Request("GET", f"/webhook-endpoints/{new_webhook(w)}"),
    ),
    Scenario(
        "PATCH /webhook-endpoints/{endpoint_id}",
        "admin",
        lambda w: Request("PATCH", f"/webhook-endpoints/{new_webhook(w)}", {"description": "ERP"}),
    ),
    Scenario(
        "DELETE /webhook-endpoints/{endpoint_id}",
        "admin",
        lambda w: Request("DELETE", f"/webhook-endpoints/{new_webhook(w)}"),
        expect=204,
    ),
    Scenario(
        "POST /webhook-endpoints/{endpoint_id}/rotate-secret",
        "admin",
        lambda w: Request("POST", f"/webhook-endpoints/{new_webhook(w)}/rotate-secret"),
    ),
    Scenario(
        "POST /webhook-endpoints/{endpoint_id}/test",
        "admin",
        lambda w: Request("POST", f"/webhook-endpoints/{new_webhook(w)}/test"),
        expect=202,
    ),
    Scenario(
        "GET /webhook-endpoints/{endpoint_id}/deliveries",
        "admin",
        lambda w: Request("GET", f"/webhook-endpoints/{new_webhook(w)}/deliveries"),
    ),
    Scenario(
        "POST /webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/retry", "admin", webhook_delivery, expect=202
    ),
]
