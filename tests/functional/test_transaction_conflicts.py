"""A TransactionConflict on each write path that can meet one (issue 26 point 3), through the API.

DynamoDB cancels a transaction whole when another one is under way on one of its items; no emulator
does, so tests/conflicts.py injects it. One conflict: the write is done on the retry, once. Conflicts
that do not end: a 409 in the error envelope, and nothing written.
"""

from __future__ import annotations

from typing import Any

from tests.conflicts import transaction_conflicts
from tests.functional.conftest import Api, Reply
from tests.functional.order_world import World
from tests.functional.test_order_budget import month, spent

__all__ = ["month"]  # the budget tests' fixture: the month the order service counts in

FOREVER = 100  # more than any write path retries


def assert_busy(r: Reply) -> None:
    assert r.status_code == 409, r.body
    assert r.json["error"]["code"] == "conflict"
    assert r.json["error"]["message"].endswith("try again.")


def entries_to(api: Api, order_id: str, status: str) -> int:
    history = api.get(f"/orders/{order_id}").json["history"]
    return sum(1 for entry in history if entry.get("to_status") == status)


# --- orders (and the month's budget, settled in the order's transaction) ----------------------------
def test_an_order_created_during_a_conflict_is_created_once(world: World) -> None:
    with transaction_conflicts(1) as conflicts:
        created = world.order()
    assert conflicts.injected == 1
    assert [o["id"] for o in world.buyer.get("/orders").json["items"]] == [created["id"]]


def test_an_order_action_meeting_a_conflict_is_done_once_on_the_retry(world: World) -> None:
    order = world.order()
    with transaction_conflicts(1) as conflicts:
        r = world.buyer.post(f"/orders/{order['id']}/submit")

    assert r.status_code == 200, r.body
    assert r.json["status"] == "submitted"
    assert conflicts.injected == 1 and conflicts.passed >= 1
    assert entries_to(world.buyer, order["id"], "submitted") == 1


def test_a_conflict_is_not_a_412_for_an_if_match_that_still_holds(world: World) -> None:
    order = world.order()
    etag = world.buyer.get(f"/orders/{order['id']}").headers["ETag"]
    with transaction_conflicts(1):
        r = world.buyer.post(f"/orders/{order['id']}/submit", headers={"If-Match": etag})

    assert r.status_code == 200, r.body
    assert r.json["status"] == "submitted"


def test_an_order_action_that_keeps_meeting_conflicts_is_a_409_and_changes_nothing(world: World) -> None:
    order = world.order()
    before = world.buyer.get(f"/orders/{order['id']}")
    with transaction_conflicts(FOREVER):
        r = world.buyer.post(f"/orders/{order['id']}/submit")

    assert_busy(r)
    after = world.buyer.get(f"/orders/{order['id']}")
    assert after.json == before.json
    assert after.headers["ETag"] == before.headers["ETag"]


def test_the_budget_counts_an_order_once_after_a_conflict_and_not_at_all_after_a_409(
    world: World, month: list[str]
) -> None:
    world.admin.patch(f"/customers/{world.customer['id']}", {"monthly_budget": "100.00"})
    first, second = world.order(), world.order()
    with transaction_conflicts(1):
        assert world.buyer.post(f"/orders/{first['id']}/submit").status_code == 200
    assert spent(world, "2026-11") == "24.00"

    with transaction_conflicts(FOREVER):
        assert_busy(world.buyer.post(f"/orders/{second['id']}/submit"))
    assert spent(world, "2026-11") == "24.00"
    assert world.buyer.get(f"/orders/{second['id']}").json["status"] == "draft"


# --- users -------------------------------------------------------------------------------------------
def new_user(world: World, username: str) -> dict[str, Any]:
    return {
        "kind": "customer",
        "username": username,
        "name": username.title(),
        "email": f"{username}@example.test",
        "password": "user-password-1",
        "security_group_ids": ["customer-buyers"],
        "customer_ids": [world.customer["id"]],
    }


def usernames(admin: Api) -> list[str]:
    return sorted(u["username"] for u in admin.get("/users?limit=100").json["items"])


def test_a_user_written_during_a_conflict_is_written_once(world: World) -> None:
    with transaction_conflicts(1) as conflicts:
        r = world.admin.post("/users", new_user(world, "carol"))
    assert r.status_code == 201, r.body
    assert conflicts.injected == 1
    assert usernames(world.admin).count("carol") == 1

    with transaction_conflicts(1):
        r = world.admin.patch(f"/users/{r.json['id']}", {"name": "Carol Again"})
    assert r.status_code == 200, r.body
    assert world.admin.get(f"/users/{r.json['id']}").json["name"] == "Carol Again"


def test_user_writes_that_keep_meeting_conflicts_are_409s_and_change_nothing(world: World) -> None:
    before = usernames(world.admin)
    with transaction_conflicts(FOREVER):
        assert_busy(world.admin.post("/users", new_user(world, "dave")))
    assert usernames(world.admin) == before

    buyer = world.admin.get(f"/users/{world.ids['buyer']}")
    with transaction_conflicts(FOREVER):
        assert_busy(world.admin.patch(f"/users/{world.ids['buyer']}", {"name": "Someone Else"}))
    assert world.admin.get(f"/users/{world.ids['buyer']}").json == buyer.json


# --- products, stock, prices -----------------------------------------------------------------------
PRODUCT = {"sku": "TC-1", "name": "Conflicted", "base_price": "5.00", "tax_rate": "0.20"}


def test_a_product_written_during_a_conflict_is_written_once(admin: Api) -> None:
    with transaction_conflicts(1) as conflicts:
        r = admin.post("/products", PRODUCT)
    assert r.status_code == 201, r.body
    assert conflicts.injected == 1
    assert [p["id"] for p in admin.get("/products?sku=TC-1").json["items"]] == [r.json["id"]]

    with transaction_conflicts(1):
        changed = admin.patch(f"/products/{r.json['id']}", {"name": "Calm"})
    assert changed.status_code == 200, changed.body
    assert admin.get(f"/products/{r.json['id']}").json["name"] == "Calm"


def test_product_writes_that_keep_meeting_conflicts_are_409s_and_change_nothing(admin: Api) -> None:
    with transaction_conflicts(FOREVER):
        assert_busy(admin.post("/products", PRODUCT))
    assert admin.get("/products?sku=TC-1").json["items"] == []

    product = admin.post("/products", PRODUCT).json
    with transaction_conflicts(FOREVER):
        assert_busy(admin.patch(f"/products/{product['id']}", {"name": "Calm"}))
    assert admin.get(f"/products/{product['id']}").json == product


def test_stock_meeting_a_conflict_is_set_once_and_a_lasting_one_refuses_its_entries(admin: Api) -> None:
    """PUT /stock answers per entry (API.md): an entry whose product stays busy is refused, not lost."""
    site = admin.post("/sites", {"code": "WAW", "name": "Warsaw"}).json["id"]
    product = admin.post("/products", PRODUCT).json
    with transaction_conflicts(1):
        r = admin.put("/stock", {"entries": [{"sku": "TC-1", "site_id": site, "quantity": 7}]})
    assert r.status_code == 200, r.body
    assert r.json["updated"] == 1
    assert admin.get(f"/products/{product['id']}").json["stock"] == {site: 7}

    with transaction_conflicts(FOREVER):
        r = admin.put("/stock", {"entries": [{"sku": "TC-1", "site_id": site, "quantity": 9}]})
    assert r.status_code == 200, r.body
    assert r.json["updated"] == 0
    assert [(e["index"], e["field"]) for e in r.json["errors"]] == [(0, "sku")]
    assert "send this entry again" in r.json["errors"][0]["message"]
    assert admin.get(f"/products/{product['id']}").json["stock"] == {site: 7}


def test_prices_meeting_a_conflict_are_set_once_and_a_lasting_one_is_a_409(world: World) -> None:
    admin, cid = world.admin, world.customer["id"]
    product = admin.post("/products", PRODUCT).json
    entries = [{"product_id": product["id"], "price": "4.50"}]
    with transaction_conflicts(1) as conflicts:
        r = admin.put(f"/customers/{cid}/prices", {"entries": entries})
    assert r.status_code == 200, r.body
    assert conflicts.injected == 1
    before = admin.get(f"/customers/{cid}/prices").json

    with transaction_conflicts(FOREVER):
        assert_busy(admin.put(f"/customers/{cid}/prices", {"entries": [{**entries[0], "price": "3.00"}]}))
    assert admin.get(f"/customers/{cid}/prices").json == before
