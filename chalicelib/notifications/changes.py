"""What happened, read from a stream record's old and new images.

Only a few item types describe something a person must hear about: order headers (status
transitions), order documents and messages (inserted), and users (created). Everything else in the
table (line pages, history, revisions, counters, budgets, sessions, idempotency records, the
notification claims themselves...) is ignored before it is even decoded.

Who acted, and why, comes from the history entries the same transaction wrote. Stream records of
one transaction arrive as separate records (possibly in separate batches, in any order across
partitions), so the handler never waits for a sibling record: it reads the entries from the table by
their sequence numbers (the header's `history_count` before and after), which exist and never change
once the header's record exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from chalicelib.domain.orders import HistoryEntry, OrderStatus
from chalicelib.storage import keys, orders
from chalicelib.storage.items import BaseItem, OrderDocumentItem, OrderItem, OrderMessageItem, UserItem


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
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    MESSAGE_POSTED = "message_posted"


E = EventName
S = OrderStatus

# Status transitions of the order header that call for e-mails. A specific (from, to) pair wins;
# otherwise reaching the status is what counts. Shipping statuses are told by the shipment documents.
TRANSITIONS: dict[tuple[str, str], tuple[EventName, ...]] = {
    (S.PENDING_APPROVAL, S.SUBMITTED): (E.APPROVED, E.SUBMITTED),
    (S.PENDING_APPROVAL, S.DRAFT): (E.REJECTED,),
    (S.AWAITING_CUSTOMER, S.SUBMITTED): (E.PROPOSAL_DECLINED,),  # back in the supplier's queue
    (S.AWAITING_CUSTOMER, S.CONFIRMED): (E.PROPOSAL_ACCEPTED, E.CONFIRMED),
}
REACHED: dict[str, tuple[EventName, ...]] = {
    S.PENDING_APPROVAL: (E.APPROVAL_NEEDED,),
    S.SUBMITTED: (E.SUBMITTED,),
    S.AWAITING_CUSTOMER: (E.PROPOSAL_SENT,),
    S.CONFIRMED: (E.CONFIRMED,),
    S.CANCELLED: (E.CANCELLED,),
    S.COMPLETED: (E.COMPLETED,),
}
DOCUMENTS: dict[str, EventName] = {
    "shipment": E.SHIPMENT_RECORDED,
    "invoice": E.INVOICE_RECORDED,
    "payment": E.PAYMENT_RECORDED,
}
# Discriminators of the items detect() looks at; records of any other type are skipped undecoded.
CONCERNED_TYPES = frozenset({"order", "order_document", "order_message", "user"})


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
    from_status: str | None = None  # the order's status before a header change
    note: str | None = None  # a reason, a proposal note, a message
    document: dict[str, Any] | None = None  # shipment, invoice or payment as recorded
    user: NewUser | None = None


def item_type(image: dict[str, Any] | None) -> str | None:
    """The discriminator of a raw stream image (DynamoDB JSON), without decoding it."""
    value = (image or {}).get("type") or {}
    return value.get("S") if isinstance(value, dict) else None


def concerns(old_image: dict[str, Any] | None, new_image: dict[str, Any] | None) -> bool:
    """Whether a record may call for e-mails at all: a deletion never does, nor do other item types."""
    return bool(new_image) and item_type(new_image) in CONCERNED_TYPES


def detect(old: BaseItem | None, new: BaseItem | None) -> list[Event]:
    if isinstance(new, OrderItem):
        return _order_changed(old if isinstance(old, OrderItem) else None, new)
    if old is None and isinstance(new, OrderDocumentItem):
        return _document_recorded(new)
    if old is None and isinstance(new, OrderMessageItem):
        return _message_posted(new)
    if old is None and isinstance(new, UserItem):
        return [_user_created(new)]
    return []


def status_events(before: str | None, after: str) -> tuple[EventName, ...]:
    if before == after:
        return ()
    if before is not None and (before, after) in TRANSITIONS:
        return TRANSITIONS[(before, after)]
    return REACHED.get(after, ())


def order_facts(tenant: str, item: OrderItem) -> OrderFacts:
    header = item.header or {}
    path = header.get("customer_path_order") or sorted(item.customer_path or {item.customer_id})
    return OrderFacts(
        tenant=tenant,
        id=item.id,
        number=item.number,
        status=item.status,
        source=item.source,
        customer_id=item.customer_id,
        customer_name=item.customer_name,
        customer_path=tuple(path),
        sales_rep_id=item.sales_rep_id,
        created_by=item.created_by,
        submitted_by=item.submitted_by,
        currency=item.currency,
        gross=str((item.totals or {}).get("gross", "0")),
        customer_reference=header.get("customer_reference"),
    )


def _order_changed(old: OrderItem | None, new: OrderItem) -> list[Event]:
    names = status_events(old.status if old else None, new.status)
    if not names:
        return []
    tenant = keys.tenant_of(new.pk)
    order = order_facts(tenant, new)
    entry = _acting_entry(tenant, old, new)
    note = entry.note if entry else None
    if new.status == S.AWAITING_CUSTOMER and new.proposal:
        note = new.proposal.get("note")
    version = f"v{new.version or 0}"
    return [
        Event(
            name,
            tenant,
            key=f"{name}:order:{new.id}:{version}",
            order=order,
            actor_id=entry.by if entry else None,
            from_status=old.status if old else None,
            note=note if name in (E.REJECTED, E.PROPOSAL_SENT, E.PROPOSAL_DECLINED, E.CANCELLED) else None,
        )
        for name in names
    ]


def _acting_entry(tenant: str, old: OrderItem | None, new: OrderItem) -> HistoryEntry | None:
    """The history entry of the action that moved the order into its new status."""
    first = int(old.history_count or 0) if old else 0
    entries = orders.history_entries(tenant, new.id, first, int(new.history_count or 0))
    moved = [e for e in entries if e.to_status == new.status and e.from_status != e.to_status]
    chosen = moved or entries
    return chosen[-1] if chosen else None


def _document_recorded(item: OrderDocumentItem) -> list[Event]:
    document = dict(item.document or {})
    name = DOCUMENTS.get(str(document.get("kind")))
    if name is None:
        return []
    tenant, order_id = keys.tenant_of(item.pk), keys.order_id_of(item.pk)
    header = orders.header_item(tenant, order_id)
    if header is None:
        return []
    return [
        Event(
            name,
            tenant,
            key=f"{name}:doc:{order_id}:{document.get('id') or item.sk}",
            order=order_facts(tenant, header),
            actor_id=document.get("recorded_by") or None,
            actor_kind="staff",  # only staff with orders.fulfil record documents
            document=document,
        )
    ]


def _message_posted(item: OrderMessageItem) -> list[Event]:
    tenant = keys.tenant_of(item.pk)
    header = orders.header_item(tenant, item.order_id)
    if header is None:
        return []
    return [
        Event(
            E.MESSAGE_POSTED,
            tenant,
            key=f"{E.MESSAGE_POSTED}:msg:{item.order_id}:{item.id}",
            order=order_facts(tenant, header),
            actor_id=item.author_id,
            actor_kind=item.author_kind,
            note=item.body,
        )
    ]


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
    return Event(E.USER_CREATED, keys.tenant_of(item.pk), key=f"user-created:{item.id}", user=user, actor_id=None)
