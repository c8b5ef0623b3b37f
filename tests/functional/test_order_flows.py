"""The flows of the four source products, end to end through the HTTP API."""

from __future__ import annotations

from typing import Any

from tests.functional.conftest import USER_PASSWORD, create_customer, create_user
from tests.functional.order_world import World


def line_of(order: dict[str, Any], sku: str) -> dict[str, Any]:
    return next(line for line in order["lines"] if line["sku"] == sku)


def test_monstock_draft_three_ways_submit_staff_validates_customer_sees(world: World) -> None:
    o = world.order(
        lines=[{"sku": "SKU-1", "quantity": 1}],
        customer_reference="PO-77",
        delivery_method="courier",
        payment_method="transfer",
    )
    assert o["status"] == "draft" and o["source"] == "portal"
    assert o["number"].startswith("ORD-")
    assert o["delivery_address"]["label"] == "Dock" and o["billing_address"]["label"] == "HQ"
    oid = o["id"]
    r = world.buyer.post(f"/orders/{oid}/lines", {"barcode": "5901234123457", "quantity": 2})
    assert r.status_code == 201
    assert line_of(r.json, "SKU-1")["quantity"] == 3  # the same product adds up
    r = world.buyer.post(
        f"/orders/{oid}/lines/import",
        raw="code,quantity\nBOX-6,12\nNOPE,1\nSKU-1,abc\n",
        headers={"Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.body
    assert r.json["added"] == 1
    assert [(e["row"], e["code"]) for e in r.json["errors"]] == [(3, "NOPE"), (4, "SKU-1")]
    order = r.json["order"]
    assert line_of(order, "BOX-6")["unit_price"] == "2.00"  # the 12+ tier
    assert order["totals"] == {"net": "54.00", "tax": "10.80", "gross": "64.80"}

    submitted = world.buyer.post(f"/orders/{oid}/submit")
    assert submitted.status_code == 200, submitted.body
    assert submitted.json["status"] == "submitted"
    queue = world.desk.get("/orders?status=submitted").json["items"]
    assert [q["id"] for q in queue] == [oid]
    confirmed = world.desk.post(f"/orders/{oid}/confirm")
    assert confirmed.json["status"] == "confirmed"
    mine = world.buyer.get(f"/orders/{oid}").json
    assert mine["status"] == "confirmed"
    assert [h["action"] for h in mine["history"]][:1] == ["create"]
    assert mine["history"][-1]["to_status"] == "confirmed"


def test_quantity_rules_and_visibility_are_enforced_on_lines(world: World) -> None:
    o = world.order()
    oid = o["id"]
    r = world.buyer.post(f"/orders/{oid}/lines", {"sku": "BOX-6", "quantity": 5})
    assert r.status_code == 422
    r = world.buyer.post(f"/orders/{oid}/lines", {"sku": "HIDDEN", "quantity": 1})
    assert r.status_code == 422
    r = world.buyer.post(f"/orders/{oid}/lines", {"sku": "SKU-1", "barcode": "x", "quantity": 1})
    assert r.status_code == 422
    assert world.buyer.get(f"/orders/{oid}").json["version"] == o["version"]


def test_idosell_approval_trim_and_approve_or_reject(world: World) -> None:
    world.admin.patch(f"/customers/{world.customer['id']}", {"approval_policy": "always"})
    o = world.order(lines=[{"sku": "SKU-1", "quantity": 5}, {"sku": "BOX-6", "quantity": 12}])
    r = world.buyer.post(f"/orders/{o['id']}/submit")
    assert r.json["status"] == "pending_approval"
    assert world.buyer.post(f"/orders/{o['id']}/approve").status_code == 403  # not an approver
    sku1 = line_of(r.json, "SKU-1")["id"]
    box = line_of(r.json, "BOX-6")["id"]
    approved = world.approver.post(
        f"/orders/{o['id']}/approve", {"lines": [{"id": sku1, "quantity": 2}, {"id": box, "remove": True}]}
    )
    assert approved.status_code == 200, approved.body
    assert approved.json["status"] == "submitted"
    assert [(ln["sku"], ln["quantity"]) for ln in approved.json["lines"]] == [("SKU-1", 2)]

    o2 = world.order()
    world.buyer.post(f"/orders/{o2['id']}/submit")
    rejected = world.approver.post(f"/orders/{o2['id']}/reject", {"reason": "Over our budget"})
    assert rejected.json["status"] == "draft"
    assert rejected.json["history"][-1]["note"] == "Over our budget"


def test_an_approver_never_approves_their_own_order_and_skips_approval(world: World) -> None:
    world.admin.patch(f"/customers/{world.customer['id']}", {"approval_policy": "always"})
    o = world.order(api=world.approver)
    assert world.approver.post(f"/orders/{o['id']}/submit").json["status"] == "submitted"


def test_no_approver_means_a_clear_409_and_nothing_changes(world: World) -> None:
    lonely = create_customer(world.admin, "C-200", approval_policy="always")
    create_user(world.admin, "solo", ["customer-buyers"], customer_ids=[lonely["id"]])
    solo = world.anon.login("acme", "solo", USER_PASSWORD, "C-200")
    o = world.order(api=solo)
    r = solo.post(f"/orders/{o['id']}/submit")
    assert r.status_code == 409
    assert r.json["error"]["code"] == "no_approver"
    assert solo.get(f"/orders/{o['id']}").json["status"] == "draft"


def test_over_limit_and_monthly_budget_ask_for_approval(world: World) -> None:
    cid = world.customer["id"]
    world.admin.patch(f"/customers/{cid}", {"approval_policy": "over_limit"})
    world.admin.patch(f"/users/{world.ids['buyer']}", {"approval_limit": "50.00"})
    small = world.order(lines=[{"sku": "SKU-1", "quantity": 2}])  # 24.00 gross
    assert world.buyer.post(f"/orders/{small['id']}/submit").json["status"] == "submitted"
    big = world.order(lines=[{"sku": "SKU-1", "quantity": 5}])  # 60.00 gross
    assert world.buyer.post(f"/orders/{big['id']}/submit").json["status"] == "pending_approval"

    world.admin.patch(f"/customers/{cid}", {"approval_policy": "none", "monthly_budget": "40.00"})
    fits = world.order(lines=[{"sku": "SKU-1", "quantity": 1}])  # 12.00: 24 + 12 <= 40
    assert world.buyer.post(f"/orders/{fits['id']}/submit").json["status"] == "submitted"
    over = world.order(lines=[{"sku": "SKU-1", "quantity": 1}])  # 36 + 12 > 40
    r = world.buyer.post(f"/orders/{over['id']}/submit")
    assert r.status_code == 200 and r.json["status"] == "pending_approval", r.body


def test_cieblink_proposal_accept_and_decline(world: World) -> None:
    o = world.order(lines=[{"sku": "SKU-1", "quantity": 10}, {"sku": "BOX-6", "quantity": 6}])
    world.buyer.post(f"/orders/{o['id']}/submit")
    sku1 = line_of(o, "SKU-1")["id"]
    box = line_of(o, "BOX-6")["id"]
    r = world.rep.post(
        f"/orders/{o['id']}/propose",
        {
            "note": "Partial stock",
            "lines": [
                {"id": sku1, "quantity": 8, "unit_price": "9.50", "confirmed_delivery_date": "2026-12-01"},
                {"id": box, "remove": True},
            ],
            "add_lines": [{"sku": "BOX-6", "quantity": 12, "unit_price": "1.90"}],
        },
    )
    assert r.status_code == 200, r.body
    p = r.json
    assert p["status"] == "awaiting_customer"
    assert p["proposal"]["revision"] == 1 and p["proposal"]["note"] == "Partial stock"
    first = line_of(p, "SKU-1")
    assert (first["quantity"], first["unit_price"]) == (10, "10.00")  # requested values kept
    assert first["proposed"] == {
        "quantity": 8,
        "unit_price": "9.50",
        "confirmed_delivery_date": "2026-12-01",
        "removed": False,
        "added": False,
    }
    accepted = world.buyer.post(f"/orders/{o['id']}/accept")
    assert accepted.status_code == 200, accepted.body
    a = accepted.json
    assert a["status"] == "confirmed" and a["proposal"] is None
    assert sorted((ln["sku"], ln["quantity"], ln["unit_price"]) for ln in a["lines"]) == [
        ("BOX-6", 12, "1.90"),
        ("SKU-1", 8, "9.50"),
    ]
    assert line_of(a, "SKU-1")["confirmed_delivery_date"] == "2026-12-01"
    assert a["revisions"][0]["outcome"] == "accepted"

    o2 = world.order(lines=[{"sku": "SKU-1", "quantity": 3}])
    world.buyer.post(f"/orders/{o2['id']}/submit")
    lid = o2["lines"][0]["id"]
    world.rep.post(
        f"/orders/{o2['id']}/propose",
        {"lines": [{"id": lid, "quantity": 1}], "add_lines": [{"sku": "BOX-6", "quantity": 6}]},
    )
    declined = world.buyer.post(f"/orders/{o2['id']}/decline", {"reason": "We need all three"})
    d = declined.json
    assert d["status"] == "submitted"
    assert [(ln["sku"], ln["quantity"], ln["proposed"]) for ln in d["lines"]] == [("SKU-1", 3, None)]
    assert d["revisions"][0]["outcome"] == "declined"


def test_an_order_created_on_behalf_is_sent_and_accepted(world: World) -> None:
    r = world.rep.post("/orders", {"customer_id": world.customer["id"], "lines": [{"sku": "SKU-1", "quantity": 4}]})
    assert r.status_code == 201, r.body
    o = r.json
    assert o["source"] == "staff"
    assert world.buyer.get(f"/orders/{o['id']}").status_code == 404  # a staff draft is not shown yet
    assert world.rep.post(f"/orders/{o['id']}/submit").status_code == 403
    sent = world.rep.post(f"/orders/{o['id']}/send")
    assert sent.json["status"] == "awaiting_customer"
    assert world.buyer.get(f"/orders/{o['id']}").status_code == 200
    assert world.buyer.post(f"/orders/{o['id']}/accept").json["status"] == "confirmed"


def test_a_phone_order_is_confirmed_straight_from_its_draft(world: World) -> None:
    o = world.rep.post(
        "/orders", {"customer_id": world.customer["id"], "lines": [{"sku": "SKU-1", "quantity": 1}]}
    ).json
    assert world.rep.post(f"/orders/{o['id']}/confirm").json["status"] == "confirmed"
    portal = world.order()
    assert world.desk.post(f"/orders/{portal['id']}/confirm").status_code == 409


def test_colibri_shipments_invoice_payment_complete(world: World) -> None:
    o = world.order(lines=[{"sku": "SKU-1", "quantity": 4}, {"sku": "BOX-6", "quantity": 6}])
    world.buyer.post(f"/orders/{o['id']}/submit")
    world.desk.post(f"/orders/{o['id']}/confirm")
    sku1 = line_of(o, "SKU-1")["id"]
    r = world.desk.post(
        f"/orders/{o['id']}/shipments",
        {
            "date": "2026-11-24",
            "document_number": "WZ-1",
            "carrier": "DHL",
            "tracking_number": "T1",
            "lines": [{"id": sku1, "quantity": 1}],
        },
    )
    assert r.status_code == 201, r.body
    assert world.buyer.get(f"/orders/{o['id']}").json["status"] == "partially_shipped"
    too_many = world.desk.post(
        f"/orders/{o['id']}/shipments",
        {"date": "2026-11-24", "document_number": "WZ-X", "lines": [{"id": sku1, "quantity": 9}]},
    )
    assert too_many.status_code == 422
    rest = world.desk.post(f"/orders/{o['id']}/shipments", {"date": "2026-11-25", "document_number": "WZ-2"})
    assert rest.status_code == 201
    assert world.buyer.get(f"/orders/{o['id']}").json["status"] == "shipped"
    gross = world.buyer.get(f"/orders/{o['id']}").json["totals"]["gross"]  # 48.00 + 15.00 net → 66.00 gross
    assert gross == "66.00"
    world.desk.post(
        f"/orders/{o['id']}/invoices",
        {"date": "2026-11-25", "number": "FV-1", "amount": "66.00", "due_date": "2026-12-25"},
    )
    world.desk.post(f"/orders/{o['id']}/payments", {"date": "2026-11-26", "reference": "PAY-1", "amount": "30.00"})
    half = world.buyer.get(f"/orders/{o['id']}").json
    assert (half["status"], half["invoice_status"], half["payment_status"]) == ("shipped", "invoiced", "partially_paid")
    world.desk.post(f"/orders/{o['id']}/payments", {"date": "2026-11-27", "reference": "PAY-2", "amount": "36.00"})
    done = world.buyer.get(f"/orders/{o['id']}").json
    assert (done["status"], done["payment_status"]) == ("completed", "paid")
    assert [s["document_number"] for s in done["shipments"]] == ["WZ-1", "WZ-2"]
    assert [i["number"] for i in done["invoices"]] == ["FV-1"]
    assert [p["reference"] for p in done["payments"]] == ["PAY-1", "PAY-2"]
    assert (
        world.buyer.post(f"/orders/{o['id']}/shipments", {"date": "2026-11-24", "document_number": "X"}).status_code
        == 403
    )


def test_messages_and_reorder(world: World) -> None:
    o = world.order(lines=[{"sku": "SKU-1", "quantity": 2}, {"sku": "BOX-6", "quantity": 6}])
    assert world.buyer.post(f"/orders/{o['id']}/messages", {"body": "Deliver before noon"}).status_code == 201
    assert world.rep.post(f"/orders/{o['id']}/messages", {"body": "Noted"}).status_code == 201
    msgs = world.buyer.get(f"/orders/{o['id']}/messages").json["items"]
    assert [(m["author_kind"], m["body"]) for m in msgs] == [("customer", "Deliver before noon"), ("staff", "Noted")]
    world.catalog.hidden.add("p2")
    r = world.buyer.post(f"/orders/{o['id']}/reorder")
    assert r.status_code == 201, r.body
    assert [ln["sku"] for ln in r.json["lines"]] == ["SKU-1"]
    assert r.json["skipped"][0]["sku"] == "BOX-6"
    assert r.json["status"] == "draft" and r.json["id"] != o["id"]
