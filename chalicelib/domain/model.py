"""Administrative entities of a tenant: settings, security groups, sites, customers, users.

Plain dataclasses: no storage, no HTTP. Storage maps them to items; the API maps them to JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from chalicelib.domain.permissions import UserKind


@dataclass
class CodeName:
    code: str
    name: str


@dataclass
class TenantSettings:
    slug: str
    name: str
    currency: str = "EUR"
    default_locale: str = "en"
    # Where the supplier's portal lives; None: it has none we know of, and e-mails link to no portal page.
    portal_url: str | None = None
    sender_email: str | None = None  # at a verified sender domain of the tenant; None: the platform's sender
    order_desk_email: str | None = None
    order_number_prefix: str = "ORD-"
    delivery_methods: list[CodeName] = field(default_factory=list)
    payment_methods: list[CodeName] = field(default_factory=list)
    # Approvers acting from their e-mail (API.md): how long a link works; how often an order waiting for
    # approval is reminded and after how long it is escalated (None: never).
    approval_link_hours: int = 72
    approval_reminder_hours: int | None = 24
    approval_escalation_hours: int | None = 72
    version: int = 0


@dataclass
class SecurityGroup:
    id: str
    name: str
    kind: UserKind
    permissions: list[str]
    builtin: bool = False
    version: int = 0


@dataclass
class Site:
    id: str
    code: str
    name: str
    address: str | None = None
    version: int = 0


@dataclass
class Address:
    id: str
    kind: str  # delivery | billing
    label: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    postal_code: str | None = None
    country: str | None = None


@dataclass
class Customer:
    id: str
    number: str
    name: str
    parent_id: str | None = None
    sales_rep_id: str | None = None
    price_list_id: str | None = None
    payment_terms: int | None = None  # days after an invoice's date that it is due
    approval_policy: str = "none"
    monthly_budget: Decimal | None = None
    credit_limit: Decimal | None = None  # None: no limit
    status: str = "active"
    addresses: list[Address] = field(default_factory=list)
    version: int = 0
    # The parents, nearest first, as stored with the customer (None: not known). A copy: storage
    # verifies it inside the write that relies on it.
    ancestor_ids: list[str] | None = None


@dataclass
class User:
    id: str
    kind: UserKind
    username: str
    name: str
    email: str
    locale: str | None = None
    status: str = "active"
    security_group_ids: list[str] = field(default_factory=list)
    customer_ids: list[str] = field(default_factory=list)
    site_ids: list[str] = field(default_factory=list)
    approval_limit: Decimal | None = None
    password_hash: str = ""
    version: int = 0
    # The generation of the user's sessions: a login's refresh tokens work only while it is the one
    # they began with. Raised to end every session at once (new password, deactivation).
    session_epoch: int = 0

    @property
    def active(self) -> bool:
        return self.status == "active"


@dataclass
class Delegation:
    """An approver away names a delegate for a period (API.md "Approval reminders, escalation and
    delegation"): between `starts_on` and `ends_on` (both included) the delegate receives the approver's
    approval e-mails and may decide through their links as the approver could."""

    delegator_id: str
    delegate_id: str
    starts_on: date
    ends_on: date
    version: int = 0
    # The delegate's display name when the delegation was written: what an order waiting on the approver
    # shows of whom else it waits on (`waiting_on`), without reading the delegate.
    delegate_name: str = ""

    def active_on(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


@dataclass(frozen=True)
class Cover:
    """One approver a delegate stands in for, as the approver's delegation says (`Delegation`), with the
    approver's customers when they named the delegate: where the orders waiting on them are listed."""

    approver_id: str
    starts_on: date
    ends_on: date
    customer_ids: tuple[str, ...] = ()

    def active_on(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


@dataclass
class Covers:
    """Every approver whose delegation names this delegate (the reverse of `Delegation`, kept in the same
    transaction): what a delegate's order list reads to find whom they stand in for."""

    delegate_id: str
    approvers: dict[str, Cover] = field(default_factory=dict)  # approver id → their delegation to this delegate
    version: int = 0  # 0: none stored yet

    def in_force(self, day: date) -> list[Cover]:
        return [c for c in self.approvers.values() if c.active_on(day)]
