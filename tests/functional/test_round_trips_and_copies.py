"""Round trips per request are part of the design (bench/README.md): the hot paths keep their budget
(the same in a fresh process as in a warm one: nothing is remembered between requests), and the copies
that serve an access pattern (a customer's parents, the approval lists, the catalog's group index and
list-prices items) stay correct when the originals change."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

from bench.counting import Tally, storage_counter
from chalicelib.auth.principal import Principal
from chalicelib.bootstrap import get_services
from chalicelib.domain.permissions import UserKind
from chalicelib.storage.refs import load as load_refs
from tests.functional.conftest import USER_PASSWORD, Api, create_customer, create_user
from tests.functional.order_world import World


def counted(call: Any) -> tuple[Any, Tally]:
    with storage_counter().measure() as tally:
        reply = call()
    return reply, tally


def ops(tally: Tally) -> dict[str, int]:
    return tally.summary()["operations"]


def ids(reply: Any) -> list[str]:
    assert reply.status_code == 200, reply.body
    return [o["id"] for o in reply.json["items"]]


# --- the budgets ------------------------------------------------------------------------------------------
def test_a_draft_is_one_batch_read_and_one_transaction(world: World) -> None:
    r, tally = counted(lambda: world.buyer.post("/orders", {"lines": [{"sku": "SKU-1", "quantity": 2}]}))
    assert r.status_code == 201, r.body
    assert ops(tally) == {"BatchGetItem": 1, "TransactWriteItems": 1}


def test_order_actions_are_one_query_one_batch_read_and_one_transaction(world: World) -> None:
    o = world.order()
    r, tally = counted(lambda: world.buyer.post(f"/orders/{o['id']}/lines", {"sku": "BOX-6", "quantity": 6}))
    assert r.status_code == 201, r.body
    assert ops(tally) == {"Query": 1, "BatchGetItem": 1, "TransactWriteItems": 1}  # the order; customer, prices
    r, tally = counted(lambda: world.buyer.post(f"/orders/{o['id']}/submit"))
    assert r.json["status"] == "submitted"
    assert ops(tally) == {"Query": 1, "BatchGetItem": 1, "TransactWriteItems": 1}  # + the caller, the month
    r, tally = counted(lambda: world.desk.post(f"/orders/{o['id']}/confirm"))
    assert r.json["status"] == "confirmed"
    assert ops(tally) == {"Query": 1, "TransactWriteItems": 1}  # the caller: checked in the write
    # Nothing is remembered: the same request in a "fresh process" costs the same.
    from chalicelib import bootstrap

    services = bootstrap.get_services()
    bootstrap.reset()
    bootstrap.set_services(services)
    second = world.order()
    r, tally = counted(lambda: world.buyer.post(f"/orders/{second['id']}/submit"))
    assert r.json["status"] == "submitted"
    assert ops(tally) == {"Query": 1, "BatchGetItem": 1, "TransactWriteItems": 1}


TWO = {"Query": 1, "TransactWriteItems": 1}  # the order, and its write (which checks the caller's rights)


def test_actions_that_read_nothing_but_the_order_are_one_query_and_one_transaction(world: World) -> None:
    """The caller's rights are checked by ConditionChecks in the order's transaction (services/callers.py), so
    an action that needs nothing else spends no round trip on them, whatever other group an administrator
    edited meanwhile (only the caller's own groups count)."""
    other = world.admin.post("/security-groups", {"name": "Other", "kind": "staff", "permissions": []})
    assert other.status_code == 201, other.body
    edit = {"name": "Other", "permissions": ["orders.fulfil"]}
    assert world.admin.put(f"/security-groups/{other.json['id']}", edit).status_code == 200

    def act(api: Api, order_id: str, action: str, body: Any = None) -> tuple[Any, dict[str, int]]:
        with storage_counter().measure() as tally:
            reply = api.post(f"/orders/{order_id}/{action}", body)
        assert reply.status_code == 200, (action, reply.body)
        return reply.json, ops(tally)

    def submitted(expect: str = "submitted") -> str:
        o = world.order()
        assert world.buyer.post(f"/orders/{o['id']}/submit").json["status"] == expect
        return str(o["id"])

    confirmed, cost = act(world.desk, submitted(), "confirm")
    assert (confirmed["status"], cost) == ("confirmed", TWO)
    assert act(world.desk, submitted(), "cancel", {"reason": "Out of stock"})[1] == TWO
    # The approver's decisions through the API.
    assert world.admin.patch(f"/customers/{world.customer['id']}", {"approval_policy": "always"}).status_code == 200
    approved, cost = act(world.approver, submitted("pending_approval"), "approve")
    assert (approved["status"], cost) == ("submitted", TWO)
    rejected, cost = act(world.approver, submitted("pending_approval"), "reject", {"reason": "Too much"})
    assert (rejected["status"], cost) == ("draft", TWO)
    # The buyer declines a proposal. The desk's proposal, and a staff order sent, read what deciding whether
    # accepting needs an approver reads (the customer, the submitter, the month, the approvers: one BatchGet).
    assert world.admin.patch(f"/customers/{world.customer['id']}", {"approval_policy": "none"}).status_code == 200
    order_id = submitted()
    line = world.admin.get(f"/orders/{order_id}").json["lines"][0]["id"]
    proposed, cost = act(world.desk, order_id, "propose", {"note": "Three", "lines": [{"id": line, "quantity": 3}]})
    assert (proposed["status"], cost) == ("awaiting_customer", {**TWO, "BatchGetItem": 1})
    declined, cost = act(world.buyer, order_id, "decline", {"reason": "No"})
    assert (declined["status"], cost) == ("submitted", TWO)
    staff = world.rep.post("/orders", {"customer_id": world.customer["id"], "lines": [{"sku": "SKU-1", "quantity": 1}]})
    assert staff.status_code == 201, staff.body
    sent, cost = act(world.rep, staff.json["id"], "send")
    assert (sent["status"], cost) == ("awaiting_customer", {**TWO, "BatchGetItem": 1})


def test_a_reorder_reads_its_source_then_creates(world: World) -> None:
    o = world.order(lines=[{"sku": "SKU-1", "quantity": 2}, {"sku": "BOX-6", "quantity": 6}])
    r, tally = counted(lambda: world.buyer.post(f"/orders/{o['id']}/reorder"))
    assert r.status_code == 201, r.body
    assert [ln["sku"] for ln in r.json["lines"]] == ["SKU-1", "BOX-6"]
    # The source (one Query), then the create: customer, settings, counter and its lines' catalog keys in one
    # BatchGet, and the write.
    assert ops(tally) == {"Query": 1, "BatchGetItem": 1, "TransactWriteItems": 1}
    assert world.rep.post(f"/orders/{o['id']}/reorder").status_code == 201
    stranger = create_customer(world.admin, "C-500")
    create_user(world.admin, "other", ["customer-buyers"], customer_ids=[stranger["id"]])
    other = world.anon.login("acme", "other", USER_PASSWORD, "C-500")
    assert other.post(f"/orders/{o['id']}/reorder").status_code == 404  # not theirs: as if it did not exist
    assert world.buyer.post("/orders/nope/reorder").status_code == 404


def test_an_approvers_list_is_one_query_whatever_waits_elsewhere(world: World) -> None:
    elsewhere = create_customer(world.admin, "C-300", approval_policy="always")
    create_user(world.admin, "far", ["customer-buyers"], customer_ids=[elsewhere["id"]])
    create_user(world.admin, "farboss", ["customer-approvers"], customer_ids=[elsewhere["id"]])
    far = world.anon.login("acme", "far", USER_PASSWORD, "C-300")
    for _ in range(5):
        o = world.order(api=far)
        assert far.post(f"/orders/{o['id']}/submit").json["status"] == "pending_approval"
    world.admin.patch(f"/customers/{world.customer['id']}", {"approval_policy": "always"})
    mine = world.order()
    assert world.buyer.post(f"/orders/{mine['id']}/submit").json["status"] == "pending_approval"
    r, tally = counted(lambda: world.approver.get("/orders?status=pending_approval"))
    assert ids(r) == [mine["id"]]
    # Whom the approver stands in for (keys.delegations_to: nobody, nothing found), then their list.
    assert ops(tally) == {"BatchGetItem": 1, "Query": 1}
    assert tally.summary()["items_read"] == 1  # not the five waiting for another customer's approvers
    assert world.approver.post(f"/orders/{mine['id']}/approve").json["status"] == "submitted"
    assert ids(world.approver.get("/orders?status=pending_approval")) == []  # its entry went with it


def test_a_delegates_list_is_two_batch_reads_and_one_query(world: World) -> None:
    """Whom they stand in for with their customers; the approvers as stored now with the group index and the
    approvers' customers; the organisation's one Query page."""
    world.admin.patch(f"/customers/{world.customer['id']}", {"approval_policy": "always"})
    deputy = create_user(world.admin, "deputy", ["customer-buyers"], customer_ids=[world.customer["id"]])
    period = {"starts_on": "2000-01-01", "ends_on": "2999-12-31"}
    assert world.approver.put("/me/delegation", {"delegate_id": deputy["id"], **period}).status_code == 200
    waiting = world.order()
    assert world.buyer.post(f"/orders/{waiting['id']}/submit").json["status"] == "pending_approval"
    as_deputy = world.anon.login("acme", "deputy", USER_PASSWORD, "C-100")
    for query in ("", "?status=pending_approval", f"?customer_id={world.customer['id']}"):
        r, tally = counted(lambda q=query: as_deputy.get(f"/orders{q}"))
        assert ids(r) == [waiting["id"]], query
        assert ops(tally) == {"BatchGetItem": 2, "Query": 1}, query


def test_a_filtered_list_is_one_query_page_however_much_the_filter_drops(world: World) -> None:
    """A buyer's cancelled orders under six newer drafts: each request reads one page of their organisation
    (two orders), the filter may leave it empty, and its cursor leads on to the order."""
    cancelled = world.order()
    assert world.buyer.post(f"/orders/{cancelled['id']}/cancel", {"reason": "Not needed."}).status_code == 200
    for _ in range(6):
        world.order()
    found: list[str] = []
    cursor = ""
    for _ in range(10):
        r, tally = counted(lambda c=cursor: world.buyer.get(f"/orders?status=cancelled&limit=2{c}"))
        assert ops(tally) == {"BatchGetItem": 1, "Query": 1}
        found += ids(r)
        if not r.json["next_cursor"]:
            break
        cursor = f"&cursor={r.json['next_cursor']}"
    assert found == [cancelled["id"]]


def test_an_approver_of_two_customers_pages_through_both_lists(world: World) -> None:
    second = create_customer(world.admin, "C-400", approval_policy="always")
    world.admin.patch(f"/customers/{world.customer['id']}", {"approval_policy": "always"})
    create_user(world.admin, "both", ["customer-approvers"], customer_ids=[world.customer["id"], second["id"]])
    create_user(world.admin, "buyer4", ["customer-buyers"], customer_ids=[second["id"]])
    both = world.anon.login("acme", "both", USER_PASSWORD, "C-100")
    buyer4 = world.anon.login("acme", "buyer4", USER_PASSWORD, "C-400")
    waiting: set[str] = set()
    for api in (world.buyer, buyer4, world.buyer, buyer4, world.buyer):
        o = world.order(api=api)
        assert api.post(f"/orders/{o['id']}/submit").json["status"] == "pending_approval"
        waiting.add(o["id"])
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        page = both.get("/orders?status=pending_approval&limit=2" + (f"&cursor={cursor}" if cursor else "")).json
        seen += [o["id"] for o in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(waiting)  # each once, newest first within a page
    assert both.get("/orders?status=pending_approval&cursor=eyJ4Ijp7fX0").status_code == 400  # forged


# --- the copies stay true ---------------------------------------------------------------------------------
def test_an_address_added_after_the_draft_can_be_chosen(world: World) -> None:
    o = world.order()
    cid = world.customer["id"]
    addresses = world.admin.get(f"/customers/{cid}").json["addresses"]
    new = {"kind": "delivery", "label": "New dock", "line1": "9 Quay", "city": "Lyon", "country": "FR"}
    after = world.admin.patch(f"/customers/{cid}", {"addresses": [*addresses, new]}).json["addresses"]
    new_id = next(a["id"] for a in after if a["label"] == "New dock")
    r = world.buyer.patch(f"/orders/{o['id']}", {"delivery_address_id": new_id})
    assert r.status_code == 200, r.body  # the order's copy of the customer was refreshed, not trusted
    assert r.json["delivery_address"]["label"] == "New dock"


def test_a_policy_changed_after_the_draft_applies_at_submit(world: World) -> None:
    o = world.order()
    world.admin.patch(f"/customers/{world.customer['id']}", {"approval_policy": "always"})
    assert world.buyer.post(f"/orders/{o['id']}/submit").json["status"] == "pending_approval"


def test_an_approver_over_the_budget_submits_their_own_order(world: World) -> None:
    world.admin.patch(f"/customers/{world.customer['id']}", {"monthly_budget": "10.00"})
    o = world.order(api=world.approver)  # 24.00 gross: over the budget, but they may approve it
    assert world.approver.post(f"/orders/{o['id']}/submit").json["status"] == "submitted"


def test_concurrent_drafts_get_distinct_consecutive_numbers(world: World) -> None:
    # Through the service: chalice.test.Client swaps os.environ per request, which threads would garble.
    buyer = Principal(
        "acme",
        world.ids["buyer"],
        UserKind.CUSTOMER,
        frozenset({"orders.place"}),
        (world.customer["id"],),
        current=True,
    )
    service = get_services().orders

    def create(_: int) -> str:
        return service.create(buyer, {"lines": [{"sku": "SKU-1", "quantity": 1}]}).number

    with ThreadPoolExecutor(max_workers=6) as pool:
        numbers = list(pool.map(create, range(12)))
    assert sorted(numbers) == [f"ORD-{n:06d}" for n in range(1, 13)]


def test_a_moved_head_office_is_noticed_through_the_stored_parents(world: World) -> None:
    admin = world.admin
    hq = create_customer(admin, "HQ-1")
    branch = create_customer(admin, "BR-1", parent_id=hq["id"])
    group = create_customer(admin, "GRP-1")
    # The branch stored [hq] as its parents; moving hq under the group makes that copy stale.
    assert admin.patch(f"/customers/{hq['id']}", {"parent_id": group["id"]}).status_code == 200
    shop = create_customer(admin, "SH-1", parent_id=branch["id"])
    assert shop["parent_id"] == branch["id"]
    cycle = admin.patch(f"/customers/{group['id']}", {"parent_id": shop["id"]})
    assert cycle.status_code == 422  # the group is above the shop: found although the copy was stale
    create_user(admin, "shopper", ["customer-buyers"], customer_ids=[shop["id"]])
    create_user(admin, "groupboss", ["customer-approvers"], customer_ids=[group["id"]])
    shopper = world.anon.login("acme", "shopper", USER_PASSWORD, "SH-1")
    groupboss = world.anon.login("acme", "groupboss", USER_PASSWORD, "GRP-1")
    admin.patch(f"/customers/{shop['id']}", {"approval_policy": "always"})
    o = world.order(api=shopper)
    assert shopper.post(f"/orders/{o['id']}/submit").json["status"] == "pending_approval"
    assert ids(groupboss.get("/orders?status=pending_approval")) == [o["id"]]  # the path reached the group


def test_a_customer_admin_edits_a_user_in_one_read_and_one_write_unless_a_custom_group_needs_reading(
    world: World,
) -> None:
    cid = world.customer["id"]
    create_user(world.admin, "orgadmin", ["customer-admins"], customer_ids=[cid])
    member = create_user(world.admin, "member", ["customer-buyers"], customer_ids=[cid])
    orgadmin = world.anon.login("acme", "orgadmin", USER_PASSWORD, "C-100")
    r, tally = counted(lambda: orgadmin.patch(f"/users/{member['id']}", {"name": "Renamed"}))
    assert r.status_code == 200, r.body
    assert ops(tally) == {"BatchGetItem": 1, "TransactWriteItems": 1}
    # A user in a custom group: that group is read too, and the grant check still holds.
    mighty = world.admin.post(
        "/security-groups", {"name": "Mighty", "kind": "customer", "permissions": ["orders.place"]}
    )
    assert mighty.status_code == 201, mighty.body
    custom = create_user(world.admin, "custom", [mighty.json["id"]], customer_ids=[cid])
    r, tally = counted(lambda: orgadmin.patch(f"/users/{custom['id']}", {"name": "Renamed"}))
    assert r.status_code == 200, r.body
    assert ops(tally) == {"BatchGetItem": 2, "TransactWriteItems": 1}
    # The grant check uses the groups read with the user: a manager holding only org.manage may not edit a
    # buyer (orders.place is more than they hold), and that refusal changes nothing.
    managers = world.admin.post(
        "/security-groups", {"name": "Managers", "kind": "customer", "permissions": ["org.manage"]}
    )
    create_user(world.admin, "manager", [managers.json["id"]], customer_ids=[cid])
    manager = world.anon.login("acme", "manager", USER_PASSWORD, "C-100")
    assert manager.patch(f"/users/{member['id']}", {"name": "Taken over"}).status_code == 403
    assert world.admin.get(f"/users/{member['id']}").json["name"] == "Renamed"


def test_a_login_is_throttled_and_cleared_as_before(anon: Api, admin: Api) -> None:
    for _ in range(2):
        bad = anon.post("/auth/login", {"tenant": "acme", "username": "admin", "password": "wrong-password"})
        assert bad.status_code == 401
    r, tally = counted(
        lambda: anon.post("/auth/login", {"tenant": "acme", "username": "admin", "password": "admin-password-1"})
    )
    assert r.status_code == 200
    # The tenant, the group index and the login guard (holding the user's login fields) in one BatchGet;
    # the attempt claimed before the password is checked (with failures in the window: the claim that
    # would start a window is refused, the one counting up takes a slot); the session written (the counter
    # cleared in it). Without failures behind it a login claims in one write (the customer login below).
    assert ops(tally) == {"BatchGetItem": 1, "TransactWriteItems": 3}
    for _ in range(5):
        anon.post("/auth/login", {"tenant": "acme", "username": "admin", "password": "wrong-password"})
    assert anon.post("/auth/login", {"tenant": "acme", "username": "admin", "password": "x"}).status_code == 429


def test_the_catalog_prices_lines_by_id_in_one_read_and_by_code_in_two(admin: Api) -> None:
    from chalicelib.services.catalog_offers import CatalogOffers
    from chalicelib.services.order_catalog import ProductRef
    from chalicelib.storage import customers

    group = admin.post("/product-groups", {"name": "Hidden shelf", "portal": False}).json
    shown = admin.post(
        "/products",
        {"sku": "SHOWN-1", "name": "Shown", "base_price": "4.00", "tax_rate": "0.20", "portal": True},
    ).json
    hidden = admin.post(
        "/products",
        {
            "sku": "GRP-1",
            "name": "In a hidden group",
            "base_price": "6.00",
            "tax_rate": "0.20",
            "group_id": group["id"],
            "barcodes": ["5901111111111"],
        },
    )
    assert hidden.status_code == 201, hidden.body
    c = create_customer(admin, "C-77")
    admin.put(f"/customers/{c['id']}/prices", {"entries": [{"product_id": shown["id"], "price": "3.50"}]})
    customer = customers.get("acme", c["id"])
    catalog = CatalogOffers()

    def ask(refs: list[ProductRef], staff: bool = False) -> Any:
        """As an order action does: the port's keys in the action's one BatchGet, then the offers."""
        found = load_refs("acme", customers=[customer.id], extra=catalog.keys("acme", customer.id, refs))
        return catalog.offers("acme", customer, refs, staff=staff, found=found)

    offers, tally = counted(lambda: ask([ProductRef(product_id=shown["id"])]))
    assert offers[0] is not None and str(offers[0].unit_price(Decimal(1))) == "3.50"
    assert ops(tally) == {"BatchGetItem": 1}  # the product, its prices and the group index with the customer
    offers, tally = counted(lambda: ask([ProductRef(sku="shown-1"), ProductRef(barcode="5901111111111")]))
    assert offers[0] is not None and offers[1] is None  # the group hides the second from customers
    assert ops(tally) == {"BatchGetItem": 2}  # guards; then the products behind them and their prices
    offers, tally = counted(lambda: ask([ProductRef(sku="GRP-1")], staff=True))
    assert offers[0] is not None
    assert ops(tally) == {"BatchGetItem": 2}  # the same in every process: nothing is remembered
    offers, tally = counted(lambda: ask([ProductRef(sku="NEW-1")], staff=True))
    assert offers == [None] and ops(tally) == {"BatchGetItem": 1}  # no such guard: nothing behind it


# --- the catalog ------------------------------------------------------------------------------------------
def _catalog(admin: Api) -> dict[str, Any]:
    """A hidden group with a product, a portal product, a price list with both, a customer on that list
    with an own price for the first, a customer without a list, and a buyer of each."""
    from tests.functional.catalog_support import create_group, create_product, customer_user

    group = create_group(admin, "Shelf", portal=False)
    hidden = create_product(admin, "HID-1", group_id=group["id"], barcodes=["5900000000001"])
    shown = create_product(admin, "SHO-1", portal=True, barcodes=["5900000000002"])
    entries = [{"product_id": p["id"], "price": "8.00"} for p in (hidden, shown)]
    price_list = admin.post("/price-lists", {"name": "Trade", "entries": entries})
    assert price_list.status_code == 201, price_list.body
    listed, listed_buyer = customer_user(admin, "C-LIST", price_list_id=price_list.json["id"])
    r = admin.put(f"/customers/{listed['id']}/prices", {"entries": [{"product_id": shown["id"], "price": "7.00"}]})
    assert r.status_code == 200, r.body
    plain, plain_buyer = customer_user(admin, "C-PLAIN")
    return {
        "group": group,
        "hidden": hidden,
        "shown": shown,
        "price_list": price_list.json,
        "listed": listed,
        "listed_buyer": listed_buyer,
        "plain": plain,
        "plain_buyer": plain_buyer,
    }


def test_catalog_writes_are_one_read_and_one_transaction(admin: Api) -> None:
    c = _catalog(admin)
    # The caller as stored now (services/callers.py), then what the write checks, then the write.
    one_each = {"BatchGetItem": 2, "TransactWriteItems": 1}
    r, tally = counted(lambda: admin.post("/product-groups", {"name": "Tools", "portal": True}))
    assert r.status_code == 201 and ops(tally) == one_each
    r, tally = counted(lambda: admin.patch(f"/product-groups/{c['group']['id']}", {"name": "Back shelf"}))
    assert r.status_code == 200 and ops(tally) == one_each
    assert r.headers["ETag"] == admin.get(f"/product-groups/{c['group']['id']}").headers["ETag"] == '"2"'
    body = {"sku": "NEW-1", "name": "New", "base_price": "3", "tax_rate": "0.2", "group_id": c["group"]["id"]}
    r, tally = counted(lambda: admin.post("/products", body))
    assert r.status_code == 201 and ops(tally) == one_each
    assert r.json == admin.get(f"/products/{r.json['id']}").json  # what a read returns, without reading it back
    pid = c["hidden"]["id"]
    r, tally = counted(lambda: admin.patch(f"/products/{pid}", {"base_price": "12.5", "name": "Renamed"}))
    # the caller read with the product (catalog.update_product)
    assert r.status_code == 200 and ops(tally) == {"BatchGetItem": 1, "TransactWriteItems": 1}
    fresh = admin.get(f"/products/{pid}")
    assert r.json == fresh.json and r.json["visible"] is False and r.headers["ETag"] == fresh.headers["ETag"]

    entries = [{"product_id": c["shown"]["id"], "price": "6", "tiers": [{"min_quantity": 10, "price": "5.5"}]}]
    r, tally = counted(lambda: admin.post("/price-lists", {"name": "Promo", "entries": entries}))
    assert r.status_code == 201 and ops(tally) == one_each
    list_id = r.json["id"]
    assert r.json == admin.get(f"/price-lists/{list_id}").json
    entries = [{"product_id": c["hidden"]["id"], "price": "9.99"}, {"product_id": c["shown"]["id"], "price": "6"}]
    r, tally = counted(lambda: admin.put(f"/price-lists/{list_id}", {"name": "Promo 2", "entries": entries}))
    assert r.status_code == 200 and ops(tally) == {"BatchGetItem": 1, "Query": 1, "TransactWriteItems": 1}
    got, tally = counted(lambda: admin.get(f"/price-lists/{list_id}"))
    assert ops(tally) == {"Query": 1}  # the header's copy comes with the entries
    assert r.json == got.json and r.headers["ETag"] == got.headers["ETag"] == '"2"'
    cid = c["listed"]["id"]
    r, tally = counted(lambda: admin.put(f"/customers/{cid}/prices", {"entries": entries}))
    assert r.status_code == 200 and ops(tally) == {"BatchGetItem": 1, "Query": 1, "TransactWriteItems": 1}
    assert r.json == admin.get(f"/customers/{cid}/prices").json


def test_catalog_reads_are_a_query_and_one_batch_read(admin: Api) -> None:
    c = _catalog(admin)
    plain = c["plain_buyer"]
    for path in ("/products", "/products?q=product", "/products?sku=sho"):
        r, tally = counted(lambda path=path: plain.get(path))
        assert [p["sku"] for p in r.json["items"]] == ["SHO-1"]  # the hidden group's product stays hidden
        assert ops(tally) == {"Query": 1, "BatchGetItem": 1}, path
    r, tally = counted(lambda: plain.get(f"/products/{c['shown']['id']}"))
    assert r.json["price"] == "10.00" and ops(tally) == {"BatchGetItem": 1}
    r, tally = counted(lambda: plain.get("/products?barcode=5900000000002"))
    assert [p["sku"] for p in r.json["items"]] == ["SHO-1"] and ops(tally) == {"BatchGetItem": 2}
    r, tally = counted(lambda: admin.get("/products?q=product"))
    assert len(r.json["items"]) == 2 and ops(tally) == {"Query": 1, "BatchGetItem": 1}
    visible = {p["sku"]: p["visible"] for p in r.json["items"]}
    assert visible == {"HID-1": False, "SHO-1": True}  # the group's flag, from the group index

    listed = c["listed_buyer"]
    r, tally = counted(lambda: listed.get(f"/products/{c['shown']['id']}"))
    assert r.json["price"] == "7.00" and ops(tally) == {"BatchGetItem": 1}  # its own price: no list entry needed
    c2 = admin.post("/products", {"sku": "SHO-2", "name": "Two", "base_price": "4", "tax_rate": "0", "portal": True})
    admin.put(
        f"/price-lists/{c['price_list']['id']}",
        {"name": "Trade", "entries": [{"product_id": c2.json["id"], "price": "3.00"}]},
    )
    r, tally = counted(lambda: listed.get(f"/products/{c2.json['id']}"))
    assert r.json["price"] == "3.00" and ops(tally) == {"BatchGetItem": 1}  # the list's price, by product
    r, tally = counted(lambda: listed.get("/products"))
    assert {p["sku"]: p["price"] for p in r.json["items"]} == {"SHO-1": "7.00", "SHO-2": "3.00"}
    assert ops(tally) == {"Query": 1, "BatchGetItem": 1}
    r, tally = counted(lambda: listed.get("/products?q=two"))
    assert [p["price"] for p in r.json["items"]] == ["3.00"] and ops(tally) == {"Query": 1, "BatchGetItem": 1}


def test_a_products_list_prices_follow_every_price_list_write(admin: Api) -> None:
    """The by-product copy of the entries (keys.list_prices) against what orders price with (the entries)."""
    c = _catalog(admin)
    buyer, list_id, hidden = c["listed_buyer"], c["price_list"]["id"], c["hidden"]["id"]
    admin.patch(f"/product-groups/{c['group']['id']}", {"portal": True})

    def shown() -> dict[str, str]:
        return {p["sku"]: p["price"] for p in buyer.get("/products").json["items"]}

    assert shown() == {"HID-1": "8.00", "SHO-1": "7.00"}
    admin.put(f"/price-lists/{list_id}", {"name": "Trade", "entries": [{"product_id": hidden, "price": "6.40"}]})
    assert shown() == {"HID-1": "6.40", "SHO-1": "7.00"}
    admin.put(f"/price-lists/{list_id}", {"name": "Trade", "entries": []})
    assert shown() == {"HID-1": "10.00", "SHO-1": "7.00"}  # back to the base price
    other = admin.post("/price-lists", {"name": "Other", "entries": [{"product_id": hidden, "price": "5.00"}]})
    admin.patch(f"/customers/{c['listed']['id']}", {"price_list_id": other.json["id"]})
    assert shown() == {"HID-1": "5.00", "SHO-1": "7.00"}  # another list of the same product, another key
    o = buyer.post("/orders", {"lines": [{"product_id": hidden, "quantity": 1}]})
    assert o.status_code == 201, o.body
    assert o.json["lines"][0]["unit_price"] == "5.00"  # orders read the entries: the same price


def test_a_group_switched_on_shows_its_products_everywhere(admin: Api) -> None:
    c = _catalog(admin)
    buyer = c["plain_buyer"]
    assert [p["sku"] for p in buyer.get("/products?q=hid").json["items"]] == []
    assert admin.patch(f"/product-groups/{c['group']['id']}", {"portal": True}).status_code == 200
    assert [p["sku"] for p in buyer.get("/products?q=hid").json["items"]] == ["HID-1"]
    assert buyer.get("/products?barcode=5900000000001").json["items"][0]["sku"] == "HID-1"
    assert buyer.get(f"/products/{c['hidden']['id']}").status_code == 200
    assert admin.get(f"/products/{c['hidden']['id']}").json["visible"] is True


def test_a_price_list_is_one_query_and_its_writes_keep_its_version(admin: Api) -> None:
    c = _catalog(admin)
    list_id = c["price_list"]["id"]
    got, tally = counted(lambda: admin.get(f"/price-lists/{list_id}"))
    assert got.json["name"] == "Trade" and ops(tally) == {"Query": 1}
    etag = got.headers["ETag"]
    entries = [{"product_id": c["shown"]["id"], "price": "8.50"}]
    r = admin.put(f"/price-lists/{list_id}", {"name": "Trade 2", "entries": entries}, headers={"If-Match": etag})
    assert r.status_code == 200, r.body
    got, tally = counted(lambda: admin.get(f"/price-lists/{list_id}"))
    assert got.json == r.json and got.headers["ETag"] == r.headers["ETag"] and ops(tally) == {"Query": 1}
    assert admin.put(f"/price-lists/{list_id}", {"name": "T"}, headers={"If-Match": etag}).status_code == 412


def test_price_writes_check_in_the_transaction_what_they_do_not_read(admin: Api) -> None:
    c = _catalog(admin)
    list_id, cid = c["price_list"]["id"], c["listed"]["id"]
    known = {"product_id": c["shown"]["id"], "price": "1.00"}
    unknown = {"product_id": "nope", "price": "1.00"}
    for path, body in ((f"/price-lists/{list_id}", {"name": "X"}), (f"/customers/{cid}/prices", {})):
        r = admin.put(path, {**body, "entries": [known, unknown]})
        assert r.status_code == 422 and r.json["error"]["details"][0]["field"] == "entries[1].product_id", path
    assert admin.put("/customers/nope/prices", {"entries": [known]}).status_code == 404
    r = admin.put(f"/price-lists/{list_id}", {"name": "X", "currency": "USD"})
    assert r.status_code == 422 and r.json["error"]["details"][0]["field"] == "currency"
    assert "EUR" in r.json["error"]["details"][0]["message"]
    assert admin.get(f"/price-lists/{list_id}").json["name"] == "Trade"  # nothing of the refused writes stayed
    assert admin.put("/price-lists/nope", {"name": "X"}).status_code == 404


def test_price_writes_beyond_one_transaction_go_out_in_batches(admin: Api) -> None:
    from tests.functional.catalog_support import import_csv

    rows = ["sku,name,base_price,tax_rate,portal"] + [f"BULK-{i:03d},Bulk {i},2.00,0.20,true" for i in range(120)]
    assert import_csv(admin, "\n".join(rows) + "\n").status_code == 200
    pids = [p["id"] for p in admin.get("/products?sku=bulk-&limit=100").json["items"]]
    pids += [p["id"] for p in admin.get("/products?sku=bulk-1&limit=100").json["items"] if p["id"] not in pids]
    assert len(pids) == 120
    entries = [{"product_id": p, "price": "1.50"} for p in pids]
    created = admin.post("/price-lists", {"name": "Bulk", "entries": entries})
    assert created.status_code == 201, created.body
    list_id = created.json["id"]
    assert len(admin.get(f"/price-lists/{list_id}").json["entries"]) == 120
    half = [{"product_id": p, "price": "1.25"} for p in pids[:60]]
    r = admin.put(f"/price-lists/{list_id}", {"name": "Bulk", "entries": [*half, {"product_id": "x", "price": "1"}]})
    assert r.status_code == 422  # checked by reading first
    r = admin.put(f"/price-lists/{list_id}", {"name": "Bulk", "entries": half})
    assert r.status_code == 200, r.body
    got = admin.get(f"/price-lists/{list_id}").json
    assert got == r.json and len(got["entries"]) == 60 and {e["price"] for e in got["entries"]} == {"1.25"}
    customer = create_customer(admin, "C-BULK")
    r = admin.put(f"/customers/{customer['id']}/prices", {"entries": entries})
    assert r.status_code == 200 and len(admin.get(f"/customers/{customer['id']}/prices").json["entries"]) == 120


def test_orders_are_priced_from_what_the_catalog_page_shows(admin: Api) -> None:
    """A list write past one transaction goes out in batches; orders and the customer's catalog page read
    the same items (the customer's own prices and each product's list-prices copy), so whatever state the
    write is in, the price an order takes is the one the page shows."""
    from tests.functional.catalog_support import customer_user, import_csv

    rows = ["sku,name,base_price,tax_rate,portal"] + [f"PG-{i:03d},Paged {i},3.00,0.20,true" for i in range(60)]
    assert import_csv(admin, "\n".join(rows) + "\n").status_code == 200
    pids = [p["id"] for p in admin.get("/products?sku=pg-&limit=100").json["items"]]
    assert len(pids) == 60
    entries = [{"product_id": p, "price": f"{2 + i / 100:.2f}"} for i, p in enumerate(pids)]
    created = admin.post("/price-lists", {"name": "Paged", "entries": entries})
    assert created.status_code == 201, created.body
    _, buyer = customer_user(admin, "C-PAGED", price_list_id=created.json["id"])
    shown = {p["id"]: p["price"] for p in buyer.get("/products?sku=pg-&limit=100").json["items"]}
    order = buyer.post("/orders", {"lines": [{"product_id": p, "quantity": 1} for p in pids]})
    assert order.status_code == 201, order.body
    priced = {line["product_id"]: line["unit_price"] for line in order.json["lines"]}
    assert priced == shown and len(shown) == 60
    assert shown[pids[7]] == "2.07"


def test_a_customer_login_is_four_round_trips_and_a_refresh_three(world: World) -> None:
    body = {"tenant": "acme", "username": "buyer", "password": USER_PASSWORD, "customer_number": "C-100"}
    r, tally = counted(lambda: world.anon.post("/auth/login", body))
    assert r.status_code == 200, r.body
    # tenant, group index, customer number; then the customer and the login guard; the attempt's claim
    # (counted on the user the guard names, so it cannot be read in the first BatchGet); the session.
    assert ops(tally) == {"BatchGetItem": 2, "TransactWriteItems": 2}
    r, tally = counted(lambda: world.anon.post("/auth/refresh", {"refresh_token": r.json["refresh_token"]}))
    assert r.status_code == 200, r.body
    assert ops(tally) == {"GetItem": 1, "BatchGetItem": 1, "TransactWriteItems": 1}  # token; user + index; rotation


def test_the_login_copies_follow_the_user_and_the_groups(world: World) -> None:
    """The login guard's copy of the user and the group index are written with their originals: a new
    password, a deactivation and a group's new permissions all hold at the next login."""
    uid = world.ids["buyer"]
    assert world.admin.patch(f"/users/{uid}", {"password": "a-new-password-9"}).status_code == 200
    login = {"tenant": "acme", "username": "buyer", "customer_number": "C-100"}
    assert world.anon.post("/auth/login", {**login, "password": USER_PASSWORD}).status_code == 401
    assert world.anon.post("/auth/login", {**login, "password": "a-new-password-9"}).status_code == 200

    group = world.admin.post("/security-groups", {"name": "Lookers", "kind": "customer", "permissions": []})
    assert group.status_code == 201, group.body
    assert world.admin.patch(f"/users/{uid}", {"security_group_ids": [group.json["id"]]}).status_code == 200
    token = world.anon.post("/auth/login", {**login, "password": "a-new-password-9"}).json["access_token"]
    me = world.anon.get("/me", headers={"Authorization": f"Bearer {token}"}).json
    assert me["permissions"] == []
    changed = world.admin.put(
        f"/security-groups/{group.json['id']}", {"name": "Lookers", "kind": "customer", "permissions": ["orders.place"]}
    )
    assert changed.status_code == 200, changed.body
    token = world.anon.post("/auth/login", {**login, "password": "a-new-password-9"}).json["access_token"]
    assert world.anon.get("/me", headers={"Authorization": f"Bearer {token}"}).json["permissions"] == ["orders.place"]

    assert world.admin.patch(f"/users/{uid}", {"status": "inactive"}).status_code == 200
    assert world.anon.post("/auth/login", {**login, "password": "a-new-password-9"}).status_code == 401
