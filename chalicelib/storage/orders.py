"""Orders in the single table: the header, line pages, history, revisions and documents of one order
share a partition; the whole aggregate is loaded with one Query and saved with one transaction that
is conditional on the header's version (so a stale writer changes nothing), together with the events
the action recorded, the budget moves and the order counter. Mapping: order_codec.py; lists:
order_lists.py."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib.domain.accounts import LedgerMove
from chalicelib.domain.authority import Person
from chalicelib.domain.budget import BudgetMove
from chalicelib.domain.errors import (
    BudgetExceededError,
    LinkUsedError,
    NotFoundError,
    NumberTakenError,
    TransactionConflictError,
    VersionMismatchError,
)
from chalicelib.domain.model import Customer
from chalicelib.domain.order_summary import OrderSummary, summary_of
from chalicelib.domain.orders import EventType, Message, Order, OrderEvent, OrderStatus
from chalicelib.domain.permissions import Permission
from chalicelib.services.order_store import Claim, ClaimedError, LinkUse, Reads, Relied, StandingMovedError
from chalicelib.storage import action_links, approvers, customers, idempotency, keys, order_codec, order_lists, sessions
from chalicelib.storage import ledger as ledger_store
from chalicelib.storage import refs as refs_store
from chalicelib.storage.items import (
    ApprovalDueItem,
    BaseItem,
    BudgetItem,
    CounterItem,
    OrderDocumentItem,
    OrderEventItem,
    OrderFileItem,
    OrderHistoryItem,
    OrderItem,
    OrderLinesItem,
    OrderMessageItem,
    OrderRevisionItem,
    SiteItem,
    SupplierRefItem,
)
from chalicelib.storage.order_codec import (
    Loaded,
    approval_entries,
    doc_to_json,
    file_to_json,
    header_item,
    order_from_items,
    pages,
    revision_json,
)
from chalicelib.storage.paging import Page, partition_page
from chalicelib.storage.table import (
    Check,
    add_checks,
    cancellation_codes,
    failed_check,
    is_transaction_conflict,
    transaction,
)

EVENT_DAYS = 30  # how long order events are kept (the event feed's window; TTL)


# --- reads ----------------------------------------------------------------------------------------
def load(tenant: str, order_id: str) -> Loaded | None:
    """One Query on the order's partition (a second page only past 1 MB, i.e. huge histories)."""
    items: list[BaseItem] = []
    last_key: dict[str, Any] | None = None
    while True:
        result = BaseItem.query(keys.order_pk(tenant, order_id), last_evaluated_key=last_key)
        items.extend(result)
        last_key = result.last_evaluated_key
        if not last_key:
            break
    return order_from_items(tenant, items)


# --- writes ---------------------------------------------------------------------------------------
def site_exists(tenant: str, site_id: str) -> Check:
    return Check(SiteItem, keys.site(tenant, site_id), SiteItem.pk.exists(), lambda: NotFoundError("site"))


def _event_item(
    tenant: str, order: Order, sales_rep_id: str | None, event: OrderEvent, actor_kind: str
) -> OrderEventItem:
    """An event as stored: the order's facts that e-mails need beside the event's own data. An event
    (domain EventType) goes to the tenant's one feed partition and its data is checked against its type's
    published model (event_payloads.py) before anything is written; a notice (domain NoticeType: reminders,
    escalations, e-mailed by the stream, never in the feed) is stored apart, per day, and not checked."""
    data = order.event_data(event)
    if isinstance(event.type, EventType):
        from chalicelib import event_payloads  # pydantic: loaded by the request that writes, not at import

        event_payloads.check(event.type.value, data)
        pk = keys.order_events_pk(tenant)
    else:
        pk = keys.order_notices_pk(tenant, event.occurred_at[:10])
    return OrderEventItem(
        pk,
        event.id,
        id=event.id,
        event_type=event.type.value,
        occurred_at=event.occurred_at,
        order_id=order.id,
        order_number=order.number,
        customer_id=order.customer_id,
        actor={"id": event.by, "kind": actor_kind},
        data=data,
        order={
            "source": order.source,
            "customer_name": order.customer_name,
            "customer_path": list(order.customer_path or [order.customer_id]),
            "sales_rep_id": sales_rep_id,
            "created_by": order.created_by,
            "submitted_by": order.submitted_by,
            "currency": order.currency,
            "customer_reference": order.customer_reference,
        },
        expires_at=datetime.fromisoformat(event.occurred_at.replace("Z", "+00:00")) + timedelta(days=EVENT_DAYS),
    )


def save(
    tenant: str,
    loaded: Loaded | None,
    order: Order,
    sales_rep_id: str | None,
    *,
    actor_kind: str,
    budget: Sequence[BudgetMove] = (),
    budget_limits: dict[str, int] | None = None,
    relied: Relied | None = None,
    number: int | None = None,
    link: LinkUse | None = None,
    ledger: LedgerMove | None = None,
    claim: Claim | None = None,
) -> Order:
    """Write the order: header conditional on the loaded version, plus only the items that changed, and
    the events the action recorded (`order.events`, cleared once written). Raises VersionMismatchError
    when someone else saved first (nothing is written then).

    In the same transaction: the budget moves (`budget_limits`: month → the budget in cents that a move
    adding to that month must stay within, else BudgetExceededError), the order counter set to `number` if it
    still holds `number - 1` (a new order), and `checks` on what the action relied on; a failed one
    raises its own error (`relied`: the caller's standing, a site that must exist, a customer's stored
    parents that must still hold),
    and the approver's e-mail `link` this decision came through, spent (LinkUsedError when it was spent
    already: whatever else failed, the link's page explains it), and the request's Idempotency-Key
    (`claim`) with the order this write leaves (ClaimedError when it is taken)."""
    read_version = loaded.order.version if loaded else 0
    order.version = read_version + 1  # what this write makes it: the events carry it
    changed = _changed_items(tenant, loaded, order, sales_rep_id, actor_kind)
    if loaded is not None:
        changed.header.version = read_version
    relied = relied or Relied()
    standing = sessions.standing_checks(tenant, relied.caller) if relied.caller else []
    write = _Write(
        checks=[*standing, *_checks(tenant, relied)],  # the caller's first: where their reasons come back
        standing=len(standing),
        changed=changed,
        claim=claim,
        link=link,
        ledger=ledger,
        budget=budget,
        budget_limits=budget_limits or {},
        number=number,
    )
    try:
        _transact(tenant, order, sales_rep_id, write)
    except TransactWriteError as exc:
        order.version = read_version
        refused = _refusal(exc, write)
        if refused is exc:
            raise
        raise refused from exc
    if claim is not None:
        claim.written = True
    order.events.clear()
    return order


@dataclass
class _Changed:
    """The order's items a write puts or deletes: the header always, the rest only where they changed."""

    header: OrderItem
    puts: list[BaseItem]
    deletes: list[BaseItem]
    due_moves: bool  # the approval due item moves to the order's next due time


def _changed_items(
    tenant: str, loaded: Loaded | None, order: Order, sales_rep_id: str | None, actor_kind: str
) -> _Changed:
    """The header, the order's parts that changed, the events it recorded and its entries in the lists
    that serve other access patterns (keys.py)."""
    page_bodies = pages(order)
    header = header_item(tenant, order, sales_rep_id, len(page_bodies), len(order.history))
    changed = _Changed(header, [], [], due_moves=False)
    _changed_parts(tenant, loaded, order, page_bodies, changed)
    changed.puts += [_event_item(tenant, order, sales_rep_id, event, actor_kind) for event in order.events]
    _list_entries(tenant, loaded, order, sales_rep_id, changed)
    return changed


def _changed_parts(
    tenant: str, loaded: Loaded | None, order: Order, page_bodies: dict[str, str], changed: _Changed
) -> None:
    """Line pages, history entries, revisions, documents and files that are new or changed (or gone).
    Every item carries a version: a rewritten page, revision or file is conditional on the version read,
    a new one on not existing yet. The header's condition alone would do; these cost nothing."""
    pk = keys.order_pk(tenant, order.id)
    puts, deletes = changed.puts, changed.deletes
    old_pages = loaded.pages if loaded else {}
    for sk, body in page_bodies.items():
        if old_pages.get(sk, ("", 0))[0] != body:
            puts.append(_versioned(OrderLinesItem(pk, sk, lines=json.loads(body)), old_pages.get(sk)))
    deletes += [OrderLinesItem(pk, sk) for sk in old_pages.keys() - page_bodies.keys()]
    old_history = loaded.history_count if loaded else 0
    for seq, entry in enumerate(order.history[old_history:], start=old_history):
        puts.append(OrderHistoryItem(pk, keys.order_history(seq), entry=dataclasses.asdict(entry)))
    old_revisions = loaded.revisions if loaded else {}
    for rev in order.revisions:
        body = json.dumps(revision_json(rev), sort_keys=True)
        if old_revisions.get(rev.revision, ("", 0))[0] != body:
            item = OrderRevisionItem(pk, keys.order_revision(rev.revision), revision=json.loads(body))
            puts.append(_versioned(item, old_revisions.get(rev.revision)))
    known_docs = loaded.document_ids if loaded else set()
    puts += [
        OrderDocumentItem(pk, keys.order_document(doc.id), document=doc_to_json(doc))
        for doc in order.documents
        if doc.id not in known_docs
    ]
    old_files = loaded.files if loaded else {}
    for a in order.attachments:
        body = json.dumps(file_to_json(a), sort_keys=True)
        if old_files.get(a.id, ("", 0))[0] != body:
            file_item = OrderFileItem(
                pk, keys.order_file(a.id), file=json.loads(body), expires_at=_expiry(a.expires_at)
            )
            puts.append(_versioned(file_item, old_files.get(a.id)))
    deletes += [OrderFileItem(pk, keys.order_file(fid)) for fid in old_files.keys() - {a.id for a in order.attachments}]


def _list_entries(
    tenant: str, loaded: Loaded | None, order: Order, sales_rep_id: str | None, changed: _Changed
) -> None:
    """The order's entries in the lists kept beside it (keys.py): the approval list of each customer on
    its path while it waits, the list of its supplier's reference, the approval reminders' due item."""
    was_waiting = loaded is not None and loaded.status_read == OrderStatus.PENDING_APPROVAL
    waits = order.status == OrderStatus.PENDING_APPROVAL
    if waits and not was_waiting:
        changed.puts += approval_entries(tenant, order, sales_rep_id)
    elif was_waiting and not waits:
        changed.deletes += approval_entries(tenant, order, sales_rep_id)
    # The reference's entry is rewritten with every write (the summary changes, `_transact`), removed with
    # the reference it was under.
    old_reference = loaded.supplier_reference_read if loaded else None
    if old_reference and (old_reference.casefold() != (order.supplier_reference or "").casefold()):
        changed.deletes.append(SupplierRefItem(keys.supplier_reference(tenant, old_reference), changed.header.gsi3sk))
    # The due item: moved when the due time changes, removed by a decision.
    due_read = loaded.due_read if loaded else None
    if order.approval_due_at is None and due_read is not None:
        changed.deletes.append(ApprovalDueItem(keys.order_pk(tenant, order.id), keys.APPROVAL_DUE))
    changed.due_moves = order.approval_due_at is not None and order.approval_due_at != due_read


def _versioned(item: BaseItem, read: tuple[str, int] | None) -> BaseItem:
    """A rewritten item is conditional on the version read (PynamoDB's VersionAttribute)."""
    if read and read[1]:
        item.version = read[1]
    return item


@dataclass
class _Write:
    """What one order transaction writes besides the order's items, and where each part lands."""

    checks: list[Check]
    standing: int  # how many of the checks, the first, are the caller's standing
    changed: _Changed
    claim: Claim | None
    link: LinkUse | None
    ledger: LedgerMove | None
    budget: Sequence[BudgetMove]
    budget_limits: dict[str, int]
    number: int | None

    # PynamoDB sends a transaction's items grouped by kind (condition checks, deletes, puts, updates), and
    # cancellation reasons come back in that order: where each item ends up.
    @property
    def header_at(self) -> int:
        return len(self.checks) + len(self.changed.deletes)

    @property
    def updates_at(self) -> int:
        return self.header_at + 1 + len(self.changed.puts) + (self.ledger is not None)  # the summary: last put

    @property
    def claim_at(self) -> int:
        return self.updates_at if self.claim is not None else -1

    @property
    def link_at(self) -> int:
        return self.updates_at + (self.claim is not None) if self.link is not None else -1

    @property
    def budget_at(self) -> set[int]:
        moves_at = self.updates_at + (self.claim is not None) + (self.link is not None)
        return set(range(moves_at, moves_at + len(self.budget)))

    @property
    def number_at(self) -> int:
        return self.updates_at + (self.claim is not None) + (self.link is not None) + len(self.budget)


def _transact(tenant: str, order: Order, sales_rep_id: str | None, w: _Write) -> None:
    with transaction() as tx:
        tx.save(w.changed.header)  # version condition: attribute_not_exists on create, equality on update
        for put in w.changed.puts:
            tx.save(put)
        if w.ledger is not None:
            ledger_store.put_summary(tx, tenant, w.ledger.ledger)
        for gone in w.changed.deletes:
            tx.delete(gone, add_version_condition=False)
        if w.claim is not None:
            # The first update, before the budget and the counter: the order as this write leaves it.
            idempotency.put_claim(tx, w.claim, order_codec.snapshot(tenant, order, sales_rep_id))
        if w.link is not None:
            action_links.spend(tx, tenant, w.link)  # the next one
        for move in w.budget:
            limit = w.budget_limits.get(move.month)
            _add_budget(tx, tenant, move, limit - move.cents if limit is not None and move.cents > 0 else None)
        if w.number is not None:
            _claim_number(tx, tenant, w.number)
        if w.ledger is not None:  # after the updates whose place above is counted
            ledger_store.put_lines(tx, tenant, w.ledger.ledger.customer_id, w.ledger.lines)
        if order.supplier_reference:  # the last update: the indexes above stay as they are
            _put_reference_entry(tx, tenant, order, sales_rep_id)
        if w.changed.due_moves:
            _move_due(tx, tenant, order)  # an update after the others too
        add_checks(tx, w.checks)


def _refusal(exc: TransactWriteError, w: _Write) -> Exception:
    """The error of a refused order transaction, from which of its conditions failed."""
    codes = cancellation_codes(exc)
    if is_transaction_conflict(codes):
        return TransactionConflictError()  # not a version moved: the caller writes again
    failed = {i for i, code in enumerate(codes) if code == "ConditionalCheckFailed"}
    if w.claim_at in failed:
        return ClaimedError()  # a replay: whatever else failed, nothing to redo
    if failed & set(range(w.standing)):
        return StandingMovedError()  # the caller is decided on first: nothing of the order matters then
    if w.link_at in failed:
        return LinkUsedError()  # decided through this link already (or it ran out)
    if failed and failed <= w.budget_at:
        return BudgetExceededError()
    if failed and failed <= {w.number_at}:
        return NumberTakenError()
    check = failed_check(exc, w.checks)
    if check is not None and w.header_at not in failed:
        return check.fails_with()
    # Every other condition is a version (header, pages, revisions) or "not written yet" (history,
    # documents, events): whichever fails, someone else saved this order first.
    if "ConditionalCheckFailed" in codes:
        return VersionMismatchError()
    return exc


def _checks(tenant: str, relied: Relied) -> list[Check]:
    checks = [site_exists(tenant, relied.site_id)] if relied.site_id else []
    if relied.parents:
        checks += customers.path_checks(tenant, list(relied.parents))  # ParentsMovedError when they moved
    return checks


def _expiry(at: str | None) -> datetime | None:
    return datetime.fromisoformat(at.replace("Z", "+00:00")) if at else None


def _put_reference_entry(tx: Any, tenant: str, order: Order, sales_rep_id: str | None) -> None:
    """An update, not a put: a put would need the entry's version, which this write has not read."""
    sk = keys.order_list_sk(order.created_at, order.id)
    entry = SupplierRefItem(keys.supplier_reference(tenant, order.supplier_reference or ""), sk)
    shown = dataclasses.asdict(summary_of(order, sales_rep_id))
    actions = [SupplierRefItem.order_id.set(order.id), SupplierRefItem.summary.set(shown)]
    tx.update(entry, actions=[*actions, SupplierRefItem.type.set(SupplierRefItem)], add_version_condition=False)


def list_by_supplier_reference(tenant: str, reference: str, limit: int, cursor: str | None) -> Page[OrderSummary]:
    """The orders under one supplier's reference, newest first: one Query of its partition."""
    pk = keys.supplier_reference(tenant, reference)
    return partition_page(SupplierRefItem, pk, limit, cursor, lambda i: OrderSummary(**i.summary), newest_first=True)


def _move_due(tx: Any, tenant: str, order: Order) -> None:
    """The order's approval due item, created or moved to its next due time (an update: upsert)."""
    due_at = order.approval_due_at or ""
    item = ApprovalDueItem(keys.order_pk(tenant, order.id), keys.APPROVAL_DUE)
    actions = [
        ApprovalDueItem.tenant.set(tenant),
        ApprovalDueItem.order_id.set(order.id),
        ApprovalDueItem.due_at.set(due_at),
        ApprovalDueItem.gsi1pk.set(keys.APPROVALS_DUE),
        ApprovalDueItem.gsi1sk.set(keys.approval_due_sk(due_at, tenant, order.id)),
        ApprovalDueItem.type.set(ApprovalDueItem),
    ]
    tx.update(item, actions=actions, add_version_condition=False)


def due_approvals(now: str, limit: int) -> list[tuple[str, str]]:
    """(tenant, order id) of orders whose reminder or escalation is due by `now`, earliest first: one
    Query of GSI1 (eventually consistent: the caller checks each order it loads)."""
    found = BaseItem.gsi1.query(keys.APPROVALS_DUE, BaseItem.gsi1sk <= f"{now}#\uffff", limit=limit)
    return [(i.tenant, i.order_id) for i in found if isinstance(i, ApprovalDueItem)]


def _claim_number(tx: Any, tenant: str, number: int) -> None:
    """The order counter moves from number - 1 to number, or the transaction fails (NumberTakenError).
    An update writes no discriminator by itself: set it, so the counter reads back as a CounterItem."""
    counter = CounterItem(*keys.order_counter(tenant))
    read = CounterItem.value.does_not_exist() if number == 1 else CounterItem.value == number - 1
    actions = [CounterItem.value.set(number), CounterItem.type.set(CounterItem)]
    tx.update(counter, actions=actions, condition=read, add_version_condition=False)


def bulk_load(tenant: str, orders: list[tuple[Order, str | None]]) -> None:
    """Write new orders (with their sales rep) as BatchWriteItem, without conditions: for loading
    volume only (the benchmark's 10,000 orders), never for a request."""
    with BaseItem.batch_write() as batch:
        for order, sales_rep_id in orders:
            pk = keys.order_pk(tenant, order.id)
            page_bodies = pages(order)
            header = header_item(tenant, order, sales_rep_id, len(page_bodies), len(order.history))
            items: list[BaseItem] = [header]
            items += [OrderLinesItem(pk, sk, lines=json.loads(body)) for sk, body in page_bodies.items()]
            items += [
                OrderHistoryItem(pk, keys.order_history(n), entry=dataclasses.asdict(entry))
                for n, entry in enumerate(order.history)
            ]
            if order.status == OrderStatus.PENDING_APPROVAL:
                items += approval_entries(tenant, order, sales_rep_id)
            for item in items:
                item.version = 1
                batch.save(item)
            order.version = 1


def _add_budget(tx: Any, tenant: str, move: BudgetMove, room: int | None) -> None:
    """Add a move to its month's counter; with `room`, only if no more than that was spent before."""
    item = BudgetItem(*keys.budget(tenant, move.customer_id, move.month))
    condition = None
    if room is not None:
        condition = BudgetItem.spent_cents <= room
        if room >= 0:  # nothing spent yet is room enough only if the room is not negative
            condition = BudgetItem.spent_cents.does_not_exist() | condition
    # An update writes no discriminator by itself: set it, so the counter reads back as a BudgetItem.
    actions = [BudgetItem.spent_cents.add(move.cents), BudgetItem.type.set(BudgetItem)]
    tx.update(item, actions=actions, condition=condition, add_version_condition=False)


def add_message(tenant: str, order: Order, sales_rep_id: str | None, message: Message, actor_kind: str) -> None:
    """The message and its event (`order.events`), in one transaction; the order itself is unchanged."""
    item = OrderMessageItem(
        keys.order_messages_pk(tenant, order.id),
        f"{keys.MESSAGE}{message.id}",
        id=message.id,
        order_id=order.id,
        author_id=message.author_id,
        author_kind=message.author_kind,
        author_name=message.author_name,
        body=message.body,
        created_at=message.created_at,
    )
    with transaction() as tx:
        tx.save(item)
        for event in order.events:
            tx.save(_event_item(tenant, order, sales_rep_id, event, actor_kind))
    order.events.clear()


def list_messages(tenant: str, order_id: str, limit: int, cursor: str | None) -> Page[Message]:
    pk = keys.order_messages_pk(tenant, order_id)
    return partition_page(
        OrderMessageItem,
        pk,
        limit,
        cursor,
        lambda m: Message(m.id, m.author_id, m.author_kind, m.body, m.created_at, m.author_name),
    )


class DynamoOrderStore:
    """The OrderStore port (services/order_store.py) on the single table."""

    # The module's functions are the store's operations (one definition each).
    load = staticmethod(load)
    save = staticmethod(save)
    add_message = staticmethod(add_message)
    messages = staticmethod(list_messages)
    parents = staticmethod(customers.walk_ancestors)
    list_orders = staticmethod(order_lists.list_orders)
    list_approvals = staticmethod(order_lists.list_approvals)
    list_by_supplier_reference = staticmethod(list_by_supplier_reference)
    due_approvals = staticmethod(due_approvals)
    replayed = staticmethod(idempotency.replayed_order)

    def read(self, tenant: str, reads: Reads) -> refs_store.Refs:
        return refs_store.load(
            tenant,
            customers=reads.customers,
            settings=reads.settings,
            users=reads.users,
            sites=reads.sites,
            order_counter=reads.counter,
            extra=[*reads.extra, *(approvers.read_keys(tenant, reads.approvers_of) if reads.approvers_of else [])],
            consistent=reads.consistent,
        )

    def customer(self, tenant: str, customer_id: str) -> Customer | None:
        try:
            return customers.get(tenant, customer_id)
        except NotFoundError:
            return None

    def members(self, tenant: str, path: list[str], found: refs_store.Refs) -> list[Person]:
        return approvers.people(found, path)

    def approver_ids(self, tenant: str, path: list[str], found: refs_store.Refs) -> set[str]:
        return approvers.holders(found, path, Permission.ORDERS_APPROVE)
