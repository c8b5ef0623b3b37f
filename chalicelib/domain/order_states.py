"""The names of an order's states, of the actions taken on it and of what happens to it, in a module of
their own: app.py's routes declare them as query parameters at import, without loading the Order aggregate
(cold start); the policy (domain/authority.py) says who may take each action. The lifecycle itself is
domain/orders.py."""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    SUBMITTED = "submitted"
    AWAITING_CUSTOMER = "awaiting_customer"
    CONFIRMED = "confirmed"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Action(StrEnum):
    """What is done to an order: the lifecycle allows each in some statuses (domain/orders.py
    `ALLOWED_FROM`), the policy lets some people take it (domain/authority.py `may`), and its history
    entries name it."""

    EDIT = "edit"
    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    SEND = "send"
    CONFIRM = "confirm"
    PROPOSE = "propose"
    ACCEPT = "accept"
    DECLINE = "decline"
    CANCEL = "cancel"
    SHIP = "ship"
    INVOICE = "invoice"
    CREDIT = "credit_note"
    PAY = "pay"
    RELEASE_CREDIT_HOLD = "release_credit_hold"  # API.md "Money": the supplier's to lift


class EventType(StrEnum):
    """What happened to an order, as API.md's event feed names it ("Machine clients")."""

    CREATED = "order.created"
    SUBMITTED = "order.submitted"
    APPROVAL_REQUESTED = "order.approval_requested"
    APPROVED = "order.approved"
    REJECTED = "order.rejected"
    CONFIRMED = "order.confirmed"
    PROPOSAL_SENT = "order.proposal_sent"
    PROPOSAL_ACCEPTED = "order.proposal_accepted"
    PROPOSAL_DECLINED = "order.proposal_declined"
    CANCELLED = "order.cancelled"
    SHIPMENT_RECORDED = "order.shipment_recorded"
    INVOICE_RECORDED = "order.invoice_recorded"
    PAYMENT_RECORDED = "order.payment_recorded"
    CREDIT_NOTE_RECORDED = "order.credit_note_recorded"
    CREDIT_HOLD_PLACED = "order.credit_hold_placed"
    CREDIT_HOLD_RELEASED = "order.credit_hold_released"
    COMPLETED = "order.completed"
    MESSAGE_POSTED = "order.message_posted"
    DOCUMENT_ADDED = "order.document_added"


class NoticeType(StrEnum):
    """Recorded on an order for its e-mails only, like its events and in the same transaction; API.md's
    event feed and webhooks carry none of them (storage keeps them in a partition of their own)."""

    APPROVAL_REMINDED = "order.approval_reminded"
    APPROVAL_ESCALATED = "order.approval_escalated"
