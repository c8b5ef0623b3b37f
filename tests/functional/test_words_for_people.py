"""Words for people (issue 24 point 7, the API's part): messages and history name who wrote or acted, and
each refused amount says what is wrong with it."""

from __future__ import annotations

import pytest

from tests.functional.conftest import Api
from tests.functional.order_world import World


def test_messages_and_history_carry_display_names(world: World) -> None:
    order = world.order()
    oid = order["id"]
    assert world.buyer.post(f"/orders/{oid}/submit").status_code == 200
    assert world.desk.post(f"/orders/{oid}/confirm").status_code == 200
    assert world.buyer.post(f"/orders/{oid}/messages", {"body": "When will it ship?"}).status_code == 201
    assert world.desk.post(f"/orders/{oid}/messages", {"body": "Monday."}).status_code == 201

    listed = world.buyer.get(f"/orders/{oid}/messages").json["items"]
    assert sorted((m["author_name"], m["body"]) for m in listed) == [
        ("Buyer", "When will it ship?"),
        ("Desk", "Monday."),
    ]
    history = world.buyer.get(f"/orders/{oid}").json["history"]
    assert [(h["action"], h["by_name"]) for h in history] == [
        ("create", "Buyer"),
        ("submit", "Buyer"),
        ("confirm", "Desk"),
    ]


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-5.00", "base_price must not be negative."),
        ("1.999", "base_price has at most 2 decimal places; 1.999 has 3."),
        ("99999999999.00", "base_price must be at most 1000000000.00."),
        ("+5", 'base_price is written without a sign, such as "12.50".'),
        (12.5, 'base_price must be a string such as "12.50", not a JSON number (a float can lose cents).'),
        ("12,50", 'base_price must be a decimal string such as "12.50".'),
    ],
)
def test_each_refused_amount_says_what_is_wrong(admin: Api, amount: object, message: str) -> None:
    r = admin.post("/products", {"sku": "A-1", "name": "Saw", "base_price": amount, "tax_rate": "0.20"})
    assert r.status_code == 422, r.body
    assert r.json["error"]["details"] == [{"field": "base_price", "message": message}]
    assert admin.get("/products?sku=A-1").json["items"] == []
