"""The order lifecycle after the draft (PRODUCT.md "Order lifecycle"): submit and approval, the
supplier's review and proposals, the customer's answer, cancel, fulfilment, and the order's messages.
Each is one domain transition through the one write path (order_writes.py): an action below says what
it needs read besides the order (`needs`) and what it does with both (`apply`); the service's methods
build it from the request and hand it to the write path."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from chalicelib.auth.principal import Principal
from chalicelib.domain import budget as budgets
from chalicelib.domain.approval import approval_reasons
from chalicelib.domain.errors import ConflictError, ForbiddenError, ValidationFailedError, invalid_field
from chalicelib.domain.ids import new_id
from chalicelib.domain.model import TenantSettings
from chalicelib.domain.orders import Action, Line, Message, Order, new_document
from chalicelib.domain.permissions import Permission
from chalicelib.services.order_catalog import Offer, ProductRef
from chalicelib.services.order_store import LinkUse
from chalicelib.services.order_visibility import allow, approves, forbid, may
from chalicelib.services.order_writes import Found, Needs, OrderWrites, Write, line_from, line_or_404, ref_of
from chalicelib.storage.order_codec import Loaded
from chalicelib.storage.paging import Page

P = Permission
NEEDS_AN_APPROVER = "The proposed total needs approval: an approver must accept it."
NOBODY_APPROVES = "This order needs approval, but nobody in your organisation can approve orders."
NOBODY_ACCEPTS = (
    "Accepting this proposal needs approval ({why}), but the customer has no approver who could accept it: "
    "change the proposal or ask the customer to name an approver first."
)


class Lifecycle(OrderWrites):
    # --- buyer side ---------------------------------------------------------------------------------
    def submit(self, p: Principal, order_id: str, expected: int | None) -> Order:
        return self._mutate(p, order_id, expected, Submit(p, self._clock()))

    def approve(
        self,
        p: Principal,
        order_id: str,
        trims: list[dict[str, Any]],
        expected: int | None,
        *,
        link: LinkUse | None = None,
    ) -> Order:
        """`link`: the e-mail link this decision came through, spent in its write (services/action_links.py)."""
        return self._mutate(p, order_id, expected, Decide(p, Action.APPROVE, trims=trims, link=link))

    def reject(
        self, p: Principal, order_id: str, reason: str, expected: int | None, *, link: LinkUse | None = None
    ) -> Order:
        return self._mutate(p, order_id, expected, Decide(p, Action.REJECT, reason, link=link))

    def accept(self, p: Principal, order_id: str, expected: int | None, *, link: LinkUse | None = None) -> Order:
        """`link`: the e-mail link an approver accepted through, spent in its write (services/action_links.py)."""
        return self._mutate(p, order_id, expected, Accept(p, self._clock(), link))

    def decline(
        self, p: Principal, order_id: str, reason: str, expected: int | None, *, link: LinkUse | None = None
    ) -> Order:
        return self._mutate(p, order_id, expected, Decide(p, Action.DECLINE, reason, link=link))

    def cancel(self, p: Principal, order_id: str, reason: str, expected: int | None) -> Order:
        return self._mutate(p, order_id, expected, Decide(p, Action.CANCEL, reason))

    # --- supplier side ------------------------------------------------------------------------------
    def send(self, p: Principal, order_id: str, expected: int | None) -> Order:
        return self._mutate(p, order_id, expected, Send(p, self._clock()))

    def confirm(self, p: Principal, order_id: str, expected: int | None) -> Order:
        return self._mutate(p, order_id, expected, Confirm(p))

    def release_credit_hold(self, p: Principal, order_id: str, expected: int | None) -> Order:
        return self._mutate(p, order_id, expected, ReleaseCreditHold(p))

    def propose(
        self,
        p: Principal,
        order_id: str,
        note: str | None,
        changes: list[dict[str, Any]],
        add_lines: list[dict[str, Any]],
        expected: int | None,
    ) -> Order:
        return self._mutate(p, order_id, expected, Propose(p, self._clock(), note, changes, add_lines))

    # --- fulfilment ---------------------------------------------------------------------------------
    def ship(self, p: Principal, order_id: str, data: dict[str, Any]) -> Order:
        return self._mutate(p, order_id, None, Ship(p, data))

    # Each money action reads the customer and its ledger in its one BatchGet and writes the ledger as the
    # order's money moved in the order's transaction (storage/ledger.py).
    def invoice(self, p: Principal, order_id: str, data: dict[str, Any]) -> Order:
        return self._mutate(p, order_id, None, RecordMoney(p, Action.INVOICE, data))

    def credit_note(self, p: Principal, order_id: str, data: dict[str, Any]) -> Order:
        return self._mutate(p, order_id, None, RecordMoney(p, Action.CREDIT, data))

    def pay(self, p: Principal, order_id: str, data: dict[str, Any]) -> Order:
        return self._mutate(p, order_id, None, RecordMoney(p, Action.PAY, data))

    # --- messages and reorder -----------------------------------------------------------------------
    def post_message(self, p: Principal, order_id: str, body: str) -> Message:
        from chalicelib.domain.clock import now_iso

        loaded = self._load(p, order_id)
        message = Message(new_id(), p.user_id, p.kind.value, body, now_iso(), p.name or None)
        loaded.order.record_message(p.user_id, message.id, body)
        self._store.add_message(p.tenant, loaded.order, loaded.sales_rep_id, message, p.kind.value)
        return message

    def messages(self, p: Principal, order_id: str, limit: int, cursor: str | None) -> Page[Message]:
        self._load(p, order_id)
        return self._store.messages(p.tenant, order_id, limit, cursor)


# --- the actions: each what it needs read besides the order, and what it does with both ---------------
def _month(now: datetime) -> str:
    return now.strftime("%Y-%m")


def _counted_in(o: Order, now: datetime) -> str:
    """The month an order counts in against its customer's budget (this month, if it counts nowhere yet)."""
    return o.budget.month if o.budget else _month(now)


def _path(o: Order) -> list[str]:
    return o.customer_path or [o.customer_id]


@dataclass
class Submit:
    p: Principal
    now: datetime

    def needs(self, o: Order) -> Needs:
        allow(self.p, o, Action.SUBMIT, "submit")
        o.check(Action.SUBMIT)
        # Whether anyone else approves is read now, in the one BatchGet, in case approval is needed (an
        # approver's own order never needs it).
        asked = () if approves(self.p, o) else _path(o)
        refs = [ProductRef(product_id=line.product_id) for line in o.lines]
        return Needs(refs, settings=True, caller=True, months=[_month(self.now)], approvers_of=asked, ledger=True)

    def apply(self, loaded: Loaded, r: Found, w: Write) -> None:
        p, o, month = self.p, loaded.order, _month(self.now)
        can_approve = approves(p, o)
        customer = r.customer
        _reprice(o, r.offers)
        total = o.totals.gross
        spent = r.spent(p.tenant, month)
        over_budget = not can_approve and not budgets.within(spent, budgets.cents(total), customer.monthly_budget)
        need = approval_reasons(
            submitter_can_approve=can_approve,
            policy=customer.approval_policy,
            total=total,
            approval_limit=r.caller(p.user_id).approval_limit,
            over_budget=over_budget,
            budget=customer.monthly_budget,
            spent=Decimal(spent) / 100,
        )
        if need and not r.approver_ids - {p.user_id}:
            raise ConflictError(NOBODY_APPROVES, code="no_approver")
        o.submit(p.user_id, need)
        o.check_credit(p.user_id, customer.credit_limit, r.ledger.outstanding)
        if need:
            s = r.refs.settings or TenantSettings(p.tenant, p.tenant)  # defaults where none are stored
            o.plan_approval_reminders(self.now, s.approval_reminder_hours, s.approval_escalation_hours)
        if not can_approve and customer.monthly_budget is not None:
            w.budget_limits[month] = budgets.cents(customer.monthly_budget)  # spent meanwhile: decide again


_SAYS = {Action.APPROVE: "approve", Action.REJECT: "reject", Action.DECLINE: "decline", Action.CANCEL: "cancel"}


@dataclass
class Decide:
    """Approve, reject, decline or cancel: whether the policy lets the caller, then the transition; nothing
    is read. `link`: the e-mail link the decision came through, spent in its write (services/action_links.py)."""

    p: Principal
    act: Action
    reason: str = ""
    trims: list[dict[str, Any]] = field(default_factory=list)
    link: LinkUse | None = None

    def needs(self, o: Order) -> None:
        allow(self.p, o, self.act, _SAYS[self.act])

    def apply(self, loaded: Loaded, r: Found, w: Write) -> None:
        o, by, standing_in = loaded.order, self.p.user_id, self.p.on_behalf_of or None
        w.link = self.link
        if self.act == Action.APPROVE:
            o.approve(by, self.trims, standing_in)  # an approver may take the month over its budget
        elif self.act == Action.REJECT:
            o.reject(by, self.reason, standing_in)
        elif self.act == Action.DECLINE:
            o.decline(by, self.reason)
        else:
            o.cancel(by, self.reason)  # what it counted goes back to the month it was counted in


@dataclass
class Accept:
    p: Principal
    now: datetime
    link: LinkUse | None

    def needs(self, o: Order) -> Needs | None:
        p = self.p
        if not may(p, o, Action.ACCEPT):
            # a buyer of a proposal only an approver may accept is told why
            forbid(may(p, o, Action.DECLINE), "accept")
            raise ForbiddenError(NEEDS_AN_APPROVER)
        o.check(Action.ACCEPT)
        # A buyer's acceptance may need approval; a staff order is taken when the customer accepts it: then
        # its credit is checked too.
        if approves(p, o) and o.source != "staff":
            return None
        return Needs(caller=True, months=[_counted_in(o, self.now)], ledger=o.source == "staff")

    def apply(self, loaded: Loaded, r: Found, w: Write) -> None:
        p, o = self.p, loaded.order
        w.link = self.link
        if not approves(p, o):
            # The proposed total may need approval: the policy, the buyer's limit, or the month's budget
            # (what accepting adds to the month the order counts in).
            customer, month = r.customer, _counted_in(o, self.now)
            proposed = o.proposed_totals().gross
            adds = budgets.cents(proposed) - (o.budget.cents if o.budget else 0)
            over_budget = not budgets.within(r.spent(p.tenant, month), adds, customer.monthly_budget)
            if approval_reasons(
                submitter_can_approve=False,
                policy=customer.approval_policy,
                total=proposed,
                approval_limit=r.caller(p.user_id).approval_limit,
                over_budget=over_budget,
            ):
                raise ForbiddenError(NEEDS_AN_APPROVER)
            if customer.monthly_budget is not None:
                w.budget_limits[month] = budgets.cents(customer.monthly_budget)
        checks_credit = o.source == "staff"  # before accepting, which makes nothing of its source
        o.accept(p.user_id)
        if checks_credit:
            o.check_credit(p.user_id, r.customer.credit_limit, r.ledger.outstanding)


def _lift_hold_needs(o: Order) -> Needs | None:
    """An order on credit hold is released once payments brought what the customer owes down far enough
    for it to be taken now: checked (the customer's ledger, one more read) when it is confirmed or shipped."""
    return Needs(ledger=True) if o.credit_hold else None


def _lift_hold_if_paid(p: Principal, o: Order, r: Found) -> None:
    if o.credit_hold and o.credit_within(r.customer.credit_limit, r.ledger.outstanding):
        o.release_credit_hold(p.user_id, "Payments brought the customer within its credit limit.")


@dataclass
class Confirm:
    p: Principal

    def needs(self, o: Order) -> Needs | None:
        allow(self.p, o, Action.CONFIRM, "confirm")
        o.check(Action.CONFIRM)
        return _lift_hold_needs(o)

    def apply(self, loaded: Loaded, r: Found, w: Write) -> None:
        _lift_hold_if_paid(self.p, loaded.order, r)
        loaded.order.confirm(self.p.user_id)  # a phone order confirmed from its draft now counts


@dataclass
class ReleaseCreditHold:
    p: Principal

    def needs(self, o: Order) -> None:
        allow(self.p, o, Action.RELEASE_CREDIT_HOLD, "release the credit hold of")

    def apply(self, loaded: Loaded, r: Found, w: Write) -> None:
        loaded.order.release_credit_hold(self.p.user_id)


@dataclass
class _Proposing:
    """Sending a staff order or proposing changes: both decide whether accepting needs an approver."""

    p: Principal
    now: datetime

    def _acceptance_needs(self, o: Order, refs: list[ProductRef]) -> Needs:
        """What deciding whether accepting a proposal needs an approver reads, in the action's one BatchGet:
        the customer (its policy and budget), the submitter (their limit), the month the order counts in and
        who approves on its path."""
        month = _counted_in(o, self.now)
        submitter = [o.submitted_by] if o.source == "portal" and o.submitted_by else []
        return Needs(refs, users=submitter, months=[month], approvers_of=_path(o))

    def _acceptance(self, o: Order, r: Found) -> list[dict[str, Any]]:
        """Why accepting the proposal being sent needs an approver (empty: its buyer may accept it), as
        accepting would decide it for the submitter now (a staff order: for a buyer without a limit). 409
        `no_approver` when it does and nobody could approve: an order never waits on nobody."""
        customer, proposed = r.customer, o.proposed_totals().gross
        month = _counted_in(o, self.now)
        submitter = r.refs.users.get(o.submitted_by or "") if o.source == "portal" else None
        spent = r.spent(self.p.tenant, month)
        adds = budgets.cents(proposed) - (o.budget.cents if o.budget else 0)
        reasons = approval_reasons(
            submitter_can_approve=submitter is not None and submitter.id in r.approver_ids,
            policy=customer.approval_policy,
            total=proposed,
            approval_limit=submitter.approval_limit if submitter else None,
            over_budget=not budgets.within(spent, adds, customer.monthly_budget),
            budget=customer.monthly_budget,
            spent=Decimal(spent) / 100,
        )
        if reasons and not r.approver_ids:
            why = ", ".join(str(reason["code"]).replace("_", " ") for reason in reasons)
            raise ConflictError(NOBODY_ACCEPTS.format(why=why), code="no_approver")
        return reasons


@dataclass
class Send(_Proposing):
    def needs(self, o: Order) -> Needs:
        allow(self.p, o, Action.SEND, "send")
        o.check(Action.SEND)
        return self._acceptance_needs(o, [])

    def apply(self, loaded: Loaded, r: Found, w: Write) -> None:
        o = loaded.order
        o.send(self.p.user_id)
        o.guard_acceptance(self._acceptance(o, r))


@dataclass
class Propose(_Proposing):
    note: str | None
    changes: list[dict[str, Any]]
    add_lines: list[dict[str, Any]]

    def needs(self, o: Order) -> Needs:
        allow(self.p, o, Action.PROPOSE, "propose changes to")
        o.check(Action.PROPOSE)
        for c in self.changes:
            line_or_404(o, c["id"])
        return self._acceptance_needs(o, [ref_of(a) for a in self.add_lines])

    def apply(self, loaded: Loaded, r: Found, w: Write) -> None:
        o = loaded.order
        added: list[Line] = []
        for i, (a, offer) in enumerate(zip(self.add_lines, r.offers, strict=True)):
            if offer is None:
                raise invalid_field(f"add_lines[{i}]", "No product matches this reference.")
            price = a.get("unit_price") if a.get("unit_price") is not None else offer.unit_price(a["quantity"])
            added.append(line_from(offer, a["quantity"], None, price))
        o.propose(self.p.user_id, self.note, self.changes, added)
        o.guard_acceptance(self._acceptance(o, r))


@dataclass
class Ship:
    p: Principal
    data: dict[str, Any]

    def needs(self, o: Order) -> Needs | None:
        allow(self.p, o, Action.SHIP, "record shipments on")
        for line in self.data.get("lines") or []:
            line_or_404(o, line["id"])
        o.check(Action.SHIP)
        return _lift_hold_needs(o)

    def apply(self, loaded: Loaded, r: Found, w: Write) -> None:
        data, by = self.data, self.p.user_id
        doc = new_document(
            "shipment",
            by,
            date=data["date"],
            number=data["document_number"],
            carrier=data.get("carrier"),
            tracking_number=data.get("tracking_number"),
        )
        quantities = {line["id"]: line["quantity"] for line in data.get("lines") or []}
        _lift_hold_if_paid(self.p, loaded.order, r)
        loaded.order.record_shipment(by, doc, quantities or None)


_MONEY = {
    Action.INVOICE: "record invoices on",
    Action.CREDIT: "record credit notes on",
    Action.PAY: "record payments on",
}


@dataclass
class RecordMoney:
    """An invoice, a credit note or a payment: the customer's ledger is read with the customer and written
    as the order's money moved, in the order's transaction (storage/ledger.py)."""

    p: Principal
    act: Action
    data: dict[str, Any]

    def needs(self, o: Order) -> Needs:
        allow(self.p, o, self.act, _MONEY[self.act])
        o.check(self.act)
        return Needs(ledger=True)

    def apply(self, loaded: Loaded, r: Found, w: Write) -> None:
        o, data, by = loaded.order, self.data, self.p.user_id
        before = o.balance()
        day, number, amount = data["date"], data.get("number"), data["amount"]
        if self.act == Action.INVOICE:
            doc = new_document("invoice", by, date=day, number=number, amount=amount, due_date=data.get("due_date"))
            o.record_invoice(by, doc, r.customer.payment_terms)  # the terms as they are now
        elif self.act == Action.CREDIT:
            doc = new_document("credit_note", by, date=day, number=number, amount=amount, reason=data["reason"])
            o.record_credit_note(by, doc)
        else:
            doc = new_document("payment", by, date=day, number=data["reference"], amount=amount)
            o.record_payment(by, doc)
        w.ledger = o.ledger_move(r.ledger, before)


def _reprice(o: Order, offers: list[Offer | None]) -> None:
    """Prices are frozen at submit: take the current effective price of every line once more."""
    problems = []
    for i, (line, offer) in enumerate(zip(o.lines, offers, strict=True)):
        if offer is None or not offer.orderable:
            problems.append({"field": f"lines[{i}]", "message": f"{line.sku} can no longer be ordered."})
            continue
        line.unit_price = offer.unit_price(line.quantity)
    if problems:
        raise ValidationFailedError("Some lines can no longer be ordered; remove them first.", details=problems)
