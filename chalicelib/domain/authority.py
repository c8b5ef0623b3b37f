"""One authority over orders: who may see an order, who may take each action on it now, whom it waits
on, and who must be told of each event. PRODUCT.md "Who sees what", the lifecycle's "who" column and
"Notifications" are its specification; this module is the only place they are decided. Lists (which
query a caller gets, services/order_writes.py), GET, every action through the API or an e-mail link
(services/order_actions.py, services/action_links.py), the e-mail recipients, reminders and escalation
(notifications/events.py) ask it.

Pure: it reads nothing. Its callers hand it what they read in their own round trips: the order's header
(`OrderView`), the caller or a member as a `Person` (as stored now, or as the token says for reads), the
approvers a delegate stands in for today (`Person.stands_in_for`).

The table it implements ("org": the customers a customer user holds and every branch below them):

| who                               | sees                                        | may (the status permitting)        |
|-----------------------------------|---------------------------------------------|------------------------------------|
| staff, orders.read_all            | every order                                 | as their permissions say (below)   |
| staff without it (a sales rep)    | their customers' orders (the order's or the | as their permissions say (below)   |
|                                   | customer's rep), and the orders they created|                                    |
| staff, orders.create_on_behalf    |                                             | edit and send staff drafts         |
| staff, orders.review              |                                             | confirm, propose, cancel, release  |
|                                   |                                             | a credit hold                      |
| staff, orders.fulfil              |                                             | shipments, invoices, payments      |
| staff who created the order       | it                                          | cancel                             |
| customer, orders.view_org         | every order of their org but staff drafts   |                                    |
| customer who created the order    | it                                          | edit, submit (own draft), cancel   |
| customer, orders.place            | staff orders of their org once sent         | accept (unless only an approver    |
|                                   |                                             | may), decline                      |
| customer, orders.approve          | org orders waiting for approval, proposals  | approve, reject (not their own     |
|                                   | only an approver may accept                 | order: 409), accept, decline,      |
|                                   |                                             | cancel                             |
| a delegate, delegation in force   | what waits on the approvers they cover      | as the approver (delegations.py)   |
|                                   | (`waits_on`: not an approver's own order    |                                    |
|                                   | waiting for approval)                       |                                    |
| anyone else                       | nothing (404)                               | nothing (403 when they see it)     |

Who is told: `AUDIENCE` (event → roles); notifications/events.py resolves the roles to people and sends an
e-mail that asks its reader to act (approve, accept) only to those `may` lets take the action.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from chalicelib.domain.order_states import Action, OrderStatus
from chalicelib.domain.permissions import Permission, UserKind

S = OrderStatus
P = Permission


@dataclass(frozen=True)
class Person:
    """A caller or a member of a customer, with the permissions their groups give them."""

    user_id: str
    kind: str  # staff | customer
    permissions: frozenset[str]
    customer_ids: tuple[str, ...] = ()
    name: str = ""
    # Approvers whose delegation to this person is in force today, as they are now: this person sees what
    # waits on them (PRODUCT.md). Acting for one of them is a Person of its own (services/delegations.py).
    stands_in_for: tuple[Person, ...] = ()

    def has(self, permission: Permission) -> bool:
        return permission.value in self.permissions

    @property
    def is_staff(self) -> bool:
        return self.kind == UserKind.STAFF

    @property
    def is_customer(self) -> bool:
        return self.kind == UserKind.CUSTOMER


@dataclass(frozen=True)
class OrderView:
    """What the policy needs of an order: its header as loaded (or as an event left it)."""

    status: str
    source: str  # portal | staff
    customer_id: str
    customer_path: tuple[str, ...]  # the customer and its ancestors, nearest first
    created_by: str
    submitted_by: str | None = None
    # The order's sales rep and its customer's current one: the staff who serve it.
    rep_ids: frozenset[str] = frozenset()
    # Why accepting the open proposal needs an approver (empty: a buyer may accept it): set when it is sent.
    acceptance_reasons: tuple[dict[str, Any], ...] = ()
    # Why it waits for approval (pending_approval), as submit decided.
    approval_reasons: tuple[dict[str, Any], ...] = ()
    # Taken on credit hold (API.md "Money"): a submitted order waits on the supplier for that reason too.
    credit_hold: bool = False

    @property
    def path(self) -> tuple[str, ...]:
        return self.customer_path or (self.customer_id,)

    @property
    def staff_draft(self) -> bool:
        return self.source == "staff" and self.status == S.DRAFT


def in_org(p: Person, o: OrderView) -> bool:
    """The order's customer is one of the person's, or a branch below one of theirs (a head office's
    users see their branches' orders as their own customer's)."""
    return p.is_customer and bool(set(o.path) & set(p.customer_ids))


def approves(p: Person, o: OrderView) -> bool:
    """An approver of the order: orders.approve for its customer or one of its parents."""
    return in_org(p, o) and p.has(P.ORDERS_APPROVE)


def waits_for_approver(o: OrderView) -> bool:
    """The order cannot go on until an approver acts: it waits for approval, or a proposal does that only
    an approver may accept."""
    return o.status == S.PENDING_APPROVAL or (o.status == S.AWAITING_CUSTOMER and bool(o.acceptance_reasons))


def waits_on(a: Person, o: OrderView) -> bool:
    """The order waits on this approver's decision: it waits for an approver, they approve for its customer,
    and it is not their own order waiting for approval (nobody approves their own order)."""
    own = o.status == S.PENDING_APPROVAL and o.submitted_by == a.user_id
    return waits_for_approver(o) and approves(a, o) and not own


def sees(p: Person, o: OrderView) -> bool:
    """PRODUCT.md "Who sees what"."""
    if p.is_staff:
        return p.has(P.ORDERS_READ_ALL) or o.created_by == p.user_id or p.user_id in o.rep_ids
    if o.staff_draft:
        return False  # the supplier's own work until it is sent or confirmed
    if any(waits_on(a, o) for a in p.stands_in_for):
        return True  # a delegate: what waits on the approver they stand in for
    if not in_org(p, o):
        return False
    if p.has(P.ORDERS_VIEW_ORG) or o.created_by == p.user_id:
        return True
    if o.source == "staff" and p.has(P.ORDERS_PLACE):
        return True  # sent or confirmed (a draft is excluded above)
    return waits_for_approver(o) and p.has(P.ORDERS_APPROVE)


def may(p: Person, o: OrderView, act: Action) -> bool:
    """Whether `p` may take `act` on the order, by who they are (the status is the lifecycle's to check:
    domain/orders.py answers 409 for an action its status does not allow). A caller is asked `sees`
    first: what they cannot see is a 404, what they see but may not do a 403."""
    if p.is_staff:
        return {
            Action.EDIT: o.source == "staff" and p.has(P.ORDERS_CREATE_ON_BEHALF),
            Action.SEND: p.has(P.ORDERS_CREATE_ON_BEHALF),
            Action.CONFIRM: p.has(P.ORDERS_REVIEW),
            Action.PROPOSE: p.has(P.ORDERS_REVIEW),
            Action.CANCEL: p.has(P.ORDERS_REVIEW) or o.created_by == p.user_id,
            Action.RELEASE_CREDIT_HOLD: p.has(P.ORDERS_REVIEW),
            Action.SHIP: p.has(P.ORDERS_FULFIL),
            Action.INVOICE: p.has(P.ORDERS_FULFIL),
            Action.PAY: p.has(P.ORDERS_FULFIL),
            Action.CREDIT: p.has(P.ORDERS_FULFIL),
        }.get(act, False)
    if o.staff_draft:
        return False
    own_draft = o.source != "staff" and o.created_by == p.user_id and p.has(P.ORDERS_PLACE)
    approver = approves(p, o)
    buyer = in_org(p, o) and p.has(P.ORDERS_PLACE)
    return {
        Action.EDIT: own_draft,
        Action.SUBMIT: own_draft,
        Action.APPROVE: approver,
        Action.REJECT: approver,
        Action.ACCEPT: approver or (buyer and not o.acceptance_reasons),
        Action.DECLINE: approver or buyer,
        Action.CANCEL: approver or o.created_by == p.user_id,
    }.get(act, False)


def who_may(people: Iterable[Person], o: OrderView, act: Action, *, besides: str | None = None) -> list[Person]:
    """The people of `people` who see the order and whom the policy lets take `act` (not `besides`: the
    person whose own order it is, for approval: nobody approves their own order)."""
    return [p for p in people if p.user_id != besides and sees(p, o) and may(p, o, act)]


# --- whom an order waits on ------------------------------------------------------------------------------
class Waiting(StrEnum):
    APPROVAL = "approval"
    SUPPLIER = "supplier"
    CUSTOMER = "customer"


@dataclass(frozen=True)
class Reason:
    code: str  # policy | over_limit | over_budget | credit_hold | ...
    amounts: dict[str, str] = field(default_factory=dict)  # limit, budget, spent, remaining (decimal strings)


@dataclass(frozen=True)
class WaitingOn:
    kind: Waiting | None
    reasons: tuple[Reason, ...] = ()
    people: tuple[Person, ...] = ()


def reasons_of(raw: Sequence[dict[str, Any]]) -> tuple[Reason, ...]:
    """Reasons as the order stores them (domain.orders.approval_reasons) as `Reason`s."""
    return tuple(Reason(str(r.get("code")), {k: str(v) for k, v in r.items() if k != "code"}) for r in raw)


def waiting_kind(o: OrderView) -> Waiting | None:
    """Whose move it is: approvers while it waits for approval (or a proposal only they may accept), the
    supplier while it is submitted, the customer while a proposal is open; nobody's otherwise (a draft is
    its creator's work in progress; after confirmation the supplier fulfils on its own schedule)."""
    if waits_for_approver(o):
        return Waiting.APPROVAL
    if o.status == S.SUBMITTED or (o.credit_hold and o.status == S.CONFIRMED):
        return Waiting.SUPPLIER  # a confirmed order on credit hold ships only once the supplier releases it
    if o.status == S.AWAITING_CUSTOMER:
        return Waiting.CUSTOMER
    return None


def waiting_on(o: OrderView, members: Iterable[Person], supplier: Sequence[Person] = ()) -> WaitingOn:
    """Whom the order waits on and why. `members`: the active customer users of the order's path (with the
    delegates in force as `stands_in_for` of each delegate, or the delegates as members); `supplier`: the
    staff who serve it (its sales rep), empty for the order desk."""
    kind = waiting_kind(o)
    people = list(members)
    if kind == Waiting.APPROVAL:
        asked = Action.APPROVE if o.status == S.PENDING_APPROVAL else Action.ACCEPT
        reasons = o.approval_reasons if o.status == S.PENDING_APPROVAL else o.acceptance_reasons
        return WaitingOn(kind, reasons_of(reasons), tuple(_with_delegates(people, o, asked)))
    if kind == Waiting.SUPPLIER:
        return WaitingOn(kind, (Reason("credit_hold"),) if o.credit_hold else (), tuple(supplier))
    if kind == Waiting.CUSTOMER:
        return WaitingOn(kind, (), tuple(who_may(people, o, Action.ACCEPT)))
    return WaitingOn(None)


def _with_delegates(people: list[Person], o: OrderView, act: Action) -> list[Person]:
    """Those who may take `act` (not the submitter), then the delegates standing in for one of them."""
    deciding = who_may(people, o, act, besides=o.submitted_by if act == Action.APPROVE else None)
    ids = {p.user_id for p in deciding}
    delegates = [p for p in people if p.user_id not in ids and any(a.user_id in ids for a in p.stands_in_for)]
    return deciding + delegates


# --- who is told -----------------------------------------------------------------------------------------
class Audience(StrEnum):
    """The roles the notification table names (notifications/events.py resolves each to people)."""

    APPROVERS = "approvers"  # the order's approvers and the delegates in force: with personal links
    SUBMITTER = "submitter"  # the customer side: the submitter, or for a staff order its buyers
    SUPPLIER = "supplier"  # the sales rep, else the order desk
    OTHER_SIDE = "other_side"  # of whoever acted
    ESCALATION = "escalation"  # the approvers of the customer's parents too, and the supplier
    NEW_USER = "new_user"
    ACCEPTORS = "acceptors"  # a proposal only an approver may accept: its approvers, with links


# event name (notifications/changes.py EventName values) → who is told
AUDIENCE: dict[str, tuple[Audience, ...]] = {
    "user_created": (Audience.NEW_USER,),
    "approval_needed": (Audience.APPROVERS,),
    "approved": (Audience.SUBMITTER,),
    "rejected": (Audience.SUBMITTER,),
    "submitted": (Audience.SUPPLIER,),
    "proposal_sent": (Audience.ACCEPTORS, Audience.SUBMITTER),  # an approver who also buys: the links
    "proposal_accepted": (Audience.SUPPLIER,),
    "proposal_declined": (Audience.SUPPLIER,),
    "confirmed": (Audience.SUBMITTER,),
    "shipment_recorded": (Audience.SUBMITTER,),
    "invoice_recorded": (Audience.SUBMITTER,),
    "payment_recorded": (Audience.SUBMITTER,),
    "credit_note_recorded": (Audience.SUBMITTER,),
    "credit_hold_placed": (Audience.SUPPLIER,),
    "completed": (Audience.SUBMITTER,),
    "cancelled": (Audience.OTHER_SIDE,),
    "message_posted": (Audience.OTHER_SIDE,),
    "shipment_document": (Audience.SUBMITTER,),
    "invoice_document": (Audience.SUBMITTER,),
    "approval_reminder": (Audience.APPROVERS,),
    "approval_escalated": (Audience.ESCALATION,),
    "invitation": (Audience.NEW_USER,),
    "password_reset": (Audience.NEW_USER,),
}


def audience(event: str, o: OrderView | None) -> tuple[Audience, ...]:
    """Who is told of `event`: the notification table, where a proposal that only an approver may accept
    reaches the approvers too (with Accept and Decline links)."""
    roles = AUDIENCE[event]
    if Audience.ACCEPTORS in roles and (o is None or not o.acceptance_reasons):
        return tuple(r for r in roles if r != Audience.ACCEPTORS)
    return roles
