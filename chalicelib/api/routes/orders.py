"""Orders: drafts and lines, lifecycle actions, fulfilment documents, messages, reorder."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, Response

from chalicelib.api.http import PAGE, Ctx, endpoint, json_response, patch_changes
from chalicelib.api.openapi import CSV_TYPES, QueryParam
from chalicelib.api.schemas.common import Day, Id
from chalicelib.api.schemas.orders import (
    ApproveRequest,
    CreditNoteRequest,
    InvoiceRequest,
    LineAdd,
    LineImportOut,
    LinePatch,
    MessageList,
    MessageOut,
    MessageRequest,
    OrderCreate,
    OrderList,
    OrderOut,
    OrderPatch,
    PaymentRequest,
    ProposeRequest,
    ReasonRequest,
    RejectRequest,
    ReorderOut,
    ShipmentRequest,
    SupplierReference,
)
from chalicelib.bootstrap import get_services
from chalicelib.domain.order_states import OrderStatus
from chalicelib.domain.permissions import Permission as P

if TYPE_CHECKING:
    from chalicelib.auth.principal import Principal
    from chalicelib.domain.authority import WaitingOn
    from chalicelib.domain.orders import Order
    from chalicelib.services.orders import OrderService

bp = Blueprint(__name__)
TAGS = ("orders",)
# The order writes registered with `caller="action"` are decided on the caller as stored now, checked in the
# order's own transaction (services/order_writes.py `_write`), not in a read of the pipeline's own.


def present() -> Any:
    """The presenters (and the Order aggregate they map), imported on a route's first request: app.py's
    import loads neither (cold start)."""
    from chalicelib.api import order_presenters

    return order_presenters


def svc() -> OrderService:
    return get_services().orders


def writing(ctx: Ctx) -> OrderService:
    """The order service for a view whose one order write claims the request's Idempotency-Key
    (`claims_in_write`): a replay is answered the order the first request left, presented the same way."""
    return get_services().orders.claiming(ctx.claim)


def order_response(o: Order, status: int = 200, waiting: WaitingOn | None = None) -> Response:
    return json_response(present().order_out(o, waiting), status=status, etag=o.version)


def standing_in(caller: Principal, approver_id: str) -> Principal:
    """A delegate deciding for the approver they stand in for (`on_behalf_of`): the same caller as the
    delegate's e-mail link makes (services/delegations.py `stand_in`), at one BatchGet."""
    from chalicelib.services.delegations import DelegationService

    return DelegationService().acting_for(caller, approver_id)


@endpoint(
    bp,
    "/orders",
    "GET",
    summary="List orders (filters: status, customer_id, created_from, created_to)",
    response_model=OrderList,
    tags=TAGS,
    query=(
        *PAGE,
        QueryParam("status", OrderStatus, "Only orders in this status."),
        QueryParam("customer_id", Id, "Only this customer's orders."),
        QueryParam("created_from", Day, "Created on or after this day (YYYY-MM-DD, UTC)."),
        QueryParam("created_to", Day, "Created on or before this day (YYYY-MM-DD, UTC)."),
        QueryParam("supplier_reference", SupplierReference, "Only orders with this supplier's reference (staff)."),
    ),
)
def list_orders(ctx: Ctx) -> Response:
    limit, cursor = ctx.page_args()
    page = svc().list_orders(
        ctx.principal,
        limit=limit,
        cursor=cursor,
        status=ctx.query("status"),
        customer_id=ctx.query("customer_id"),
        created_from=ctx.query("created_from"),
        created_to=ctx.query("created_to"),
        supplier_reference=ctx.query("supplier_reference"),
    )
    return json_response(OrderList(items=[present().summary_out(s) for s in page.items], next_cursor=page.next_cursor))


@endpoint(
    bp,
    "/orders",
    "POST",
    caller="action",
    summary="Create a draft order",
    request_model=OrderCreate,
    response_model=OrderOut,
    status=201,
    tags=TAGS,
    permissions=(P.ORDERS_PLACE, P.ORDERS_CREATE_ON_BEHALF),
    claims_in_write=True,
)
def create_order(ctx: Ctx) -> Response:
    return order_response(writing(ctx).create(ctx.principal, ctx.body(OrderCreate).model_dump()), 201)


@endpoint(bp, "/orders/{order_id}", "GET", summary="An order", response_model=OrderOut, tags=TAGS)
def get_order(ctx: Ctx, order_id: str) -> Response:
    order, waiting = svc().get_with_waiting(ctx.principal, order_id)
    return order_response(order, waiting=waiting)


@endpoint(
    bp,
    "/orders/{order_id}",
    "PATCH",
    caller="action",
    summary="Change a draft's header; staff with orders.review set supplier_reference in any status",
    request_model=OrderPatch,
    response_model=OrderOut,
    tags=TAGS,
    if_match=True,
    permissions=(P.ORDERS_PLACE, P.ORDERS_CREATE_ON_BEHALF, P.ORDERS_REVIEW),
)
def patch_order(ctx: Ctx, order_id: str) -> Response:
    changes = patch_changes(ctx.body(OrderPatch), frozenset(OrderPatch.model_fields))
    return order_response(svc().patch_header(ctx.principal, order_id, changes, ctx.if_match()))


@endpoint(
    bp,
    "/orders/{order_id}/lines",
    "POST",
    caller="action",
    summary="Add a line (same product: adds to its quantity)",
    request_model=LineAdd,
    response_model=OrderOut,
    status=201,
    tags=TAGS,
    if_match=True,
    permissions=(P.ORDERS_PLACE, P.ORDERS_CREATE_ON_BEHALF),
    claims_in_write=True,
)
def add_line(ctx: Ctx, order_id: str) -> Response:
    from chalicelib.services.order_catalog import ProductRef  # the order service imports it anyway

    b = ctx.body(LineAdd)
    ref = ProductRef(b.product_id, b.sku, b.barcode)
    o = writing(ctx).add_line(ctx.principal, order_id, ref, b.quantity, b.requested_delivery_date, ctx.if_match())
    return order_response(o, 201)


@endpoint(
    bp,
    "/orders/{order_id}/lines/{line_id}",
    "PATCH",
    caller="action",
    summary="Change a line",
    request_model=LinePatch,
    response_model=OrderOut,
    tags=TAGS,
    if_match=True,
    permissions=(P.ORDERS_PLACE, P.ORDERS_CREATE_ON_BEHALF),
)
def patch_line(ctx: Ctx, order_id: str, line_id: str) -> Response:
    changes = patch_changes(ctx.body(LinePatch), frozenset({"requested_delivery_date"}))
    return order_response(svc().change_line(ctx.principal, order_id, line_id, changes, ctx.if_match()))


@endpoint(
    bp,
    "/orders/{order_id}/lines/{line_id}",
    "DELETE",
    caller="action",
    summary="Remove a line",
    response_model=OrderOut,
    tags=TAGS,
    if_match=True,
    permissions=(P.ORDERS_PLACE, P.ORDERS_CREATE_ON_BEHALF),
)
def delete_line(ctx: Ctx, order_id: str, line_id: str) -> Response:
    return order_response(svc().remove_line(ctx.principal, order_id, line_id, ctx.if_match()))


@endpoint(
    bp,
    "/orders/{order_id}/lines/import",
    "POST",
    caller="action",
    summary="Add lines from CSV (code,quantity)",
    response_model=LineImportOut,
    content_type=CSV_TYPES[0],
    extra_content_types=CSV_TYPES[1:],
    tags=TAGS,
    permissions=(P.ORDERS_PLACE, P.ORDERS_CREATE_ON_BEHALF),
)
def import_lines(ctx: Ctx, order_id: str) -> Response:
    result = svc().import_lines(ctx.principal, order_id, ctx.text())
    body = {"added": result.added, "errors": result.errors, "order": present().order_data(result.order)}
    return json_response(LineImportOut.model_validate(body), etag=result.order.version)


# --- actions ------------------------------------------------------------------------------------------
@endpoint(
    bp,
    "/orders/{order_id}/submit",
    "POST",
    caller="action",
    summary="Submit a draft (buyer)",
    response_model=OrderOut,
    tags=TAGS,
    if_match=True,
    claims_in_write=True,
)
def submit(ctx: Ctx, order_id: str) -> Response:
    return order_response(writing(ctx).submit(ctx.principal, order_id, ctx.if_match()))


@endpoint(
    bp,
    "/orders/{order_id}/approve",
    "POST",
    caller="action",
    summary="Approve, optionally trimming lines",
    request_model=ApproveRequest,
    response_model=OrderOut,
    tags=TAGS,
    body_optional=True,
    if_match=True,
    permissions=(P.ORDERS_APPROVE,),
    on_behalf=standing_in,
    claims_in_write=True,
)
def approve(ctx: Ctx, order_id: str) -> Response:
    trims = ctx.body(ApproveRequest).model_dump()["lines"]
    return order_response(writing(ctx).approve(ctx.principal, order_id, trims, ctx.if_match()))


@endpoint(
    bp,
    "/orders/{order_id}/reject",
    "POST",
    caller="action",
    summary="Reject back to draft, with a reason",
    request_model=RejectRequest,
    response_model=OrderOut,
    tags=TAGS,
    if_match=True,
    permissions=(P.ORDERS_APPROVE,),
    on_behalf=standing_in,
    claims_in_write=True,
)
def reject(ctx: Ctx, order_id: str) -> Response:
    reason = ctx.body(RejectRequest).reason
    return order_response(writing(ctx).reject(ctx.principal, order_id, reason, ctx.if_match()))


@endpoint(
    bp,
    "/orders/{order_id}/send",
    "POST",
    caller="action",
    summary="Send a staff-created order to the customer",
    response_model=OrderOut,
    tags=TAGS,
    if_match=True,
    claims_in_write=True,
)
def send(ctx: Ctx, order_id: str) -> Response:
    return order_response(writing(ctx).send(ctx.principal, order_id, ctx.if_match()))


@endpoint(
    bp,
    "/orders/{order_id}/confirm",
    "POST",
    caller="action",
    summary="Confirm (supplier)",
    response_model=OrderOut,
    tags=TAGS,
    if_match=True,
    claims_in_write=True,
)
def confirm(ctx: Ctx, order_id: str) -> Response:
    return order_response(writing(ctx).confirm(ctx.principal, order_id, ctx.if_match()))


@endpoint(
    bp,
    "/orders/{order_id}/propose",
    "POST",
    caller="action",
    summary="Propose changes to the customer",
    request_model=ProposeRequest,
    response_model=OrderOut,
    tags=TAGS,
    if_match=True,
    permissions=(P.ORDERS_REVIEW,),
    claims_in_write=True,
)
def propose(ctx: Ctx, order_id: str) -> Response:
    b = ctx.body(ProposeRequest).model_dump()
    o = writing(ctx).propose(ctx.principal, order_id, b["note"], b["lines"], b["add_lines"], ctx.if_match())
    return order_response(o)


@endpoint(
    bp,
    "/orders/{order_id}/accept",
    "POST",
    caller="action",
    summary="Accept the supplier's proposal",
    response_model=OrderOut,
    tags=TAGS,
    if_match=True,
    claims_in_write=True,
)
def accept(ctx: Ctx, order_id: str) -> Response:
    return order_response(writing(ctx).accept(ctx.principal, order_id, ctx.if_match()))


@endpoint(
    bp,
    "/orders/{order_id}/decline",
    "POST",
    caller="action",
    summary="Decline the proposal, with a reason",
    request_model=ReasonRequest,
    response_model=OrderOut,
    tags=TAGS,
    if_match=True,
    permissions=(P.ORDERS_PLACE, P.ORDERS_APPROVE),
    claims_in_write=True,
)
def decline(ctx: Ctx, order_id: str) -> Response:
    reason = ctx.body(ReasonRequest).reason
    return order_response(writing(ctx).decline(ctx.principal, order_id, reason, ctx.if_match()))


@endpoint(
    bp,
    "/orders/{order_id}/cancel",
    "POST",
    caller="action",
    summary="Cancel, with a reason",
    request_model=ReasonRequest,
    response_model=OrderOut,
    tags=TAGS,
    if_match=True,
    permissions=(P.ORDERS_PLACE, P.ORDERS_APPROVE, P.ORDERS_REVIEW, P.ORDERS_CREATE_ON_BEHALF),
    claims_in_write=True,
)
def cancel(ctx: Ctx, order_id: str) -> Response:
    reason = ctx.body(ReasonRequest).reason
    return order_response(writing(ctx).cancel(ctx.principal, order_id, reason, ctx.if_match()))


@endpoint(
    bp,
    "/orders/{order_id}/shipments",
    "POST",
    caller="action",
    summary="Record a shipment; answers the order, the new shipment last in its `shipments`",
    request_model=ShipmentRequest,
    response_model=OrderOut,
    status=201,
    tags=TAGS,
    permissions=(P.ORDERS_FULFIL,),
    claims_in_write=True,
)
def ship(ctx: Ctx, order_id: str) -> Response:
    o = writing(ctx).ship(ctx.principal, order_id, ctx.body(ShipmentRequest).model_dump())
    return order_response(o, status=201)


@endpoint(
    bp,
    "/orders/{order_id}/invoices",
    "POST",
    caller="action",
    summary="Record an invoice; answers the order, the new invoice last in its `invoices`",
    request_model=InvoiceRequest,
    response_model=OrderOut,
    status=201,
    tags=TAGS,
    permissions=(P.ORDERS_FULFIL,),
    claims_in_write=True,
)
def invoice(ctx: Ctx, order_id: str) -> Response:
    o = writing(ctx).invoice(ctx.principal, order_id, ctx.body(InvoiceRequest).model_dump())
    return order_response(o, status=201)


@endpoint(
    bp,
    "/orders/{order_id}/credit-notes",
    "POST",
    caller="action",
    summary="Record a credit note (it lowers what is invoiced); answers the order, the note last in `credit_notes`",
    request_model=CreditNoteRequest,
    response_model=OrderOut,
    status=201,
    tags=TAGS,
    permissions=(P.ORDERS_FULFIL,),
)
def credit_note(ctx: Ctx, order_id: str) -> Response:
    o = svc().credit_note(ctx.principal, order_id, ctx.body(CreditNoteRequest).model_dump())
    return order_response(o, status=201)


@endpoint(
    bp,
    "/orders/{order_id}/payments",
    "POST",
    caller="action",
    summary="Record a payment; answers the order, the new payment last in its `payments`",
    request_model=PaymentRequest,
    response_model=OrderOut,
    status=201,
    tags=TAGS,
    permissions=(P.ORDERS_FULFIL,),
    claims_in_write=True,
)
def pay(ctx: Ctx, order_id: str) -> Response:
    o = writing(ctx).pay(ctx.principal, order_id, ctx.body(PaymentRequest).model_dump())
    return order_response(o, status=201)


@endpoint(
    bp,
    "/orders/{order_id}/release-credit-hold",
    "POST",
    caller="action",
    summary="Release the order's credit hold (staff with orders.review)",
    response_model=OrderOut,
    tags=TAGS,
    if_match=True,
    permissions=(P.ORDERS_REVIEW,),
    claims_in_write=True,
)
def release_credit_hold(ctx: Ctx, order_id: str) -> Response:
    return order_response(writing(ctx).release_credit_hold(ctx.principal, order_id, ctx.if_match()))


@endpoint(
    bp,
    "/orders/{order_id}/reorder",
    "POST",
    caller="action",
    summary="Copy the lines into a new draft at current prices",
    response_model=ReorderOut,
    status=201,
    tags=TAGS,
)
def reorder(ctx: Ctx, order_id: str) -> Response:
    o, skipped = svc().reorder(ctx.principal, order_id)
    body = ReorderOut.model_validate({**present().order_data(o), "skipped": skipped})
    return json_response(body, status=201, etag=o.version)


@endpoint(
    bp,
    "/orders/{order_id}/messages",
    "GET",
    summary="The order's conversation",
    response_model=MessageList,
    tags=TAGS,
    query=PAGE,
)
def list_messages(ctx: Ctx, order_id: str) -> Response:
    page = svc().messages(ctx.principal, order_id, *ctx.page_args())
    items = [present().message_out(m) for m in page.items]
    return json_response(MessageList(items=items, next_cursor=page.next_cursor))


@endpoint(
    bp,
    "/orders/{order_id}/messages",
    "POST",
    summary="Post a message on the order",
    request_model=MessageRequest,
    response_model=MessageOut,
    status=201,
    tags=TAGS,
)
def post_message(ctx: Ctx, order_id: str) -> Response:
    message = svc().post_message(ctx.principal, order_id, ctx.body(MessageRequest).body)
    return json_response(present().message_out(message), 201)
