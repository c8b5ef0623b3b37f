"""An in-memory OrderStore (services/order_store.py) for unit tests of OrderService: the same rules as the
DynamoDB adapter where a use case can tell (a write conditional on the version it read, all or nothing;
budget limits; the order counter; what a write relied on), checked by one contract suite against both
(tests/integration/test_order_store_contract.py)."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

from chalicelib.domain.accounts import Ledger, LedgerMove
from chalicelib.domain.authority import Person
from chalicelib.domain.budget import BudgetMove
from chalicelib.domain.errors import (
    BudgetExceededError,
    ConflictError,
    LinkUsedError,
    NotFoundError,
    NumberTakenError,
    ParentsMovedError,
    VersionMismatchError,
)
from chalicelib.domain.model import Customer, Site, TenantSettings, User
from chalicelib.domain.order_summary import OrderSummary, summary_of
from chalicelib.domain.orders import Message, Order, OrderEvent, OrderStatus
from chalicelib.services.order_store import (
    Claim,
    ClaimedError,
    LinkUse,
    OrderQuery,
    Reads,
    Relied,
    Standing,
    StandingMovedError,
)
from chalicelib.services.order_visibility import view
from chalicelib.storage import keys
from chalicelib.storage.order_codec import Loaded
from chalicelib.storage.paging import Page
from chalicelib.storage.refs import Refs


@dataclass
class Stored:
    order: Order
    sales_rep_id: str | None


@dataclass
class InMemoryOrderStore:
    orders: dict[tuple[str, str], Stored] = field(default_factory=dict)
    customers: dict[tuple[str, str], Customer] = field(default_factory=dict)
    settings: dict[str, TenantSettings] = field(default_factory=dict)
    users: dict[tuple[str, str], User] = field(default_factory=dict)
    sites: dict[tuple[str, str], Site] = field(default_factory=dict)
    approvers: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # (tenant, customer) → user ids
    counters: dict[str, int] = field(default_factory=dict)
    budgets: dict[tuple[str, str], int] = field(default_factory=dict)  # keys.budget(...) → cents spent
    ledgers: dict[tuple[str, str], Ledger] = field(default_factory=dict)  # (tenant, customer) → its ledger
    events: list[tuple[str, OrderEvent, int, str]] = field(default_factory=list)  # tenant, event, version, kind
    posted: dict[tuple[str, str], list[Message]] = field(default_factory=dict)
    # approvers' e-mail links: (tenant, token hash) → (valid until, the use that spent it)
    links: dict[tuple[str, str], tuple[str, LinkUse | None]] = field(default_factory=dict)
    # Idempotency-Keys claimed in order writes: (tenant, key hash) → (fingerprint, the order written)
    claims: dict[tuple[str, str], tuple[str, Order]] = field(default_factory=dict)
    # logins: (tenant, family id) → (user id, revoked, session epoch); security groups' versions
    sessions: dict[tuple[str, str], tuple[str, bool, int]] = field(default_factory=dict)
    group_versions: dict[tuple[str, str], int] = field(default_factory=dict)

    # --- setting up a world ---------------------------------------------------------------------
    def add_settings(self, s: TenantSettings) -> None:
        self.settings[s.slug] = s

    def add_customer(self, tenant: str, c: Customer) -> None:
        self.customers[(tenant, c.id)] = c

    def add_user(self, tenant: str, u: User, *, approves: bool = False) -> None:
        self.users[(tenant, u.id)] = u
        for cid in u.customer_ids if approves and u.active else []:
            self.approvers.setdefault((tenant, cid), set()).add(u.id)

    def add_link(self, tenant: str, token_hash: str, valid_until: str) -> None:
        self.links[(tenant, token_hash)] = (valid_until, None)

    def spent(self, tenant: str, customer_id: str, month: str) -> int:
        return self.budgets.get(keys.budget(tenant, customer_id, month), 0)

    # --- the port -------------------------------------------------------------------------------
    def load(self, tenant: str, order_id: str) -> Loaded | None:
        stored = self.orders.get((tenant, order_id))
        if stored is None:
            return None
        order = copy.deepcopy(stored.order)
        return Loaded(order=order, sales_rep_id=stored.sales_rep_id, status_read=order.status)

    def save(
        self,
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
        # Every condition first, as one transaction would: nothing is written unless all hold.
        if claim is not None and (tenant, claim.key_hash) in self.claims:
            raise ClaimedError()  # wins over everything, as in the DynamoDB store
        relied = relied or Relied()
        if relied.caller is not None and not self._stands(tenant, relied.caller):
            raise StandingMovedError()  # wins over the rest, as in the DynamoDB store
        if link is not None:
            valid_until, used = self.links.get((tenant, link.token_hash), ("", None))
            if used is not None or not link.at < valid_until:
                raise LinkUsedError()  # wins over a version mismatch, as in the DynamoDB store
        current = self.orders.get((tenant, order.id))
        read_version = loaded.order.version if loaded else 0
        if (current is None) != (loaded is None) or (current is not None and current.order.version != read_version):
            raise VersionMismatchError()
        for move in budget:
            limit = (budget_limits or {}).get(move.month)
            key = keys.budget(tenant, move.customer_id, move.month)
            if limit is not None and move.cents > 0 and self.budgets.get(key, 0) + move.cents > limit:
                raise BudgetExceededError()
        if number is not None and self.counters.get(tenant, 0) != number - 1:
            raise NumberTakenError()
        if (
            ledger is not None
            and self.ledgers.get((tenant, ledger.ledger.customer_id), Ledger("")).version != ledger.ledger.version
        ):
            raise VersionMismatchError()
        if relied.site_id and (tenant, relied.site_id) not in self.sites:
            raise NotFoundError("site")
        if relied.parents and self._line_of_parents(tenant, relied.parents[0]) != list(relied.parents):
            raise ParentsMovedError()
        # The write.
        order.version = read_version + 1
        self.events += [(tenant, _as_written(order, e), order.version, actor_kind) for e in order.events]
        order.events.clear()
        for move in budget:
            key = keys.budget(tenant, move.customer_id, move.month)
            self.budgets[key] = self.budgets.get(key, 0) + move.cents
        if number is not None:
            self.counters[tenant] = number
        if ledger is not None:
            moved = ledger.ledger
            self.ledgers[(tenant, moved.customer_id)] = dataclasses.replace(moved, version=moved.version + 1)
        if link is not None:
            self.links[(tenant, link.token_hash)] = (self.links[(tenant, link.token_hash)][0], link)
        self.orders[(tenant, order.id)] = Stored(copy.deepcopy(order), sales_rep_id)
        if claim is not None:
            self.claims[(tenant, claim.key_hash)] = (claim.fingerprint, copy.deepcopy(order))
            claim.written = True
        return order

    def _stands(self, tenant: str, s: Standing) -> bool:
        user = self.users.get((tenant, s.user_id))
        customer = s.kind == "customer"
        return (
            user is not None
            and user.active
            and (user.kind.value, user.session_epoch) == (s.kind, s.session_epoch)
            and user.security_group_ids == [g for g, _ in s.groups]
            and (not customer or (tuple(user.customer_ids), tuple(user.site_ids)) == (s.customer_ids, s.site_ids))
            and self.sessions.get((tenant, s.session_id)) == (s.user_id, False, s.session_epoch)
            and all(self.group_versions.get((tenant, g), 0) == v for g, v in s.groups)
        )

    def replayed(self, claim: Claim, *, expired_too: bool = False) -> Order | None:
        found = self.claims.get((claim.tenant, claim.key_hash))
        if found is None:
            return None
        if found[0] != claim.fingerprint:
            raise ConflictError(
                "This Idempotency-Key was used with a different request.", code="idempotency_key_reused"
            )
        claim.replayed = True
        return copy.deepcopy(found[1])

    def read(self, tenant: str, reads: Reads) -> Refs:
        refs = Refs()
        refs.customers = {c: self.customers[(tenant, c)] for c in reads.customers if (tenant, c) in self.customers}
        refs.settings = self.settings.get(tenant) if reads.settings else None
        refs.users = {u: self.users[(tenant, u)] for u in reads.users if (tenant, u) in self.users}
        refs.sites = {s: self.sites[(tenant, s)] for s in reads.sites if (tenant, s) in self.sites}
        refs.order_counter = self.counters.get(tenant, 0) if reads.counter else 0
        refs.budgets = {k: self.budgets[k] for k in reads.extra if k in self.budgets}
        refs.ledgers = {
            cid: ledger
            for (t, cid), ledger in self.ledgers.items()
            if t == tenant and keys.ledger_summary(t, cid) in reads.extra
        }
        return refs

    def customer(self, tenant: str, customer_id: str) -> Customer | None:
        return self.customers.get((tenant, customer_id))

    def _line_of_parents(self, tenant: str, parent_id: str | None, limit: int = 20) -> list[str]:
        chain: list[str] = []
        while parent_id and parent_id not in chain and len(chain) < limit:
            chain.append(parent_id)
            found = self.customers.get((tenant, parent_id))
            parent_id = found.parent_id if found else None
        return chain

    def parents(self, tenant: str, parent_id: str, limit: int) -> list[str]:
        return self._line_of_parents(tenant, parent_id, limit)

    def members(self, tenant: str, path: list[str], found: Refs) -> list[Person]:
        approve = frozenset({"orders.approve", "orders.place"})
        return [
            Person(uid, "customer", approve, (cid,)) for cid in path for uid in self.approvers.get((tenant, cid), set())
        ]

    def approver_ids(self, tenant: str, path: list[str], found: Refs) -> set[str]:
        return {uid for cid in path for uid in self.approvers.get((tenant, cid), set())}

    def list_orders(self, query: OrderQuery) -> Page[OrderSummary]:
        def listed(s: Stored, of: str, key: str) -> bool:
            o = s.order
            path = o.customer_path or [o.customer_id]
            return {
                "customer": o.customer_id == key,
                "rep": s.sales_rep_id == key,
                "status": o.status.value == key,
                "tenant": True,
                "org": path[-1] == key,
                "creator": o.source == "staff" and o.created_by == key,
            }[of]

        def belongs(s: Stored) -> bool:
            if not any(listed(s, of, key) for of, key in query.lists):
                return False
            if query.status and s.order.status.value != query.status:
                return False
            return query.keep(view(s.order, [s.sales_rep_id]))

        found = [s for (t, _), s in self.orders.items() if t == query.tenant and belongs(s)]
        found.sort(key=lambda s: (s.order.created_at, s.order.id), reverse=True)
        return Page([_summary(s) for s in found[: query.limit]], None)

    def list_by_supplier_reference(
        self, tenant: str, reference: str, limit: int, cursor: str | None
    ) -> Page[OrderSummary]:
        found = [
            s
            for (t, _), s in self.orders.items()
            if t == tenant and (s.order.supplier_reference or "").casefold() == reference.casefold()
        ]
        found.sort(key=lambda s: (s.order.created_at, s.order.id), reverse=True)
        return Page([_summary(s) for s in found[:limit]], None)

    def list_approvals(
        self,
        tenant: str,
        customer_ids: Sequence[str],
        *,
        limit: int,
        cursor: str | None,
        created_from: str | None,
        created_to: str | None,
    ) -> Page[OrderSummary]:
        waiting = [
            s
            for (t, _), s in self.orders.items()
            if t == tenant and s.order.status == OrderStatus.PENDING_APPROVAL
            and set(s.order.customer_path) & set(customer_ids)
        ]  # fmt: skip
        waiting.sort(key=lambda s: (s.order.created_at, s.order.id), reverse=True)
        return Page([_summary(s) for s in waiting[:limit]], None)

    def add_message(
        self, tenant: str, order: Order, sales_rep_id: str | None, message: Message, actor_kind: str
    ) -> None:
        self.posted.setdefault((tenant, order.id), []).append(message)
        self.events += [(tenant, _as_written(order, e), order.version, actor_kind) for e in order.events]
        order.events.clear()

    def messages(self, tenant: str, order_id: str, limit: int, cursor: str | None) -> Page[Message]:
        return Page(self.posted.get((tenant, order_id), [])[:limit], None)

    def due_approvals(self, now: str, limit: int) -> list[tuple[str, str]]:
        due = sorted(
            (stored.order.approval_due_at, tenant, order_id)
            for (tenant, order_id), stored in self.orders.items()
            if stored.order.approval_due_at is not None and stored.order.approval_due_at <= now
        )
        return [(tenant, order_id) for _, tenant, order_id in due[:limit]]


def _summary(s: Stored) -> OrderSummary:
    return summary_of(s.order, s.sales_rep_id)


def _as_written(order: Order, event: OrderEvent) -> OrderEvent:
    """The event with the data the real store writes (the order as the whole action left it)."""
    return dataclasses.replace(event, data=order.event_data(event))
