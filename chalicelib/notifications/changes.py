"""What happened, read from the event items the order actions recorded.

Each order action records its events (domain.orders.OrderEvent) and writes them as items in the
order's own transaction (storage/orders.py); the stream brings each new event item here, and this
module only translates it: nothing is derived from image diffs or read back from the table, so an
e-mail tells the status, totals and documents as its own event left the order, even when later
events follow within the same second. Users created are the one other thing e-mailed about.
Every other item type is ignored before it is even decoded.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from chalicelib.domain.orders import EventType, NoticeType
from chalicelib.storage import keys
from chalicelib.storage.items import BaseItem, OrderEventItem, PasswordResetItem, UserItem


class EventName(StrEnum):
    USER_CREATED = "user_created"
    APPROVAL_NEEDED = "approval_needed"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUBMITTED = "submitted"
    PROPOSAL_SENT = "proposal_sent"
    PROPOSAL_ACCEPTED = "proposal_accepted"
    PROPOSAL_DECLINED = "proposal_declined"
    CONFIRMED = "confirmed"
    SHIPMENT_RECORDED = "shipment_recorded"
    INVOICE_RECORDED = "invoice_recorded"
    PAYMENT_RECORDED = "payment_recorded"
    CREDIT_NOTE_RECORDED = "credit_note_recorded"
    CREDIT_HOLD_PLACED = "credit_hold_placed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    MESSAGE_POSTED = "message_posted"
    SHIPMENT_DOCUMENT = "shipment_document"  # a file attached to a shipment (a delivery note), shown to the customer
    INVOICE_DOCUMENT = "invoice_document"  # a file attached to an invoice, shown to the customer
    # The proposal_sent e-mail when only an approver may accept it: to the approvers (with Accept and Decline
    # links), and to the buyers (it waits for an approver). Templates, never events of their own.
    PROPOSAL_APPROVAL = "proposal_approval"
    PROPOSAL_WAITING = "proposal_waiting"
    # From the notices the scheduled function records (services/approval_reminders.py):
    APPROVAL_REMINDER = "approval_reminder"
    APPROVAL_ESCALATED = "approval_escalated"
    # Accounts (API.md "Authentication and the caller"): a user created without a password, a reset asked.
    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"


E = EventName
T = EventType

# The recorded event types that call for e-mails, and the e-mail each one is. order.created tells
# nobody; order.document_added only when the file belongs to a shipment or invoice the customer was
# told about and they may see it (`_document_email`).
EMAILED: dict[EventType | NoticeType, EventName] = {
    T.APPROVAL_REQUESTED: E.APPROVAL_NEEDED,
    T.APPROVED: E.APPROVED,
    T.REJECTED: E.REJECTED,
    T.SUBMITTED: E.SUBMITTED,
    T.PROPOSAL_SENT: E.PROPOSAL_SENT,
    T.PROPOSAL_ACCEPTED: E.PROPOSAL_ACCEPTED,
    T.PROPOSAL_DECLINED: E.PROPOSAL_DECLINED,
    T.CONFIRMED: E.CONFIRMED,
    T.SHIPMENT_RECORDED: E.SHIPMENT_RECORDED,
    T.INVOICE_RECORDED: E.INVOICE_RECORDED,
    T.PAYMENT_RECORDED: E.PAYMENT_RECORDED,
    T.CREDIT_NOTE_RECORDED: E.CREDIT_NOTE_RECORDED,
    T.CREDIT_HOLD_PLACED: E.CREDIT_HOLD_PLACED,
    T.COMPLETED: E.COMPLETED,
    T.CANCELLED: E.CANCELLED,
    T.MESSAGE_POSTED: E.MESSAGE_POSTED,
    NoticeType.APPROVAL_REMINDED: E.APPROVAL_REMINDER,
    NoticeType.APPROVAL_ESCALATED: E.APPROVAL_ESCALATED,
}
RECORDED = {t.value: t for t in (*EventType, *NoticeType)}
# Discriminators of the items detect() looks at; records of any other type are skipped undecoded.
CONCERNED_TYPES = frozenset({"order_event", "user", "password_reset"})


@dataclass(frozen=True)
class OrderFacts:
    """What an e-mail about an order says and whom it concerns, as of the change."""

    tenant: str
    id: str
    number: str
    status: str
    source: str  # portal | staff
    customer_id: str
    customer_name: str
    customer_path: tuple[str, ...]  # the customer and its ancestors, nearest first
    sales_rep_id: str | None
    created_by: str
    submitted_by: str | None
    currency: str
    gross: str
    customer_reference: str | None
    net: str = "0"
    tax: str = "0"
    invoice_status: str | None = None
    payment_status: str | None = None
    proposed_gross: str | None = None  # a proposal's total beside the agreed one


@dataclass(frozen=True)
class NewUser:
    id: str
    name: str
    email: str
    username: str
    locale: str | None
    active: bool
    customer_ids: tuple[str, ...]


@dataclass(frozen=True)
class Event:
    """Something that happened, with what the rules and the templates need to know about it."""

    name: EventName
    tenant: str
    # Stable for this change however often the stream delivers it: with the recipient's address,
    # the e-mail's de-duplication key.
    key: str
    order: OrderFacts | None = None
    actor_id: str | None = None
    actor_kind: str | None = None  # staff | customer when the change says so (messages)
    from_status: str | None = None  # the order's status before the action (None: not known)
    note: str | None = None  # a reason, a proposal note, a message
    document: dict[str, Any] | None = None  # shipment, invoice or payment as recorded
    user: NewUser | None = None
    details: dict[str, Any] | None = None  # the event's own data (what an approver trimmed...)


def item_type(image: dict[str, Any] | None) -> str | None:
    """The discriminator of a raw stream image (DynamoDB JSON), without decoding it."""
    value = (image or {}).get("type") or {}
    return value.get("S") if isinstance(value, dict) else None


def concerns(old_image: dict[str, Any] | None, new_image: dict[str, Any] | None) -> bool:
    """Whether a record may call for e-mails at all: a deletion never does, nor do other item types."""
    return bool(new_image) and item_type(new_image) in CONCERNED_TYPES


def detect(old: BaseItem | None, new: BaseItem | None) -> list[Event]:
    """The e-mail events of a new item: an event item's own, or a user created. Event items are never
    rewritten, so only an insert counts (a redelivered record is de-duplicated by its key)."""
    if old is None and isinstance(new, OrderEventItem):
        return _recorded(new)
    if old is None and isinstance(new, UserItem):
        return [_user_created(new)]
    if isinstance(new, PasswordResetItem) and new.user_id and new.asked != getattr(old, "asked", None):
        return [_reset_requested(new)]
    return []


def _recorded(item: OrderEventItem) -> list[Event]:
    data = dict(item.data or {})
    type_ = RECORDED.get(item.event_type)
    if type_ is None:
        return []  # a type this release does not know: nothing to send
    name = _document_email(data) if type_ == T.DOCUMENT_ADDED else EMAILED.get(type_)
    if name is None:
        return []
    tenant = keys.tenant_of(item.pk)
    document = data.get("document")
    if type_ == T.DOCUMENT_ADDED:  # the shipment's or invoice's number, and the file's name
        document = {"number": (data.get("linked") or {}).get("number"), "filename": (document or {}).get("filename")}
    facts = dict(item.order or {})
    totals = data.get("totals") or {}
    order = OrderFacts(
        tenant=tenant,
        id=item.order_id,
        number=item.order_number,
        status=str(data.get("status")),
        source=str(facts.get("source")),
        customer_id=item.customer_id,
        customer_name=str(facts.get("customer_name")),
        customer_path=tuple(facts.get("customer_path") or [item.customer_id]),
        sales_rep_id=facts.get("sales_rep_id"),
        created_by=str(facts.get("created_by")),
        submitted_by=facts.get("submitted_by"),
        currency=str(facts.get("currency")),
        gross=str(totals.get("gross", "0")),
        customer_reference=facts.get("customer_reference"),
        net=str(totals.get("net", "0")),
        tax=str(totals.get("tax", "0")),
        invoice_status=data.get("invoice_status"),
        payment_status=data.get("payment_status"),
        proposed_gross=(data.get("proposed_totals") or {}).get("gross"),
    )
    actor = dict(item.actor or {})
    message = data.get("message") or {}
    note = data.get("reason") or data.get("note") or message.get("body")
    return [
        Event(
            name,
            tenant,
            key=f"{name}:event:{item.id}",
            order=order,
            actor_id=actor.get("id"),
            actor_kind=actor.get("kind"),
            from_status=data.get("from_status"),
            note=note,
            document=document,
            details=data,
        )
    ]


def _document_email(data: dict[str, Any]) -> EventName | None:
    """The shipment and invoice e-mails go out when they are recorded, before any file is attached: a file
    the supplier attaches to one later, visible to the customer, is mentioned in an e-mail of its own."""
    document = data.get("document") or {}
    linked = data.get("linked") or {}
    if not document.get("visible_to_customer") or document.get("uploader_kind") != "staff":
        return None
    return {"shipment": E.SHIPMENT_DOCUMENT, "invoice": E.INVOICE_DOCUMENT}.get(str(linked.get("kind")))


def _user_created(item: UserItem) -> Event:
    user = NewUser(
        id=item.id,
        name=item.name,
        email=item.email,
        username=item.username,
        locale=item.locale,
        active=item.status == "active",
        customer_ids=tuple(item.customer_ids or []),
    )
    # Created without a password: invited to choose one (the e-mail carries the link).
    name = E.USER_CREATED if item.password_hash else E.INVITATION
    return Event(name, keys.tenant_of(item.pk), key=f"user-created:{item.id}", user=user, actor_id=None)


def _reset_requested(item: PasswordResetItem) -> Event:
    """A reset request counted for a user (storage/action_links.py): one e-mail per count reached."""
    user = NewUser(
        id=str(item.user_id),
        name=str(item.name),
        email=str(item.email),
        username=str(item.username),
        locale=item.locale,
        active=True,  # only an active user's request is counted
        customer_ids=(),
    )
    key = f"password-reset:{item.user_id}:{item.sk}:{int(item.asked)}"
    return Event(E.PASSWORD_RESET, keys.tenant_of(item.pk), key=key, user=user, actor_id=None)
