"""Approvers act from their e-mail (API.md "Acting from an e-mail"): one-time links, what they show, and
the decision taken through them.

A link is `{public_api_url}/actions/{token}`. The token is `{tenant}_{approver}_{delegator}_{secret}`: the
tenant (its slugs have no `_`), the user the e-mail went to, the approver they stand in for (empty unless a
delegate's), and 128 random bits (base64url). The ids are not secret; they let the decision read the link
and the approver together (see `decide`). Only the token's SHA-256 is stored, as the link's key, bound to one
approver and to the order version the e-mail was about, valid `LINK_HOURS`.

A link is of one kind: `approval` (an order waiting for approval: approve or reject) or `proposal` (a
proposal only an approver may accept, domain/authority.py: accept or decline).

Opening a link (GET, HEAD) never changes anything: mail scanners open links. The decision is a POST of
the page's form, and it is exactly `OrderService.approve` / `reject` (`accept` / `decline`) run as that
approver, with the version the link is bound to as its If-Match: an order changed since the e-mail refuses
(superseded) and nothing changes. The link is spent in the decision's own transaction (a conditional update beside the
order's items), so a link is never spent without its decision and works once even when two clicks race:
3 round trips (the link, the approver's user and the tenant's group index in one BatchGet; the order's
Query; the transaction).
"""

from __future__ import annotations

import dataclasses
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.auth.principal import Principal
from chalicelib.domain.clock import iso, utcnow
from chalicelib.domain.errors import (
    ConflictError,
    GoneError,
    LinkUsedError,
    NotFoundError,
    VersionMismatchError,
    invalid_field,
)
from chalicelib.domain.orders import HistoryEntry, Order, OrderStatus
from chalicelib.services.delegations import approver_principal, stand_in
from chalicelib.services.order_store import LinkUse, OrderStore
from chalicelib.storage import action_links
from chalicelib.storage.action_links import Acting, ActionLink

if TYPE_CHECKING:  # handed in by bootstrap: issuing links (the stream's e-mails) never imports the order service
    from chalicelib.services.orders import OrderService

APPROVER_GONE = "The person this link was sent to may no longer approve orders."
LINK_HOURS = 72  # API.md: `approval_link_hours`, default 72
TOKEN_BYTES = 16  # 128 bits
MAX_REASON = 2000
_TOKEN = re.compile(r"^([a-z0-9-]{1,40})_([A-Za-z0-9_-]{22,})$")
_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")  # ids a token can name (ULIDs; never `_`)
# What makes a link superseded, as its page tells it (a reminder sends fresh links and retires the old).
DECIDING_ACTIONS = ("approve", "reject", "accept", "decline", "cancel", "edit", "submit", "remind", "escalate")
# The decisions each kind of link takes, and the status the order waits in for them.
DECISIONS = {"approval": ("approve", "reject"), "proposal": ("accept", "decline")}
WAITING_IN = {"approval": OrderStatus.PENDING_APPROVAL, "proposal": OrderStatus.AWAITING_CUSTOMER}


def new_token(tenant: str, approver_id: str, on_behalf_of: str | None = None) -> str:
    """A token naming the link's users (ids are ULIDs: a token can carry them) beside 128 random bits."""
    if not _ID.match(approver_id) or (on_behalf_of is not None and not _ID.match(on_behalf_of)):
        raise ValueError("A link names users by their ids (ULIDs).")
    return f"{tenant}_{approver_id}_{on_behalf_of or ''}_{secrets.token_urlsafe(TOKEN_BYTES)}"


@dataclass(frozen=True)
class Named:
    """What a token says of itself; trusted only once the link its whole hash names agrees (`names`)."""

    tenant: str
    approver_id: str
    on_behalf_of: str | None = None

    def names(self, link: ActionLink) -> bool:
        return self.approver_id == link.approver_id and self.on_behalf_of == (link.on_behalf_of or None)


def parse(token: str) -> Named | None:
    """The tenant and the users a token names; None for anything that is not a token."""
    m = _TOKEN.match(token)
    if not m:
        return None
    parts = m.group(2).split("_", 2)
    if len(parts) == 3 and _ID.match(parts[0]) and (parts[1] == "" or _ID.match(parts[1])) and len(parts[2]) >= 22:
        return Named(m.group(1), parts[0], parts[1] or None)
    return None


@dataclass
class Decided:
    """Who decided (or changed) the order, when and what: for a used or superseded link's page."""

    by_name: str | None
    at: str
    action: str


@dataclass
class ActionView:
    """What a link shows. Open: the order and why it needs approval. Spent (used, expired, superseded): only
    who decided what and when, and the order's number, nothing of its current state (issue 23: an old link
    must not keep showing a live order to whoever holds it)."""

    state: str  # open | used | expired | superseded
    link: ActionLink
    order: Order | None
    reasons: list[dict[str, Any]] = field(default_factory=list)
    decided: Decided | None = None
    number: str | None = None

    @property
    def expires_at(self) -> str:
        return self.link.valid_until


def spent(state: str, link: ActionLink, order: Order | None, decided: Decided | None = None) -> ActionView:
    return ActionView(state, link, None, [], decided, order.number if order else None)


class LinkIssuer:
    """Issues the links of the approval e-mails (notifications/events.py, through bootstrap)."""

    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        self._clock = clock  # when links start and end (tests move it)

    def issue(
        self,
        tenant: str,
        order_id: str,
        approver_id: str,
        order_version: int,
        *,
        hours: int = LINK_HOURS,
        on_behalf_of: str | None = None,
        locale: str | None = None,
        kind: str = "approval",
    ) -> str:
        """A new link for this approver and order version; returns the token (never stored). `locale`: the
        language of the e-mail it is sent in, which its page speaks too."""
        token = new_token(tenant, approver_id, on_behalf_of)
        now = self._clock()
        until = now + timedelta(hours=hours)
        link = ActionLink(
            tenant=tenant,
            token_hash=action_links.token_hash(token),
            kind=kind,
            order_id=order_id,
            approver_id=approver_id,
            order_version=order_version,
            created_at=iso(now),
            valid_until=iso(until),
            on_behalf_of=on_behalf_of,
            locale=locale,
        )
        # Kept a day past its end: the page of an expired link still explains itself for a while.
        action_links.put(link, until + timedelta(days=1))
        return token


class ActionLinks(LinkIssuer):
    """The links' page and the decisions taken through them."""

    def __init__(self, orders: OrderService, store: OrderStore, clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__(clock)
        self._orders = orders
        self._store = store

    # --- the page ------------------------------------------------------------------------------------
    def view(self, token: str) -> ActionView:
        """What the link shows; reads only (a GetItem and the order's Query)."""
        link = self._link(token)
        loaded = self._store.load(link.tenant, link.order_id)
        order = loaded.order if loaded else None
        return self._view(link, order)

    @staticmethod
    def _link(token: str) -> ActionLink:
        named = parse(token)
        link = action_links.get(named.tenant, action_links.token_hash(token)) if named else None
        if link is None or named is None or not named.names(link):
            raise NotFoundError("link")
        return link

    def _view(self, link: ActionLink, order: Order | None, *, order_known: bool = True) -> ActionView:
        if link.used_at:
            return spent("used", link, order, Decided(link.used_by_name, link.used_at, link.decision or ""))
        if iso(self._clock()) >= link.valid_until:
            return spent("expired", link, order)
        if not order_known:
            return ActionView("open", link, None)  # as far as the link can tell
        if order is None or order.version != link.order_version or order.status != WAITING_IN[link.kind]:
            return spent("superseded", link, order, _last_decision(order))
        return ActionView("open", link, order, _reasons(link, order), number=order.number)

    # --- the decision ---------------------------------------------------------------------------------
    def decide(self, token: str, decision: str, reason: str | None) -> ActionView:
        """Three round trips: the link with its approver as they are now (their user, the tenant's group
        index; a delegate's link adds the delegation and the delegate) in one BatchGet; the order's Query;
        one transaction writing the decision and spending the link, conditional on the version the link is
        bound to. The link alone says whether it is used or expired; whether the order changed since, the
        approval's own write says. A refused write changes nothing, and the page says why."""
        reason = (reason or "").strip() or None
        link, acting = self._link_and_approver(token)
        yes, no = DECISIONS[link.kind]
        if decision not in (yes, no):
            raise invalid_field("decision", f"Choose {yes} or {no}.")
        if decision == no and (reason is None or len(reason) > MAX_REASON):
            raise invalid_field("reason", f"Give a reason of 1 to {MAX_REASON:,} characters.")
        refuse(self._view(link, None, order_known=False))
        p = self._approver(link, acting)
        at = iso(self._clock())
        use = LinkUse(link.token_hash, at=at, by=p.user_id, by_name=p.name, decision=decision)
        try:
            version = link.order_version
            if decision == "approve":
                order = self._orders.approve(p, link.order_id, [], version, link=use)
            elif decision == "reject":
                order = self._orders.reject(p, link.order_id, reason or "", version, link=use)
            elif decision == "accept":
                order = self._orders.accept(p, link.order_id, version, link=use)
            else:
                order = self._orders.decline(p, link.order_id, reason or "", version, link=use)
        except LinkUsedError:  # used meanwhile (another click won): say by whom
            refuse(self.view(token))
            raise
        except VersionMismatchError:  # checked before the action runs: the order changed since the e-mail
            refuse(self.view(token))  # (or a click that won meanwhile: used, by whom)
            raise superseded() from None
        used = dataclasses.replace(link, used_at=at, used_by=p.user_id, used_by_name=p.name, decision=decision)
        return spent("used", used, order, Decided(p.name, at, decision))

    @staticmethod
    def _link_and_approver(token: str) -> tuple[ActionLink, Acting]:
        named = parse(token)
        if named is None:
            raise NotFoundError("link")
        hashed = action_links.token_hash(token)
        user_ids = [named.approver_id, *([named.on_behalf_of] if named.on_behalf_of else [])]
        link, acting = action_links.read(named.tenant, hashed, user_ids, named.on_behalf_of)
        if link is None or not named.names(link):
            raise NotFoundError("link")
        return link, acting

    def _approver(self, link: ActionLink, acting: Acting) -> Principal:
        """The approver the link was sent to, as a caller, with their permissions as they are now. A link
        sent to a delegate acts as the approver they stand in for, while the delegation lasts: the
        approver's permissions and customers, the delegate's name on the history (`on_behalf_of`); the
        same caller as a delegate deciding through the API (services/delegations.py `stand_in`)."""
        if not link.on_behalf_of:
            return approver_principal(link.tenant, link.approver_id, acting, APPROVER_GONE)
        return stand_in(link.tenant, link.approver_id, link.on_behalf_of, acting, self._clock().date())


def superseded() -> ConflictError:
    return ConflictError(
        "The order changed since this e-mail was sent (edited, decided by someone else or cancelled); "
        "nothing was done.",
        code="superseded",
    )


def refuse(view: ActionView) -> None:
    """The error of a link that cannot act (API.md): used 409, expired 410, superseded 409."""
    if view.state == "used":
        d = view.decided
        who = f" by {d.by_name}" if d and d.by_name else ""
        raise ConflictError(f"This link was used already{who} at {d.at if d else ''}.", code="action_used")
    if view.state == "expired":
        raise GoneError(f"This link expired at {view.link.valid_until}.", code="action_expired")
    if view.state == "superseded":
        raise superseded()


def _reasons(link: ActionLink, order: Order | None) -> list[dict[str, Any]]:
    """Why the order waits for an approver: approval, or accepting its proposal."""
    if order is None:
        return []
    return list(order.acceptance_reasons if link.kind == "proposal" else order.approval_reasons)


def _last_decision(order: Order | None) -> Decided | None:
    if order is None:
        return None
    entry: HistoryEntry | None = next((h for h in reversed(order.history) if h.action in DECIDING_ACTIONS), None)
    if entry is None:
        return None
    return Decided(entry.by_name, entry.at, entry.action)
