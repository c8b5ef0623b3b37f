"""Issue 13 through the real app (chalice.test.Client on moto): authorization before validation,
error messages written for a person, the portal's view of the settings, fulfilment documents
answered as the order, quantities as JSON numbers, and chalice's own 405 in our words."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.api import openapi
from tests.functional.conftest import Api
from tests.functional.order_world import World

LIBRARY_WORDING = ("Value error", "Input should", "after validation", "instance of", "Field required", "String should")


def details(r: Any) -> dict[str, str]:
    return {d["field"]: d["message"] for d in r.json["error"]["details"]}


def assert_sentences(r: Any) -> None:
    error = r.json["error"]
    for message in [error["message"], *(d["message"] for d in error["details"])]:
        assert message.endswith("."), message
        assert not any(w in message for w in LIBRARY_WORDING), message


# --- 5: authorization before validation ------------------------------------------------------------
def test_a_buyer_posting_a_product_body_gets_403_not_422(world: World) -> None:
    bodies: list[Any] = [{"sku": "X-1", "name": "Saw", "base_price": "5.00", "tax_rate": "0.20"}, {"sku": 5}, []]
    for body in bodies:
        r = world.buyer.post("/products", body)
        assert r.status_code == 403, r.body
        assert r.json["error"]["code"] == "forbidden"
        assert "sku" not in r.body.decode()


def test_another_tenants_order_is_a_404_whatever_the_body(world: World, anon: Api) -> None:
    from tests.functional.conftest import ADMIN_PASSWORD, make_tenant

    o = world.order()
    make_tenant("globex")
    stranger = anon.login("globex", "admin", ADMIN_PASSWORD)
    for body in ({"reason": ""}, {"nonsense": True}):
        assert stranger.post(f"/orders/{o['id']}/cancel", body).status_code == 404
        assert stranger.post(f"/orders/{o['id']}/shipments", body).status_code == 404
    assert stranger.post(f"/orders/{o['id']}/cancel", raw=b"{not json").status_code == 404


def test_the_openapi_document_names_each_routes_permissions() -> None:
    doc = openapi.document()
    assert doc["paths"]["/products"]["post"]["x-permissions"] == ["catalog.manage"]
    assert "catalog.manage" in doc["paths"]["/products"]["post"]["description"]


# --- 6: messages ---------------------------------------------------------------------------------
def test_validation_messages_are_sentences_naming_the_field(world: World) -> None:
    r = world.buyer.post("/orders", {"notes": "x" * 5000, "colour": "red"})
    assert r.status_code == 422
    found = details(r)
    assert found["notes"].startswith("notes may be at most")
    assert found["colour"] == "colour is not a field of this request; remove it."
    assert_sentences(r)

    r = world.buyer.post("/orders", {"lines": [{"sku": "SKU-1", "quantity": "12"}]})
    assert details(r) == {"lines[0].quantity": "lines[0].quantity must be a JSON number."}
    assert r.json["error"]["message"] == "lines[0].quantity must be a JSON number."

    r = world.buyer.post("/orders", {"lines": [{"sku": "SKU-1", "quantity": 0}]})
    assert details(r)["lines[0].quantity"] == "lines[0].quantity must be above 0 and at most 1000000."


def test_each_kind_of_pydantic_error_becomes_a_sentence() -> None:
    from pydantic import BaseModel, Field, ValidationError

    from chalicelib.api.messages import describe

    class Body(BaseModel):
        ids: list[str] = Field(min_length=1)
        name: str = Field(min_length=1, max_length=5)
        kind: int

    with pytest.raises(ValidationError) as caught:
        Body.model_validate({"ids": [], "name": "toolong"})
    messages = {".".join(map(str, e["loc"])): describe(e) for e in caught.value.errors()}
    assert messages == {
        "ids": "Give at least one item in ids.",
        "name": "name may be at most 5 characters long.",
        "kind": "Give kind.",
    }


def test_a_body_that_is_no_object_is_told_so(world: World) -> None:
    r = world.buyer.post("/orders", [1, 2])
    assert r.status_code == 422
    assert r.json["error"]["message"] == "The request body must be a JSON object."
    assert_sentences(r)


def test_a_bad_query_parameter_is_a_sentence(world: World) -> None:
    r = world.admin.get("/customers?limit=1000")
    assert r.status_code == 400
    assert r.json["error"]["message"] == "The query parameter 'limit' must be at most 100."
    assert_sentences(r)


def test_a_product_the_customer_may_not_order_is_reported_on_the_line(world: World) -> None:
    r = world.buyer.post("/orders", {"lines": [{"sku": "SKU-1", "quantity": 1}, {"sku": "HIDDEN", "quantity": 1}]})
    assert r.status_code == 422
    assert list(details(r)) == ["lines[1]"]


def test_a_csv_row_with_two_bad_cells_reports_both_and_what_needs_the_catalog(admin: Api) -> None:
    csv = "sku,name,base_price,tax_rate,group,portal\nA-1,Saw,abc,0.2,No such group,maybe\n"
    r = admin.call("POST", "/products/import", raw=csv, headers={"Content-Type": "text/csv"})
    assert r.status_code == 422, r.body
    by_field = {d["field"]: d for d in r.json["error"]["details"]}
    assert set(by_field) == {"base_price", "group", "portal"}
    assert {d["row"] for d in by_field.values()} == {2}
    assert by_field["base_price"]["message"] == 'base_price must be a decimal string such as "12.50".'
    assert by_field["portal"]["message"] == "Use true or false for portal."
    assert_sentences(r)


# --- 7: settings as a customer user sees them ------------------------------------------------------------
def test_customer_users_see_only_what_their_portal_needs_of_the_settings(world: World) -> None:
    portal = world.buyer.get("/settings")
    assert portal.status_code == 200
    assert set(portal.json) == {
        "name",
        "currency",
        "default_locale",
        "portal_url",
        "delivery_methods",
        "payment_methods",
    }
    assert portal.json["delivery_methods"] == [{"code": "courier", "name": "Courier"}]
    staff = world.desk.get("/settings").json
    assert {"order_desk_email", "sender_email", "order_number_prefix"} <= set(staff)
    assert portal.headers["ETag"] == world.desk.get("/settings").headers["ETag"]


# --- 10: documents answer the order ---------------------------------------------------------------------
def _confirmed(world: World) -> dict[str, Any]:
    o = world.order(lines=[{"sku": "SKU-1", "quantity": 12}])
    assert world.buyer.post(f"/orders/{o['id']}/submit").status_code == 200
    confirmed = world.desk.post(f"/orders/{o['id']}/confirm")
    assert confirmed.status_code == 200
    return dict(confirmed.json)


def test_recording_a_shipment_invoice_or_payment_answers_the_order_with_it(world: World) -> None:
    o = _confirmed(world)
    line = o["lines"][0]["id"]
    shipped = world.desk.post(
        f"/orders/{o['id']}/shipments",
        {"date": "2026-11-24", "document_number": "WZ-1", "lines": [{"id": line, "quantity": 12}]},
    )
    assert shipped.status_code == 201
    assert shipped.json["id"] == o["id"] and shipped.json["status"] == "shipped"
    assert shipped.headers["ETag"] == f'"{shipped.json["version"]}"'
    (shipment,) = shipped.json["shipments"]
    assert shipment["document_number"] == "WZ-1"
    assert shipment["lines"] == [{"id": line, "quantity": 12}]  # a JSON number, not "12"
    assert shipped.json["lines"][0]["shipped_quantity"] == 12

    invoice = {"date": "2026-11-24", "number": "FV-1", "amount": "1.00"}
    invoiced = world.desk.post(f"/orders/{o['id']}/invoices", invoice)
    assert invoiced.status_code == 201
    assert [i["number"] for i in invoiced.json["invoices"]] == ["FV-1"]
    paid = world.desk.post(f"/orders/{o['id']}/payments", {"date": "2026-11-25", "reference": "P-1", "amount": "1.00"})
    assert paid.status_code == 201
    assert [p["reference"] for p in paid.json["payments"]] == ["P-1"]
    assert paid.json == world.desk.get(f"/orders/{o['id']}").json


def test_proposal_revisions_show_quantities_as_numbers(world: World) -> None:
    o = world.order(lines=[{"sku": "SKU-1", "quantity": 3}])
    world.buyer.post(f"/orders/{o['id']}/submit")
    line = o["lines"][0]["id"]
    r = world.desk.post(f"/orders/{o['id']}/propose", {"note": "Only 2", "lines": [{"id": line, "quantity": 2}]})
    assert r.status_code == 200, r.body
    (revision,) = r.json["revisions"]
    (proposed,) = revision["lines"]
    assert (proposed["requested_quantity"], proposed["quantity"]) == (3, 2)


@pytest.mark.parametrize("path", ["/health", "/orders"])
def test_a_method_a_path_does_not_take_is_a_405_naming_the_ones_it_does(world: World, path: str) -> None:
    r = world.admin.call("DELETE", path)
    assert r.status_code == 405
    assert r.json["error"]["code"] == "method_not_allowed"
    allowed = r.headers["Allow"]
    assert r.json["error"]["message"].startswith("This path does not accept DELETE; use ")
    assert all(m.strip() in r.json["error"]["message"] for m in allowed.split(","))
