"""What the order use cases need from storage, as a port: load and save an order aggregate, read what
an action relies on in one round trip, list orders, post messages, find approvers. Only domain values
cross it (Order, Customer, Refs of domain objects, summaries): PynamoDB items and conditions stay in
storage/. The DynamoDB adapter is storage/orders.py `DynamoOrderStore`, built in bootstrap.py; unit tests
run OrderService on tests/unit/fake_order_store.py, and tests/integration/test_order_store_contract.py
runs one suite against both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from chalicelib.domain.accounts import LedgerMove
from chalicelib.domain.authority import OrderView, Person
from chalicelib.domain.budget import BudgetMove
from chalicelib.domain.errors import BudgetExceededError, LinkUsedError, NumberTakenError, ParentsMovedError
from chalicelib.domain.model import Customer
from chalicelib.domain.orders import Message, Order

if TYPE_CHECKING:
    from chalicelib.domain.order_summary import OrderSummary
    from chalicelib.storage.order_codec import Loaded
    from chalicelib.storage.paging import Page
    from chalicelib.storage.refs import Key, Refs


@dataclass(frozen=True)
class Standing:
    """The caller as a write relies on them without reading them (services/callers.py `standing_of`): their
    user item active, of this kind, at this session epoch, with these security groups (and, for a customer
    user, these customers and sites); their login (refresh-token family) not ended and of that epoch; each
    of their groups at this version (so its permissions are unchanged; 0: it still does not exist)."""

    user_id: str
    session_id: str
    kind: str
    session_epoch: int
    groups: tuple[tuple[str, int], ...]  # (group id, version)
    customer_ids: tuple[str, ...]
    site_ids: tuple[str, ...]


@dataclass(frozen=True)
class Relied:
    """What a write relied on besides the order, checked in its transaction: the caller's `standing` (else
    StandingMovedError, which wins over every failure but a claimed Idempotency-Key), a site that must
    still exist (else NotFoundError), a customer's stored line of parents that must still hold (else
    ParentsMovedError)."""

    site_id: str | None = None
    parents: tuple[str, ...] = ()
    caller: Standing | None = None


@dataclass(frozen=True)
class LinkUse:
    """An approver's one-time e-mail link (services/action_links.py) spent by the write that carries its
    decision, in the same transaction: a link is never spent without its decision, and never twice. The
    write fails with LinkUsedError when the link is spent already, gone, or past `at`'s validity."""

    token_hash: str
    at: str  # ISO 8601, when it is spent: the link must still be valid then
    by: str
    by_name: str
    decision: str


@dataclass
class Claim:
    """A request's Idempotency-Key (API.md), claimed by the order write it causes, in the same transaction,
    together with the order that write leaves: `written` once it is. A replay's write fails on it
    (ClaimedError) and the request is answered the stored order (`OrderStore.replayed`: `replayed`)."""

    tenant: str
    key_hash: str
    fingerprint: str
    written: bool = False
    replayed: bool = False


class ClaimedError(Exception):
    """The write carried the claim of a key that is taken: nothing was written; replay what is stored."""


class StandingMovedError(Exception):
    """The caller is no longer as the write relied on (`Relied.caller`): nothing was written; read them as
    stored now and decide again (services/callers.py `standing_now`)."""


ListOf = Literal["customer", "rep", "status", "tenant", "org", "creator"]


def _everything(view: OrderView) -> bool:
    return True


@dataclass(frozen=True)
class OrderQuery:
    """One page of a list of orders, newest first, from one or more lists (storage picks the index of
    each: keys.py), keeping what `keep` lets through: the policy's "sees" for the caller
    (domain/authority.py), so a list shows exactly what GET shows."""

    tenant: str
    # (list, key): a customer's orders, a sales rep's customers', a status queue, the tenant's, a customer
    # organisation's (key: its top customer), a staff member's own
    lists: tuple[tuple[ListOf, str], ...]
    limit: int
    cursor: str | None = None
    status: str | None = None  # only orders in this status
    created_from: str | None = None
    created_to: str | None = None
    keep: Callable[[OrderView], bool] = _everything


@dataclass
class Reads:
    """What `OrderStore.read` is asked for: every key known before the action's one BatchGet."""

    customers: list[str] = field(default_factory=list)
    settings: bool = False
    users: list[str] = field(default_factory=list)
    sites: list[str] = field(default_factory=list)
    counter: bool = False
    extra: list[Key] = field(default_factory=list)
    # customers whose approvers `approver_ids` may be asked about (the order's path): read with the rest
    approvers_of: list[str] = field(default_factory=list)
    consistent: bool = False  # a strongly consistent read (what a failed write's condition is decided on)


# The write conflicts a store raises (domain/errors.py), for its implementations to import from here.
__all__ = [
    "BudgetExceededError",
    "LinkUse",
    "LinkUsedError",
    "NumberTakenError",
    "OrderQuery",
    "OrderStore",
    "ParentsMovedError",
    "Reads",
    "Relied",
    "Standing",
    "StandingMovedError",
]


class OrderStore(Protocol):
    def load(self, tenant: str, order_id: str) -> Loaded | None:
        """The whole order (one Query), or None."""
        ...

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
        """One transaction: the order (conditional on the version loaded: VersionMismatchError), its
        recorded events, the customer's `ledger` as a money action moved it (conditional on the version
        read: VersionMismatchError too), the budget moves (BudgetExceededError past `budget_limits`), the order
        counter moved to `number` (NumberTakenError), the checks of what it `relied` on, the e-mail `link`
        whose decision this is, spent (LinkUsedError, which wins over a version mismatch), and the request's
        Idempotency-Key `claim` with the order as written (ClaimedError, which wins over all)."""
        ...

    def replayed(self, claim: Claim, *, expired_too: bool = False) -> Order | None:
        """The order the first request with the claim's key wrote (None: nothing stored, or expired unless
        `expired_too`), the claim marked replayed; a different request with that key is a 409."""
        ...

    def read(self, tenant: str, reads: Reads) -> Refs:
        """Everything named, in one BatchGet."""
        ...

    def customer(self, tenant: str, customer_id: str) -> Customer | None: ...

    def parents(self, tenant: str, parent_id: str, limit: int) -> list[str]:
        """The line of parents from `parent_id` up, read level by level."""
        ...

    def approver_ids(self, tenant: str, path: list[str], found: Refs) -> set[str]:
        """The active customer users holding orders.approve for a customer on the path, from `found`: a
        `read` whose `approvers_of` named the path (it reads nothing more). Who of them may act on an order
        is the policy's to say (domain/authority.py)."""
        ...

    def members(self, tenant: str, path: list[str], found: Refs) -> list[Person]:
        """The active customer users of the path's customers as the policy sees them, from `found` (a `read`
        whose `approvers_of` named the path), without their names."""
        ...

    def list_orders(self, query: OrderQuery) -> Page[OrderSummary]: ...

    def list_by_supplier_reference(
        self, tenant: str, reference: str, limit: int, cursor: str | None
    ) -> Page[OrderSummary]:
        """The orders carrying this supplier's reference (any case), newest first: one Query."""
        ...

    def list_approvals(
        self,
        tenant: str,
        customer_ids: Sequence[str],
        *,
        limit: int,
        cursor: str | None,
        created_from: str | None,
        created_to: str | None,
    ) -> Page[OrderSummary]: ...

    def add_message(
        self, tenant: str, order: Order, sales_rep_id: str | None, message: Message, actor_kind: str
    ) -> None:
        """The message and the event the order recorded for it, in one transaction."""
        ...

    def messages(self, tenant: str, order_id: str, limit: int, cursor: str | None) -> Page[Message]: ...

    def due_approvals(self, now: str, limit: int) -> list[tuple[str, str]]:
        """(tenant, order id) of orders waiting for approval whose reminder or escalation is due by `now`
        (ISO 8601), earliest first, at most `limit`: from an index, never a scan."""
        ...
