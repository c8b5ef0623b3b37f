"""Tenant administration through the HTTP API: settings, groups, sites, customers, users."""

from __future__ import annotations

from tests.functional.conftest import Api, create_customer, create_user


def test_settings_read_and_change_with_if_match(admin: Api) -> None:
    r = admin.get("/settings")
    assert r.status_code == 200
    etag = r.headers["ETag"]
    body = {"currency": "PLN", "delivery_methods": [{"code": "courier", "name": "Courier"}]}
    changed = admin.patch("/settings", body, headers={"If-Match": etag})
    assert changed.status_code == 200
    assert changed.json["currency"] == "PLN"
    assert changed.json["delivery_methods"] == [{"code": "courier", "name": "Courier"}]
    stale = admin.patch("/settings", {"currency": "EUR"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert stale.json["error"]["code"] == "version_mismatch"
    assert admin.get("/settings").json["currency"] == "PLN"


def test_builtin_groups_exist_and_cannot_be_deleted_or_changed(admin: Api) -> None:
    names = {g["name"]: g for g in admin.get("/security-groups?limit=100").json["items"]}
    assert {
        "Administrators",
        "Sales reps",
        "Order desk",
        "Customer buyers",
        "Customer approvers",
        "Customer admins",
    } <= set(names)
    assert all(g["builtin"] for g in names.values())
    assert admin.delete("/security-groups/administrators").status_code == 403
    r = admin.put("/security-groups/sales-reps", {"name": "Reps", "permissions": []})
    assert r.status_code == 403
    assert admin.get("/security-groups/administrators").status_code == 200


def test_custom_groups_are_created_changed_and_deleted(admin: Api) -> None:
    r = admin.post("/security-groups", {"name": "Warehouse", "kind": "staff", "permissions": ["orders.fulfil"]})
    assert r.status_code == 201
    gid = r.json["id"]
    assert r.json["builtin"] is False
    r = admin.put(
        f"/security-groups/{gid}", {"name": "Warehouse team", "permissions": ["orders.fulfil", "orders.read_all"]}
    )
    assert r.status_code == 200
    assert r.json["permissions"] == ["orders.fulfil", "orders.read_all"]
    assert admin.delete(f"/security-groups/{gid}").status_code == 204
    assert admin.get(f"/security-groups/{gid}").status_code == 404


def test_a_group_holds_only_permissions_of_its_kind(admin: Api) -> None:
    r = admin.post(
        "/security-groups", {"name": "Odd", "kind": "customer", "permissions": ["orders.place", "tenant.admin"]}
    )
    assert r.status_code == 422
    assert r.json["error"]["details"] == [
        {"field": "permissions[1]", "message": "'tenant.admin' is not a customer permission."}
    ]
    r = admin.post("/security-groups", {"name": "Odd", "kind": "staff", "permissions": ["fly"]})
    assert r.status_code == 422


def test_sites_have_unique_codes(admin: Api) -> None:
    r = admin.post("/sites", {"code": "WAW", "name": "Warsaw", "address": "Main St 1"})
    assert r.status_code == 201
    site = r.json
    assert admin.post("/sites", {"code": "waw", "name": "Other"}).status_code == 409
    other = admin.post("/sites", {"code": "KRK", "name": "Krakow"}).json
    assert admin.patch(f"/sites/{other['id']}", {"code": "WAW"}).status_code == 409
    moved = admin.patch(f"/sites/{site['id']}", {"code": "WRO"})
    assert moved.status_code == 200
    assert admin.patch(f"/sites/{other['id']}", {"code": "WAW"}).status_code == 200  # old code was released
    assert admin.get(f"/sites/{site['id']}").json["code"] == "WRO"


def test_customers_have_unique_numbers(admin: Api) -> None:
    create_customer(admin, "C-100")
    r = admin.post("/customers", {"number": "C-100", "name": "Copy"})
    assert r.status_code == 409
    assert r.json["error"]["code"] == "duplicate"


def test_a_customer_keeps_addresses_parent_rep_and_approval_settings(admin: Api) -> None:
    rep = create_user(admin, "rep", ["sales-reps"], kind="staff")
    head = create_customer(admin, "HQ-1")
    branch = create_customer(
        admin,
        "BR-1",
        parent_id=head["id"],
        sales_rep_id=rep["id"],
        approval_policy="over_limit",
        monthly_budget="5000.00",
        payment_terms=30,
        addresses=[{"kind": "delivery", "label": "Dock", "line1": "1 Road", "city": "Lyon", "country": "FR"}],
    )
    got = admin.get(f"/customers/{branch['id']}").json
    assert got["parent_id"] == head["id"]
    assert got["sales_rep_id"] == rep["id"]
    assert got["approval_policy"] == "over_limit"
    assert got["monthly_budget"] == "5000.00"
    assert got["payment_terms"] == 30
    assert got["addresses"][0]["id"] and got["addresses"][0]["city"] == "Lyon"
    assert [c["id"] for c in admin.get(f"/customers?sales_rep_id={rep['id']}").json["items"]] == [branch["id"]]


def test_a_customer_cannot_become_its_own_ancestor(admin: Api) -> None:
    a = create_customer(admin, "A")
    b = create_customer(admin, "B", parent_id=a["id"])
    r = admin.patch(f"/customers/{a['id']}", {"parent_id": b["id"]})
    assert r.status_code == 422
    assert r.json["error"]["details"][0]["field"] == "parent_id"
    assert admin.get(f"/customers/{a['id']}").json["parent_id"] is None


def test_a_sales_rep_must_be_a_staff_user(admin: Api) -> None:
    r = admin.post("/customers", {"number": "X", "name": "X", "sales_rep_id": "nobody"})
    assert r.status_code == 422


def test_customer_and_user_changes_honour_if_match(admin: Api) -> None:
    c = create_customer(admin, "C-1")
    etag = admin.get(f"/customers/{c['id']}").headers["ETag"]
    assert admin.patch(f"/customers/{c['id']}", {"name": "New"}, headers={"If-Match": etag}).status_code == 200
    assert admin.patch(f"/customers/{c['id']}", {"name": "Newer"}, headers={"If-Match": etag}).status_code == 412
    assert admin.get(f"/customers/{c['id']}").json["name"] == "New"

    u = create_user(admin, "desk", ["order-desk"], kind="staff")
    etag = admin.get(f"/users/{u['id']}").headers["ETag"]
    assert admin.patch(f"/users/{u['id']}", {"name": "Desk"}, headers={"If-Match": etag}).status_code == 200
    assert admin.patch(f"/users/{u['id']}", {"name": "Other"}, headers={"If-Match": etag}).status_code == 412


def test_users_never_show_a_password_or_hash(admin: Api) -> None:
    u = create_user(admin, "desk", ["order-desk"], kind="staff")
    for body in (u, admin.get(f"/users/{u['id']}").json, admin.get("/users").json):
        text = str(body)
        assert "password" not in text and "argon2" not in text


def test_usernames_are_unique_among_staff(admin: Api) -> None:
    create_user(admin, "desk", ["order-desk"], kind="staff")
    r = admin.post(
        "/users",
        {
            "kind": "staff",
            "username": "DESK",
            "name": "D",
            "email": "d@x.test",
            "password": "long-enough-1",
            "security_group_ids": ["order-desk"],
        },
    )
    assert r.status_code == 409


def test_renaming_a_user_frees_the_old_username(admin: Api, anon: Api) -> None:
    u = create_user(admin, "desk", ["order-desk"], kind="staff")
    assert admin.patch(f"/users/{u['id']}", {"username": "desk2"}).status_code == 200
    anon.login("acme", "desk2", "user-password-1")
    create_user(admin, "desk", ["order-desk"], kind="staff")


def test_user_references_are_checked(admin: Api) -> None:
    base = {"username": "x", "name": "X", "email": "x@x.test", "password": "long-enough-1"}
    r = admin.post("/users", {**base, "kind": "customer", "security_group_ids": ["customer-buyers"]})
    assert r.status_code == 422  # a customer user needs a customer
    r = admin.post("/users", {**base, "kind": "staff", "security_group_ids": ["customer-buyers"]})
    assert r.status_code == 422  # a customer group for a staff user
    assert r.json["error"]["details"][0]["field"] == "security_group_ids[0]"
    r = admin.post(
        "/users", {**base, "kind": "customer", "security_group_ids": ["customer-buyers"], "customer_ids": ["missing"]}
    )
    assert r.status_code == 422


def test_lists_page_with_a_cursor(admin: Api) -> None:
    for i in range(5):
        create_customer(admin, f"C-{i}")
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        path = "/customers?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = admin.get(path).json
        seen += [c["number"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == [f"C-{i}" for i in range(5)]
    assert len(seen) == 5


def test_staff_without_admin_rights_cannot_manage(admin: Api, anon: Api) -> None:
    create_user(admin, "rep", ["sales-reps"], kind="staff")
    rep = anon.login("acme", "rep", "user-password-1")
    assert rep.get("/users").status_code == 403
    assert rep.post("/sites", {"code": "A", "name": "A"}).status_code == 403
    assert rep.post("/customers", {"number": "A", "name": "A"}).status_code == 403
    assert rep.patch("/settings", {"currency": "USD"}).status_code == 403
    assert rep.get("/customers").status_code == 200  # reps look customers up
