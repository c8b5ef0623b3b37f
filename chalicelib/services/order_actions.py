"""The order lifecycle after the draft (PRODUCT.md "Order lifecycle"): submit and approval, the
supplier's review and proposals, the customer's answer, cancel, fulfilment, and the order's messages.
Each is one domain transition through the one write path (order_writes.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from chalicelib.auth.principal import Principal
from chalicelib.domain import budget as budgets
from chalicelib.domain.authority import Act
from chalicelib.domain.errors import ConflictError, ForbiddenError, ValidationFailedError, invalid_field
from chalicelib.domain.ids import new_id
from chalicelib.domain.model import TenantSettings
from chalicelib.domain.orders import (
    Action,
    Line,
    Message,
    Order,
    approval_reasons,
    needs_approval,
    new_document,
)
from chalicelib.domain.permissions import Permission
from chalicelib.services.order_catalog import Offer, ProductRef
from chalicelib.services.order_store import LinkUse
from chalicelib.services.order_visibility import allow, approves, forbid, may
from chalicelib.services.order_writes import Found, OrderWrites, Write, line_from, line_or_404, ref_of
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
        def change(loaded: Loaded, w: Write) -> None:
            o = loaded.order
            allow(p, o, Act.SUBMIT, "submit")
            o.check(Action.SUBMIT)
            month = self._month()
            refs = [ProductRef(product_id=line.product_id) for line in o.lines]
            can_approve = approves(p, o)
            path = o.customer_path or [o.customer_id]
            # Whether anyone else approves is read now, in the one BatchGet, in case approval is needed (an
            # approver's own order never needs it).
            asked = () if can_approve else path
            r = self._reads(
                p, o.customer_id, refs=refs, caller=True, months=[month], settings=True, approvers_of=asked, ledger=True
            )
            customer = r.customer
            _reprice(o, r.offers)
            total = o.totals.gross
            over_budget = not can_approve and not budgets.within(
                r.spent(p.tenant, month), budgets.cents(total), customer.monthly_budget
            )
            spent = r.spent(p.tenant, month)
            need = approval_reasons(
                submitter_can_approve=can_approve,
                policy=customer.approval_policy,
                total=total,
                approval_limit=r.caller(p.user_id).approval_limit,
                over_budget=over_budget,
                budget=customer.monthly_budget,
                spent=Decimal(spent) / 100,
            )
            if need and not self._store.approver_ids(p.tenant, path, r.refs) - {p.user_id}:
                raise ConflictError(NOBODY_APPROVES, code="no_approver")
            o.submit(p.user_id, need)
            o.check_credit(p.user_id, customer.credit_limit, r.ledger.outstanding)
            if need:
                s = r.refs.settings or TenantSettings(p.tenant, p.tenant)  # defaults where none are stored
                o.plan_approval_reminders(self._clock(), s.approval_reminder_hours, s.approval_escalation_hours)
            if not can_approve and customer.monthly_budget is not None:
                w.budget_limits[month] = budgets.cents(customer.monthly_budget)  # spent meanwhile: decide again

        return self._mutate(p, order_id, expected, change)

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

        def change(loaded: Loaded, w: Write) -> None:
            w.link = link
            allow(p, loaded.order, Act.APPROVE, "approve")
            # an approver may take the month over its budget
            loaded.order.approve(p.user_id, trims, p.on_behalf_of or None)

        return self._mutate(p, order_id, expected, change)

    def reject(
        self, p: Principal, order_id: str, reason: str, expected: int | None, *, link: LinkUse | None = None
    ) -> Order:
        def change(loaded: Loaded, w: Write) -> None:
            w.link = link
            allow(p, loaded.order, Act.REJECT, "reject")
            loaded.order.reject(p.user_id, reason, p.on_behalf_of or None)

        return self._mutate(p, order_id, expected, change)

    def accept(self, p: Principal, order_id: str, expected: int | None, *, link: LinkUse | None = None) -> Order:
        """`link`: the e-mail link an approver accepted through, spent in its write (services/action_links.py)."""

        def change(loaded: Loaded, w: Write) -> None:
            w.link = link
            o = loaded.order
            if not may(p, o, Act.ACCEPT):
                # a buyer of a proposal only an approver may accept is told why
                forbid(may(p, o, Act.DECLINE), "accept")
                raise ForbiddenError(NEEDS_AN_APPROVER)
            o.check(Action.ACCEPT)
            checks_approval = not approves(p, o)
            # A staff order is taken when the customer accepts it: then its credit is checked too.
            checks_credit = o.source == "staff"
            month = o.budget.month if o.budget else self._month()
            r = (
                self._reads(p, o.customer_id, caller=True, months=[month], ledger=checks_credit)
                if checks_approval or checks_credit
                else None
            )
            if r is not None and checks_approval:
                # The proposed total may need approval: the policy, the buyer's limit, or the month's budget
                # (what accepting adds to the month the order counts in).
                customer = r.customer
                proposed = o.proposed_totals().gross
                adds = budgets.cents(proposed) - (o.budget.cents if o.budget else 0)
                over_budget = not budgets.within(r.spent(p.tenant, month), adds, customer.monthly_budget)
                if needs_approval(
                    submitter_can_approve=False,
                    policy=customer.approval_policy,
                    total=proposed,
                    approval_limit=r.caller(p.user_id).approval_limit,
                    over_budget=over_budget,
                ):
                    raise ForbiddenError(NEEDS_AN_APPROVER)
                if customer.monthly_budget is not None:
                    w.budget_limits[month] = budgets.cents(customer.monthly_budget)
            o.accept(p.user_id)
            if r is not None and checks_credit:
                o.check_credit(p.user_id, r.customer.credit_limit, r.ledger.outstanding)

        return self._mutate(p, order_id, expected, change)

    def decline(
        self, p: Principal, order_id: str, reason: str, expected: int | None, *, link: LinkUse | None = None
    ) -> Order:
        def change(loaded: Loaded, w: Write) -> None:
            w.link = link
            o = loaded.order
            allow(p, o, Act.DECLINE, "decline")
            o.decline(p.user_id, reason)

        return self._mutate(p, order_id, expected, change)

    def cancel(self, p: Principal, order_id: str, reason: str, expected: int | None) -> Order:
        def change(loaded: Loaded, w: Write) -> None:
            o = loaded.order
            allow(p, o, Act.CANCEL, "cancel")
            o.cancel(p.user_id, reason)  # what it counted goes back to the month it was counted in

        return self._mutate(p, order_id, expected, change)

    # --- supplier side ------------------------------------------------------------------------------
    def send(self, p: Principal, order_id: str, expected: int | None) -> Order:
        def change(loaded: Loaded, w: Write) -> None:
            o = loaded.order
            allow(p, o, Act.SEND, "send")
            o.check(Action.SEND)
            r = self._reads(p, o.customer_id, **self._acceptance_reads(o))
            o.send(p.user_id)
            o.guard_acceptance(self._acceptance(p, o, r, o.proposed_totals().gross))

        return self._mutate(p, order_id, expected, change)

    def confirm(self, p: Principal, order_id: str, expected: int | None) -> Order:
        def change(loaded: Loaded, w: Write) -> None:
            allow(p, loaded.order, Act.CONFIRM, "confirm")
            loaded.order.check(Action.CONFIRM)
            self._lift_hold_if_paid(p, loaded.order)
            loaded.order.confirm(p.user_id)  # a phone order confirmed from its draft now counts

        return self._mutate(p, order_id, expected, change)

    def release_credit_hold(self, p: Principal, order_id: str, expected: int | None) -> Order:
        def change(loaded: Loaded, w: Write) -> None:
            allow(p, loaded.order, Act.RELEASE_CREDIT_HOLD, "release the credit hold of")
            loaded.order.release_credit_hold(p.user_id)

        return self._mutate(p, order_id, expected, change)

    def _lift_hold_if_paid(self, p: Principal, o: Order) -> None:
        """An order on credit hold is released once payments brought what the customer owes down far enough
        for it to be taken now: checked (one more read) when it is confirmed or shipped."""
        if not o.credit_hold:
            return
        r = self._reads(p, o.customer_id, ledger=True)
        if o.credit_within(r.customer.credit_limit, r.ledger.outstanding):
            o.release_credit_hold(p.user_id, "Payments brought the customer within its credit limit.")

    def propose(
        self,
        p: Principal,
        order_id: str,
        note: str | None,
        changes: list[dict[str, Any]],
        add_lines: list[dict[str, Any]],
        expected: int | None,
    ) -> Order:
        def change(loaded: Loaded, w: Write) -> None:
            o = loaded.order
            allow(p, o, Act.PROPOSE, "propose changes to")
            o.check(Action.PROPOSE)
            for c in changes:
                line_or_404(o, c["id"])
            added: list[Line] = []
            r = self._reads(p, o.customer_id, refs=[ref_of(a) for a in add_lines], **self._acceptance_reads(o))
            if add_lines:
                offers = r.offers
                for i, (a, offer) in enumerate(zip(add_lines, offers, strict=True)):
                    if offer is None:
                        raise invalid_field(f"add_lines[{i}]", "No product matches this reference.")
                    price = a.get("unit_price") if a.get("unit_price") is not None else offer.unit_price(a["quantity"])
                    added.append(line_from(offer, a["quantity"], None, price))
            o.propose(p.user_id, note, changes, added)
            o.guard_acceptance(self._acceptance(p, o, r, o.proposed_totals().gross))

        return self._mutate(p, order_id, expected, change)

    def _acceptance_reads(self, o: Order) -> dict[str, Any]:
        """What deciding whether accepting a proposal needs an approver reads, in the action's one BatchGet:
        the customer (its policy and budget), the submitter (their limit), the month the order counts in and
        who approves on its path."""
        month = o.budget.month if o.budget else self._month()
        submitter = [o.submitted_by] if o.source == "portal" and o.submitted_by else []
        return {"users": submitter, "months": [month], "approvers_of": o.customer_path or [o.customer_id]}

    def _acceptance(self, p: Principal, o: Order, r: Found, proposed: Decimal) -> list[dict[str, Any]]:
        """Why accepting the proposal being sent needs an approver (empty: its buyer may accept it), as
        accepting would decide it for the submitter now (a staff order: for a buyer without a limit). 409
        `no_approver` when it does and nobody could approve: an order never waits on nobody."""
        customer = r.customer
        month = o.budget.month if o.budget else self._month()
        submitter = r.refs.users.get(o.submitted_by or "") if o.source == "portal" else None
        path = o.customer_path or [o.customer_id]
        approver_ids = self._store.approver_ids(p.tenant, path, r.refs)
        spent = r.spent(p.tenant, month)
        adds = budgets.cents(proposed) - (o.budget.cents if o.budget else 0)
        reasons = approval_reasons(
            submitter_can_approve=submitter is not None and submitter.id in approver_ids,
            policy=customer.approval_policy,
            total=proposed,
            approval_limit=submitter.approval_limit if submitter else None,
            over_budget=not budgets.within(spent, adds, customer.monthly_budget),
            budget=customer.monthly_budget,
            spent=Decimal(spent) / 100,
        )
        if reasons and not approver_ids:
            why = ", ".join(str(reason["code"]).replace("_", " ") for reason in reasons)
            raise ConflictError(NOBODY_ACCEPTS.format(why=why), code="no_approver")
        return reasons

    # --- fulfilment ---------------------------------------------------------------------------------
    def ship(self, p: Principal, order_id: str, data: dict[str, Any]) -> Order:
        def change(loaded: Loaded, w: Write) -> None:
            allow(p, loaded.order, Act.SHIP, "record shipments on")
            doc = new_document(
                "shipment",
                p.user_id,
                date=data["date"],
                number=data["document_number"],
                carrier=data.get("carrier"),
                tracking_number=data.get("tracking_number"),
            )
            quantities = {line["id"]: line["quantity"] for line in data.get("lines") or []}
            for line_id in quantities:
                line_or_404(loaded.order, line_id)
            loaded.order.check(Action.SHIP)
            self._lift_hold_if_paid(p, loaded.order)
            loaded.order.record_shipment(p.user_id, doc, quantities or None)

        return self._mutate(p, order_id, None, change)

    # Each money action reads the customer and its ledger in its one BatchGet and writes the ledger as the
    # order's money moved in the order's transaction (storage/ledger.py).
    def invoice(self, p: Principal, order_id: str, data: dict[str, Any]) -> Order:
        def change(loaded: Loaded, w: Write) -> None:
            allow(p, loaded.order, Act.INVOICE, "record invoices on")
            o = loaded.order
            o.check(Action.INVOICE)
            r = self._reads(p, o.customer_id, ledger=True)
            before = o.balance()
            doc = new_document(
                "invoice",
                p.user_id,
                date=data["date"],
                number=data["number"],
                amount=data["amount"],
                due_date=data.get("due_date"),
            )
            o.record_invoice(p.user_id, doc, r.customer.payment_terms)  # the terms as they are now
            w.ledger = o.ledger_move(r.ledger, before)

        return self._mutate(p, order_id, None, change)

    def credit_note(self, p: Principal, order_id: str, data: dict[str, Any]) -> Order:
        def change(loaded: Loaded, w: Write) -> None:
            allow(p, loaded.order, Act.CREDIT, "record credit notes on")
            o = loaded.order
            o.check(Action.CREDIT)
            r = self._reads(p, o.customer_id, ledger=True)
            before = o.balance()
            doc = new_document(
                "credit_note",
                p.user_id,
                date=data["date"],
                number=data["number"],
                amount=data["amount"],
                reason=data["reason"],
            )
            o.record_credit_note(p.user_id, doc)
            w.ledger = o.ledger_move(r.ledger, before)

        return self._mutate(p, order_id, None, change)

    def pay(self, p: Principal, order_id: str, data: dict[str, Any]) -> Order:
        def change(loaded: Loaded, w: Write) -> None:
            allow(p, loaded.order, Act.PAY, "record payments on")
            o = loaded.order
            o.check(Action.PAY)
            r = self._reads(p, o.customer_id, ledger=True)
            before = o.balance()
            doc = new_document("payment", p.user_id, date=data["date"], number=data["reference"], amount=data["amount"])
            o.record_payment(p.user_id, doc)
            w.ledger = o.ledger_move(r.ledger, before)

        return self._mutate(p, order_id, None, change)

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
