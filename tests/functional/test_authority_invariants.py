"""The one authority's invariants (issue 21 point 2), over every kind of caller of the authorization matrix:

(a) the orders a caller reaches by paging GET /orders (no filter, each status, each customer) are exactly
    those GET /orders/{id} shows them;
(b) every e-mail that asks someone to act goes to someone who may take that action: each recipient of an
    asking e-mail decides through their own link;
(c) no order waits on nobody: what needs approval without an approver is refused when it would start
    waiting (submit, propose, send), and every waiting order names whom it waits on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from chalicelib.bootstrap import get_services
from chalicelib.domain.order_states import OrderStatus
from tests.functional.conftest import USER_PASSWORD, Api, create_customer, create_user
from tests.functional.order_world import World, build_world
from tests.functional.test_action_links import JSON, token_of
from tests.functional.test_one_authority import Mail


@dataclass
class Scene:
    world: World
    callers: dict[str, Api]
    orders: list[str]
    customers: list[str]


def login(w: World, username: str, customer_number: str | None = None) -> Api:
    return w.anon.login("acme", username, USER_PASSWORD, customer_number)


def submit(api: Api, order: dict[str, Any], expected: str) -> dict[str, Any]:
    r = api.post(f"/orders/{order['id']}/submit")
    assert r.json["status"] == expected, r.body
    return dict(r.json)


@pytest.fixture
def scene(admin: Api, anon: Api) -> Scene:
    """Orders in most states, of a customer, a head office's branch, and a customer nobody serves, made by
    buyers, approvers and two sales reps; one caller of each kind."""
    w = build_world(admin, anon)
    hq = create_customer(admin, "HQ-1")
    branch = create_customer(admin, "BR-1", parent_id=hq["id"], approval_policy="always")
    nobody = create_customer(admin, "C-900")
    create_user(admin, "colleague", ["customer-buyers"], customer_ids=[w.customer["id"]])
    create_user(admin, "branchbuyer", ["customer-buyers"], customer_ids=[branch["id"]])
    create_user(admin, "hqboss", ["customer-approvers"], customer_ids=[hq["id"]])
    create_user(admin, "hqadmin", ["customer-admins"], customer_ids=[hq["id"]])
    create_user(admin, "otherrep", ["sales-reps"], kind="staff")
    # Delegates: of an approver of C-100 and the head office (a buyer of C-100 only, who sees the branch's
    # waiting order through the delegation alone), and one whose delegation starts in three days.
    twohats = create_user(admin, "twohats", ["customer-approvers"], customer_ids=[w.customer["id"], hq["id"]])
    deputy = create_user(admin, "deputy", ["customer-buyers"], customer_ids=[w.customer["id"]])
    standby = create_user(admin, "standby", ["customer-buyers"], customer_ids=[hq["id"]])
    delegate(login(w, "twohats", "C-100"), deputy["id"], starts_in=-1)
    delegate(login(w, "hqboss", "HQ-1"), standby["id"], starts_in=3)
    assert twohats["id"]
    key = admin.post("/api-keys", {"name": "ERP", "permissions": ["orders.read_all", "orders.fulfil"]}).json["key"]
    narrow = admin.post("/api-keys", {"name": "Review", "permissions": ["orders.review"]}).json["key"]
    callers = {
        "admin": admin,
        "desk": w.desk,
        "rep": w.rep,
        "otherrep": login(w, "otherrep"),
        "buyer": w.buyer,
        "colleague": login(w, "colleague", "C-100"),
        "approver": w.approver,
        "branchbuyer": login(w, "branchbuyer", "BR-1"),
        "hqboss": login(w, "hqboss", "HQ-1"),
        "hqadmin": login(w, "hqadmin", "HQ-1"),
        "delegate": login(w, "deputy", "C-100"),
        "delegate, not yet in force": login(w, "standby", "HQ-1"),
        "api key": Api(w.anon.client, key),
        "narrow api key": Api(w.anon.client, narrow),
    }
    colleague, branchbuyer, hqboss = callers["colleague"], callers["branchbuyer"], callers["hqboss"]
    made: list[dict[str, Any]] = [w.order()]  # a draft
    made.append(submit(w.buyer, w.order(), "submitted"))
    confirmed = submit(colleague, w.order(api=colleague), "submitted")
    made.append(w.desk.post(f"/orders/{confirmed['id']}/confirm").json)
    made.append(submit(branchbuyer, w.order(api=branchbuyer), "pending_approval"))
    approved = submit(branchbuyer, w.order(api=branchbuyer), "pending_approval")
    made.append(hqboss.post(f"/orders/{approved['id']}/approve").json)
    line = [{"sku": "SKU-1", "quantity": 1}]
    made.append(w.rep.post("/orders", {"customer_id": w.customer["id"], "lines": line}).json)  # staff draft
    sent = w.rep.post("/orders", {"customer_id": w.customer["id"], "lines": line}).json
    made.append(w.rep.post(f"/orders/{sent['id']}/send").json)
    made.append(callers["otherrep"].post("/orders", {"customer_id": nobody["id"], "lines": line}).json)
    cancelled = w.order()
    made.append(w.buyer.post(f"/orders/{cancelled['id']}/cancel", {"reason": "Not needed."}).json)
    assert all("id" in o for o in made), made
    customers = [w.customer["id"], hq["id"], branch["id"], nobody["id"]]
    return Scene(w, callers, [o["id"] for o in made], customers)


def delegate(approver: Api, delegate_id: str, *, starts_in: int, days: int = 7) -> None:
    first = date.today() + timedelta(days=starts_in)
    period = {"starts_on": first.isoformat(), "ends_on": (first + timedelta(days=days)).isoformat()}
    r = approver.put("/me/delegation", {"delegate_id": delegate_id, **period})
    assert r.status_code == 200, r.body


def paged(api: Api, query: str) -> list[str] | None:
    """Every id of the list, following next_cursor (pages of 2: the merge of several lists is paged too);
    None when the list is refused (404: a customer outside the caller's scope)."""
    found: list[str] = []
    cursor = None
    for _ in range(50):
        sep = "&" if query else ""
        r = api.get(f"/orders?limit=2{sep}{query}" + (f"&cursor={cursor}" if cursor else ""))
        if r.status_code == 404:
            return None
        assert r.status_code == 200, r.body
        found += [i["id"] for i in r.json["items"]]
        cursor = r.json["next_cursor"]
        if not cursor:
            return found
    raise AssertionError("the list never ended")


def test_a_list_shows_exactly_what_get_shows_to_every_kind_of_caller(scene: Scene) -> None:
    for who, api in scene.callers.items():
        lists_show_what_get_shows(scene, who, api)


def lists_show_what_get_shows(scene: Scene, who: str, api: Api) -> None:
    shown = {}
    for oid in scene.orders:
        r = api.get(f"/orders/{oid}")
        assert r.status_code in (200, 404), r.body
        if r.status_code == 200:
            shown[oid] = r.json
    everything = paged(api, "")
    assert everything is not None
    assert len(everything) == len(set(everything)), "an order listed twice"
    assert set(everything) == set(shown), who
    for status in OrderStatus:
        listed = paged(api, f"status={status.value}")
        assert listed is not None
        assert set(listed) == {i for i, o in shown.items() if o["status"] == status.value}, (who, status)
    for cid in scene.customers:
        listed = paged(api, f"customer_id={cid}")
        expected = {i for i, o in shown.items() if o["customer_id"] == cid}
        assert set(listed or []) == expected, (who, cid)


def test_a_delegate_lists_what_waits_on_the_approver_they_stand_in_for_and_only_while_in_force(
    scene: Scene,
) -> None:
    """The branch's order waiting for approval is the only one of the head office's organisation the deputy
    (a buyer of C-100, standing in for an approver of C-100 and the head office) sees, in every list that
    holds it; the delegate whose period has not begun sees nothing of it."""
    waiting = [oid for oid in scene.orders if scene.callers["admin"].get(f"/orders/{oid}").json["status"]
               == "pending_approval"]  # fmt: skip
    assert len(waiting) == 1
    deputy, standby = scene.callers["delegate"], scene.callers["delegate, not yet in force"]
    branch = scene.customers[2]
    c100, hq = scene.customers[0], scene.customers[1]
    expected = {"": waiting, "status=pending_approval": waiting, f"customer_id={branch}": waiting}
    for query, orders in {**expected, f"customer_id={hq}": []}.items():
        listed = set(paged(deputy, query) or [])
        of_c100 = {oid for oid in listed if deputy.get(f"/orders/{oid}").json["customer_id"] == c100}
        assert listed - of_c100 == set(orders), query  # C-100's: theirs as its buyer
        assert paged(standby, query) in ([], None), query
    assert deputy.get(f"/orders/{waiting[0]}").status_code == 200
    assert standby.get(f"/orders/{waiting[0]}").status_code == 404


def test_a_delegate_stops_listing_an_approver_s_orders_when_the_delegation_ends_or_the_approver_leaves(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.admin.patch(f"/customers/{world.customer['id']}", {"approval_policy": "always"})
    deputy = create_user(world.admin, "deputy", ["customer-buyers"], customer_ids=[world.customer["id"]])
    delegate(world.approver, deputy["id"], starts_in=0, days=2)
    as_deputy = login(world, "deputy", "C-100")
    waiting = submit(world.buyer, world.order(), "pending_approval")["id"]
    mine = submit(as_deputy, world.order(api=as_deputy), "pending_approval")["id"]  # their own: theirs to see

    def shown() -> tuple[set[str], set[str], int]:
        listed = set(paged(as_deputy, "") or [])
        pending = set(paged(as_deputy, "status=pending_approval") or [])
        return listed, pending, as_deputy.get(f"/orders/{waiting}").status_code

    assert shown() == ({waiting, mine}, {waiting, mine}, 200)
    # Three days on, the two-day delegation has ended.
    later = datetime.now(UTC) + timedelta(days=3)
    with monkeypatch.context() as m:
        m.setattr(get_services().orders, "_clock", lambda: later)
        assert shown() == ({mine}, {mine}, 404)
    # The approver loses orders.approve, then leaves: their delegate no longer stands in for them.
    boss = world.ids["approver"]
    assert world.admin.patch(f"/users/{boss}", {"security_group_ids": ["customer-buyers"]}).status_code == 200
    assert shown() == ({mine}, {mine}, 404)
    assert world.admin.patch(f"/users/{boss}", {"security_group_ids": ["customer-approvers"]}).status_code == 200
    assert shown() == ({waiting, mine}, {waiting, mine}, 200)
    assert world.admin.patch(f"/users/{boss}", {"status": "inactive"}).status_code == 200
    assert shown() == ({mine}, {mine}, 404)


def test_every_email_asking_to_act_goes_to_someone_who_may_act(admin: Api, anon: Api) -> None:
    """An order of a head office's branch waits on the branch's and the head office's approvers (and a
    delegate in force); a proposal only an approver may accept, on them too. Each recipient of an asking
    e-mail decides their own order through their own link."""
    w = build_world(admin, anon)
    hq = create_customer(w.admin, "HQ-2")
    branch = create_customer(w.admin, "BR-2", parent_id=hq["id"], approval_policy="always", sales_rep_id=w.ids["rep"])
    create_user(w.admin, "cook", ["customer-buyers"], customer_ids=[branch["id"]])
    create_user(w.admin, "chef", ["customer-approvers"], customer_ids=[branch["id"]])
    create_user(w.admin, "owner", ["customer-approvers"], customer_ids=[hq["id"]])
    deputy = create_user(w.admin, "sous", ["customer-buyers"], customer_ids=[branch["id"], hq["id"]])
    owner = login(w, "owner", "HQ-2")
    period = {"starts_on": "2000-01-01", "ends_on": "2999-12-31"}
    assert owner.put("/me/delegation", {"delegate_id": deputy["id"], **period}).status_code == 200
    cook = login(w, "cook", "BR-2")
    mail = Mail()
    asked_by_order: dict[str, dict[str, str]] = {}
    for _ in range(3):  # one order for each person asked
        o = submit(cook, w.order(api=cook, customer_id=branch["id"]), "pending_approval")
        asking = [m for m in mail.deliver() if "/actions/" in m.text]
        assert {m.to for m in asking} == {"chef@example.test", "owner@example.test", "sous@example.test"}
        people = {p["name"] for p in cook.get(f"/orders/{o['id']}").json["waiting_on"]["people"]}
        assert people == {"Chef", "Owner", "Sous"}
        asked_by_order[o["id"]] = {m.to: token_of(m) for m in asking}
    asked = sorted(next(iter(asked_by_order.values())))
    for (order_id, links), who in zip(asked_by_order.items(), asked, strict=True):
        r = w.anon.post(f"/actions/{links[who]}", {"decision": "approve"}, headers=JSON)
        assert r.status_code == 200, (who, r.body)
        assert r.json["order"] is None  # a spent link tells only what became of it: the order, as the API shows it
        assert cook.get(f"/orders/{order_id}").json["status"] == "submitted"
    # A proposal only an approver may accept: asked of the approvers, each able to accept it.
    for order_id in asked_by_order:
        r = w.desk.post(f"/orders/{order_id}/propose", {"note": "Less.", "lines": []})
        assert r.status_code == 200, r.body
        assert r.json["waiting_on"]["kind"] == "approval"
    asking = [m for m in mail.deliver() if "/actions/" in m.text and "proposal_sent" in m.dedupe_key]
    by_person: dict[str, list[str]] = {}
    for m in asking:
        by_person.setdefault(m.to, []).append(token_of(m))
    assert set(by_person) == {"chef@example.test", "owner@example.test", "sous@example.test"}
    for n, (who, tokens) in enumerate(sorted(by_person.items())):
        r = w.anon.post(f"/actions/{tokens[n]}", {"decision": "accept"}, headers=JSON)
        assert r.status_code == 200, (who, r.body)


def test_no_order_waits_on_nobody(world: World) -> None:
    lonely = create_customer(world.admin, "C-301", approval_policy="always")
    create_user(world.admin, "alone", ["customer-buyers"], customer_ids=[lonely["id"]])
    alone = login(world, "alone", "C-301")
    o = world.order(api=alone, customer_id=lonely["id"])
    r = alone.post(f"/orders/{o['id']}/submit")
    assert (r.status_code, r.json["error"]["code"]) == (409, "no_approver")
    assert alone.get(f"/orders/{o['id']}").json["status"] == "draft"
