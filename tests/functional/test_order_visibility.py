"""Who sees which order (PRODUCT.md "Who sees what"): out of scope is 404, visible but not allowed 403."""

from __future__ import annotations

from tests.functional.conftest import ADMIN_PASSWORD, USER_PASSWORD, create_customer, create_user, make_tenant
from tests.functional.order_world import World


def ids(reply) -> list[str]:
    assert reply.status_code == 200, reply.body
    return [o["id"] for o in reply.json["items"]]


def test_customer_users_see_their_own_or_with_view_org_all_of_their_customer(world: World) -> None:
    create_user(world.admin, "buyer2", ["customer-buyers"], customer_ids=[world.customer["id"]])
    buyer2 = world.anon.login("acme", "buyer2", USER_PASSWORD, "C-100")
    mine = world.order()
    theirs = world.order(api=buyer2)
    assert ids(world.buyer.get("/orders")) == [mine["id"]]
    assert world.buyer.get(f"/orders/{theirs['id']}").status_code == 404
    assert set(ids(world.approver.get("/orders"))) == {mine["id"], theirs["id"]}
    assert world.approver.get(f"/orders/{theirs['id']}").status_code == 200
    # Visible, but a draft is edited only by the one who builds it.
    assert world.approver.patch(f"/orders/{theirs['id']}", {"notes": "x"}).status_code == 403


def test_another_customer_and_another_tenant_see_nothing(world: World) -> None:
    o = world.order()
    other = create_customer(world.admin, "C-900")
    create_user(world.admin, "stranger", ["customer-approvers"], customer_ids=[other["id"]])
    stranger = world.anon.login("acme", "stranger", USER_PASSWORD, "C-900")
    assert stranger.get(f"/orders/{o['id']}").status_code == 404
    assert stranger.post(f"/orders/{o['id']}/cancel", {"reason": "x"}).status_code == 404
    assert ids(stranger.get("/orders")) == []
    assert stranger.get(f"/orders?customer_id={world.customer['id']}").status_code == 404
    make_tenant("globex")
    globex = world.anon.login("globex", "admin", ADMIN_PASSWORD)
    assert globex.get(f"/orders/{o['id']}").status_code == 404
    assert ids(globex.get("/orders")) == []


def test_staff_see_all_with_read_all_or_their_customers_as_rep(world: World) -> None:
    o = world.order()
    create_user(world.admin, "rep2", ["sales-reps"], kind="staff")
    rep2 = world.anon.login("acme", "rep2", USER_PASSWORD)
    assert world.rep.get(f"/orders/{o['id']}").status_code == 200
    assert ids(world.rep.get("/orders")) == [o["id"]]
    assert rep2.get(f"/orders/{o['id']}").status_code == 404
    assert ids(rep2.get("/orders")) == []
    assert ids(world.desk.get("/orders")) == [o["id"]]
    assert world.desk.post(f"/orders/{o['id']}/messages", {"body": "hi"}).status_code == 201


def test_lists_filter_by_status_customer_and_dates_newest_first(world: World) -> None:
    first = world.order()
    second = world.order()
    world.buyer.post(f"/orders/{second['id']}/submit")
    assert ids(world.desk.get("/orders")) == [second["id"], first["id"]]
    assert ids(world.desk.get("/orders?status=submitted")) == [second["id"]]
    assert ids(world.desk.get("/orders?status=draft")) == [first["id"]]
    assert ids(world.desk.get(f"/orders?customer_id={world.customer['id']}&status=draft")) == [first["id"]]
    today = first["created_at"][:10]
    assert len(ids(world.desk.get(f"/orders?created_from={today}&created_to={today}"))) == 2
    assert ids(world.desk.get("/orders?created_to=2000-01-01")) == []
    assert world.desk.get("/orders?status=lost").status_code == 400
    assert world.desk.get("/orders?created_from=yesterday").status_code == 400
    page = world.desk.get("/orders?limit=1").json
    assert [i["id"] for i in page["items"]] == [second["id"]]
    rest = world.desk.get(f"/orders?limit=1&cursor={page['next_cursor']}").json
    assert [i["id"] for i in rest["items"]] == [first["id"]]


def test_a_head_office_approver_approves_a_branch_order(world: World) -> None:
    hq = create_customer(world.admin, "HQ-1")
    branch = create_customer(world.admin, "BR-1", parent_id=hq["id"], approval_policy="always")
    create_user(world.admin, "branchbuyer", ["customer-buyers"], customer_ids=[branch["id"]])
    create_user(world.admin, "hqboss", ["customer-approvers"], customer_ids=[hq["id"]])
    buyer = world.anon.login("acme", "branchbuyer", USER_PASSWORD, "BR-1")
    boss = world.anon.login("acme", "hqboss", USER_PASSWORD, "HQ-1")
    o = world.order(api=buyer)
    assert buyer.post(f"/orders/{o['id']}/submit").json["status"] == "pending_approval"
    assert ids(boss.get("/orders?status=pending_approval")) == [o["id"]]
    assert boss.post(f"/orders/{o['id']}/approve").json["status"] == "submitted"
    # A head office sees its branches' orders as its own customer's: still after approving, in its list and
    # through the branch's filter.
    assert boss.get(f"/orders/{o['id']}").json["status"] == "submitted"
    assert ids(boss.get("/orders")) == [o["id"]]
    assert ids(boss.get(f"/orders?customer_id={branch['id']}")) == [o["id"]]
    assert ids(boss.get(f"/orders?customer_id={hq['id']}")) == []
    assert buyer.get(f"/orders?customer_id={hq['id']}").status_code == 404  # above the branch: not theirs
