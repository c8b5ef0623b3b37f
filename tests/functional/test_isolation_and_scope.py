"""A tenant never sees another tenant's data; a customer user sees only their own customers."""

from __future__ import annotations

from tests.functional.conftest import ADMIN_PASSWORD, USER_PASSWORD, Api, create_customer, create_user, make_tenant


def test_a_second_tenant_sees_nothing_of_the_first(admin: Api, anon: Api) -> None:
    site = admin.post("/sites", {"code": "WAW", "name": "Warsaw"}).json
    customer = create_customer(admin, "C-100")
    user = create_user(admin, "buyer", ["customer-buyers"], customer_ids=[customer["id"]])
    group = admin.post("/security-groups", {"name": "Mine", "kind": "staff", "permissions": []}).json

    make_tenant("globex")  # created with the operator's code path, like `make tenant`
    other = anon.login("globex", "admin", ADMIN_PASSWORD)

    assert [u["username"] for u in other.get("/users").json["items"]] == ["admin"]
    assert other.get("/customers").json["items"] == []
    assert other.get("/sites").json["items"] == []
    assert group["id"] not in {g["id"] for g in other.get("/security-groups?limit=100").json["items"]}
    for path in (
        f"/users/{user['id']}",
        f"/customers/{customer['id']}",
        f"/sites/{site['id']}",
        f"/security-groups/{group['id']}",
    ):
        assert other.get(path).status_code == 404, path
    assert other.patch(f"/customers/{customer['id']}", {"name": "Hijacked"}).status_code == 404
    assert other.patch(f"/users/{user['id']}", {"name": "Hijacked"}).status_code == 404
    assert other.get(f"/users?customer_id={customer['id']}").json["items"] == []
    assert admin.get(f"/customers/{customer['id']}").json["name"] == "Customer C-100"
    # The same customer number and username are free in the other tenant.
    c2 = create_customer(other, "C-100")
    create_user(other, "buyer", ["customer-buyers"], customer_ids=[c2["id"]])
    assert anon.login("globex", "buyer", USER_PASSWORD, "C-100").get("/me").json["tenant"] == "globex"


def test_a_cursor_cannot_cross_into_another_tenant(admin: Api, anon: Api) -> None:
    for i in range(3):
        create_customer(admin, f"C-{i}")
    cursor = admin.get("/customers?limit=1").json["next_cursor"]
    make_tenant("globex")
    other = anon.login("globex", "admin", ADMIN_PASSWORD)
    r = other.get(f"/customers?limit=1&cursor={cursor}")
    assert r.status_code == 400
    assert r.json["error"]["code"] == "malformed_request"


def test_a_customer_user_sees_only_their_customers(admin: Api, anon: Api) -> None:
    price_list = admin.post("/price-lists", {"name": "Secret", "currency": "EUR", "entries": []})
    assert price_list.status_code == 201, price_list.body
    mine = create_customer(admin, "C-1", price_list_id=price_list.json["id"])
    theirs = create_customer(admin, "C-2")
    create_user(admin, "buyer", ["customer-buyers"], customer_ids=[mine["id"]])
    buyer = anon.login("acme", "buyer", USER_PASSWORD, "C-1")

    listed = buyer.get("/customers").json["items"]
    assert [c["id"] for c in listed] == [mine["id"]]
    assert "price_list_id" not in listed[0] and "sales_rep_id" not in listed[0]
    assert buyer.get(f"/customers/{mine['id']}").status_code == 200
    r = buyer.get(f"/customers/{theirs['id']}")
    assert r.status_code == 404
    assert r.json["error"]["code"] == "not_found"
    assert buyer.patch(f"/customers/{mine['id']}", {"name": "X"}).status_code == 403
    assert buyer.get("/users").status_code == 403
    assert buyer.patch("/settings", {"currency": "USD"}).status_code == 403


def test_a_customer_admin_manages_only_their_own_organisation(admin: Api, anon: Api) -> None:
    mine = create_customer(admin, "C-1")
    theirs = create_customer(admin, "C-2")
    create_user(admin, "boss", ["customer-admins"], customer_ids=[mine["id"]])
    outsider = create_user(admin, "out", ["customer-buyers"], customer_ids=[theirs["id"]])
    boss = anon.login("acme", "boss", USER_PASSWORD, "C-1")

    made = create_user(boss, "clerk", ["customer-buyers"], customer_ids=[mine["id"]])
    assert {u["username"] for u in boss.get("/users").json["items"]} == {"boss", "clerk"}
    assert boss.patch(f"/users/{made['id']}", {"approval_limit": "500.00"}).json["approval_limit"] == "500.00"
    anon.login("acme", "clerk", USER_PASSWORD, "C-1")

    base = {"username": "y", "name": "Y", "email": "y@x.test", "password": USER_PASSWORD}
    r = boss.post(
        "/users",
        {**base, "kind": "customer", "security_group_ids": ["customer-buyers"], "customer_ids": [theirs["id"]]},
    )
    assert r.status_code == 403  # outside their organisation
    r = boss.post("/users", {**base, "kind": "staff", "security_group_ids": ["order-desk"]})
    assert r.status_code in (403, 422)
    assert boss.get(f"/users/{outsider['id']}").status_code == 404
    assert boss.get(f"/users?customer_id={theirs['id']}").status_code == 404
    assert boss.patch(f"/users/{outsider['id']}", {"name": "X"}).status_code == 404
    assert boss.patch(f"/users/{made['id']}", {"customer_ids": [theirs["id"]]}).status_code == 403


def test_a_customer_admin_never_grants_more_than_they_hold(admin: Api, anon: Api) -> None:
    mine = create_customer(admin, "C-1")
    limited = admin.post(
        "/security-groups", {"name": "Org clerks", "kind": "customer", "permissions": ["org.manage", "orders.place"]}
    ).json
    create_user(admin, "boss", [limited["id"]], customer_ids=[mine["id"]])
    boss = anon.login("acme", "boss", USER_PASSWORD, "C-1")
    r = boss.post(
        "/users",
        {
            "kind": "customer",
            "username": "z",
            "name": "Z",
            "email": "z@x.test",
            "password": USER_PASSWORD,
            "security_group_ids": ["customer-approvers"],
            "customer_ids": [mine["id"]],
        },
    )
    assert r.status_code == 403
    ok = create_user(boss, "zed", ["customer-buyers"], customer_ids=[mine["id"]])
    assert boss.patch(f"/users/{ok['id']}", {"security_group_ids": ["customer-admins"]}).status_code == 403
    assert admin.get(f"/users/{ok['id']}").json["security_group_ids"] == ["customer-buyers"]


def test_tokens_of_another_tenant_cannot_reach_this_one(admin: Api, anon: Api) -> None:
    c = create_customer(admin, "C-1")
    make_tenant("globex")
    other = anon.login("globex", "admin", ADMIN_PASSWORD)
    assert other.get(f"/customers/{c['id']}").status_code == 404
    assert other.get("/me").json["tenant"] == "globex"
