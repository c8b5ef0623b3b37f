"""Files on an order (domain.orders.Attachment) without storage: linking, arrival, the event it records."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from chalicelib.domain.attachments import MAX_ATTACHMENTS, MAX_PENDING_ATTACHMENTS
from chalicelib.domain.errors import ValidationFailedError
from chalicelib.domain.orders import Attachment, EventType, new_document
from tests.unit.test_order_domain import order


def attachment(aid: str = "f1", **kw: object) -> Attachment:
    fields: dict[str, object] = {
        "filename": "WZ-1.pdf",
        "content_type": "application/pdf",
        "size": 100,
        "kind": "delivery_note",
        "visible_to_customer": True,
        "uploaded_by": "desk",
        "uploader_kind": "staff",
        "uploaded_at": "2026-12-05T10:00:00Z",
        "expires_at": "2026-12-06T10:00:00Z",
        **kw,
    }
    return Attachment(aid, **fields)  # type: ignore[arg-type]


def test_a_link_names_a_shipment_or_invoice_of_the_order() -> None:
    o = order()
    with pytest.raises(ValidationFailedError) as caught:
        o.attach(attachment(shipment_id="nope"))
    assert caught.value.details[0]["field"] == "shipment_id"
    invoice = new_document("invoice", "desk", date=date(2026, 12, 5), number="FV-1", amount=Decimal("1"))
    o.documents.append(invoice)
    with pytest.raises(ValidationFailedError):
        o.attach(attachment(shipment_id=invoice.id))  # an invoice is not a shipment
    o.attach(attachment(invoice_id=invoice.id))
    assert [a.invoice_id for a in o.attachments] == [invoice.id]


def test_arrival_makes_it_available_once_and_records_the_event_with_the_linked_number() -> None:
    o = order()
    shipment = new_document("shipment", "desk", date=date(2026, 12, 5), number="WZ-1")
    o.documents.append(shipment)
    o.attach(attachment(shipment_id=shipment.id))
    o.events.clear()
    assert o.attachment_arrived("f1", "v1", 100, "application/pdf", "2026-12-05T10:01:00Z")
    a = o.attachments[0]
    assert (a.status, a.expires_at, a.uploaded_at, a.version_id) == ("available", None, "2026-12-05T10:01:00Z", "v1")
    [event] = o.events
    assert event.type == EventType.DOCUMENT_ADDED and event.by == "desk"
    assert event.data["linked"] == {"kind": "shipment", "id": shipment.id, "number": "WZ-1"}
    assert event.data["document"]["filename"] == "WZ-1.pdf" and "expires_at" not in event.data["document"]
    assert "version_id" not in event.data["document"]
    assert event.data["from_status"] == o.event_data(event)["status"] == o.status.value
    assert not o.attachment_arrived("f1", "v2", 100, "application/pdf", "2026-12-05T10:02:00Z")  # once
    assert len(o.events) == 1


@pytest.mark.parametrize(
    ("size", "content_type"), [(101, "application/pdf"), (100, "text/html"), (99, "application/pdf")]
)
def test_a_file_other_than_declared_does_not_arrive(size: int, content_type: str) -> None:
    o = order()
    o.attach(attachment())
    assert not o.attachment_arrived("f1", "v1", size, content_type, "2026-12-05T10:01:00Z")
    assert o.attachments[0].status == "pending"
    assert not o.attachment_arrived("unknown", "v1", 100, "application/pdf", "2026-12-05T10:01:00Z")


def test_an_order_holds_a_bounded_number_of_files() -> None:
    o = order()
    for i in range(MAX_ATTACHMENTS):
        o.attach(attachment(f"f{i}", uploaded_by=f"desk{i // MAX_PENDING_ATTACHMENTS}"))
        assert o.attachment_arrived(f"f{i}", "v1", 100, "application/pdf", "2026-12-05T10:01:00Z")
    with pytest.raises(ValidationFailedError):
        o.attach(attachment("one-more"))
    o.remove_attachment("f0")
    o.attach(attachment("one-more"))
    assert len(o.attachments) == MAX_ATTACHMENTS


def test_declared_files_that_never_arrive_count_against_their_uploader_only() -> None:
    o = order()
    for i in range(MAX_ATTACHMENTS - MAX_PENDING_ATTACHMENTS):  # 90 files arrived
        o.attach(attachment(f"f{i}", uploaded_by=f"desk{i // MAX_PENDING_ATTACHMENTS}"))
        o.attachment_arrived(f"f{i}", "v1", 100, "application/pdf", "2026-12-05T10:01:00Z")
    for i in range(MAX_PENDING_ATTACHMENTS):  # the buyer declares 10 and uploads none
        o.attach(attachment(f"b{i}", uploaded_by="buyer", uploader_kind="customer"))
    with pytest.raises(ValidationFailedError) as caught:
        o.attach(attachment("b-more", uploaded_by="buyer", uploader_kind="customer"))
    assert caught.value.details[0]["field"] == "filename"
    # The supplier still attaches up to the cap: the buyer's declarations are not in its way.
    for i in range(MAX_PENDING_ATTACHMENTS):
        o.attach(attachment(f"s{i}", uploaded_by="desk"))
        assert o.attachment_arrived(f"s{i}", "v1", 100, "application/pdf", "2026-12-05T10:01:00Z")
    # Now the order is full: no more declarations, and the buyer's late files no longer arrive.
    with pytest.raises(ValidationFailedError):
        o.attach(attachment("s-more", uploaded_by="desk"))
    assert not o.attachment_arrived("b0", "v1", 100, "application/pdf", "2026-12-05T10:01:00Z")
    assert sum(a.status == "available" for a in o.attachments) == MAX_ATTACHMENTS


@pytest.mark.parametrize(
    ("filename", "content_type", "ok"),
    [
        ("setup.exe", "application/pdf", False),
        ("invoice.pdf.exe", "application/pdf", False),
        ("scan.pdf", "image/png", False),
        ("INVOICE.PDF", "application/pdf", True),
        ("photo.jpeg", "image/jpeg", True),
        ("photo.jpg", "image/jpeg", True),
        ("order.xml", "text/xml", True),
        ("lines.csv", "text/plain", False),
    ],
)
def test_the_filename_extension_says_the_declared_type(filename: str, content_type: str, ok: bool) -> None:
    o = order()
    if ok:
        o.attach(attachment(filename=filename, content_type=content_type))
        return
    with pytest.raises(ValidationFailedError) as caught:
        o.attach(attachment(filename=filename, content_type=content_type))
    assert caught.value.details[0]["field"] == "filename"


def test_the_api_accepts_exactly_the_kinds_and_types_the_domain_names() -> None:
    from typing import get_args

    from chalicelib.api.schemas.documents import ContentType, Kind
    from chalicelib.domain.attachments import ATTACHMENT_KINDS, ATTACHMENT_TYPES

    assert get_args(ContentType) == ATTACHMENT_TYPES
    assert get_args(Kind) == ATTACHMENT_KINDS
