"""OrderService on the in-memory store and catalog: the use cases without DynamoDB (no network, no moto).
What each action decides, records and writes; tests/integration/test_order_store_contract.py keeps the
fake store honest against the real one."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from chalicelib.auth.principal import Principal
from chalicelib.domain.errors import ConflictError, ForbiddenError, NotFoundError, VersionMismatchError
from chalicelib.domain.model import Customer, TenantSettings, User
from chalicelib.domain.orders import EventType, OrderStatus
from chalicelib.domain.permissions import UserKind
from chalicelib.domain.pricing import PriceRule
from chalicelib.services.order_catalog import Offer, ProductRef
from chalicelib.services.orders import OrderService
from devstack.fakes import FakeCatalog
from tests.fake_order_store import InMemoryOrderStore

D = Decimal
T = "acme"
S = OrderStatus
# `current`: the callers as the service would read them now (the fake store holds no sessions; reading
# the caller is tests/functional/test_current_rights.py's, through the API on the real store).
BUYER = Principal(T, "buyer", UserKind.CUSTOMER, frozenset({"orders.place"}), customer_ids=("c1",), current=True)
BOSS = Principal(
    T,
    "boss",
    UserKind.CUSTOMER,
    frozenset({"orders.place", "orders.approve", "orders.view_org"}),
    customer_ids=("c1",),
    current=True,
)
DESK = Principal(
    T, "desk", UserKind.STAFF, frozenset({"orders.read_all", "orders.review", "orders.fulfil"}), current=True
)
STRANGER = Principal(T, "other", UserKind.CUSTOMER, frozenset({"orders.place"}), customer_ids=("c2",), current=True)


@pytest.fixture
def store() -> InMemoryOrderStore:
    s = InMemoryOrderStore()
    s.add_settings(TenantSettings(slug=T, name="Acme"))
    s.add_customer(T, Customer("c1", "C-1", "Bistro", sales_rep_id="rep", monthly_budget=D("100.00")))
    s.add_customer(T, Customer("c2", "C-2", "Other"))
    s.add_user(T, User("buyer", UserKind.CUSTOMER, "buyer", "Buyer", "b@x.test", customer_ids=["c1"]))
    boss = User("boss", UserKind.CUSTOMER, "boss", "Boss", "boss@x.test", customer_ids=["c1"])
    s.add_user(T, boss, approves=True)
    return s


@pytest.fixture
def svc(store: InMemoryOrderStore) -> OrderService:
    catalog = FakeCatalog()
    catalog.add(Offer("p1", "SKU-1", "Coffee", D("0.20"), D(1), D(1), PriceRule.of(D("10.00"))))
    return OrderService(catalog, store, clock=lambda: datetime(2026, 12, 5, tzinfo=UTC))


def draft(svc: OrderService, quantity: int = 2) -> str:
    return svc.create(BUYER, {"lines": [{"sku": "SKU-1", "quantity": D(quantity)}]}).id


def test_a_draft_is_numbered_priced_and_recorded(svc: OrderService, store: InMemoryOrderStore) -> None:
    order = svc.create(BUYER, {"lines": [{"sku": "SKU-1", "quantity": D(2)}]})
    assert (order.number, order.status, order.totals.gross, order.version) == ("ORD-000001", S.DRAFT, D("24.00"), 1)
    assert [e.type for _, e, _, _ in store.events] == [EventType.CREATED]
    assert svc.create(BUYER, {}).number == "ORD-000002"


def test_another_customers_user_sees_nothing(svc: OrderService) -> None:
    oid = draft(svc)
    with pytest.raises(NotFoundError):
        svc.get(STRANGER, oid)
    with pytest.raises(NotFoundError):
        svc.submit(STRANGER, oid, None)


def test_submit_within_budget_counts_it_and_records_the_event(svc: OrderService, store: InMemoryOrderStore) -> None:
    oid = draft(svc)
    order = svc.submit(BUYER, oid, None)
    assert order.status == S.SUBMITTED
    assert store.spent(T, "c1", "2026-12") == 2400
    [submitted] = [e for _, e, _, _ in store.events if e.type == EventType.SUBMITTED]
    assert submitted.data["status"] == "submitted" and submitted.data["totals"]["gross"] == "24.00"


def test_over_the_budget_asks_for_approval_and_the_approver_takes_it_over(
    svc: OrderService, store: InMemoryOrderStore
) -> None:
    store.budgets[("T#acme#BUDGET#c1", "2026-12")] = 9000  # 90.00 of 100.00 spent
    oid = draft(svc)
    assert svc.submit(BUYER, oid, None).status == S.PENDING_APPROVAL
    assert store.spent(T, "c1", "2026-12") == 9000
    assert svc.approve(BOSS, oid, [], None).status == S.SUBMITTED
    assert store.spent(T, "c1", "2026-12") == 11400


def test_nobody_to_approve_is_refused_and_changes_nothing(svc: OrderService, store: InMemoryOrderStore) -> None:
    store.approvers.clear()
    store.budgets[("T#acme#BUDGET#c1", "2026-12")] = 9000
    oid = draft(svc)
    with pytest.raises(ConflictError) as refused:
        svc.submit(BUYER, oid, None)
    assert refused.value.code == "no_approver"
    assert svc.get(BUYER, oid).status == S.DRAFT and svc.get(BUYER, oid).version == 1


def test_a_stale_if_match_is_refused(svc: OrderService) -> None:
    oid = draft(svc)
    with pytest.raises(VersionMismatchError):
        svc.submit(BUYER, oid, expected=7)


def test_a_concurrent_write_is_retried_on_fresh_state(svc: OrderService, store: InMemoryOrderStore) -> None:
    oid = draft(svc)
    real_save = store.save
    raced: list[bool] = []

    def save_after_someone_else(*args: object, **kwargs: object) -> object:
        if not raced:  # another request adds a line between this one's read and its write
            raced.append(True)
            svc.add_line(BUYER, oid, ProductRef(sku="SKU-1"), D(1), None, None)
        return real_save(*args, **kwargs)  # type: ignore[arg-type]

    store.save = save_after_someone_else  # type: ignore[method-assign,assignment]
    order = svc.add_line(BUYER, oid, ProductRef(sku="SKU-1"), D(3), None, None)
    assert order.lines[0].quantity == D(6)  # 2 + 1 + 3: no update lost


def test_cancel_gives_back_what_was_counted(svc: OrderService, store: InMemoryOrderStore) -> None:
    oid = draft(svc)
    svc.submit(BUYER, oid, None)
    svc.cancel(DESK, oid, "Out of stock", None)
    assert store.spent(T, "c1", "2026-12") == 0
    kinds = [(e.type, kind) for _, e, _, kind in store.events if e.type == EventType.CANCELLED]
    assert kinds == [(EventType.CANCELLED, "staff")]


def test_only_the_approver_approves_and_never_the_submitter(svc: OrderService, store: InMemoryOrderStore) -> None:
    store.budgets[("T#acme#BUDGET#c1", "2026-12")] = 9000
    oid = draft(svc)
    svc.submit(BUYER, oid, None)
    with pytest.raises(NotFoundError):  # another customer's user: as if it did not exist
        svc.approve(STRANGER, oid, [], None)
    with pytest.raises(ForbiddenError):
        svc.approve(BUYER, oid, [], None)


def test_a_message_is_posted_with_its_event(svc: OrderService, store: InMemoryOrderStore) -> None:
    oid = draft(svc)
    message = svc.post_message(BUYER, oid, "Friday, please")
    assert [m.body for m in svc.messages(BUYER, oid, 10, None).items] == ["Friday, please"]
    [(_, event, _, _)] = [x for x in store.events if x[1].type == EventType.MESSAGE_POSTED]
    assert event.data["message"] == {"id": message.id, "body": "Friday, please"}
