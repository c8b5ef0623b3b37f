"""The one write path of every order action, and the reads of orders.

An action (`OrderChange`) is two plain parts: what it needs read besides the order (`needs`: a `Needs`,
which may refuse first, before anything is read) and what it does with the order and what was read
(`apply`). `_write` runs them: one Query loads the order; what the action needs, in one BatchGet
(`_reads`: customer, settings, the caller's user record when it matters, the catalog keys of its lines,
the month's budget, who approves, the ledger); `apply` changes the order through one domain method, which
records its events; one transaction writes the order, its events and the budget moves the domain gives
(domain/budget.py), conditional on the order's version and on the caller being, as the write happens, as
their token says (services/callers.py: the caller is not read). An action never calls back into this
service: everything it uses is handed to it. A concurrent writer makes the transaction fail; without
If-Match the action runs again on fresh reads, so concurrent line additions never lose one. Nothing is
remembered between requests.
Drafts: order_drafts.py; the lifecycle: order_actions.py; who sees and may do what: domain/authority.py.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol, Self

from chalicelib.auth.principal import Principal
from chalicelib.domain import authority
from chalicelib.domain.accounts import Ledger, LedgerMove
from chalicelib.domain.authority import Person
from chalicelib.domain.clock import utcnow
from chalicelib.domain.errors import (
    BudgetExceededError,
    ConflictError,
    ForbiddenError,
    MalformedRequestError,
    NotFoundError,
    OrderGateError,
    TransactionConflictError,
    VersionMismatchError,
    invalid_field,
)
from chalicelib.domain.model import Cover, Customer, TenantSettings, User
from chalicelib.domain.order_summary import OrderSummary
from chalicelib.domain.orders import Line, Order, OrderStatus, new_line
from chalicelib.domain.permissions import Permission, UserKind
from chalicelib.retry import attempts
from chalicelib.services.callers import caller_keys, principal_of, standing_now, standing_of
from chalicelib.services.document_files import DocumentFiles
from chalicelib.services.order_catalog import Catalog, Offer, ProductRef
from chalicelib.services.order_store import (
    Claim,
    ClaimedError,
    LinkUse,
    ListOf,
    OrderQuery,
    OrderStore,
    Reads,
    Relied,
    Standing,
    StandingMovedError,
)
from chalicelib.services.order_visibility import person, view
from chalicelib.storage import keys
from chalicelib.storage.order_codec import Loaded
from chalicelib.storage.paging import Page
from chalicelib.storage.refs import Refs, merge

P = Permission
S = OrderStatus
ATTEMPTS = 25


@dataclass(frozen=True)
class Needs:
    """What an action reads besides the order, in its one BatchGet: the order's customer and what is named
    here (an action that needs nothing of it answers None: no read). `approvers_of`: who approves for these
    customers (`Found.approver_ids`); `users`: others than the caller."""

    refs: Sequence[ProductRef] = ()
    settings: bool = False
    caller: bool = False
    months: Sequence[str] = ()
    sites: Sequence[str] = ()
    counter: bool = False
    approvers_of: Sequence[str] = ()
    ledger: bool = False
    users: Sequence[str] = ()


@dataclass
class Found:
    """What an action read besides the order, in its one BatchGet."""

    refs: Refs
    found_customer: Customer | None = None
    offers: list[Offer | None] = field(default_factory=list)
    # the active customer users holding orders.approve on `Needs.approvers_of` (OrderStore.approver_ids)
    approver_ids: set[str] = field(default_factory=set)

    @property
    def customer(self) -> Customer:
        if self.found_customer is None:  # an action that needed nothing asks for nothing
            raise NotFoundError("customer")
        return self.found_customer

    @property
    def settings(self) -> TenantSettings:
        if self.refs.settings is None:
            raise NotFoundError("tenant")
        return self.refs.settings

    def caller(self, user_id: str) -> User:
        user = self.refs.users.get(user_id)
        if user is None:
            raise NotFoundError("user")
        return user

    def spent(self, tenant: str, month: str) -> int:
        return self.refs.budgets.get(keys.budget(tenant, self.customer.id, month), 0)

    @property
    def ledger(self) -> Ledger:
        """The customer's ledger (read when the action asked for it; none yet: nothing owed)."""
        return self.refs.ledgers.get(self.customer.id) or Ledger(self.customer.id)


@dataclass
class Write:
    """What an action adds to its write besides the order: conditions, and the budget it must keep."""

    site_id: str | None = None  # a site the order now names: checked to exist in the write
    # month → the customer's budget in cents, where this action's moves must stay within it
    budget_limits: dict[str, int] = field(default_factory=dict)
    link: LinkUse | None = None  # the e-mail link a decision came through: spent in the same write
    ledger: LedgerMove | None = None  # a money action's change to the customer's ledger


class OrderChange(Protocol):
    """An order action: built by its service method from the request (the caller, the body, the time),
    then `needs` and `apply` run by `_write` on each attempt, with nothing else in reach."""

    def needs(self, o: Order) -> Needs | None:
        """What to read besides the order (None: nothing); raises when the action is refused before
        anything is read (403 for who, 409 for the status)."""
        ...

    def apply(self, loaded: Loaded, found: Found, w: Write) -> None:
        """The change: the order's domain method with what was read; what the write must add in `w`."""
        ...


class OrderWrites:
    _claim: Claim | None = None  # the request's Idempotency-Key, claimed by its write (`claiming`)

    def __init__(
        self,
        catalog: Catalog,
        store: OrderStore,
        clock: Callable[[], datetime] = utcnow,
        files: DocumentFiles | None = None,
    ) -> None:
        self._catalog = catalog
        self._store = store
        self._files = files  # where order documents' files live (order_documents.py)
        self._clock = clock  # the month a budget move lands in (tests set it)

    def claiming(self, claim: Claim | None) -> Self:
        """This service for one request whose order write claims its Idempotency-Key (API.md) in its own
        transaction, with the order it leaves. A replay writes nothing and is answered that order, which
        the route presents as it did the first time (`_idempotent`)."""
        if claim is None:
            return self
        bound = copy.copy(self)
        bound._claim = claim
        return bound

    def _idempotent(self, write: Callable[[], Order]) -> Order:
        """The order `write` leaves; for a replay of a claimed request, the order the first one left: when
        its write fails on the claim, or it is refused first (a submitted order cannot be submitted again)
        and the key holds an answer."""
        claim = self._claim
        if claim is None:
            return write()
        try:
            return write()
        except ClaimedError:
            replayed = self._store.replayed(claim, expired_too=True)
            if replayed is None:  # released since (its request failed): the client may send it again
                raise ConflictError(
                    "A request with this Idempotency-Key has just failed; send it again.",
                    code="idempotency_key_in_progress",
                ) from None
            return replayed
        except OrderGateError:
            if claim.written:
                raise
            replayed = self._store.replayed(claim)
            if replayed is None:
                raise
            return replayed

    def _month(self) -> str:
        return self._clock().strftime("%Y-%m")

    def _load(self, p: Principal, order_id: str) -> Loaded:
        """The order, if the policy lets the caller see it (else 404). The customer's current sales rep is
        read only for a staff member who does not see it otherwise."""
        loaded, seen = self._read(p, order_id)
        if loaded is None or not seen:
            raise NotFoundError("order")
        return loaded

    def _read(self, p: Principal, order_id: str) -> tuple[Loaded | None, bool]:
        """The order, and whether the caller sees it."""
        loaded = self._store.load(p.tenant, order_id) if order_id else None
        if loaded is None:
            return None, False
        who, o = person(p), loaded.order
        if authority.sees(who, view(o, [loaded.sales_rep_id])):
            return loaded, True
        if p.is_staff:  # the customer's rep now, when the order's own is another
            customer = self._store.customer(p.tenant, o.customer_id)
            rep_ids = [loaded.sales_rep_id, customer.sales_rep_id if customer else None]
            return loaded, authority.sees(who, view(o, rep_ids))
        return loaded, False

    # --- the one write path -------------------------------------------------------------------------
    def _mutate(self, p: Principal, order_id: str, expected: int | None, change: OrderChange) -> Order:
        return self._idempotent(lambda: self._write(p, order_id, expected, change))

    def _write(self, p: Principal, order_id: str, expected: int | None, change: OrderChange) -> Order:
        standing = standing_of(p)  # checked in the transaction (API.md "Rights come from current data")
        for _ in attempts(ATTEMPTS, pause=0.005):
            loaded = self._load(p, order_id)
            if expected is not None and loaded.order.version != expected:
                raise VersionMismatchError()
            write = Write()
            recorded = len(loaded.order.history)
            needs = change.needs(loaded.order)
            found = Found(Refs()) if needs is None else self._reads(p, loaded.order.customer_id, needs)
            change.apply(loaded, found, write)
            o = loaded.order
            name_the_actor(p, o, recorded)
            o.check_limits()  # API.md's bounds on sums: a 422 here, not a failed save
            moves = o.settle_budget(self._month())
            try:
                return self._store.save(
                    p.tenant,
                    loaded,
                    o,
                    loaded.sales_rep_id,
                    actor_kind=p.kind.value,
                    budget=moves,
                    budget_limits=write.budget_limits,
                    relied=Relied(site_id=write.site_id, caller=standing),
                    link=write.link,
                    claim=self._claim,
                    ledger=write.ledger,
                )
            except StandingMovedError:
                standing = self._standing_now(p)
            except BudgetExceededError:
                pass  # spent meanwhile: read the month again and decide again
            except TransactionConflictError:
                pass  # nothing written: read again (an If-Match is checked against what is read) and redo
            except VersionMismatchError:
                if expected is not None:
                    raise
        raise ConflictError("The order is being changed by others right now; try again.")

    def _standing_now(self, p: Principal) -> Standing:
        """The caller as stored now, after a write found them no longer as it relied on: 401 when their
        session ended or their rights changed (services/callers.py), else what the next attempt relies on."""
        return standing_now(p, self._store.read(p.tenant, Reads(extra=caller_keys(p), consistent=True)))

    def _reads(self, p: Principal, customer_id: str, n: Needs) -> Found:
        """The action's one BatchGet: the customer and whatever else it names (`n.caller`: the caller's user
        record, e.g. their approval limit; a line given by sku or barcode adds a second read for its product:
        the catalog port; `approvers_of`: who approves for these customers, OrderStore.approver_ids; `users`:
        others). The caller's rights are checked by the write."""
        t = p.tenant
        wanted = Reads(
            customers=[customer_id],
            settings=n.settings,
            users=list(dict.fromkeys([*([p.user_id] if n.caller else []), *n.users])),
            sites=list(n.sites),
            counter=n.counter,
            approvers_of=list(n.approvers_of),
            extra=[
                *self._catalog.keys(t, customer_id, list(n.refs)),
                *(keys.budget(t, customer_id, m) for m in n.months),
                *([keys.ledger_summary(t, customer_id)] if n.ledger else []),
            ],
        )
        found = self._store.read(t, wanted)
        customer = found.customers.get(customer_id)
        if customer is None:
            raise NotFoundError("customer")
        reads = Found(found, customer)
        if n.refs:
            reads.offers = self._catalog.offers(t, customer, list(n.refs), staff=p.is_staff, found=found)
        if n.approvers_of:
            reads.approver_ids = self._store.approver_ids(t, list(n.approvers_of), found)
        return reads

    # --- reads --------------------------------------------------------------------------------------
    def get(self, p: Principal, order_id: str) -> Order:
        return self._load(p, order_id).order

    def get_with_waiting(self, p: Principal, order_id: str) -> tuple[Order, authority.WaitingOn]:
        """The order and whom it waits on, with names (API.md `waiting_on`): besides the order's Query, one
        BatchGet of the path's members records and the group index, one of the people shown and the
        approvers' delegations (a waiting order: 3 round trips; a settled one: 1)."""
        loaded, seen = self._read(p, order_id)
        if loaded is None or not (seen or p.is_customer):
            raise NotFoundError("order")
        waiting = self._waiting_on(p.tenant, loaded.order, loaded.sales_rep_id)
        if not seen:
            # A delegate sees what waits on the approvers they stand in for: found among the people it waits
            # on, from the same reads (the path's approvers and their delegations in force).
            covered = tuple(a for w in waiting.people if w.user_id == p.user_id for a in w.stands_in_for)
            seen = authority.sees(person(p, covered), view(loaded.order, [loaded.sales_rep_id]))
        if not seen:
            raise NotFoundError("order")
        return loaded.order, waiting

    def _waiting_on(self, t: str, o: Order, rep_id: str | None) -> authority.WaitingOn:
        v = view(o, [rep_id])
        kind = authority.waiting_kind(v)
        if kind is None:
            return authority.WaitingOn(None)
        if kind == authority.Waiting.SUPPLIER:  # the sales rep, else the order desk (no one by name)
            rep = self._store.read(t, Reads(users=[rep_id])).users.get(rep_id) if rep_id else None
            serving = [Person(rep.id, rep.kind.value, frozenset(), (), rep.name)] if rep and rep.active else []
            return authority.waiting_on(v, [], serving)
        path = list(v.path)
        members = self._store.members(t, path, self._store.read(t, Reads(approvers_of=path)))
        ids = [m.user_id for m in members]
        named = self._store.read(t, Reads(users=ids, extra=[keys.delegation(t, uid) for uid in ids]))
        today = self._clock().date()
        people = [replace(m, name=named.users[m.user_id].name) for m in members if m.user_id in named.users]
        by_id = {m.user_id: m for m in people}
        for approver_id, d in named.delegations.items():
            if d.active_on(today) and approver_id in by_id:
                people.append(
                    Person(d.delegate_id, "customer", frozenset(), (), d.delegate_name, (by_id[approver_id],))
                )
        return authority.waiting_on(v, people)

    def list_orders(
        self,
        p: Principal,
        *,
        limit: int,
        cursor: str | None,
        status: str | None,
        customer_id: str | None,
        created_from: str | None,
        created_to: str | None,
        supplier_reference: str | None = None,
    ) -> Page[OrderSummary]:
        if supplier_reference is not None:
            return self._by_supplier_reference(p, supplier_reference, limit, cursor, status, customer_id)
        if status is not None and status not in {s.value for s in S}:
            raise MalformedRequestError(f"'status' must be one of {', '.join(s.value for s in S)}.")
        for name, value in (("created_from", created_from), ("created_to", created_to)):
            if value is not None:
                try:
                    date.fromisoformat(value)
                except ValueError:
                    raise MalformedRequestError(f"'{name}' must be a date (YYYY-MM-DD).") from None
        t = p.tenant

        def page(who: Person, *lists: tuple[ListOf, str]) -> Page[OrderSummary]:
            """The lists that hold everything the caller may see, keeping what the policy lets them see."""
            return self._store.list_orders(
                OrderQuery(
                    t,
                    lists,
                    limit,
                    cursor,
                    status=status,
                    created_from=created_from,
                    created_to=created_to,
                    keep=lambda v: authority.sees(who, v),
                )
            )

        if p.is_staff:
            who = person(p)
            if customer_id:  # staff see every customer; the policy keeps the orders they see
                return page(who, ("customer", customer_id))
            if not p.has(P.ORDERS_READ_ALL):
                return page(who, ("rep", p.user_id), ("creator", p.user_id))  # their customers', and their own
            return page(who, ("status", status)) if status else page(who, ("tenant", ""))
        # A customer user's orders are those of their organisations: every customer they hold and the
        # branches below it (gsi5, by top customer), or one customer of them with `customer_id`; and, for a
        # delegate, what waits on the approvers they stand in for today (keys.delegations_to, read with them).
        approving = customer_id is None and status == S.PENDING_APPROVAL.value and p.has(P.ORDERS_APPROVE)
        wanted = [] if approving else [customer_id] if customer_id else list(p.customer_ids)
        found = self._store.read(t, Reads(customers=wanted, extra=[keys.delegations_to(t, p.user_id)]))
        covers = found.covers.get(p.user_id)
        in_force = covers.in_force(self._clock().date()) if covers else []
        if approving and not in_force:
            # What waits for this approver, their branches' orders included: the approval list of each
            # of their customers (one Query each), never the tenant's whole queue.
            return self._store.list_approvals(
                t, p.customer_ids, limit=limit, cursor=cursor, created_from=created_from, created_to=created_to
            )
        covered: tuple[Person, ...] = ()
        if in_force:
            covered, found = self._covered(p, in_force, found, [customer_id] if customer_id else list(p.customer_ids))
        who = person(p, covered)
        if customer_id:
            c = found.customers.get(customer_id)
            holders = [p.customer_ids, *(a.customer_ids for a in covered)]
            if c is None or not any({c.id, *(c.ancestor_ids or [])} & set(held) for held in holders):
                raise NotFoundError("customer")
            return page(who, ("customer", customer_id))
        held = [*p.customer_ids, *(cid for a in covered for cid in a.customer_ids)]
        tops = dict.fromkeys((c.ancestor_ids or [c.id])[-1] for cid in held if (c := found.customers.get(cid)))
        return page(who, *(("org", top) for top in tops))

    def _covered(
        self, p: Principal, in_force: Sequence[Cover], found: Refs, theirs: Sequence[str]
    ) -> tuple[tuple[Person, ...], Refs]:
        """The approvers a delegate stands in for today, as they are now (an approver deactivated or no
        longer holding orders.approve is not covered), and the customers the list needs (`theirs`, and the
        approvers' customers: where what waits on them is listed), read with the approvers in one BatchGet
        (a second only for customers an approver gained since naming the delegate)."""
        t = p.tenant
        stored = [cid for c in in_force for cid in c.customer_ids]
        wanted = [cid for cid in dict.fromkeys([*theirs, *stored]) if cid not in found.customers]
        index = keys.security_group_index(t)
        approvers = Reads(users=[c.approver_id for c in in_force], customers=wanted, extra=[index])
        found = merge(found, self._store.read(t, approvers))
        covered = []
        for c in in_force:
            user = found.users.get(c.approver_id)
            if user is None or not user.active or user.kind != UserKind.CUSTOMER:
                continue
            approver = principal_of(t, user, "", found)
            if approver.has(P.ORDERS_APPROVE):
                covered.append(person(approver))
        gained = [cid for a in covered for cid in a.customer_ids if cid not in found.customers]
        if gained:
            found = merge(found, self._store.read(t, Reads(customers=list(dict.fromkeys(gained)))))
        return tuple(covered), found

    def _by_supplier_reference(
        self, p: Principal, reference: str, limit: int, cursor: str | None, status: str | None, customer_id: str | None
    ) -> Page[OrderSummary]:
        """One Query of the reference's list. The supplier's number is the supplier's: staff only. Staff
        without orders.read_all see their customers' orders in it (a page may come back short)."""
        if not p.is_staff:
            raise ForbiddenError("Only supplier staff may find orders by the supplier's reference.")
        page = self._store.list_by_supplier_reference(p.tenant, reference, limit, cursor)

        who = person(p)

        def shown(s: OrderSummary) -> bool:
            # staff: what the policy decides from the list entry (who created it, whose customer it is)
            seen = authority.OrderView(
                s.status, s.source, s.customer_id, (s.customer_id,), s.created_by, s.submitted_by,
                frozenset({s.sales_rep_id} if s.sales_rep_id else ()),
            )  # fmt: skip
            return authority.sees(who, seen) and status in (None, s.status) and customer_id in (None, s.customer_id)

        return Page([s for s in page.items if shown(s)], page.next_cursor)


def check_offer(offer: Offer | None, quantity: Decimal, field: str, quantity_field: str | None = None) -> None:
    """A product the customer may not order is reported on the field that named it (`field`), a quantity
    it cannot be ordered in on the quantity (`quantity_field`, default `{field}.quantity`)."""
    if offer is None:
        raise invalid_field(field, "No product matches this reference.")
    if not offer.orderable:
        raise invalid_field(field, f"{offer.sku} cannot be ordered: {offer.reason or 'not available'}.")
    problem = offer.quantity_problem(quantity)
    if problem:
        raise invalid_field(quantity_field or f"{field}.quantity", problem)


def ref_of(data: dict[str, Any]) -> ProductRef:
    return ProductRef(product_id=data.get("product_id"), sku=data.get("sku"), barcode=data.get("barcode"))


def line_from(offer: Offer, quantity: Decimal, requested: date | None, price: Decimal | None = None) -> Line:
    unit_price = price if price is not None else offer.unit_price(quantity)
    return new_line(offer.product_id, offer.sku, offer.name, quantity, unit_price, offer.tax_rate, requested)


def line_or_404(o: Order, line_id: str) -> Line:
    for line in o.lines:
        if line.id == line_id:
            return line
    raise NotFoundError("order line")


def name_the_actor(p: Principal, o: Order, since: int) -> None:
    """The caller's display name on the history entries this action added (`since` on): a customer reading
    the history cannot turn a staff member's id into a name."""
    for entry in o.history[since:]:
        entry.by_name = p.name or None
