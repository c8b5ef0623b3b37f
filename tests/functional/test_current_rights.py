"""Rights come from current data (API.md "Authentication and the caller"): every write is decided on the
caller as stored now, so a deactivated or demoted user is refused on their next write, while their access
token still reads for the rest of its minutes. Nobody changes their own status or security groups; an API
key acts with its own permissions whatever becomes of the person who created it. Every kind of write is
tried by former administrators in test_authorization_matrix.py (`ADMIN_WRITES`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.auth.principal import Principal
from chalicelib.bootstrap import get_services
from chalicelib.domain.permissions import UserKind
from chalicelib.services.admin import replace_group
from chalicelib.services.callers import CHANGED, ENDED
from tests.conflicts import before_next_transaction
from tests.functional.conftest import USER_PASSWORD, Api, create_user
from tests.functional.order_world import World


def _new_user(customer_id: str, username: str) -> dict[str, object]:
    return {
        "kind": "customer",
        "username": username,
        "name": "New",
        "email": f"{username}@example.com",
        "password": USER_PASSWORD,
        "security_group_ids": ["customer-buyers"],
        "customer_ids": [customer_id],
    }


def test_a_deactivated_customer_admin_creates_no_user_and_cannot_reactivate_themselves(world: World) -> None:
    cid = world.customer["id"]
    cadmin = create_user(world.admin, "cadmin", ["customer-admins"], customer_ids=[cid])
    token = world.anon.login("acme", "cadmin", USER_PASSWORD, "C-100")
    assert token.post("/users", _new_user(cid, "before")).status_code == 201  # while active
    assert world.admin.patch(f"/users/{cadmin['id']}", {"status": "inactive"}).status_code == 200

    refused = token.post("/users", _new_user(cid, "after"))
    assert refused.status_code == 401, refused.body
    assert refused.json["error"]["code"] == "unauthenticated"
    assert token.patch(f"/users/{cadmin['id']}", {"status": "active"}).status_code == 401
    assert world.admin.get(f"/users/{cadmin['id']}").json["status"] == "inactive"
    usernames = {u["username"] for u in world.admin.get(f"/users?customer_id={cid}").json["items"]}
    assert "before" in usernames and "after" not in usernames
    login = {"tenant": "acme", "username": "cadmin", "password": USER_PASSWORD, "customer_number": "C-100"}
    assert world.anon.post("/auth/login", login).status_code == 401
    assert token.get("/me").status_code == 200  # reads end with the token, within its 15 minutes


def test_a_demoted_staff_admin_creates_no_administrator_and_no_api_key(world: World) -> None:
    boss = create_user(world.admin, "boss2", ["administrators"], kind="staff")
    token = world.anon.login("acme", "boss2", USER_PASSWORD)
    assert token.post("/api-keys", {"name": "Before", "permissions": ["orders.read_all"]}).status_code == 201
    assert world.admin.patch(f"/users/{boss['id']}", {"security_group_ids": ["order-desk"]}).status_code == 200

    made = token.post("/api-keys", {"name": "After", "permissions": ["orders.read_all"]})
    assert made.status_code == 403, made.body
    new_admin = {
        "kind": "staff",
        "username": "mole",
        "name": "Mole",
        "email": "mole@example.com",
        "password": USER_PASSWORD,
        "security_group_ids": ["administrators"],
    }
    assert token.post("/users", new_admin).status_code == 403
    assert [k["name"] for k in world.admin.get("/api-keys").json["items"]] == ["Before"]
    assert "mole" not in {u["username"] for u in world.admin.get("/users").json["items"]}
    # What the order desk may do, the demoted administrator does, once their token says what they hold now.
    o = world.order()
    assert world.buyer.post(f"/orders/{o['id']}/submit").status_code == 200
    stale = token.post(f"/orders/{o['id']}/confirm")
    assert stale.status_code == 401, stale.body
    assert world.admin.get(f"/orders/{o['id']}").json["status"] == "submitted"
    fresh = world.anon.login("acme", "boss2", USER_PASSWORD)
    assert fresh.post(f"/orders/{o['id']}/confirm").json["status"] == "confirmed"


def test_a_buyer_demoted_to_a_reader_places_no_more_orders(world: World) -> None:
    o = world.order()
    readers = world.admin.post("/security-groups", {"name": "Readers", "kind": "customer", "permissions": []})
    assert readers.status_code == 201, readers.body
    demoted = world.admin.patch(f"/users/{world.ids['buyer']}", {"security_group_ids": [readers.json["id"]]})
    assert demoted.status_code == 200, demoted.body
    attempts: list[tuple[str, str, dict[str, object]]] = [
        ("POST", f"/orders/{o['id']}/submit", {}),
        ("POST", f"/orders/{o['id']}/lines", {"sku": "SKU-1", "quantity": 1}),
        ("POST", "/orders", {"lines": [{"sku": "SKU-1", "quantity": 1}]}),
        ("POST", f"/orders/{o['id']}/cancel", {"reason": "Not needed"}),
    ]
    for method, path, body in attempts:
        r = world.buyer.call(method, path, body)
        assert r.status_code == 401, (path, r.body)
    after = world.admin.get(f"/orders/{o['id']}").json
    assert (after["status"], after["version"], len(after["lines"])) == ("draft", o["version"], 1)
    assert len(world.admin.get("/orders").json["items"]) == 1


def test_a_logout_ends_the_writes_of_that_session_and_not_its_reads(world: World) -> None:
    o = world.order()
    assert world.buyer.post("/auth/logout").status_code == 204
    assert world.buyer.post(f"/orders/{o['id']}/submit").status_code == 401
    assert world.buyer.get(f"/orders/{o['id']}").json["status"] == "draft"


def test_nobody_changes_their_own_status_or_security_groups(world: World, admin: Api) -> None:
    me = admin.get("/me").json["id"]
    for change in ({"status": "inactive"}, {"security_group_ids": ["order-desk"]}):
        r = admin.patch(f"/users/{me}", change)
        assert r.status_code == 403, r.body
    mine = admin.get(f"/users/{me}").json
    assert (mine["status"], mine["security_group_ids"]) == ("active", ["administrators"])
    assert admin.patch(f"/users/{me}", {"name": "Still me"}).status_code == 200  # the rest of one's record


def test_an_api_key_keeps_its_own_permissions_whatever_becomes_of_its_creator(world: World) -> None:
    creator = create_user(world.admin, "keeper", ["administrators"], kind="staff")
    token = world.anon.login("acme", "keeper", USER_PASSWORD)
    made = token.post("/api-keys", {"name": "ERP", "permissions": ["orders.read_all", "orders.review"]})
    assert made.status_code == 201, made.body
    key = world.anon.as_token(made.json["key"])
    assert world.admin.patch(f"/users/{creator['id']}", {"status": "inactive"}).status_code == 200
    o = world.order()
    assert world.buyer.post(f"/orders/{o['id']}/submit").status_code == 200
    confirmed = key.post(f"/orders/{o['id']}/confirm")
    assert confirmed.status_code == 200 and confirmed.json["status"] == "confirmed", confirmed.body
    assert key.get("/orders").status_code == 200
    assert key.post("/api-keys", {"name": "More", "permissions": []}).status_code == 403  # never more than its own


# --- checked in the order's own write, not read before it (services/callers.py): a change in between counts
def _as_admin(world: World) -> Principal:
    me = world.admin.get("/me").json
    return Principal("acme", me["id"], UserKind.STAFF, frozenset(me["permissions"]), current=True)


def _submitted(world: World) -> dict[str, Any]:
    o = world.order()
    r = world.buyer.post(f"/orders/{o['id']}/submit")
    assert r.status_code == 200 and r.json["status"] == "submitted", r.body
    return dict(r.json)


def _fate(world: World, fate: str, api: Api, kind: str) -> tuple[Callable[[], object], str]:
    """What happens to the caller between their action's read and its write, and the 401's message."""
    user_id = api.get("/me").json["id"]
    if fate == "logged out":
        session = Principal("acme", user_id, UserKind(kind), frozenset(), session_id=_session_of(api))
        return lambda: get_services().auth.logout(session, None), ENDED
    if fate == "deactivated":
        changes: dict[str, Any] = {"status": "inactive"}
    else:
        readers = world.admin.post("/security-groups", {"name": "Readers", "kind": kind, "permissions": []})
        assert readers.status_code == 201, readers.body
        changes = {"security_group_ids": [readers.json["id"]]}
    admin = _as_admin(world)
    return lambda: get_services().user_admin.update(admin, user_id, changes, None), (
        ENDED if fate == "deactivated" else CHANGED
    )


def _session_of(api: Api) -> str:
    assert api.token is not None
    return get_services().signer.verify(api.token).session_id


ACTIONS: dict[str, tuple[str, str, dict[str, Any]]] = {
    # action: (who, the order's status before, the body)
    "confirm": ("desk", "submitted", {}),
    "cancel": ("desk", "submitted", {"reason": "Out of stock"}),
    "propose": ("desk", "submitted", {"note": "Three", "lines": [{"quantity": 3}]}),
    "submit": ("buyer", "draft", {}),
    "lines": ("buyer", "draft", {"sku": "SKU-1", "quantity": 1}),
}
CASES = [(action, "deactivated") for action in ACTIONS] + [
    ("confirm", "demoted"),
    ("submit", "demoted"),
    ("confirm", "logged out"),
]


@pytest.mark.parametrize(("action", "fate"), CASES)
def test_a_caller_who_loses_their_rights_between_the_read_and_the_write_writes_nothing(
    world: World, action: str, fate: str
) -> None:
    who, status, body = ACTIONS[action]
    api: Api = getattr(world, who)
    o = _submitted(world) if status == "submitted" else world.order()
    if action == "propose":
        body = {**body, "lines": [{"id": o["lines"][0]["id"], "quantity": 3}]}
    change, message = _fate(world, fate, api, "staff" if who == "desk" else "customer")

    with before_next_transaction(change):
        refused = api.post(f"/orders/{o['id']}/{action}", body)

    assert refused.status_code == 401, refused.body
    assert refused.json["error"]["message"] == message
    after = world.admin.get(f"/orders/{o['id']}").json
    assert (after["status"], after["version"], len(after["lines"]), len(after["history"])) == (
        status,
        o["version"],
        len(o["lines"]),
        len(o["history"]),
    )


def test_a_change_that_takes_nothing_from_the_caller_lets_their_write_through(world: World) -> None:
    """Their own group renamed between the read and the write moves the group's version the write relied
    on: the caller is read as stored now, still holds what their token says, and the write goes through."""
    desk_perms = ["orders.read_all", "orders.review", "orders.fulfil"]
    team = world.admin.post("/security-groups", {"name": "Desk team", "kind": "staff", "permissions": desk_perms})
    assert team.status_code == 201, team.body
    create_user(world.admin, "desk2", [team.json["id"]], kind="staff")
    desk2 = world.anon.login("acme", "desk2", USER_PASSWORD)
    admin = _as_admin(world)

    def rename() -> None:
        replace_group(admin, team.json["id"], "Order desk team", None, desk_perms, None)

    o = _submitted(world)
    with before_next_transaction(rename):
        confirmed = desk2.post(f"/orders/{o['id']}/confirm")
    assert confirmed.status_code == 200 and confirmed.json["status"] == "confirmed", confirmed.body
    # The token still names the group's version before the rename: each write reads the caller once more.
    cancelled = desk2.post(f"/orders/{_submitted(world)['id']}/cancel", {"reason": "Out of stock"})
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled", cancelled.body
    # But a change of the group's permissions is a change of rights.
    replace_group(admin, team.json["id"], "Order desk team", None, ["orders.read_all"], None)
    refused = desk2.post(f"/orders/{_submitted(world)['id']}/confirm")
    assert refused.status_code == 401 and refused.json["error"]["message"] == CHANGED, refused.body
