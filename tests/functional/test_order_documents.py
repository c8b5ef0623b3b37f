"""Order documents (API.md "Order documents") through the real app on moto S3: the presigned POST accepts
exactly the declared file (moto enforces no POST policy: tests/conftest.py puts S3's check in front of it,
devstack/s3_post_policy.py), the S3 event makes a document available, downloads are presigned GETs
that answer the original filename as an attachment, and every caller sees exactly their documents."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
import requests

from chalicelib.config import get_settings
from chalicelib.domain.attachments import MAX_ATTACHMENT_SIZE as MAX_SIZE
from chalicelib.domain.clock import iso, utcnow
from chalicelib.storage import keys
from chalicelib.storage.items import OrderEventItem, OrderFileItem
from tests.functional.conftest import ADMIN_PASSWORD, USER_PASSWORD, Api, create_customer, create_user, make_tenant
from tests.functional.order_world import World

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"  # every byte value, so nothing is re-encoded


def declare(api: Api, order_id: str, content: bytes = PDF, headers: dict[str, str] | None = None, **body: Any) -> Any:
    data = {"filename": "PO-77.pdf", "content_type": "application/pdf", "size": len(content), "kind": "purchase_order"}
    return api.post(f"/orders/{order_id}/documents", {**data, **body}, headers=headers)


def post_file(upload: dict[str, Any], content: bytes, content_type: str | None = None) -> requests.Response:
    fields = dict(upload["fields"])
    if content_type is not None:
        fields["Content-Type"] = content_type
    ct = fields["Content-Type"]
    return requests.post(upload["url"], data=fields, files={"file": ("upload", content, ct)}, timeout=10)


def arrived(world: World, key: str) -> None:
    """What S3 does after a successful upload: invoke the handler with an ObjectCreated event."""
    client = world.admin.client
    event = client.events.generate_s3_event(bucket=get_settings().documents_bucket, key=key)
    client.lambda_.invoke("on_document_uploaded", event)


def upload(world: World, api: Api, order_id: str, content: bytes = PDF, **body: Any) -> dict[str, Any]:
    r = declare(api, order_id, content, **body)
    assert r.status_code == 201, r.body
    sent = post_file(r.json["upload"], content)
    assert sent.status_code == 204, sent.text
    arrived(world, r.json["upload"]["fields"]["key"])
    return dict(r.json["document"])


def s3_keys() -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=get_settings().documents_bucket)
    return [o["Key"] for o in listed.get("Contents", [])]


def submitted(world: World) -> str:
    o = world.order()
    assert world.buyer.post(f"/orders/{o['id']}/submit").status_code == 200
    return str(o["id"])


def test_a_buyer_uploads_a_purchase_order_and_the_supplier_downloads_it_byte_for_byte(world: World) -> None:
    oid = world.order()["id"]
    r = declare(world.buyer, oid, filename='Bestellung Nr. 7 \u2013 "Lyon".pdf', visible_to_customer=False)
    assert r.status_code == 201, r.body
    doc, up = r.json["document"], r.json["upload"]
    assert doc["status"] == "pending" and doc["size"] == len(PDF) and doc["kind"] == "purchase_order"
    assert doc["visible_to_customer"] is True  # a buyer's own file is always visible to their side
    assert doc["uploaded_by"] == world.ids["buyer"]
    # The server chose the key: tenant and order in it, never the client's filename.
    assert up["fields"]["key"] == f"t/acme/orders/{oid}/{doc['id']}"
    assert up["fields"]["Content-Type"] == "application/pdf"
    assert up["expires_at"] > iso(utcnow())
    # Nothing to download before the file is there.
    pending = world.desk.get(f"/orders/{oid}/documents/{doc['id']}/download")
    assert pending.status_code == 409 and pending.json["error"]["code"] == "conflict"

    assert post_file(up, PDF).status_code == 204
    arrived(world, up["fields"]["key"])
    listed = world.desk.get(f"/orders/{oid}/documents").json["items"]
    assert [(d["id"], d["status"]) for d in listed] == [(doc["id"], "available")]

    link = world.desk.get(f"/orders/{oid}/documents/{doc['id']}/download")
    assert link.status_code == 302, link.body
    assert link.headers["Cache-Control"] == "no-store"
    location = link.headers["Location"]
    query = parse_qs(urlparse(location).query)
    assert query["X-Amz-Expires"] == ["300"]  # valid 5 minutes
    got = requests.get(location, timeout=10)
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["Content-Type"] == "application/pdf"
    disposition = got.headers["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert "filename*=UTF-8''Bestellung%20Nr.%207%20%E2%80%93%20%22Lyon%22.pdf" in disposition
    assert 'filename="Bestellung Nr. 7 _ _Lyon_.pdf"' in disposition  # ASCII fallback: no quote breaks out

    # The arrival is the event the feed and webhooks carry, with the uploader as actor.
    events = list(OrderEventItem.query(keys.order_events_pk("acme")))
    added = [e for e in events if e.event_type == "order.document_added"]
    assert len(added) == 1 and added[0].order_id == oid
    assert added[0].actor == {"id": world.ids["buyer"], "kind": "customer"}
    assert added[0].data["document"]["filename"] == 'Bestellung Nr. 7 \u2013 "Lyon".pdf'
    # S3 delivers events at least once: a second delivery records nothing more.
    arrived(world, up["fields"]["key"])
    events = list(OrderEventItem.query(keys.order_events_pk("acme")))
    assert len([e for e in events if e.event_type == "order.document_added"]) == 1


def test_the_presigned_post_takes_the_declared_file_only(world: World) -> None:
    oid = world.order()["id"]
    r = declare(world.buyer, oid)
    up = r.json["upload"]
    too_big = post_file(up, PDF + b"x")
    assert too_big.status_code == 400 and "EntityTooLarge" in too_big.text
    too_small = post_file(up, PDF[:-1])
    assert too_small.status_code == 400 and "EntityTooSmall" in too_small.text
    other_type = post_file(up, PDF, content_type="text/html")
    assert other_type.status_code == 403 and "Content-Type" in other_type.text
    moved = dict(up, fields={**up["fields"], "key": f"t/acme/orders/{oid}/elsewhere"})
    assert post_file(moved, PDF).status_code == 403  # the key is the server's choice
    assert s3_keys() == []  # nothing refused was stored
    assert post_file(up, PDF).status_code == 204
    assert s3_keys() == [up["fields"]["key"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"size": MAX_SIZE + 1}, "size"),
        ({"size": 0}, "size"),
        ({"size": "12"}, "size"),
        ({"content_type": "application/zip"}, "content_type"),
        ({"content_type": "text/html"}, "content_type"),
        ({"kind": "contract"}, "kind"),
        ({"filename": ""}, "filename"),
        ({"filename": "a\nb.pdf"}, "filename"),
        ({"filename": "invoice\u202efdp.exe"}, "filename"),  # shown as "invoiceexe.pdf"
        ({"filename": "setup.exe"}, "filename"),  # declared as application/pdf
        ({"filename": "PO-77.pdf", "content_type": "image/png"}, "filename"),
        ({"filename": "PO\u2067-77\u2069.pdf"}, "filename"),
        ({"filename": "PO-77.pdf\u2028"}, "filename"),
        ({"filename": "x" * 256}, "filename"),
    ],
)
def test_a_declaration_outside_the_contract_is_a_422_naming_the_field(world: World, body: Any, field: str) -> None:
    oid = world.order()["id"]
    r = declare(world.buyer, oid, **body)
    assert r.status_code == 422, r.body
    assert [d["field"] for d in r.json["error"]["details"]] == [field]
    assert world.buyer.get(f"/orders/{oid}/documents").json["items"] == []


def _versions(key: str) -> list[str]:
    listed = boto3.client("s3").list_object_versions(Bucket=get_settings().documents_bucket, Prefix=key)
    return [v["VersionId"] for v in listed.get("Versions", [])]


def _downloaded(world: World, oid: str, document_id: str) -> bytes:
    link = world.desk.get(f"/orders/{oid}/documents/{document_id}/download")
    assert link.status_code == 302, link.body
    got = requests.get(link.headers["Location"], timeout=10)
    assert got.status_code == 200
    return got.content


FORGED = PDF[:9] + b"replaced after arrival".ljust(len(PDF) - 9, b"!")  # the same size and type


def test_a_second_upload_through_the_same_form_is_never_served(world: World) -> None:
    oid = world.order()["id"]
    r = declare(world.buyer, oid)
    doc, up = r.json["document"], r.json["upload"]
    assert post_file(up, PDF).status_code == 204
    arrived(world, up["fields"]["key"])
    # The form still works for its 15 minutes, and S3 takes the bytes; the document keeps the first ones.
    assert post_file(up, FORGED).status_code == 204
    arrived(world, up["fields"]["key"])
    assert _downloaded(world, oid, doc["id"]) == PDF
    assert len(_versions(up["fields"]["key"])) == 1  # the later upload is deleted, not kept
    events = list(OrderEventItem.query(keys.order_events_pk("acme")))
    assert len([e for e in events if e.event_type == "order.document_added" and e.order_id == oid]) == 1


def test_of_two_uploads_before_the_first_event_the_first_is_the_documents(world: World) -> None:
    oid = world.order()["id"]
    r = declare(world.buyer, oid)
    doc, up = r.json["document"], r.json["upload"]
    assert post_file(up, PDF).status_code == 204
    assert post_file(up, FORGED).status_code == 204
    arrived(world, up["fields"]["key"])  # S3's events, in whichever order: both name the key
    arrived(world, up["fields"]["key"])
    assert _downloaded(world, oid, doc["id"]) == PDF
    assert len(_versions(up["fields"]["key"])) == 1


def test_declared_files_that_never_arrive_count_against_their_uploader_not_the_order(world: World) -> None:
    from chalicelib.domain.attachments import MAX_PENDING_ATTACHMENTS

    oid = world.order()["id"]
    forms = [declare(world.buyer, oid) for _ in range(MAX_PENDING_ATTACHMENTS)]
    assert [f.status_code for f in forms] == [201] * MAX_PENDING_ATTACHMENTS
    more = declare(world.buyer, oid)
    assert more.status_code == 422 and more.json["error"]["details"][0]["field"] == "filename", more.body
    # The supplier's attachments are not in the buyer's way.
    staff = upload(world, world.admin, oid, kind="delivery_note")
    listed = world.admin.get(f"/orders/{oid}/documents").json["items"]
    assert [d["status"] for d in listed if d["id"] == staff["id"]] == ["available"]
    # Once one of the buyer's files arrives, the buyer may declare one more.
    up = forms[0].json["upload"]
    assert post_file(up, PDF).status_code == 204
    arrived(world, up["fields"]["key"])
    assert declare(world.buyer, oid).status_code == 201


def test_twenty_megabytes_is_accepted(world: World) -> None:
    r = declare(world.buyer, world.order()["id"], size=MAX_SIZE)
    assert r.status_code == 201
    policy = r.json["upload"]["fields"]["policy"]
    import base64
    import json

    conditions = json.loads(base64.b64decode(policy))["conditions"]
    assert ["content-length-range", MAX_SIZE, MAX_SIZE] in conditions


def test_staff_link_delivery_notes_and_invoices_and_decide_what_the_customer_sees(world: World) -> None:
    oid = submitted(world)
    world.desk.post(f"/orders/{oid}/confirm")
    shipped = world.desk.post(f"/orders/{oid}/shipments", {"date": "2026-11-24", "document_number": "WZ-1"}).json
    shipment_id = shipped["shipments"][0]["id"]
    note = upload(world, world.desk, oid, kind="delivery_note", visible_to_customer=True, shipment_id=shipment_id)
    listed = {d["id"]: d for d in world.desk.get(f"/orders/{oid}/documents").json["items"]}
    assert listed[note["id"]]["shipment_id"] == shipment_id and listed[note["id"]]["status"] == "available"
    internal = upload(world, world.desk, oid, kind="other", filename="margin.csv", content_type="text/csv")
    assert internal["visible_to_customer"] is False
    own = upload(world, world.buyer, oid)

    staff_sees = {d["id"] for d in world.desk.get(f"/orders/{oid}/documents").json["items"]}
    assert staff_sees == {note["id"], internal["id"], own["id"]}
    for customer_user in (world.buyer, world.approver):
        sees = {d["id"] for d in customer_user.get(f"/orders/{oid}/documents").json["items"]}
        assert sees == {note["id"], own["id"]}
        hidden = customer_user.get(f"/orders/{oid}/documents/{internal['id']}/download")
        assert hidden.status_code == 404
    assert world.buyer.get(f"/orders/{oid}/documents/{note['id']}/download").status_code == 302
    assert world.buyer.delete(f"/orders/{oid}/documents/{internal['id']}").status_code == 404

    # Linking: a shipment or invoice of this order, and only by the supplier.
    r = declare(world.desk, oid, kind="invoice", invoice_id="NOPE")
    assert r.status_code == 422 and r.json["error"]["details"][0]["field"] == "invoice_id"
    r = declare(world.desk, oid, shipment_id=shipment_id, invoice_id=shipment_id)
    assert r.status_code == 422
    r = declare(world.buyer, oid, shipment_id=shipment_id)
    assert r.status_code == 403


def test_who_may_attach(world: World) -> None:
    draft = world.order()["id"]
    sent = submitted(world)
    # The approver sees the buyer's orders (orders.view_org) but neither edits nor submitted them.
    assert declare(world.approver, draft).status_code == 403
    assert declare(world.approver, sent).status_code == 403
    assert declare(world.buyer, sent).status_code == 201  # they submitted it
    assert declare(world.rep, sent).status_code == 201  # staff with orders.review on an order they see
    world.desk.post(f"/orders/{sent}/cancel", {"reason": "no longer needed"})
    assert declare(world.buyer, sent).status_code == 201  # what they submitted stays theirs to document


def test_a_document_of_another_customer_or_tenant_is_a_404(world: World) -> None:
    oid = world.order()["id"]
    doc = upload(world, world.buyer, oid)
    other_customer = create_customer(world.admin, "C-200")
    create_user(world.admin, "stranger", ["customer-admins"], customer_ids=[other_customer["id"]])
    stranger = world.anon.login("acme", "stranger", USER_PASSWORD, "C-200")
    make_tenant("globex")
    other_tenant = world.anon.login("globex", "admin", ADMIN_PASSWORD)
    for outsider in (stranger, other_tenant):
        assert outsider.get(f"/orders/{oid}/documents").status_code == 404
        assert outsider.get(f"/orders/{oid}/documents/{doc['id']}/download").status_code == 404
        assert outsider.delete(f"/orders/{oid}/documents/{doc['id']}").status_code == 404
        assert declare(outsider, oid).status_code == 404
    assert world.buyer.get(f"/orders/{oid}/documents/NOPE/download").status_code == 404
    assert [d["id"] for d in world.buyer.get(f"/orders/{oid}/documents").json["items"]] == [doc["id"]]


def test_an_object_under_another_key_makes_nothing_available(world: World) -> None:
    """An object no document declares (or another tenant's key pointing at this order) is deleted."""
    oid = world.order()["id"]
    doc = declare(world.buyer, oid).json["document"]
    s3 = boto3.client("s3")
    bucket = get_settings().documents_bucket
    forged = f"t/globex/orders/{oid}/{doc['id']}"
    s3.put_object(Bucket=bucket, Key=forged, Body=PDF, ContentType="application/pdf")
    arrived(world, forged)
    assert forged not in s3_keys()
    assert world.buyer.get(f"/orders/{oid}/documents").json["items"][0]["status"] == "pending"


def test_a_file_other_than_declared_is_refused_by_the_handler_too(world: World) -> None:
    """Behind the policy, the handler checks what arrived against the declaration (a PUT by someone
    with write access to the bucket is not bound by the POST policy)."""
    oid = world.order()["id"]
    r = declare(world.buyer, oid)
    key = r.json["upload"]["fields"]["key"]
    boto3.client("s3").put_object(Bucket=get_settings().documents_bucket, Key=key, Body=PDF + b"!")
    arrived(world, key)
    assert key not in s3_keys()
    assert world.buyer.get(f"/orders/{oid}/documents").json["items"][0]["status"] == "pending"


def test_an_abandoned_upload_expires(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    oid = world.order()["id"]
    r = declare(world.buyer, oid)
    doc, key = r.json["document"], r.json["upload"]["fields"]["key"]
    item = OrderFileItem.get(keys.order_pk("acme", oid), keys.order_file(doc["id"]))
    assert item.expires_at is not None  # DynamoDB's TTL deletes it
    hours = (item.expires_at - utcnow()).total_seconds() / 3600
    assert 23.9 < hours <= 24
    # A day later (DynamoDB deletes within a day or two of the TTL; the order ignores it at once).
    later = iso(utcnow() + timedelta(hours=24, seconds=1))
    monkeypatch.setattr("chalicelib.storage.order_codec.now_iso", lambda: later)
    assert world.buyer.get(f"/orders/{oid}/documents").json["items"] == []
    assert world.buyer.get(f"/orders/{oid}/documents/{doc['id']}/download").status_code == 404
    # A file that turns up after all is not kept.
    bucket = get_settings().documents_bucket
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=PDF, ContentType="application/pdf")
    arrived(world, key)
    assert s3_keys() == []


def test_an_available_document_keeps_no_expiry(world: World) -> None:
    oid = world.order()["id"]
    doc = upload(world, world.buyer, oid)
    item = OrderFileItem.get(keys.order_pk("acme", oid), keys.order_file(doc["id"]))
    assert item.expires_at is None


def test_the_uploader_or_a_reviewer_deletes_a_document(world: World) -> None:
    oid = submitted(world)
    mine = upload(world, world.buyer, oid)
    staffs = upload(world, world.desk, oid, visible_to_customer=True, kind="other")
    assert world.approver.delete(f"/orders/{oid}/documents/{mine['id']}").status_code == 403
    assert world.buyer.delete(f"/orders/{oid}/documents/{staffs['id']}").status_code == 403
    assert world.buyer.delete(f"/orders/{oid}/documents/{mine['id']}").status_code == 204
    assert world.rep.delete(f"/orders/{oid}/documents/{staffs['id']}").status_code == 204  # orders.review
    assert world.desk.get(f"/orders/{oid}/documents").json["items"] == []
    assert s3_keys() == []
    assert world.buyer.delete(f"/orders/{oid}/documents/{mine['id']}").status_code == 404


def test_an_idempotency_key_declares_one_document_and_replays_its_answer(world: World) -> None:
    oid = world.order()["id"]
    key = {"Idempotency-Key": "declare-po-1"}
    first = declare(world.buyer, oid, headers=key)
    again = declare(world.buyer, oid, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert len(world.buyer.get(f"/orders/{oid}/documents").json["items"]) == 1
    other = declare(world.buyer, oid, headers=key, filename="other.pdf")
    assert other.status_code == 409 and other.json["error"]["code"] == "idempotency_key_reused"
