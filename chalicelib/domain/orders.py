"""The Order aggregate and its lifecycle: one explicit transition table, methods that either apply a
whole action or raise a typed error, and a history entry plus a recorded event for every action.

Pure Python: no storage, no HTTP, no e-mail. Services load an Order, call one method, save it. What an
order is made of: domain/order_parts.py; when it needs approval and why: domain/approval.py; when it is
reminded: domain/approval_schedule.py.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date as Date
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from chalicelib.domain.accounts import (
    Balance,
    Billed,
    Ledger,
    LedgerMove,
    StatementLine,
    balance,
    check_credit_note,
    check_invoice,
    check_payment,
    over_credit_limit,
)
from chalicelib.domain.approval_schedule import escalation_due, next_due, waiting_since
from chalicelib.domain.attachments import EXTENSIONS, MAX_ATTACHMENTS, MAX_PENDING_ATTACHMENTS
from chalicelib.domain.budget import BudgetMove, Counted, settle
from chalicelib.domain.clock import now_iso
from chalicelib.domain.errors import ConflictError, InvalidTransitionError, ValidationFailedError, invalid_field
from chalicelib.domain.ids import new_id
from chalicelib.domain.money import MAX_AMOUNT, MAX_QUANTITY, ZERO, money
from chalicelib.domain.order_parts import Attachment as Attachment  # re-exported: an order's parts
from chalicelib.domain.order_parts import Document as Document
from chalicelib.domain.order_parts import HistoryEntry as HistoryEntry
from chalicelib.domain.order_parts import Line as Line
from chalicelib.domain.order_parts import Message as Message
from chalicelib.domain.order_parts import OrderEvent as OrderEvent
from chalicelib.domain.order_parts import ProposalInfo as ProposalInfo
from chalicelib.domain.order_parts import Proposed as Proposed
from chalicelib.domain.order_parts import Revision as Revision
from chalicelib.domain.order_parts import Totals as Totals
from chalicelib.domain.order_parts import attachment_json, document_json, line_json, shipped_json
from chalicelib.domain.order_parts import new_document as new_document
from chalicelib.domain.order_parts import new_line as new_line
from chalicelib.domain.order_states import Action as Action  # re-exported: the lifecycle names them
from chalicelib.domain.order_states import EventType as EventType
from chalicelib.domain.order_states import NoticeType as NoticeType
from chalicelib.domain.order_states import OrderStatus as OrderStatus

MAX_LINES = 1000
EMAILED_LINES = 25  # the approval e-mail lists this many lines, then "and N more" (PRODUCT.md)


S = OrderStatus
# Where each kind of money document appears on the order (API.md), for history entries' `changes`.
_COLLECTION = {"invoice": "invoices", "credit_note": "credit_notes", "payment": "payments"}
# The lifecycle of PRODUCT.md: in which statuses each action is allowed. Anything else is a 409.
ALLOWED_FROM: dict[Action, frozenset[OrderStatus]] = {
    Action.EDIT: frozenset({S.DRAFT}),
    Action.SUBMIT: frozenset({S.DRAFT}),  # customer-created drafts only
    Action.SEND: frozenset({S.DRAFT}),  # staff-created drafts only
    Action.CONFIRM: frozenset({S.SUBMITTED, S.DRAFT}),  # a draft only when staff-created (phone order)
    Action.APPROVE: frozenset({S.PENDING_APPROVAL}),
    Action.REJECT: frozenset({S.PENDING_APPROVAL}),
    Action.PROPOSE: frozenset({S.SUBMITTED}),
    Action.ACCEPT: frozenset({S.AWAITING_CUSTOMER}),
    Action.DECLINE: frozenset({S.AWAITING_CUSTOMER}),
    Action.CANCEL: frozenset({S.DRAFT, S.PENDING_APPROVAL, S.SUBMITTED, S.AWAITING_CUSTOMER}),
    Action.SHIP: frozenset({S.CONFIRMED, S.PARTIALLY_SHIPPED}),
    Action.INVOICE: frozenset({S.CONFIRMED, S.PARTIALLY_SHIPPED, S.SHIPPED}),
    Action.CREDIT: frozenset({S.CONFIRMED, S.PARTIALLY_SHIPPED, S.SHIPPED}),
    Action.PAY: frozenset({S.CONFIRMED, S.PARTIALLY_SHIPPED, S.SHIPPED}),
    # Where an order can be on credit hold (taken at submit, approval or acceptance; nothing ships on hold):
    # the hold itself decides (`release_credit_hold`: 409 when there is none).
    Action.RELEASE_CREDIT_HOLD: frozenset({S.PENDING_APPROVAL, S.SUBMITTED, S.AWAITING_CUSTOMER, S.CONFIRMED}),
}
# Statuses in which the order counts against the customer's monthly budget.
COMMITTED = frozenset({S.SUBMITTED, S.AWAITING_CUSTOMER, S.CONFIRMED, S.PARTIALLY_SHIPPED, S.SHIPPED, S.COMPLETED})


@dataclass
class Order:
    id: str
    tenant: str
    number: str
    customer_id: str
    customer_name: str
    site_id: str | None
    source: str  # portal | staff
    created_by: str
    currency: str
    status: OrderStatus = OrderStatus.DRAFT
    invoice_status: str = "not_invoiced"
    payment_status: str = "unpaid"
    submitted_by: str | None = None
    customer_reference: str | None = None
    supplier_reference: str | None = None  # the ERP's number for the order (staff, any status)
    requested_delivery_date: Date | None = None
    delivery_address: dict[str, Any] | None = None
    delivery_method: str | None = None
    billing_address: dict[str, Any] | None = None
    payment_method: str | None = None
    notes: str | None = None
    # The customer and its ancestors, nearest first: whose approvers may act on this order.
    customer_path: list[str] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    proposal: ProposalInfo | None = None
    revisions: list[Revision] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    # What the order counts against its customer's monthly budget, and in which month (domain/budget.py).
    budget: Counted | None = None
    # Why the order waits for approval (`approval_reasons`), kept while it waits: the approval e-mail, its
    # reminders and the action page say it without recomputing it from since-changed limits or budgets.
    approval_reasons: list[dict[str, Any]] = field(default_factory=list)
    # Why accepting the open proposal needs an approver (empty: a buyer may accept it), decided when it is
    # sent with the submitter's limit and the month's budget (domain/authority.py: who may accept, who is told).
    acceptance_reasons: list[dict[str, Any]] = field(default_factory=list)
    # While it waits: when its approvers are next reminded (or it is escalated), and whether it was
    # escalated already (`plan_approval_reminders`, `remind`). Storage indexes the due time (keys.py).
    approval_due_at: str | None = None
    approval_escalated: bool = False
    # Taken past the customer's credit limit (domain/accounts.py): nothing is confirmed or shipped until staff
    # release it or payments bring the customer back within the limit.
    credit_hold: bool = False
    created_at: str = field(default_factory=now_iso)
    updated_at: str = field(default_factory=now_iso)
    version: int = 0
    events: list[OrderEvent] = field(default_factory=list, repr=False, compare=False)

    # --- derived ----------------------------------------------------------------------------------
    @property
    def agreed_lines(self) -> list[Line]:
        """The lines as agreed: a line the supplier only proposes to add is not one of them yet."""
        return [line for line in self.lines if not (line.proposed and line.proposed.added)]

    @property
    def totals(self) -> Totals:
        """Of the agreed lines: while a proposal is open they stay what was agreed (API.md)."""
        lines = self.agreed_lines
        net = sum((line.net for line in lines), ZERO)
        tax = sum((line.tax for line in lines), ZERO)
        return Totals(money(net), money(tax), money(net + tax))

    def _proposed_json(self) -> dict[str, str]:
        t = self.proposed_totals()
        return {"net": str(t.net), "tax": str(t.tax), "gross": str(t.gross)}

    def proposed_totals(self) -> Totals:
        """What the totals would be if the open proposal were accepted."""
        preview = [_apply_proposal(dataclasses.replace(line)) for line in self.lines]
        kept = [line for line in preview if line is not None]
        net = sum((line.net for line in kept), ZERO)
        tax = sum((line.tax for line in kept), ZERO)
        return Totals(money(net), money(tax), money(net + tax))

    def check_limits(self) -> None:
        """The bounds of API.md hold for what the order adds up to, not only for what a request
        carried: adding to a line can pass a million units, a million units at a large price can pass
        a billion. Checked after every change, before it is saved; a breach is a 422."""
        for i, line in enumerate(self.lines):
            quantities = [line.quantity, line.proposed.quantity if line.proposed else None]
            if any(q is not None and q > MAX_QUANTITY for q in quantities):
                raise invalid_field(f"lines[{i}].quantity", f"A line holds at most {MAX_QUANTITY} units.")
        totals = [self.totals, self.proposed_totals()] if any(line.proposed for line in self.lines) else [self.totals]
        if any(t.gross > MAX_AMOUNT for t in totals):
            raise invalid_field("lines", f"An order's total is at most {MAX_AMOUNT}.")

    def line(self, line_id: str) -> Line:
        for line in self.lines:
            if line.id == line_id:
                return line
        raise invalid_field("lines", f"The order has no line '{line_id}'.")

    def backordered(self, line: Line) -> Decimal:
        """What a line still waits for once part of the order has shipped (nothing before any shipment)."""
        return line.outstanding if self.documents_of("shipment") else Decimal("0")

    def documents_of(self, kind: str) -> list[Document]:
        return [d for d in self.documents if d.kind == kind]

    # --- the lifecycle ----------------------------------------------------------------------------
    def check(self, action: Action) -> None:
        if self.status not in ALLOWED_FROM[action]:
            raise InvalidTransitionError(f"Cannot {action.value} an order that is {self.status.value}.")

    def _record(
        self, action: Action | str, by: str, to: OrderStatus, note: str | None = None, changes: list[str] | None = None
    ) -> None:
        entry = HistoryEntry(now_iso(), by, str(action), self.status.value, to.value, note, changes or [])
        self.history.append(entry)
        self.status = to
        self.updated_at = entry.at

    def _event(self, type_: EventType | NoticeType, by: str, **details: Any) -> None:
        """An event of the action under way: its details only. What the order is (status, totals...) is
        added when it is written (`event_data`): the order as the whole action left it, not as it stood
        when the event was recorded (a create records `order.created` before adding its lines)."""
        last = self.history[-1] if self.history else None
        data: dict[str, Any] = {
            "from_status": last.from_status if last else None,  # where the action that recorded it started
            **{k: v for k, v in details.items() if v is not None},
        }
        previous = self.events[-1].id if self.events else None
        self.events.append(OrderEvent(new_id(after=previous), type_, by, now_iso(), data))

    def event_data(self, event: OrderEvent) -> dict[str, Any]:
        """An event's `data` as it is written, with the order it belongs to (API.md "the order as that event
        left it"): the order after the whole action, at the version this write gives it."""
        totals = self.totals
        return {
            "status": self.status.value,
            "invoice_status": self.invoice_status,
            "payment_status": self.payment_status,
            "totals": {"net": str(totals.net), "tax": str(totals.tax), "gross": str(totals.gross)},
            "version": self.version,
            **event.data,
        }

    def record_created(self, by: str) -> None:
        """A new draft: its first history entry and event."""
        self.history.append(HistoryEntry(self.created_at, by, "create", None, self.status.value))
        self._event(EventType.CREATED, by)

    def record_message(self, by: str, message_id: str, body: str) -> None:
        """A message posted on the order: an event only (messages have their own list)."""
        # A message moves nothing: it was posted in the status the order is in.
        message = {"id": message_id, "body": body}
        self._event(EventType.MESSAGE_POSTED, by, message=message, from_status=self.status.value)

    def settle_budget(self, this_month: str) -> list[BudgetMove]:
        """After any change: what the order now counts against the month's budget, and the counter moves
        that take it there (nothing when nothing changed). Called by the one write path."""
        self.budget, moves = settle(
            self.customer_id, self.budget, counts_against_budget(self), self.totals.gross, this_month
        )
        return moves

    # drafts
    def add_line(self, line: Line, by: str, *, record: bool = True) -> Line:
        """Adds a product, or adds to the quantity of the line already holding it. Bulk additions
        (create, import) pass record=False and record one entry for the whole action."""
        self.check(Action.EDIT)
        for existing in self.lines:
            if existing.product_id == line.product_id:
                existing.quantity += line.quantity
                existing.unit_price = line.unit_price
                if line.requested_delivery_date:
                    existing.requested_delivery_date = line.requested_delivery_date
                if record:
                    self._record(Action.EDIT, by, self.status, changes=[f"lines.{existing.id}.quantity"])
                return existing
        if len(self.lines) >= MAX_LINES:
            raise invalid_field("lines", f"An order holds at most {MAX_LINES} lines.")
        self.lines.append(line)
        if record:
            self._record(Action.EDIT, by, self.status, changes=[f"lines.{line.id}"])
        return line

    def record_bulk_edit(self, by: str, note: str) -> None:
        self.check(Action.EDIT)
        self._record(Action.EDIT, by, self.status, note=note)

    def change_line(self, line_id: str, by: str, **changes: Any) -> Line:
        self.check(Action.EDIT)
        line = self.line(line_id)
        for key, value in changes.items():
            setattr(line, key, value)
        self._record(Action.EDIT, by, self.status, changes=[f"lines.{line_id}.{k}" for k in changes])
        return line

    def remove_line(self, line_id: str, by: str) -> None:
        self.check(Action.EDIT)
        self.lines.remove(self.line(line_id))
        self._record(Action.EDIT, by, self.status, changes=[f"lines.{line_id}"])

    def edit_header(self, by: str, changes: dict[str, Any]) -> None:
        self.check(Action.EDIT)
        for key, value in changes.items():
            setattr(self, key, value)
        self._record(Action.EDIT, by, self.status, changes=sorted(changes))

    def set_supplier_reference(self, by: str, reference: str | None) -> None:
        """The supplier's own number for the order (their ERP's): staff set it in any status, so it is
        no edit of the order (no status check), only a history entry."""
        if reference == self.supplier_reference:
            return
        self.supplier_reference = reference
        self._record("set_supplier_reference", by, self.status, note=reference, changes=["supplier_reference"])

    # buyer side
    def submit(self, by: str, needs_approval: bool | list[dict[str, Any]]) -> None:
        """`needs_approval`: the reasons approval is needed (`approval_reasons`), or a plain yes/no."""
        self.check(Action.SUBMIT)
        if self.source != "portal":
            raise InvalidTransitionError("An order the supplier created is sent, not submitted.")
        if not self.lines:
            raise invalid_field("lines", "An order needs at least one line to be submitted.")
        self.submitted_by = by
        if needs_approval:
            reasons = needs_approval if isinstance(needs_approval, list) else [{"code": "policy"}]
            self.approval_reasons = reasons
            self._record(Action.SUBMIT, by, S.PENDING_APPROVAL)
            # The e-mail to the approvers is composed from this event alone: it carries the lines it lists.
            self._event(
                EventType.APPROVAL_REQUESTED,
                by,
                reasons=reasons,
                lines=[line_json(line) for line in self.lines[:EMAILED_LINES]],
                line_count=len(self.lines),
            )
        else:
            self._record(Action.SUBMIT, by, S.SUBMITTED)
            self._event(EventType.SUBMITTED, by)

    def approve(self, by: str, trims: list[dict[str, Any]], on_behalf_of: str | None = None) -> None:
        self.check(Action.APPROVE)
        if self.submitted_by in (by, on_behalf_of):  # nobody approves their own order, delegate or not
            raise InvalidTransitionError("The submitter of an order cannot approve it.")
        changes: list[str] = []
        trimmed: list[dict[str, Any]] = []  # for the "approved" e-mail: what the approver changed
        for trim in trims:
            line = self.line(trim["id"])
            if trim.get("remove"):
                self.lines.remove(line)
                changes.append(f"lines.{line.id}")
                trimmed.append({"sku": line.sku, "name": line.name, "from": str(line.quantity), "removed": True})
            elif trim.get("quantity") is not None:
                if trim["quantity"] > line.quantity:
                    raise invalid_field("lines", "An approver may lower quantities, never raise them.")
                if trim["quantity"] != line.quantity:
                    was, now = str(line.quantity), str(trim["quantity"])
                    trimmed.append({"sku": line.sku, "name": line.name, "from": was, "to": now})
                line.quantity = trim["quantity"]
                changes.append(f"lines.{line.id}.quantity")
        if not self.lines:
            raise invalid_field("lines", "Approving would leave the order without lines; reject it instead.")
        self._record(Action.APPROVE, by, S.SUBMITTED, changes=changes)
        self.history[-1].on_behalf_of = on_behalf_of
        self._stop_waiting()
        self._event(EventType.APPROVED, by, trimmed=trimmed or None)
        self._event(EventType.SUBMITTED, by)

    def _stop_waiting(self) -> None:
        """A decision (or a cancel) stops reminders and escalation."""
        self.approval_reasons = []
        self.approval_due_at = None
        self.approval_escalated = False

    def plan_approval_reminders(self, now: datetime, reminder_hours: int | None, escalation_hours: int | None) -> None:
        """Once it starts waiting: the first reminder or the escalation, whichever comes first."""
        self.approval_escalated = False
        self.approval_due_at = next_due(now, now, False, reminder_hours, escalation_hours)

    def remind(self, now: datetime, reminder_hours: int | None, escalation_hours: int | None) -> str:
        """The scheduled function found it due: "escalate" once past the escalation time, else "remind";
        a history entry and a notice either way, and the next due time (None: nothing more to do)."""
        if self.status != S.PENDING_APPROVAL:
            raise InvalidTransitionError("Only an order waiting for approval is reminded.")
        since = waiting_since(self.history, self.updated_at)
        escalate = escalation_due(since, now, self.approval_escalated, escalation_hours)
        kind = "escalate" if escalate else "remind"
        self._record(kind, "system", self.status)
        self.approval_escalated = self.approval_escalated or escalate
        self.approval_due_at = next_due(since, now, self.approval_escalated, reminder_hours, escalation_hours)
        # Its e-mails (the approvers again, with links bound to the version this write gives the order;
        # on escalation the supplier too) are composed from this notice alone, like the first request's.
        self._event(
            NoticeType.APPROVAL_ESCALATED if escalate else NoticeType.APPROVAL_REMINDED,
            "system",
            reasons=self.approval_reasons,
            lines=[line_json(line) for line in self.lines[:EMAILED_LINES]],
            line_count=len(self.lines),
        )
        return kind

    def reject(self, by: str, reason: str, on_behalf_of: str | None = None) -> None:
        self.check(Action.REJECT)
        if self.submitted_by in (by, on_behalf_of):
            raise InvalidTransitionError("The submitter of an order cannot reject it; cancel it instead.")
        self._record(Action.REJECT, by, S.DRAFT, note=reason)
        self.history[-1].on_behalf_of = on_behalf_of
        self._stop_waiting()
        self._event(EventType.REJECTED, by, reason=reason)

    # supplier side
    def send(self, by: str) -> None:
        self.check(Action.SEND)
        if self.source != "staff":
            raise InvalidTransitionError("Only an order the supplier created is sent to the customer.")
        if not self.lines:
            raise invalid_field("lines", "An order needs at least one line to be sent.")
        self.submitted_by = self.submitted_by or by
        self._open_revision(by, None, [])
        self._record(Action.SEND, by, S.AWAITING_CUSTOMER)
        self._event(EventType.PROPOSAL_SENT, by, proposed_totals=self._proposed_json())

    def confirm(self, by: str) -> None:
        self.check(Action.CONFIRM)
        if self.status == S.DRAFT and self.source != "staff":
            raise InvalidTransitionError("A customer's draft must be submitted before it is confirmed.")
        if not self.lines:
            raise invalid_field("lines", "An order needs at least one line to be confirmed.")
        self._check_no_credit_hold("confirmed")
        self._record(Action.CONFIRM, by, S.CONFIRMED)
        self._event(EventType.CONFIRMED, by)

    def propose(self, by: str, note: str | None, changes: list[dict[str, Any]], added: list[Line]) -> None:
        self.check(Action.PROPOSE)
        if not changes and not added and not note:
            raise invalid_field("lines", "A proposal changes at least one line, adds one, or carries a note.")
        touched: list[str] = []
        for change in changes:
            line = self.line(change["id"])
            line.proposed = Proposed(
                quantity=change.get("quantity"),
                unit_price=change.get("unit_price"),
                confirmed_delivery_date=change.get("confirmed_delivery_date"),
                removed=bool(change.get("remove")),
            )
            touched.append(f"lines.{line.id}")
        if len(self.lines) + len(added) > MAX_LINES:
            raise invalid_field("add_lines", f"An order holds at most {MAX_LINES} lines.")
        for line in added:
            line.proposed = Proposed(quantity=line.quantity, unit_price=line.unit_price, added=True)
            self.lines.append(line)
            touched.append(f"lines.{line.id}")
        self._open_revision(by, note, [self._proposal_snapshot(line) for line in self.lines if line.proposed])
        self._record(Action.PROPOSE, by, S.AWAITING_CUSTOMER, note=note, changes=touched)
        self._event(EventType.PROPOSAL_SENT, by, note=note, proposed_totals=self._proposed_json())

    def guard_acceptance(self, reasons: list[dict[str, Any]]) -> None:
        """Right after a proposal is sent (`send`, `propose`): why accepting it needs an approver (empty: its
        buyer may), which its `order.proposal_sent` event says too (the approvers are e-mailed Accept and
        Decline links; domain/authority.py)."""
        self.check(Action.ACCEPT)
        self.acceptance_reasons = list(reasons)
        if reasons and self.events and self.events[-1].type == EventType.PROPOSAL_SENT:
            self.events[-1].data["acceptance_reasons"] = self.acceptance_reasons

    def _open_revision(self, by: str, note: str | None, lines: list[dict[str, Any]]) -> None:
        number = len(self.revisions) + 1
        at = now_iso()
        self.revisions.append(Revision(number, note, by, at, lines))
        self.proposal = ProposalInfo(number, note, by, at)

    @staticmethod
    def _proposal_snapshot(line: Line) -> dict[str, Any]:
        p = line.proposed or Proposed()
        return {
            "id": line.id,
            "sku": line.sku,
            "requested_quantity": str(line.quantity) if not p.added else None,
            "requested_unit_price": str(line.unit_price) if not p.added else None,
            "quantity": str(p.quantity) if p.quantity is not None else None,
            "unit_price": str(p.unit_price) if p.unit_price is not None else None,
            "confirmed_delivery_date": p.confirmed_delivery_date.isoformat() if p.confirmed_delivery_date else None,
            "removed": p.removed,
            "added": p.added,
        }

    def accept(self, by: str) -> None:
        self.check(Action.ACCEPT)
        kept = [_apply_proposal(line) for line in self.lines]
        self.lines = [line for line in kept if line is not None]
        if not self.lines:
            raise invalid_field("lines", "Accepting would leave the order without lines; decline it instead.")
        self._close_revision("accepted")
        self._record(Action.ACCEPT, by, S.CONFIRMED)
        self._event(EventType.PROPOSAL_ACCEPTED, by)
        self._event(EventType.CONFIRMED, by)

    def decline(self, by: str, reason: str) -> None:
        self.check(Action.DECLINE)
        self.lines = [line for line in self.lines if not (line.proposed and line.proposed.added)]
        for line in self.lines:
            line.proposed = None
        self._close_revision("declined")
        self._record(Action.DECLINE, by, S.SUBMITTED, note=reason)
        self._event(EventType.PROPOSAL_DECLINED, by, reason=reason)

    def _close_revision(self, outcome: str) -> None:
        if self.revisions and self.revisions[-1].outcome == "open":
            self.revisions[-1].outcome = outcome
        self.proposal = None
        self.acceptance_reasons = []

    def cancel(self, by: str, reason: str) -> None:
        self.check(Action.CANCEL)
        self._close_revision("cancelled")
        self._record(Action.CANCEL, by, S.CANCELLED, note=reason)
        self._stop_waiting()
        self._event(EventType.CANCELLED, by, reason=reason)

    # fulfilment
    def record_shipment(self, by: str, doc: Document, quantities: dict[str, Decimal] | None) -> Document:
        self.check(Action.SHIP)
        self._check_no_credit_hold("shipped")
        wanted = quantities if quantities else {line.id: line.outstanding for line in self.lines if line.outstanding}
        if not wanted:
            raise invalid_field("lines", "Nothing is left to ship.")
        for line_id, qty in wanted.items():
            line = self.line(line_id)
            if qty <= 0 or qty > line.outstanding:
                raise ValidationFailedError(
                    "The request body failed validation.",
                    details=[{"field": "lines", "message": f"Line '{line_id}' has {line.outstanding} left to ship."}],
                )
        for line_id, qty in wanted.items():
            self.line(line_id).shipped_quantity += qty
        doc.lines = [{"id": k, "quantity": str(v)} for k, v in wanted.items()]
        self.documents.append(doc)
        done = all(line.outstanding == 0 for line in self.lines)
        self._record(Action.SHIP, by, S.SHIPPED if done else S.PARTIALLY_SHIPPED, changes=[f"shipments.{doc.id}"])
        # What the parcel carries and what is still to ship, by the names people know (the e-mail lists them).
        parcel = [shipped_json(self.line(line_id), qty) for line_id, qty in wanted.items()]
        remaining = [shipped_json(line, line.outstanding) for line in self.lines if line.outstanding]
        self._event(EventType.SHIPMENT_RECORDED, by, document=document_json(doc), parcel=parcel, remaining=remaining)
        self._complete_if_done(by)
        return doc

    # credit limits
    def check_credit(self, by: str, limit: Decimal | None, outstanding: Decimal) -> None:
        """When the order is taken (a submit, a staff order accepted): on hold if its gross on top of what
        the customer owes (`outstanding`) passes the customer's credit limit."""
        if self.credit_hold or not over_credit_limit(limit, outstanding, self.totals.gross):
            return
        self.credit_hold = True
        self._record("credit_hold", by, self.status, changes=["credit_hold"])
        self._event(EventType.CREDIT_HOLD_PLACED, by, credit_limit=str(limit), outstanding=str(outstanding))

    def release_credit_hold(self, by: str, note: str | None = None) -> None:
        """Staff release the hold, or (`note` says so) payments brought the customer within its limit."""
        if not self.credit_hold:
            raise InvalidTransitionError("The order is not on credit hold.")
        self.credit_hold = False
        self._record("release_credit_hold", by, self.status, note=note, changes=["credit_hold"])
        self._event(EventType.CREDIT_HOLD_RELEASED, by, note=note)

    def credit_within(self, limit: Decimal | None, outstanding: Decimal) -> bool:
        """Whether the order would now be taken without a hold (what the customer owes went down)."""
        return not over_credit_limit(limit, outstanding, self.totals.gross)

    def _check_no_credit_hold(self, becoming: str) -> None:
        if self.credit_hold:
            raise ConflictError(
                f"The order is on credit hold and cannot be {becoming} until the hold is released.", code="credit_hold"
            )

    def balance(self, today: Date | None = None) -> Balance:
        """What the order's invoices, credit notes and payments add up to (domain/accounts.py); `today`
        says which invoices are overdue."""
        invoices = [Billed(d.id, d.date, d.due_date or d.date, d.amount or ZERO) for d in self.documents_of("invoice")]
        credits = [d.amount or ZERO for d in self.documents_of("credit_note")]
        payments = [d.amount or ZERO for d in self.documents_of("payment")]
        return balance(self.totals.gross, invoices, credits, payments, today)

    def ledger_move(self, ledger: Ledger, before: Balance) -> LedgerMove:
        """What a money action that took this order's money from `before` changes in its customer's ledger:
        the sums, and the statement lines of the invoices whose shares moved."""
        after = self.balance()
        old = {i.id: i for i in before.invoices}
        docs = {d.id: d for d in self.documents_of("invoice")}
        lines = tuple(
            StatementLine(
                self.id,
                self.number,
                i.id,
                docs[i.id].number,
                docs[i.id].date,
                i.due_date,
                i.amount,
                i.credited,
                i.paid,
                i.outstanding,
            )
            for i in after.invoices
            if old.get(i.id) != i
        )
        return LedgerMove(ledger.moved(before, after), lines)

    def _add_money_document(self, action: Action, by: str, doc: Document, event: EventType) -> Document:
        """The document joins the order and both sub-statuses follow from the new sums alone."""
        self.documents.append(doc)
        b = self.balance()
        self.invoice_status, self.payment_status = b.invoice_status, b.payment_status
        self._record(action, by, self.status, changes=[f"{_COLLECTION[doc.kind]}.{doc.id}"])
        self._event(event, by, document=document_json(doc), reason=doc.reason)
        return doc

    def record_invoice(self, by: str, doc: Document, payment_terms: int | None = None) -> Document:
        """An invoice without a due date is due `payment_terms` days (the customer's) after its date; the
        date it gets is kept on the invoice, so later terms never move it."""
        self.check(Action.INVOICE)
        if doc.due_date is None:
            doc.due_date = doc.date + timedelta(days=payment_terms or 0)
        elif doc.due_date < doc.date:
            raise invalid_field("due_date", "An invoice cannot be due before its date.")
        check_invoice(self.balance(), doc.amount or ZERO)
        return self._add_money_document(Action.INVOICE, by, doc, EventType.INVOICE_RECORDED)

    def record_credit_note(self, by: str, doc: Document) -> Document:
        """A credit note lowers what is invoiced (the order may be invoiced again up to its total)."""
        self.check(Action.CREDIT)
        check_credit_note(self.balance(), doc.amount or ZERO)
        return self._add_money_document(Action.CREDIT, by, doc, EventType.CREDIT_NOTE_RECORDED)

    def record_payment(self, by: str, doc: Document) -> Document:
        """Payments beyond what is invoiced are a prepayment (the order's balance shows it); beyond the
        order's total they are refused."""
        self.check(Action.PAY)
        check_payment(self.balance(), doc.amount or ZERO)
        self._add_money_document(Action.PAY, by, doc, EventType.PAYMENT_RECORDED)
        self._complete_if_done(by)
        return doc

    # files
    def attachment(self, attachment_id: str) -> Attachment | None:
        return next((a for a in self.attachments if a.id == attachment_id), None)

    def attach(self, a: Attachment) -> None:
        """Declare a file (pending until its object arrives). A link names a shipment or invoice of this
        order. No history entry and no event yet: the file exists for others once it has arrived."""
        if a.shipment_id is not None and a.shipment_id not in {d.id for d in self.documents_of("shipment")}:
            raise invalid_field("shipment_id", f"The order has no shipment '{a.shipment_id}'.")
        if a.invoice_id is not None and a.invoice_id not in {d.id for d in self.documents_of("invoice")}:
            raise invalid_field("invoice_id", f"The order has no invoice '{a.invoice_id}'.")
        extensions = EXTENSIONS[a.content_type]
        if not a.filename.lower().endswith(extensions):
            raise invalid_field("filename", f"A {a.content_type} file's name ends in {' or '.join(extensions)}.")
        # Declared files that never arrive count against their uploader only (issue 23: a buyer's 99
        # declarations blocked the supplier's attachments for a day): the cap counts the files that
        # arrived and the uploader's own pending ones, and nobody has more than a few pending.
        own_pending = [x for x in self.attachments if x.status == "pending" and x.uploaded_by == a.uploaded_by]
        if len(own_pending) >= MAX_PENDING_ATTACHMENTS:
            raise invalid_field(
                "filename", f"Upload the {MAX_PENDING_ATTACHMENTS} files you declared before declaring more."
            )
        if self._available_attachments() + len(own_pending) >= MAX_ATTACHMENTS:
            raise invalid_field("filename", f"An order holds at most {MAX_ATTACHMENTS} documents.")
        self.attachments.append(a)

    def _available_attachments(self) -> int:
        return sum(1 for x in self.attachments if x.status == "available")

    def attachment_arrived(self, attachment_id: str, version_id: str, size: int, content_type: str, at: str) -> bool:
        """The file's object is in S3: the document becomes available, fixed to that version of the object,
        and `order.document_added` is recorded (its uploader is the actor). False when there is nothing to
        do: unknown, already available, not what was declared (S3's POST policy refuses that; checked again
        here), or the order holds its most documents already (others' files arrived first)."""
        a = self.attachment(attachment_id)
        if a is None or a.status == "available" or size != a.size or content_type != a.content_type:
            return False
        if self._available_attachments() >= MAX_ATTACHMENTS:
            return False
        a.status = "available"
        a.version_id = version_id
        a.uploaded_at = at
        a.expires_at = None
        self.updated_at = at
        # What it is attached to, by the number people know it by (the e-mail names it).
        to = next((d for d in self.documents if d.id in (a.shipment_id, a.invoice_id)), None)
        linked = {"kind": to.kind, "id": to.id, "number": to.number} if to else None
        # A file moves nothing: it arrived in the status the order is in.
        self._event(
            EventType.DOCUMENT_ADDED,
            a.uploaded_by,
            from_status=self.status.value,
            document=attachment_json(a),
            linked=linked,
        )
        return True

    def remove_attachment(self, attachment_id: str) -> None:
        self.attachments = [a for a in self.attachments if a.id != attachment_id]

    def _complete_if_done(self, by: str) -> None:
        if self.status == S.SHIPPED and self.payment_status == "paid":
            self._record("complete", by, S.COMPLETED)
            self._event(EventType.COMPLETED, by)


def counts_against_budget(order: Order) -> bool:
    """Whether the order counts against its customer's monthly budget now: it reached `submitted` or
    beyond (PRODUCT.md). An order the supplier sent counts once the customer accepted it: waiting for
    the customer, nobody on their side has ordered anything yet."""
    if order.status not in COMMITTED:
        return False
    return not (order.source == "staff" and order.status == S.AWAITING_CUSTOMER)


def _apply_proposal(line: Line) -> Line | None:
    p = line.proposed
    if p is None:
        return line
    if p.removed:
        return None
    if p.quantity is not None:
        line.quantity = p.quantity
    if p.unit_price is not None:
        line.unit_price = p.unit_price
    if p.confirmed_delivery_date is not None:
        line.confirmed_delivery_date = p.confirmed_delivery_date
    line.proposed = None
    return line
