"""`/me/delegation`: an approver names a delegate for a period (API.md "Approval reminders, escalation and
delegation"). The delegate is an active user of one of the approver's customers, never the approver."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from chalicelib.auth.principal import Principal
from chalicelib.domain.clock import utcnow
from chalicelib.domain.errors import NotFoundError, invalid_field
from chalicelib.domain.model import Delegation
from chalicelib.domain.permissions import UserKind
from chalicelib.storage import delegations, users


class DelegationService:
    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        self._clock = clock

    def get(self, p: Principal) -> Delegation:
        found = delegations.get(p.tenant, p.user_id)
        if found is None:
            raise NotFoundError("delegation")
        return found

    def put(self, p: Principal, delegate_id: str, starts_on: date, ends_on: date) -> Delegation:
        if delegate_id == p.user_id:
            raise invalid_field("delegate_id", "Name someone else: you cannot be your own delegate.")
        if ends_on < starts_on:
            raise invalid_field("ends_on", "The last day comes on or after the first day.")
        if ends_on < self._clock().date():
            raise invalid_field("ends_on", "The period is over already: give a last day from today on.")
        delegate = users.find(p.tenant, delegate_id)
        shares = delegate is not None and bool(set(delegate.customer_ids) & set(p.customer_ids))
        if delegate is None or not delegate.active or delegate.kind != UserKind.CUSTOMER or not shares:
            raise invalid_field("delegate_id", "Name an active user of one of your customers.")
        current = delegations.get(p.tenant, p.user_id)
        wanted = Delegation(p.user_id, delegate_id, starts_on, ends_on, current.version if current else 0)
        return delegations.put(p.tenant, wanted)

    def delete(self, p: Principal) -> None:
        self.get(p)  # 404 when there is none
        delegations.delete(p.tenant, p.user_id)
