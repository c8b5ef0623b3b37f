"""Round trips per request are part of the design (bench/README.md): the hot paths keep their budget,
and the copies that make it possible (an order's customer and settings, a customer's parents, the
approval limit in the token, the approval lists) stay correct when the originals change."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

from bench.counting import Tally, storage_counter
from chalicelib.auth.principal import Principal
from chalicelib.bootstrap import get_services
from chalicelib.domain.permissions import UserKind
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


def test_order_actions_are_one_query_and_one_transaction(world: World) -> None:
    o = world.order()
    r, tally = counted(lambda: world.buyer.post(f"/orders/{o['id']}/lines", {"sku": "BOX-6", "quantity": 6}))
    assert r.status_code == 201, r.body
    assert ops(tally) == {"Query": 1, "TransactWriteItems": 1}
    r, tally = counted(lambda: world.buyer.post(f"/orders/{o['id']}/submit"))
    assert r.json["status"] == "submitted"
    assert ops(tally) == {"Query": 1, "TransactWriteItems": 1}
    r, tally = counted(lambda: world.desk.post(f"/orders/{o['id']}/confirm"))
    assert r.json["status"] == "confirmed"
    assert ops(tally) == {"Query": 1, "TransactWriteItems": 1}


def test_a_reorder_reads_its_source_with_the_new_orders_reads(world: World) -> None:
    o = world.order(lines=[{"sku": "SKU-1", "quantity": 2}, {"sku": "BOX-6", "quantity": 6}])
    r, tally = counted(lambda: world.buyer.post(f"/orders/{o['id']}/reorder"))
    assert r.status_code == 201, r.body
    assert [ln["sku"] for ln in r.json["lines"]] == ["SKU-1", "BOX-6"]
    # The source by key (header, copies, its line pages) in the BatchGet of the customer, settings and
    # counter; its site is checked by the write.
    assert ops(tally) == {"BatchGetItem": 1, "TransactWriteItems": 1}
    assert world.rep.post(f"/orders/{o['id']}/reorder").status_code == 201  # staff: a Query first
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
    assert ops(tally) == {"Query": 1}
    assert tally.summary()["items_read"] == 1  # not the five waiting for another customer's approvers
    assert world.approver.post(f"/orders/{mine['id']}/approve").json["status"] == "submitted"
    assert ids(world.approver.get("/orders?status=pending_approval")) == []  # its entry went with it


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
        "acme", world.ids["buyer"], UserKind.CUSTOMER, frozenset({"orders.place"}), (world.customer["id"],)
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


def test_a_login_is_throttled_and_cleared_as_before(anon: Api, admin: Api) -> None:
    for _ in range(2):
        bad = anon.post("/auth/login", {"tenant": "acme", "username": "admin", "password": "wrong-password"})
        assert bad.status_code == 401
    r, tally = counted(
        lambda: anon.post("/auth/login", {"tenant": "acme", "username": "admin", "password": "admin-password-1"})
    )
    assert r.status_code == 200
    assert ops(tally) == {"BatchGetItem": 2, "GetItem": 1, "TransactWriteItems": 1}  # the counter cleared in it
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

    offers, tally = counted(lambda: catalog.offers("acme", customer, [ProductRef(product_id=shown["id"])], staff=False))
    assert offers[0] is not None and str(offers[0].unit_price(Decimal(1))) == "3.50"
    assert ops(tally) == {"BatchGetItem": 1}  # the product and the customer's price together
    offers, tally = counted(
        lambda: catalog.offers(
            "acme", customer, [ProductRef(sku="shown-1"), ProductRef(barcode="5901111111111")], staff=False
        )
    )
    assert offers[0] is not None and offers[1] is None  # the group hides the second from customers
    assert ops(tally) == {"BatchGetItem": 3}  # guards; products and prices; the one group that matters
    offers, tally = counted(lambda: catalog.offers("acme", customer, [ProductRef(sku="GRP-1")], staff=True))
    assert offers[0] is not None
    # Staff see every product: no group read; and the product this process read by barcode names its sku
    # too, so it is read with the sku's guard, which confirms it: one round.
    assert ops(tally) == {"BatchGetItem": 1}
    offers, tally = counted(lambda: catalog.offers("acme", customer, [ProductRef(sku="NEW-1")], staff=True))
    assert offers == [None] and ops(tally) == {"BatchGetItem": 1}  # no such guard: nothing behind it
