"""Typed events (API.md "Machine clients"): every event type the domain records, driven through the API,
reaches the feed and a subscribed webhook as a body its published model (`webhooks` and
`components.schemas` of /openapi.json) accepts."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from chalicelib.domain.order_states import EventType
from chalicelib.event_payloads import EVENTS
from tests.functional.test_event_feed import follow, settle
from tests.functional.test_order_documents import upload
from tests.functional.test_webhooks import Hooks, hooks  # noqa: F401 (the fixture)


def every_type(h: Hooks) -> None:
    """One order story per branch of the lifecycle, between them every event type."""
    w = h.world
    desk, buyer = w.desk, w.buyer

    def ok(r: Any, status: int = 200) -> dict[str, Any]:
        assert r.status_code == status, r.body
        return dict(r.json)

    o = w.order()
    oid, line = o["id"], o["lines"][0]["id"]
    ok(buyer.post(f"/orders/{oid}/submit"))
    ok(desk.post(f"/orders/{oid}/propose", {"note": "One less.", "lines": [{"id": line, "quantity": 1}]}))
    ok(buyer.post(f"/orders/{oid}/decline", {"reason": "We need both."}))
    ok(desk.post(f"/orders/{oid}/propose", {"lines": [{"id": line, "quantity": 1}]}))
    gross = ok(buyer.post(f"/orders/{oid}/accept"))["totals"]["gross"]
    shipped = ok(
        desk.post(f"/orders/{oid}/shipments", {"date": "2026-12-01", "document_number": "WZ-1", "carrier": "DHL"}), 201
    )
    ok(
        desk.post(
            f"/orders/{oid}/invoices",
            {"date": "2026-12-01", "number": "F-1", "amount": gross, "due_date": "2026-12-31"},
        ),
        201,
    )
    ok(desk.post(f"/orders/{oid}/payments", {"date": "2026-12-02", "reference": "PAY-1", "amount": gross}), 201)
    ok(buyer.post(f"/orders/{oid}/messages", {"body": "Thank you."}), 201)
    upload(w, desk, oid, kind="delivery_note", visible_to_customer=True, shipment_id=shipped["shipments"][0]["id"])

    credited = w.order()
    ok(buyer.post(f"/orders/{credited['id']}/submit"))
    ok(desk.post(f"/orders/{credited['id']}/confirm"))
    invoice = {"date": "2026-12-01", "number": "F-2", "amount": credited["totals"]["gross"]}
    ok(desk.post(f"/orders/{credited['id']}/invoices", invoice), 201)
    note = {"date": "2026-12-02", "number": "CN-1", "amount": "1.00", "reason": "A box arrived damaged."}
    ok(desk.post(f"/orders/{credited['id']}/credit-notes", note), 201)

    ok(w.admin.patch(f"/customers/{w.customer['id']}", {"credit_limit": "1.00"}))
    held = w.order()
    assert ok(buyer.post(f"/orders/{held['id']}/submit"))["credit_hold"] is True
    ok(w.rep.post(f"/orders/{held['id']}/release-credit-hold"))
    ok(w.admin.patch(f"/customers/{w.customer['id']}", {"credit_limit": None}))

    ok(w.admin.patch(f"/customers/{w.customer['id']}", {"approval_policy": "always"}))
    trimmed = w.order(lines=[{"sku": "SKU-1", "quantity": 3}])
    ok(buyer.post(f"/orders/{trimmed['id']}/submit"))
    ok(
        w.approver.post(
            f"/orders/{trimmed['id']}/approve", {"lines": [{"id": trimmed["lines"][0]["id"], "quantity": 2}]}
        )
    )
    refused = w.order()
    ok(buyer.post(f"/orders/{refused['id']}/submit"))
    ok(w.approver.post(f"/orders/{refused['id']}/reject", {"reason": "Not this month."}))
    ok(buyer.post(f"/orders/{refused['id']}/cancel", {"reason": "Ordered twice."}))


def validator(document: dict[str, Any]) -> Callable[[str, dict[str, Any]], None]:
    """Validates an event against the schema the document publishes for its type (its `webhooks` entry)."""
    registry: Registry[Any] = Registry().with_resource("urn:api", DRAFT202012.create_resource(document))

    def check(kind: str, event: dict[str, Any]) -> None:
        schema = document["webhooks"][kind]["post"]["requestBody"]["content"]["application/json"]["schema"]
        ref = schema["$ref"].replace("#/", "urn:api#/")
        jsonschema.Draft202012Validator({"$ref": ref}, registry=registry).validate(event)

    return check


def test_every_event_type_reaches_the_feed_and_the_webhooks_as_its_published_schema_says(hooks: Hooks) -> None:  # noqa: F811
    settle(0.0)
    hooks.subscribe()
    every_type(hooks)
    check = validator(hooks.world.anon.get("/openapi.json").json)

    items, _ = follow(hooks.world.desk)
    assert {e["type"] for e in items} == set(EventType)
    for event in items:
        check(event["type"], event)
        EVENTS[EventType(event["type"])].model_validate(event)

    queued = hooks.stream()
    assert set(hooks.attempt_all(queued)) == {"succeeded"}
    bodies = [json.loads(body) for _, _, body in hooks.receiver.posts]
    assert {b["type"] for b in bodies} == set(EventType)
    for body in bodies:
        check(body["type"], body)
    assert sorted(bodies, key=lambda b: b["id"]) == items  # the same Event either way
    with pytest.raises(jsonschema.ValidationError):  # the check has teeth: a field missing fails it
        check(items[0]["type"], {**items[0], "data": {k: v for k, v in items[0]["data"].items() if k != "totals"}})


def test_the_ping_is_published_too(hooks: Hooks) -> None:  # noqa: F811
    created = hooks.subscribe()
    assert hooks.world.admin.post(f"/webhook-endpoints/{created['id']}/test").status_code in (200, 202)
    hooks.attempt_all(hooks.queue.take())
    (_, _, body), *_ = hooks.receiver.posts
    validator(hooks.world.anon.get("/openapi.json").json)("ping", json.loads(body))
