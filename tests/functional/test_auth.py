from __future__ import annotations

import jwt
import pytest

from chalicelib.storage import keys
from chalicelib.storage.items import RefreshFamilyItem
from tests.functional.conftest import ADMIN_PASSWORD, USER_PASSWORD, Api, create_customer, create_user


def login(anon: Api, **body: str):
    return anon.post("/auth/login", {"tenant": "acme", **body})


def test_login_returns_a_bearer_pair(admin: Api, anon: Api) -> None:
    r = login(anon, username="admin", password=ADMIN_PASSWORD)
    assert r.status_code == 200
    assert r.json["token_type"] == "Bearer"
    assert r.json["expires_in"] == 900
    assert r.json["access_token"] and r.json["refresh_token"]


def test_every_bad_login_gets_the_same_answer(admin: Api, anon: Api) -> None:
    create_user(admin, "gone", ["order-desk"], kind="staff", status="inactive")
    attempts = [
        {"username": "admin", "password": "wrong-password"},
        {"username": "nobody", "password": ADMIN_PASSWORD},
        {"username": "gone", "password": USER_PASSWORD},
        {"username": "admin", "password": ADMIN_PASSWORD, "customer_number": "C-404"},
    ]
    bodies = set()
    for body in attempts:
        r = login(anon, **body)
        assert r.status_code == 401
        bodies.add(r.body)
    r = anon.post("/auth/login", {"tenant": "no-such-tenant", "username": "admin", "password": ADMIN_PASSWORD})
    assert r.status_code == 401
    bodies.add(r.body)
    assert len(bodies) == 1
    assert r.json["error"]["code"] == "invalid_credentials"


def test_customer_users_log_in_with_their_customer_number(admin: Api, anon: Api) -> None:
    c = create_customer(admin, "C-100")
    create_user(admin, "buyer", ["customer-buyers"], customer_ids=[c["id"]])
    assert login(anon, username="buyer", password=USER_PASSWORD).status_code == 401  # number needed
    assert login(anon, username="buyer", password=USER_PASSWORD, customer_number="C-999").status_code == 401
    buyer = anon.login("acme", "buyer", USER_PASSWORD, customer_number="C-100")
    me = buyer.get("/me").json
    assert me["kind"] == "customer"
    assert me["customer_ids"] == [c["id"]]
    assert me["permissions"] == ["orders.place"]


def test_the_same_username_may_exist_at_two_customers(admin: Api, anon: Api) -> None:
    a = create_customer(admin, "C-1")
    b = create_customer(admin, "C-2")
    ua = create_user(admin, "john", ["customer-buyers"], customer_ids=[a["id"]])
    ub = create_user(admin, "john", ["customer-buyers"], customer_ids=[b["id"]])
    assert anon.login("acme", "john", USER_PASSWORD, "C-1").get("/me").json["id"] == ua["id"]
    assert anon.login("acme", "john", USER_PASSWORD, "C-2").get("/me").json["id"] == ub["id"]


def test_a_deactivated_customer_can_no_longer_log_in(admin: Api, anon: Api) -> None:
    c = create_customer(admin, "C-100")
    create_user(admin, "buyer", ["customer-buyers"], customer_ids=[c["id"]])
    admin.patch(f"/customers/{c['id']}", {"status": "inactive"})
    assert login(anon, username="buyer", password=USER_PASSWORD, customer_number="C-100").status_code == 401


def test_five_failures_lock_the_login_for_a_while(admin: Api, anon: Api) -> None:
    for _ in range(5):
        assert login(anon, username="admin", password="wrong-password").status_code == 401
    r = login(anon, username="admin", password=ADMIN_PASSWORD)
    assert r.status_code == 429
    assert r.json["error"]["code"] == "too_many_attempts"
    wait = int(r.headers["Retry-After"])
    assert 0 < wait <= 900
    # The message says when too, in words a person reads: never sooner than the header.
    minutes = -(-wait // 60)
    assert r.json["error"]["message"].endswith(f"try again in {minutes} minutes.") or wait < 120, r.json


def test_unknown_usernames_are_throttled_too(admin: Api, anon: Api) -> None:
    for _ in range(5):
        login(anon, username="ghost", password="x")
    assert login(anon, username="ghost", password="x").status_code == 429


def test_failures_count_for_the_login_whatever_its_spelling(admin: Api, anon: Api) -> None:
    # Customer numbers and usernames match case-insensitively, so one login has many spellings.
    c = create_customer(admin, "C-100")
    create_user(admin, "buyer", ["customer-buyers"], customer_ids=[c["id"]])
    other = create_customer(admin, "C-200")
    create_user(admin, "buyer", ["customer-buyers"], customer_ids=[other["id"]])
    spellings = [("C-100", "buyer"), ("c-100", "buyer"), ("C-100", "BUYER"), ("c-100", "Buyer"), ("C-100", "bUyEr")]
    for number, username in spellings:
        assert login(anon, username=username, password="wrong-password", customer_number=number).status_code == 401
    locked = login(anon, username="Buyer", password=USER_PASSWORD, customer_number="c-100")
    assert locked.status_code == 429, locked.body
    assert login(anon, username="buyer", password=USER_PASSWORD, customer_number="C-100").status_code == 429
    # The same username at another customer is another login, and so is a staff user's.
    assert login(anon, username="buyer", password=USER_PASSWORD, customer_number="C-200").status_code == 200
    for username in ("admin", "ADMIN", "Admin", "aDmin", "admiN"):
        assert login(anon, username=username, password="wrong-password").status_code == 401
    assert login(anon, username="admin", password=ADMIN_PASSWORD).status_code == 429


def test_a_success_resets_the_failure_count(admin: Api, anon: Api) -> None:
    for _ in range(4):
        login(anon, username="admin", password="wrong-password")
    assert login(anon, username="admin", password=ADMIN_PASSWORD).status_code == 200
    for _ in range(4):
        login(anon, username="admin", password="wrong-password")
    assert login(anon, username="admin", password=ADMIN_PASSWORD).status_code == 200


def test_refresh_rotates_and_the_old_token_stops_working(admin: Api, anon: Api) -> None:
    first = login(anon, username="admin", password=ADMIN_PASSWORD).json
    second = anon.post("/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    assert second.json["refresh_token"] != first["refresh_token"]
    assert anon.as_token(second.json["access_token"]).get("/me").status_code == 200
    assert anon.post("/auth/refresh", {"refresh_token": first["refresh_token"]}).status_code == 401


def test_a_reused_refresh_token_ends_the_whole_session(admin: Api, anon: Api) -> None:
    first = login(anon, username="admin", password=ADMIN_PASSWORD).json
    second = anon.post("/auth/refresh", {"refresh_token": first["refresh_token"]}).json
    assert anon.post("/auth/refresh", {"refresh_token": first["refresh_token"]}).status_code == 401  # replay
    assert anon.post("/auth/refresh", {"refresh_token": second["refresh_token"]}).status_code == 401


def test_logout_ends_the_session(admin: Api, anon: Api) -> None:
    pair = login(anon, username="admin", password=ADMIN_PASSWORD).json
    me = anon.as_token(pair["access_token"])
    assert me.post("/auth/logout").status_code == 204
    assert anon.post("/auth/refresh", {"refresh_token": pair["refresh_token"]}).status_code == 401


def test_an_inactive_user_can_no_longer_refresh(admin: Api, anon: Api) -> None:
    u = create_user(admin, "desk", ["order-desk"], kind="staff")
    pair = login(anon, username="desk", password=USER_PASSWORD).json
    assert admin.patch(f"/users/{u['id']}", {"status": "inactive"}).status_code == 200
    assert anon.post("/auth/refresh", {"refresh_token": pair["refresh_token"]}).status_code == 401
    assert login(anon, username="desk", password=USER_PASSWORD).status_code == 401


@pytest.mark.parametrize("token", ["garbage", "a.b.c", ""])
def test_protected_routes_need_a_valid_token(anon: Api, token: str) -> None:
    r = anon.get("/me", headers={"Authorization": f"Bearer {token}"} if token else {})
    assert r.status_code == 401
    assert r.json["error"]["code"] == "unauthenticated"


def test_changing_the_password(admin: Api, anon: Api) -> None:
    assert admin.post("/me/password", {"current_password": "nope", "new_password": "x" * 12}).status_code == 422
    r = admin.post("/me/password", {"current_password": ADMIN_PASSWORD, "new_password": "short"})
    assert r.status_code == 422
    assert r.json["error"]["details"][0]["field"] == "new_password"
    assert (
        admin.post("/me/password", {"current_password": ADMIN_PASSWORD, "new_password": "a-new-password"}).status_code
        == 204
    )
    assert login(anon, username="admin", password=ADMIN_PASSWORD).status_code == 401
    assert login(anon, username="admin", password="a-new-password").status_code == 200


# --- a password change or a deactivation ends sessions ----------------------------------------------
def refreshes(anon: Api, pair: dict[str, str]) -> bool:
    """Whether the pair's refresh token still works; when it does, `pair` moves on to the new one."""
    r = anon.post("/auth/refresh", {"refresh_token": pair["refresh_token"]})
    if r.status_code == 200:
        pair.update(r.json)
        return True
    assert r.status_code == 401, r.body
    assert r.json["error"]["code"] == "unauthenticated"
    return False


def test_a_new_password_ends_every_other_session_and_keeps_this_one(admin: Api, anon: Api) -> None:
    create_user(admin, "desk", ["order-desk"], kind="staff")
    here = login(anon, username="desk", password=USER_PASSWORD).json
    laptop = login(anon, username="desk", password=USER_PASSWORD).json
    phone = login(anon, username="desk", password=USER_PASSWORD).json
    assert refreshes(anon, laptop)  # a session that has rotated its token already ends as well
    body = {"current_password": USER_PASSWORD, "new_password": "a-new-password"}
    assert anon.as_token(here["access_token"]).post("/me/password", body).status_code == 204
    assert not refreshes(anon, laptop)
    assert not refreshes(anon, phone)
    assert refreshes(anon, here) and refreshes(anon, here)  # and keeps working after rotating
    assert anon.as_token(here["access_token"]).get("/me").status_code == 200
    again = login(anon, username="desk", password="a-new-password").json
    assert refreshes(anon, again)  # a login after the change is not ended by it


def test_a_login_that_is_gone_writes_nothing_more(admin: Api, anon: Api) -> None:
    create_user(admin, "desk", ["order-desk"], kind="staff")
    pair = login(anon, username="desk", password=USER_PASSWORD).json
    # The login's family item is gone (TTL deletes it once its refresh tokens expired): its access token
    # still reads for its last minutes, and writes nothing (rights come from current data).
    family = jwt.decode(pair["access_token"], options={"verify_signature": False})["fam"]
    RefreshFamilyItem(*keys.refresh_family("acme", family)).delete(add_version_condition=False)
    me = anon.as_token(pair["access_token"])
    assert me.get("/me").status_code == 200
    body = {"current_password": USER_PASSWORD, "new_password": "a-new-password"}
    assert me.post("/me/password", body).status_code == 401
    assert login(anon, username="desk", password="a-new-password").status_code == 401
    assert login(anon, username="desk", password=USER_PASSWORD).status_code == 200


@pytest.mark.parametrize("manager", ["admin", "customer admin"])
def test_a_password_set_by_a_manager_ends_every_session_of_the_user(admin: Api, anon: Api, manager: str) -> None:
    c = create_customer(admin, "C-100")
    u = create_user(admin, "buyer", ["customer-buyers"], customer_ids=[c["id"]])
    create_user(admin, "cadmin", ["customer-admins"], customer_ids=[c["id"]])
    by = admin if manager == "admin" else anon.login("acme", "cadmin", USER_PASSWORD, "C-100")
    sessions = [login(anon, username="buyer", password=USER_PASSWORD, customer_number="C-100").json for _ in range(2)]
    assert refreshes(anon, sessions[0])
    assert by.patch(f"/users/{u['id']}", {"name": "Renamed"}).status_code == 200  # other changes end none
    assert refreshes(anon, sessions[0])
    assert by.patch(f"/users/{u['id']}", {"password": "set-by-manager"}).status_code == 200
    assert [refreshes(anon, s) for s in sessions] == [False, False]
    fresh = login(anon, username="buyer", password="set-by-manager", customer_number="C-100").json
    assert refreshes(anon, fresh)


def test_deactivation_ends_every_session_and_reactivation_revives_none(admin: Api, anon: Api) -> None:
    u = create_user(admin, "desk", ["order-desk"], kind="staff")
    pair = login(anon, username="desk", password=USER_PASSWORD).json
    assert admin.patch(f"/users/{u['id']}", {"status": "inactive"}).status_code == 200
    assert admin.patch(f"/users/{u['id']}", {"status": "active"}).status_code == 200
    assert not refreshes(anon, pair)
    fresh = login(anon, username="desk", password=USER_PASSWORD).json
    assert refreshes(anon, fresh)
