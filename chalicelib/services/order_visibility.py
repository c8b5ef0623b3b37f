"""The order services' side of the one authority (domain/authority.py): the caller and the loaded order
as the policy sees them, and its answers as errors. Anything outside the caller's scope answers 404 as if
it did not exist; a visible order the caller may not change answers 403. Nothing here decides."""

from __future__ import annotations

from collections.abc import Iterable

from chalicelib.auth.principal import Principal
from chalicelib.domain import authority
from chalicelib.domain.authority import OrderView, Person
from chalicelib.domain.errors import ForbiddenError
from chalicelib.domain.order_states import Action
from chalicelib.domain.orders import Order


def person(p: Principal, stands_in_for: tuple[Person, ...] = ()) -> Person:
    return Person(p.user_id, p.kind.value, p.permissions, p.customer_ids, p.name, stands_in_for)


def view(o: Order, rep_ids: Iterable[str | None] = ()) -> OrderView:
    """The order's header as the policy reads it; `rep_ids`: the order's sales rep and its customer's."""
    return OrderView(
        status=o.status.value,
        source=o.source,
        customer_id=o.customer_id,
        customer_path=tuple(o.customer_path or [o.customer_id]),
        created_by=o.created_by,
        submitted_by=o.submitted_by,
        rep_ids=frozenset(r for r in rep_ids if r),
        acceptance_reasons=tuple(o.acceptance_reasons),
        approval_reasons=tuple(o.approval_reasons),
        credit_hold=o.credit_hold,
    )


def may(p: Principal, o: Order, act: Action) -> bool:
    return authority.may(person(p), view(o), act)


def approves(p: Principal, o: Order) -> bool:
    return authority.approves(person(p), view(o))


def may_edit(p: Principal, o: Order) -> bool:
    return may(p, o, Action.EDIT)


def allow(p: Principal, o: Order, act: Action, what: str) -> None:
    """403 unless the policy lets the caller take `act` (`what`: the action in the message's words)."""
    forbid(may(p, o, act), what)


def forbid(allowed: bool, what: str) -> None:
    if not allowed:
        raise ForbiddenError(f"You may not {what} this order.")
