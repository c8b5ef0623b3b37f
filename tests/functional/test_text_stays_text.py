"""Text that stays text, the input side (issue 23 point 3): every single-line field refuses line breaks,
tabs, control characters and bidi overrides or isolates with a 422 naming the field, and changes
nothing; multi-line fields (reasons, notes, messages) keep their line breaks. (The families of
test_limits_and_hostile_input.py cover names, references and addresses; these are the rest.)"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from chalice.test import Client

from app import app
from tests.conftest import aws_environment
from tests.functional.conftest import ADMIN_PASSWORD, Api, make_tenant
from tests.functional.order_world import World, build_world

PHISH = "PO-7\n\nURGENT: your approval is needed at https://evil.example/approve"
DISGUISED = "invoice\u202efdp.exe"


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    """One world for the module: each test makes its own orders and checks only what it made."""
    with aws_environment():
        anon = Api(Client(app))
        make_tenant("acme")
        yield build_world(anon.login("acme", "admin", ADMIN_PASSWORD), anon)


def _confirmed(w: World) -> str:
    o = w.order()
    for api, action in ((w.buyer, "submit"), (w.rep, "confirm")):
        r = api.post(f"/orders/{o['id']}/{action}")
        assert r.status_code == 200, r.body
    return str(o["id"])


# name: (writer, method, path for the world, body for a value, the field the 422 names)
Case = tuple[str, str, Callable[[World], str], Callable[[str], dict[str, Any]], str]
CASES: dict[str, Case] = {
    "shipment carrier": (
        "desk",
        "POST",
        lambda w: f"/orders/{_confirmed(w)}/shipments",
        lambda v: {"date": "2026-11-23", "document_number": "DN-1", "carrier": v, "lines": []},
        "carrier",
    ),
    "shipment document number": (
        "desk",
        "POST",
        lambda w: f"/orders/{_confirmed(w)}/shipments",
        lambda v: {"date": "2026-11-23", "document_number": v, "lines": []},
        "document_number",
    ),
    "tracking number": (
        "desk",
        "POST",
        lambda w: f"/orders/{_confirmed(w)}/shipments",
        lambda v: {"date": "2026-11-23", "document_number": "DN-1", "tracking_number": v, "lines": []},
        "tracking_number",
    ),
    "invoice number": (
        "admin",
        "POST",
        lambda w: f"/orders/{_confirmed(w)}/invoices",
        lambda v: {"date": "2026-11-23", "number": v, "amount": "1.00"},
        "number",
    ),
    "payment reference": (
        "admin",
        "POST",
        lambda w: f"/orders/{_confirmed(w)}/payments",
        lambda v: {"date": "2026-11-23", "reference": v, "amount": "1.00"},
        "reference",
    ),
    "supplier reference": (
        "admin",
        "PATCH",
        lambda w: f"/orders/{w.order()['id']}",
        lambda v: {"supplier_reference": v},
        "supplier_reference",
    ),
    "address label": (
        "admin",
        "PATCH",
        lambda w: f"/customers/{w.customer['id']}",
        lambda v: {"addresses": [{"kind": "delivery", "label": v, "line1": "1 Road", "city": "Lyon", "country": "FR"}]},
        "addresses[0].label",
    ),
    "api key name": ("admin", "POST", lambda w: "/api-keys", lambda v: {"name": v, "permissions": []}, "name"),
    "webhook description": (
        "admin",
        "POST",
        lambda w: "/webhook-endpoints",
        lambda v: {"url": "https://93.184.216.34/hooks", "event_types": ["*"], "description": v},
        "description",
    ),
    "webhook url": (
        "admin",
        "POST",
        lambda w: "/webhook-endpoints",
        lambda v: {"url": f"https://93.184.216.34/{v}", "event_types": ["*"]},
        "url",
    ),
    "document filename": (
        "buyer",
        "POST",
        lambda w: f"/orders/{w.order()['id']}/documents",
        lambda v: {"filename": v, "content_type": "application/pdf", "size": 10, "kind": "purchase_order"},
        "filename",
    ),
}


@pytest.mark.parametrize("value", [PHISH, DISGUISED, "tab\there", "a\u2028b", "iso\u2066late\u2069"])
@pytest.mark.parametrize("case", list(CASES))
def test_a_single_line_field_refuses_what_would_not_stay_one_line(world: World, case: str, value: str) -> None:
    writer, method, path, body, field = CASES[case]
    api = getattr(world, writer)
    target = path(world)
    before = world.admin.get(target).body if method == "PATCH" else None
    r = api.call(method, target, body(value))
    assert r.status_code == 422, (case, r.status_code, r.body[:300])
    [detail] = r.json["error"]["details"]
    assert detail["field"] == field and detail["message"].startswith(field), r.body
    if before is not None:  # nothing changed (a POST that is refused creates nothing)
        assert world.admin.get(target).body == before


def test_reasons_notes_and_messages_keep_their_line_breaks(world: World) -> None:
    notes = "Deliver to gate 4.\nRing twice.\r\n\tAsk for Anna."
    o = world.order(notes=notes)
    message = world.buyer.post(f"/orders/{o['id']}/messages", {"body": "Line one\nLine two"})
    assert message.status_code == 201 and message.json["body"] == "Line one\nLine two", message.body
    r = world.buyer.post(f"/orders/{o['id']}/cancel", {"reason": "Ordered twice.\nSee PO-7."})
    assert r.status_code == 200, r.body
    assert r.json["notes"] == notes and r.json["history"][-1]["note"] == "Ordered twice.\nSee PO-7."
