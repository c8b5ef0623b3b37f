"""The payload of every order event (API.md "Machine clients"): one pydantic model per event type.

The contract of the event feed and of webhook bodies. `storage/orders.py` validates each event against
its model when it writes it (the domain stays free of pydantic), and `api/openapi.py` publishes every
model in `components.schemas` and in the document's `webhooks` section, each with an example.

Adding an event type is one `...Data` model (the action's details beside the order's state) and one
line in `DATA`; `tests/unit/test_event_payloads.py` fails for a domain `EventType` without one.
Amounts are decimal strings, as everywhere in the API.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Union, cast

from pydantic import BaseModel, ConfigDict, Field, create_model

from chalicelib.domain.order_states import EventType, OrderStatus

# As Python writes a Decimal: a quantity read as "1e1" (a CSV cell) is written "1E+1", so the exponent
# form is allowed rather than refused at the write.
DecimalString = Annotated[str, Field(pattern=r"^-?[0-9]+(\.[0-9]+)?(E[+-][0-9]+)?$", examples=["12.50"])]


# Named enums, not inline literals: one type each in a generated client, not one per event type.
class InvoiceStatus(StrEnum):
    NOT_INVOICED = "not_invoiced"
    PARTIALLY_INVOICED = "partially_invoiced"
    INVOICED = "invoiced"


class PaymentStatus(StrEnum):
    UNPAID = "unpaid"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"


_TOTALS = {"net": "100.00", "tax": "20.00", "gross": "120.00"}


class _Strict(BaseModel):
    # A field the domain records but no model names fails the write in every test that records it, so
    # the published schema cannot fall behind what is sent. defer_build: api/schemas/common.py says why.
    model_config = ConfigDict(extra="forbid", defer_build=True)


class Totals(_Strict):
    net: DecimalString
    tax: DecimalString
    gross: DecimalString


def _examples(schema: dict[str, Any], cls: type[Any]) -> None:
    schema["examples"] = [cls.example()]


class EventData(_Strict):
    """The order as the event left it: what every event's `data` holds."""

    model_config = ConfigDict(json_schema_extra=_examples)

    # The action's details of each type's example (the order's state is the same in all of them).
    example_details: ClassVar[dict[str, Any]] = {}
    example_status: ClassVar[str] = "submitted"

    status: OrderStatus
    from_status: OrderStatus | None = Field(description="The status the action that recorded the event started from")
    invoice_status: InvoiceStatus
    payment_status: PaymentStatus
    totals: Totals
    version: int = Field(description="The order's version this event's write made")

    @classmethod
    def example(cls) -> dict[str, Any]:
        return {
            "status": cls.example_status,
            "from_status": "draft",
            "invoice_status": "not_invoiced",
            "payment_status": "unpaid",
            "totals": _TOTALS,
            "version": 3,
            **cls.example_details,
        }


class EventLine(_Strict):
    sku: str
    name: str
    quantity: DecimalString
    unit_price: DecimalString
    net: DecimalString


class ApprovalReason(_Strict):
    code: Literal["policy", "over_limit", "over_budget"]
    limit: DecimalString | None = Field(None, description="over_limit: the submitter's approval limit")
    budget: DecimalString | None = Field(None, description="over_budget: the month's budget")
    spent: DecimalString | None = Field(None, description="over_budget: spent this month before this order")
    remaining: DecimalString | None = Field(None, description="over_budget: what remained of it")


class Trim(_Strict):
    """A line the approver lowered (`to`) or removed."""

    model_config = ConfigDict(populate_by_name=True)

    sku: str
    name: str
    from_: DecimalString = Field(alias="from", description="The quantity before")
    to: DecimalString | None = None
    removed: bool | None = None


class ShippedLine(_Strict):
    id: str
    quantity: DecimalString


class ParcelLine(_Strict):
    """A line's quantity in a shipment, by the names people know it by."""

    id: str
    sku: str
    name: str
    quantity: DecimalString


class RecordedDocument(_Strict):
    """A shipment, invoice, credit note or payment as recorded."""

    id: str
    kind: Literal["shipment", "invoice", "credit_note", "payment"]
    date: str = Field(description="YYYY-MM-DD")
    number: str = Field(description="The document number, invoice number or payment reference")
    amount: DecimalString | None
    due_date: str | None
    carrier: str | None
    tracking_number: str | None
    lines: list[ShippedLine]
    reason: str | None = Field(None, description="A credit note's reason")
    recorded_by: str
    recorded_at: str


class Message(_Strict):
    id: str
    body: str


class AddedFile(_Strict):
    id: str
    filename: str
    content_type: str
    size: int
    kind: Literal["purchase_order", "delivery_note", "invoice", "other"]
    visible_to_customer: bool
    uploaded_by: str
    uploader_kind: Literal["staff", "customer"]
    uploaded_at: str
    status: Literal["pending", "available"]
    shipment_id: str | None
    invoice_id: str | None


class LinkedDocument(_Strict):
    kind: Literal["shipment", "invoice", "credit_note", "payment"]
    id: str
    number: str


# --- one model per type -----------------------------------------------------------------------------
_LINE = {"sku": "A-100", "name": "Copy paper A4", "quantity": "10", "unit_price": "10.00", "net": "100.00"}
_SHIPMENT = {
    "id": "01JF0SHIP00000000000000000",
    "kind": "shipment",
    "date": "2026-12-07",
    "number": "DN-1001",
    "amount": None,
    "due_date": None,
    "carrier": "DHL",
    "tracking_number": "JD0146000012345",
    "lines": [{"id": "01JF0LINE00000000000000000", "quantity": "10"}],
    "reason": None,
    "recorded_by": "01JF0USER00000000000000000",
    "recorded_at": "2026-12-07T10:00:00Z",
}


def _document(kind: str, number: str, amount: str | None, due_date: str | None) -> dict[str, Any]:
    return {**_SHIPMENT, "kind": kind, "number": number, "amount": amount, "due_date": due_date, "carrier": None,
            "tracking_number": None, "lines": []}  # fmt: skip


class OrderCreatedData(EventData):
    example_status = "draft"


class OrderSubmittedData(EventData):
    pass


class OrderApprovalRequestedData(EventData):
    example_status = "pending_approval"
    example_details = {"reasons": [{"code": "over_limit", "limit": "50.00"}], "lines": [_LINE], "line_count": 1}

    reasons: list[ApprovalReason]
    lines: list[EventLine] = Field(description="The first 25 lines")
    line_count: int


class OrderApprovedData(EventData):
    example_details = {"trimmed": [{"sku": "A-100", "name": "Copy paper A4", "from": "12", "to": "10"}]}

    trimmed: list[Trim] | None = Field(None, description="What the approver changed (absent: nothing)")


class OrderRejectedData(EventData):
    example_status = "draft"
    example_details = {"reason": "Over this quarter's budget."}

    reason: str


class OrderConfirmedData(EventData):
    example_status = "confirmed"


class OrderProposalSentData(EventData):
    example_status = "awaiting_customer"
    example_details = {"note": "Two boxes are back-ordered.", "proposed_totals": _TOTALS}

    note: str | None = None
    proposed_totals: Totals = Field(description="The totals if the proposal is accepted")
    acceptance_reasons: list[ApprovalReason] = Field(
        default_factory=list,
        description=(
            "Why only an approver may accept it (absent: its buyers may); the approvers get Accept/Decline links"
        ),
    )


class OrderProposalAcceptedData(EventData):
    example_status = "confirmed"


class OrderProposalDeclinedData(EventData):
    example_details = {"reason": "We need the full quantity."}

    reason: str


class OrderCancelledData(EventData):
    example_status = "cancelled"
    example_details = {"reason": "Ordered twice."}

    reason: str


class OrderShipmentRecordedData(EventData):
    example_status = "partially_shipped"
    example_details = {
        "document": _SHIPMENT,
        "parcel": [{"id": "01JF0LINE00000000000000000", "sku": "A-100", "name": "Copy paper A4", "quantity": "10"}],
        "remaining": [{"id": "01JF0LINE00000000000000001", "sku": "B-200", "name": "Toner", "quantity": "2"}],
    }

    document: RecordedDocument
    parcel: list[ParcelLine] = Field(description="What this shipment carries")
    remaining: list[ParcelLine] = Field(description="What is still to ship")


class OrderInvoiceRecordedData(EventData):
    example_status = "shipped"
    example_details = {"document": _document("invoice", "INV-1001", "120.00", "2027-01-06")}

    document: RecordedDocument


class OrderPaymentRecordedData(EventData):
    example_status = "completed"
    example_details = {"document": _document("payment", "PAY-1001", "120.00", None)}

    document: RecordedDocument


class OrderCreditNoteRecordedData(EventData):
    example_status = "shipped"
    example_details = {
        "document": {**_document("credit_note", "CN-1001", "12.00", None), "reason": "One box arrived damaged."},
        "reason": "One box arrived damaged.",
    }

    document: RecordedDocument
    reason: str


class OrderCreditHoldPlacedData(EventData):
    example_details = {"credit_limit": "10000.00", "outstanding": "9950.00"}

    credit_limit: DecimalString = Field(description="The customer's credit limit")
    outstanding: DecimalString = Field(description="What the customer owed before this order")


class OrderCreditHoldReleasedData(EventData):
    example_details = {"note": "Paid in full."}

    note: str | None = Field(None, description="Absent when staff released it without a note")


class OrderCompletedData(EventData):
    example_status = "completed"


class OrderMessagePostedData(EventData):
    example_details = {"message": {"id": "01JF0MSG000000000000000000", "body": "Can you deliver on Monday?"}}

    message: Message


class OrderDocumentAddedData(EventData):
    example_details = {
        "document": {
            "id": "01JF0FILE00000000000000000",
            "filename": "delivery-note.pdf",
            "content_type": "application/pdf",
            "size": 48213,
            "kind": "delivery_note",
            "visible_to_customer": True,
            "uploaded_by": "01JF0USER00000000000000000",
            "uploader_kind": "staff",
            "uploaded_at": "2026-12-07T10:05:00Z",
            "status": "available",
            "shipment_id": "01JF0SHIP00000000000000000",
            "invoice_id": None,
        },
        "linked": {"kind": "shipment", "id": "01JF0SHIP00000000000000000", "number": "DN-1001"},
    }

    document: AddedFile
    linked: LinkedDocument | None = Field(None, description="The shipment or invoice it belongs to")


DATA: dict[EventType, type[EventData]] = {
    EventType.CREATED: OrderCreatedData,
    EventType.SUBMITTED: OrderSubmittedData,
    EventType.APPROVAL_REQUESTED: OrderApprovalRequestedData,
    EventType.APPROVED: OrderApprovedData,
    EventType.REJECTED: OrderRejectedData,
    EventType.CONFIRMED: OrderConfirmedData,
    EventType.PROPOSAL_SENT: OrderProposalSentData,
    EventType.PROPOSAL_ACCEPTED: OrderProposalAcceptedData,
    EventType.PROPOSAL_DECLINED: OrderProposalDeclinedData,
    EventType.CANCELLED: OrderCancelledData,
    EventType.SHIPMENT_RECORDED: OrderShipmentRecordedData,
    EventType.INVOICE_RECORDED: OrderInvoiceRecordedData,
    EventType.PAYMENT_RECORDED: OrderPaymentRecordedData,
    EventType.CREDIT_NOTE_RECORDED: OrderCreditNoteRecordedData,
    EventType.CREDIT_HOLD_PLACED: OrderCreditHoldPlacedData,
    EventType.CREDIT_HOLD_RELEASED: OrderCreditHoldReleasedData,
    EventType.COMPLETED: OrderCompletedData,
    EventType.MESSAGE_POSTED: OrderMessagePostedData,
    EventType.DOCUMENT_ADDED: OrderDocumentAddedData,
}


# --- the envelope -----------------------------------------------------------------------------------
class Actor(_Strict):
    id: str
    kind: Literal["staff", "customer", "system"]


class EventEnvelope(_Strict):
    """What the feed lists and a webhook POSTs; each type's model below narrows `type` and `data`."""

    model_config = ConfigDict(json_schema_extra=_examples)

    id: str = Field(description="The event's id: time-ordered, and the webhook-id header of its deliveries")
    occurred_at: str
    order_id: str
    order_number: str
    customer_id: str
    actor: Actor

    @classmethod
    def example(cls) -> dict[str, Any]:
        data: type[EventData] = cls.model_fields["data"].annotation  # type: ignore[assignment]
        return {
            "id": "01JF0EVT000000000000000000",
            "type": cls.model_fields["type"].annotation.__args__[0],  # type: ignore[union-attr]
            "occurred_at": "2026-12-07T10:00:00Z",
            "order_id": "01JF0ORD000000000000000000",
            "order_number": "PO-10042",
            "customer_id": "01JF0CUST00000000000000000",
            "actor": {"id": "01JF0USER00000000000000000", "kind": "customer"},
            "data": data.example(),
        }


def _envelope(event_type: EventType, data: type[EventData]) -> type[EventEnvelope]:
    return create_model(
        data.__name__.removesuffix("Data") + "Event",
        __base__=EventEnvelope,
        __doc__=f"The `{event_type.value}` event.",
        type=(cast(Any, Literal[event_type.value]), ...),  # a literal made at run time
        data=(data, ...),
    )


EVENTS: dict[EventType, type[EventEnvelope]] = {t: _envelope(t, d) for t, d in DATA.items()}

if TYPE_CHECKING:
    AnyEvent = EventEnvelope
else:  # one of the types above, told apart by `type` (a oneOf with a discriminator in the document)
    AnyEvent = Annotated[Union[tuple(EVENTS.values())], Field(discriminator="type")]  # noqa: UP007


class PingEvent(_Strict):
    """`POST /webhook-endpoints/{id}/test` sends it: check the signature, answer 2xx."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"id": "01JF0EVT000000000000000000", "type": "ping", "occurred_at": "2026-12-07T10:00:00Z", "data": {}}
            ]
        },
    )

    id: str
    type: Literal["ping"]
    occurred_at: str
    data: dict[str, Any]


def check(event_type: str, data: dict[str, Any]) -> None:
    """Validate an event's `data` against its type's model (a ValidationError is our bug: a 500)."""
    model = DATA.get(EventType(event_type))
    if model is not None:  # a type without a model fails tests/unit/test_event_payloads.py instead
        model.model_validate(data)
