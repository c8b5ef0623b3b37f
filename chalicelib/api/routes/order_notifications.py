"""`GET /orders/{order_id}/notifications` (staff): each e-mail about the order, to whom, and what became
of it (sent, delivered, bounced, complained, suppressed, failed)."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.api.http import Ctx, endpoint, json_response
from chalicelib.api.schemas.common import ResponseModel
from chalicelib.domain.permissions import Permission as P

bp = Blueprint(__name__)


class OrderNotificationOut(ResponseModel):
    event: str
    recipient: str
    status: str
    at: str
    detail: str | None = None


class OrderNotificationList(ResponseModel):
    items: list[OrderNotificationOut]


@endpoint(
    bp,
    "/orders/{order_id}/notifications",
    "GET",
    summary="The order's e-mails and what became of each (staff)",
    response_model=OrderNotificationList,
    tags=("orders",),
    permissions=(P.ORDERS_READ_ALL, P.ORDERS_REVIEW, P.ORDERS_FULFIL),
)
def order_notifications(ctx: Ctx, order_id: str) -> Response:
    from chalicelib.bootstrap import get_services
    from chalicelib.storage import mail_log

    p = ctx.principal
    get_services().orders.get(p, order_id)  # 404 outside the caller's scope
    items = [
        OrderNotificationOut(event=m.event, recipient=m.recipient, status=m.status, at=m.at, detail=m.detail)
        for m in mail_log.of_order(p.tenant, order_id)
    ]
    return json_response(OrderNotificationList(items=items))
