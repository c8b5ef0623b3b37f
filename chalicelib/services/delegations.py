"""`/me/delegation`: an approver names a delegate for a period (API.md "Approval reminders, escalation and
delegation"). The delegate is an active user of one of the approver's customers, never the approver.

While the delegation lasts the delegate decides the approver's orders as the approver could: `stand_in`
builds that caller, for both ways of deciding, the e-mail link (services/action_links.py, which reads what it
needs with the link) and the API (`on_behalf_of` in the approve and reject bodies, `acting_for`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from chalicelib.auth.principal import Principal
from chalicelib.domain.clock import utcnow
from chalicelib.domain.errors import ConflictError, ForbiddenError, NotFoundError, VersionMismatchError, invalid_field
from chalicelib.domain.model import Cover, Covers, Delegation
from chalicelib.domain.permissions import Permission, UserKind
from chalicelib.retry import attempts
from chalicelib.services.callers import caller_keys, check_token_rights
from chalicelib.services.updates import ATTEMPTS, apply_change
from chalicelib.storage import action_links, delegations, groups, keys
from chalicelib.storage.action_links import Acting
from chalicelib.storage.refs import fetch
from chalicelib.storage.refs import load as load_refs

NOT_IN_FORCE = "No delegation from this approver to you is in force today (none, ended or not yet started)."
DELEGATE_GONE = "You may no longer approve orders on anyone's behalf: your account is not active."
APPROVER_GONE = "The approver you stand in for may no longer approve orders."


@dataclass
class _Read:
    """What a delegation's write read besides the delegation: the delegate's name, the approver's customers
    now, the delegate's covers and, when the approver named someone else before, that delegate's."""

    name: str = ""
    customers: tuple[str, ...] = ()
    to: Covers = field(default_factory=lambda: Covers(""))
    was: Covers | None = None


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
        t, today = p.tenant, self._clock().date()
        mine = keys.delegation(p.tenant, p.user_id)
        read = _Read()  # what `load` found besides the delegation, for `change` and `write`

        def load() -> Delegation:
            # The delegate, their covers, the caller's delegation and the caller as stored now: one strongly
            # consistent BatchGet (a stale version would only make the conditional write fail and read again);
            # a second read only when the caller's delegation named someone else (their covers lose it).
            covers = keys.delegations_to(t, delegate_id)
            found = load_refs(t, users=[delegate_id], extra=[mine, covers, *caller_keys(p)], consistent=True)
            now = check_token_rights(p, found)
            delegate = found.users.get(delegate_id)
            shares = delegate is not None and bool(set(delegate.customer_ids) & set(now.customer_ids))
            if delegate is None or not delegate.active or delegate.kind != UserKind.CUSTOMER or not shares:
                raise invalid_field("delegate_id", "Name an active user of one of your customers.")
            current = delegations.of(found.items.get(mine))
            was = None
            if current is not None and current.delegate_id != delegate_id:
                before = keys.delegations_to(t, current.delegate_id)
                was = delegations.covers_of(fetch([before], consistent=True).get(before), current.delegate_id)
            read.name, read.customers, read.was = delegate.name, tuple(now.customer_ids), was
            read.to = delegations.covers_of(found.items.get(covers), delegate_id)
            return current or Delegation(p.user_id, delegate_id, starts_on, ends_on, 0)

        def change(current: Delegation) -> Delegation:
            return Delegation(p.user_id, delegate_id, starts_on, ends_on, current.version, read.name)

        def write(before: Delegation, after: Delegation) -> Delegation:
            cover = Cover(p.user_id, starts_on, ends_on, read.customers)
            was = _without(read.was, p.user_id, today) if read.was else None
            return delegations.put(t, after, _with(read.to, cover, today), was)

        return apply_change(None, load, change, write)

    def delete(self, p: Principal) -> None:
        """The caller's delegation and its delegate's cover of them, in one transaction (404: none)."""
        today, mine = self._clock().date(), keys.delegation(p.tenant, p.user_id)
        for _ in attempts(ATTEMPTS, pause=0.01):
            # The delegation with the caller as stored now (one BatchGet), then its delegate's covers.
            found = load_refs(p.tenant, extra=[mine, *caller_keys(p)], consistent=True)
            check_token_rights(p, found)
            current = delegations.of(found.items.get(mine))
            if current is None:
                raise NotFoundError("delegation")
            covers = keys.delegations_to(p.tenant, current.delegate_id)
            to = delegations.covers_of(fetch([covers], consistent=True).get(covers), current.delegate_id)
            try:
                delegations.delete(p.tenant, current, _without(to, p.user_id, today))
                return
            except VersionMismatchError:
                continue  # changed meanwhile: read both again
        raise ConflictError("The delegation is being changed by others right now; try again.")

    def acting_for(self, caller: Principal, approver_id: str) -> Principal:
        """The caller standing in for `approver_id` (the API's `on_behalf_of`): one strongly consistent
        BatchGet of both users, the approver's delegation and the tenant's group index, then `stand_in`'s
        checks. 403 for anyone but a customer user the approver's delegation names today."""
        if not caller.is_customer:
            raise ForbiddenError("Only a customer user may act on an approver's behalf (on_behalf_of).")
        if approver_id == caller.user_id:
            raise ForbiddenError("on_behalf_of names you: leave it out to act as yourself.")
        acting = action_links.acting(caller.tenant, [caller.user_id, approver_id], approver_id)
        p = stand_in(caller.tenant, caller.user_id, approver_id, acting, self._clock().date())
        return dataclasses.replace(p, session_id=caller.session_id)


def stand_in(tenant: str, delegate_id: str, approver_id: str, acting: Acting, today: date) -> Principal:
    """The delegate as a caller deciding on the approver's behalf: the approver's permissions and customers
    as they are now, the delegate's id and name on what they do, `on_behalf_of` the approver. Only while the
    approver's delegation names this delegate and lasts (`today`), the delegate is active and the approver
    still holds `orders.approve`; else 403. `acting` holds both users, the approver's delegation and the
    group index (storage/action_links.py: one BatchGet, with the link or on its own)."""
    delegation = acting.delegation
    if delegation is None or delegation.delegate_id != delegate_id or not delegation.active_on(today):
        raise ForbiddenError(NOT_IN_FORCE)
    delegate = acting.users.get(delegate_id)
    if delegate is None or not delegate.active:
        raise ForbiddenError(DELEGATE_GONE)
    approver = approver_principal(tenant, approver_id, acting, APPROVER_GONE)
    return dataclasses.replace(approver, user_id=delegate.id, name=delegate.name, on_behalf_of=approver.user_id)


def approver_principal(tenant: str, user_id: str, acting: Acting, refused: str) -> Principal:
    """An approver as a caller, with their permissions as they are now (`acting`: their user and the
    tenant's group index); 403 with `refused` unless they are an active customer user holding
    `orders.approve`."""
    user = acting.users.get(user_id)
    if user is None or not user.active or user.kind != UserKind.CUSTOMER:
        raise ForbiddenError(refused)
    permissions = groups.permissions_of(acting.index or {}, user.kind, user.security_group_ids)
    if Permission.ORDERS_APPROVE.value not in permissions:
        raise ForbiddenError(refused)
    return Principal(
        tenant=tenant,
        user_id=user.id,
        kind=user.kind,
        permissions=permissions,
        customer_ids=tuple(user.customer_ids),
        site_ids=tuple(user.site_ids),
        name=user.name,
        current=True,  # read in this request (`acting`): services/callers.py
    )


def _with(covers: Covers, cover: Cover, today: date) -> Covers:
    """The delegate's covers with the approver's delegation as it now is (ended ones dropped)."""
    kept = {a: c for a, c in covers.approvers.items() if c.ends_on >= today and a != cover.approver_id}
    return Covers(covers.delegate_id, {**kept, cover.approver_id: cover}, covers.version)


def _without(covers: Covers, approver_id: str, today: date) -> Covers:
    """The delegate's covers without this approver's delegation (ended ones dropped)."""
    kept = {a: c for a, c in covers.approvers.items() if c.ends_on >= today and a != approver_id}
    return Covers(covers.delegate_id, kept, covers.version)
