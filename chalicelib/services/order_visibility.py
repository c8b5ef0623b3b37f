"""Who sees an order and who may do what with it (PRODUCT.md "Who sees what" and the lifecycle's "who").
Anything outside the caller's scope answers 404 as if it did not exist; a visible order the caller may
not change answers 403."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.auth.principal import Principal
from chalicelib.domain.errors import ForbiddenError
from chalicelib.domain.orders import Order, OrderStatus
from chalicelib.domain.permissions import Permission

P = Permission
S = OrderStatus


def sees(p: Principal, o: Order, sales_rep_id: str | None, rep_of: Callable[[str], bool]) -> bool:
    """Staff: every order with orders.read_all, else those they created and their customers' (the order's
    rep, or the customer's current one: `rep_of`). Customer users: their customers' orders, all with
    orders.view_org, else their own and the supplier's sent ones (orders.place); approvers also what waits
    for them. A staff draft is no customer user's business."""
    if p.is_staff:
        mine = o.created_by == p.user_id  # an order taken for a customer who is not theirs, too
        return p.has(P.ORDERS_READ_ALL) or mine or sales_rep_id == p.user_id or rep_of(o.customer_id)
    if o.source == "staff" and o.status == S.DRAFT:
        return False  # the supplier's own work until it is sent or confirmed
    if o.customer_id in p.customer_ids:
        if p.has(P.ORDERS_VIEW_ORG) or o.created_by == p.user_id:
            return True
        if o.source == "staff" and p.has(P.ORDERS_PLACE) and o.status != S.DRAFT:
            return True
    return o.status == S.PENDING_APPROVAL and approves(p, o)


def approves(p: Principal, o: Order) -> bool:
    """An approver of the order's customer or of one of its parents."""
    return p.is_customer and p.has(P.ORDERS_APPROVE) and bool(set(o.customer_path) & set(p.customer_ids))


def may_edit(p: Principal, o: Order) -> bool:
    """A draft is edited by whoever made it: the supplier's by staff who order on behalf, a customer's
    by its creator."""
    if o.source == "staff":
        return p.is_staff and p.has(P.ORDERS_CREATE_ON_BEHALF)
    return o.created_by == p.user_id and p.has(P.ORDERS_PLACE)


def forbid(allowed: bool, what: str) -> None:
    if not allowed:
        raise ForbiddenError(f"You may not {what} this order.")
