"""Request and response bodies of orders (API.md "Orders")."""

from datetime import date as Date
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)

from chalicelib.api.schemas.common import (
    Code,
    Day,
    Id,
    Line,
    Money,
    PositiveMoney,
    RequestModel,
    ResponseModel,
    ShortText,
    StrictFlag,
    Text,
)
from chalicelib.domain.money import MAX_QUANTITY


def _quantity(value: Decimal) -> Decimal:
    if not value.is_finite() or value <= 0 or value > MAX_QUANTITY:
        raise ValueError("must be above 0 and at most 1000000")
    if value.as_tuple().exponent < -3:  # type: ignore[operator]
        raise ValueError("has at most 3 decimals")
    return value


def _json_number(value: Any) -> Any:
    # A JSON number only: not "12" (a string) nor true (which Python counts as the integer 1).
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError("must be a JSON number")
    return value


# Quantities are JSON numbers (API.md); in Python they are Decimals, never floats.
Quantity = Annotated[
    Decimal,
    BeforeValidator(_json_number),
    Field(allow_inf_nan=False),
    AfterValidator(_quantity),
    PlainSerializer(lambda d: float(d) if d != d.to_integral_value() else int(d), return_type=float, when_used="json"),
    WithJsonSchema({"type": "number", "exclusiveMinimum": 0, "maximum": int(MAX_QUANTITY)}),
]
QuantityOut = Annotated[
    Decimal,
    PlainSerializer(lambda d: float(d) if d != d.to_integral_value() else int(d), return_type=float, when_used="json"),
]
Reason = Annotated[Text, Field(min_length=1, max_length=2000)]  # reasons, notes, messages: multi-line text
DocumentRef = Annotated[Line, Field(min_length=1, max_length=100)]
Ref = Annotated[Line, Field(min_length=1, max_length=64)]
LongText = Annotated[Text, Field(max_length=2000)]


class ProductRefIn(RequestModel):
    product_id: Ref | None = None
    sku: Ref | None = None
    barcode: Ref | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        named = [n for n in ("product_id", "sku", "barcode") if getattr(self, n)]
        if len(named) != 1:
            raise ValueError("name the product with exactly one of product_id, sku or barcode")
        return self


class LineIn(ProductRefIn):
    quantity: Quantity
    requested_delivery_date: Day | None = None


class OrderHeaderIn(RequestModel):
    """The header a draft is created with and a PATCH changes."""

    site_id: Id | None = None
    customer_reference: ShortText | None = None
    requested_delivery_date: Day | None = None
    delivery_address_id: Id | None = None
    delivery_method: Code | None = None
    billing_address_id: Id | None = None
    payment_method: Code | None = None
    notes: LongText | None = None


class OrderCreate(OrderHeaderIn):
    customer_id: Id | None = None
    lines: Annotated[list[LineIn], Field(max_length=1000)] = []


SupplierReference = Annotated[Line, Field(min_length=1, max_length=100)]


class OrderPatch(OrderHeaderIn):
    # The supplier's (ERP's) number: staff with orders.review, in any status; null clears it.
    supplier_reference: SupplierReference | None = None


class LineAdd(LineIn):
    pass


class LinePatch(RequestModel):
    quantity: Quantity | None = None
    requested_delivery_date: Day | None = None


class ApproveLine(RequestModel):
    id: Id
    quantity: Quantity | None = None
    remove: StrictFlag = False


# A delegate deciding for the approver they stand in for (API.md "Approval reminders, escalation and
# delegation"): the route's pipeline reads it before the body (api/http.py `endpoint(on_behalf=...)`).
OnBehalfOf = Annotated[
    Id | None,
    Field(
        description="A delegate deciding on an approver's behalf: the approver's user id. Only while the "
        "approver's delegation names the caller (`/me/delegation`); 403 otherwise."
    ),
]


class ApproveRequest(RequestModel):
    lines: Annotated[list[ApproveLine], Field(max_length=1000)] = []
    on_behalf_of: OnBehalfOf = None


class ReasonRequest(RequestModel):
    reason: Reason


class RejectRequest(ReasonRequest):
    on_behalf_of: OnBehalfOf = None


class ProposeLine(RequestModel):
    id: Id
    quantity: Quantity | None = None
    unit_price: Money | None = None
    confirmed_delivery_date: Day | None = None
    remove: StrictFlag = False


class ProposeAddLine(ProductRefIn):
    quantity: Quantity
    unit_price: Money | None = None


class ProposeRequest(RequestModel):
    note: Reason | None = None
    lines: Annotated[list[ProposeLine], Field(max_length=1000)] = []
    add_lines: Annotated[list[ProposeAddLine], Field(max_length=1000)] = []


class ShipmentLine(RequestModel):
    id: Id
    quantity: Quantity


class ShipmentRequest(RequestModel):
    date: Day
    document_number: DocumentRef
    carrier: ShortText | None = None
    tracking_number: Annotated[Line, Field(max_length=100)] | None = None
    lines: Annotated[list[ShipmentLine], Field(max_length=1000)] = []


class InvoiceRequest(RequestModel):
    date: Day
    number: DocumentRef
    amount: PositiveMoney
    due_date: Day | None = None  # else the customer's payment_terms days after `date`


class CreditNoteRequest(RequestModel):
    date: Day
    number: DocumentRef
    amount: PositiveMoney
    reason: Reason


class PaymentRequest(RequestModel):
    date: Day
    reference: DocumentRef
    amount: PositiveMoney


class MessageRequest(RequestModel):
    body: Reason


# --- responses --------------------------------------------------------------------------------------
class ProposedOut(ResponseModel):
    quantity: QuantityOut | None
    unit_price: Money | None
    confirmed_delivery_date: Date | None
    removed: bool
    added: bool


class LineOut(ResponseModel):
    id: str
    product_id: str
    sku: str
    name: str
    quantity: QuantityOut
    unit_price: Money
    tax_rate: str
    net: Money
    requested_delivery_date: Date | None
    confirmed_delivery_date: Date | None
    shipped_quantity: QuantityOut
    backordered: QuantityOut  # still to ship once part of the order has shipped (0 before any shipment)
    proposed: ProposedOut | None


class TotalsOut(ResponseModel):
    net: Money
    tax: Money
    gross: Money


class ProposalOut(ResponseModel):
    revision: int
    note: str | None
    proposed_by: str
    proposed_at: str
    totals: TotalsOut  # what the order would become if accepted


class ShipmentLineOut(ResponseModel):
    id: str  # the order line shipped
    quantity: QuantityOut


class ShipmentOut(ResponseModel):
    id: str
    date: Date
    document_number: str
    carrier: str | None
    tracking_number: str | None
    lines: list[ShipmentLineOut]
    recorded_by: str
    recorded_at: str


class InvoiceOut(ResponseModel):
    id: str
    date: Date
    number: str
    amount: Money
    due_date: Date | None  # as given, or from the customer's payment_terms when recorded
    credited: Money  # what credit notes took off it
    paid: Money  # what payments settled of it (oldest due date first)
    outstanding: Money
    overdue: bool  # past its due date and not settled
    recorded_by: str
    recorded_at: str


class CreditNoteOut(ResponseModel):
    id: str
    date: Date
    number: str
    amount: Money
    reason: str | None
    recorded_by: str
    recorded_at: str


class BalanceOut(ResponseModel):
    """What the order's money adds up to: `invoiced` is the invoices less the credit notes; `prepaid` what
    was paid beyond what is invoiced (it settles the invoices to come)."""

    invoiced: Money
    credited: Money
    paid: Money
    outstanding: Money
    overdue: Money
    prepaid: Money


class PaymentOut(ResponseModel):
    id: str
    date: Date
    reference: str
    amount: Money
    recorded_by: str
    recorded_at: str


class HistoryOut(ResponseModel):
    at: str
    by: str
    by_name: str | None  # the actor's display name as it was then
    on_behalf_of: str | None = None  # a delegate's decision: the approver they stood in for
    action: str
    from_status: str | None
    to_status: str
    note: str | None
    changes: list[str]


class RevisionLineOut(ResponseModel):
    """One line of a proposal as it was made: what was asked, what the supplier proposed."""

    id: str
    sku: str
    requested_quantity: QuantityOut | None
    requested_unit_price: str | None
    quantity: QuantityOut | None
    unit_price: str | None
    confirmed_delivery_date: str | None
    removed: bool
    added: bool


class RevisionOut(ResponseModel):
    revision: int
    note: str | None
    proposed_by: str
    proposed_at: str
    outcome: str
    lines: list[RevisionLineOut]


class WaitingReasonOut(ResponseModel):
    """Why the order waits: `policy`, `over_limit` (with `limit`), `over_budget` (with `budget`, `spent`,
    `remaining`), and for the supplier `credit_hold`."""

    code: str
    message: str
    limit: Money | None = None
    budget: Money | None = None
    spent: Money | None = None
    remaining: Money | None = None


class WaitingPersonOut(ResponseModel):
    id: str
    name: str


class WaitingOnOut(ResponseModel):
    """Whom the order waits on now and why (domain/authority.py): the approvers and the delegates in force,
    the sales rep (none by name: the order desk), or the customer users who may accept a proposal. `people`
    is given by GET /orders/{id}; an action's answer gives the kind and the reasons only."""

    kind: Literal["approval", "supplier", "customer"] | None
    reasons: list[WaitingReasonOut]
    people: list[WaitingPersonOut]


class OrderOut(ResponseModel):
    id: str
    number: str
    status: str
    invoice_status: str
    payment_status: str
    credit_hold: bool  # taken past the customer's credit limit: not confirmed or shipped until released
    source: str
    customer_id: str
    customer_name: str
    site_id: str | None
    created_by: str
    submitted_by: str | None
    customer_reference: str | None
    supplier_reference: str | None = None
    requested_delivery_date: Date | None
    delivery_address: dict[str, Any] | None
    delivery_method: str | None
    billing_address: dict[str, Any] | None
    payment_method: str | None
    notes: str | None
    currency: str
    totals: TotalsOut
    version: int
    lines: list[LineOut]
    proposal: ProposalOut | None
    revisions: list[RevisionOut]
    shipments: list[ShipmentOut]
    invoices: list[InvoiceOut]
    credit_notes: list[CreditNoteOut]
    payments: list[PaymentOut]
    balance: BalanceOut
    history: list[HistoryOut]
    created_at: str
    updated_at: str
    waiting_on: WaitingOnOut


class SkippedOut(ResponseModel):
    sku: str
    reason: str


class ReorderOut(OrderOut):
    skipped: list[SkippedOut]


class OrderSummaryOut(ResponseModel):
    id: str
    number: str
    status: str
    invoice_status: str
    payment_status: str
    source: str
    customer_id: str
    customer_name: str
    created_by: str
    submitted_by: str | None
    customer_reference: str | None
    supplier_reference: str | None = None
    requested_delivery_date: str | None
    currency: str
    totals: TotalsOut
    line_count: int
    created_at: str
    updated_at: str


class OrderList(ResponseModel):
    items: list[OrderSummaryOut]
    next_cursor: str | None


class ImportErrorOut(ResponseModel):
    row: int
    code: str
    message: str


class LineImportOut(ResponseModel):
    added: int
    errors: list[ImportErrorOut]
    order: OrderOut


class MessageOut(ResponseModel):
    id: str
    author_id: str
    author_kind: str
    author_name: str | None  # the author's display name as it was when they posted
    body: str
    created_at: str


class MessageList(ResponseModel):
    items: list[MessageOut]
    next_cursor: str | None
