"""One contract, two stores: the in-memory OrderStore the unit tests use (tests/fake_order_store.py) and
the DynamoDB one (storage/orders.py on moto) answer alike where a use case can tell."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.domain.budget import BudgetMove
from chalicelib.domain.errors import BudgetExceededError, LinkUsedError, NumberTakenError, VersionMismatchError
from chalicelib.domain.model import Customer, SecurityGroup, TenantSettings, User
from chalicelib.domain.orders import Document, Message, Order, OrderStatus, new_line
from chalicelib.domain.permissions import BUILTIN_GROUPS, UserKind
from chalicelib.services.order_store import LinkUse, OrderQuery, OrderStore, Reads, Relied, Standing, StandingMovedError
from chalicelib.storage import keys
from tests.conftest import aws_environment
from tests.fake_order_store import InMemoryOrderStore

D = Decimal
T = "acme"


def world(store: OrderStore) -> None:
    settings = TenantSettings(slug=T, name="Acme")
    customer = Customer("c1", "C-1", "Bistro", sales_rep_id="rep")
    buyer = User("buyer", UserKind.CUSTOMER, "buyer", "B", "b@x.test", security_group_ids=["customer-buyers"])
    boss = User("boss", UserKind.CUSTOMER, "boss", "Boss", "s@x.test", security_group_ids=["customer-approvers"])
    buyer.customer_ids = boss.customer_ids = ["c1"]
    if isinstance(store, InMemoryOrderStore):
        store.add_settings(settings)
        store.add_customer(T, customer)
        store.add_user(T, buyer)
        store.add_user(T, boss, approves=True)
        store.sessions[(T, "login1")] = ("buyer", False, 0)
        store.group_versions.update({(T, g.id): 1 for g in BUILTIN_GROUPS})
        return
    from chalicelib.storage import customers, sessions, tenants, users

    groups = [SecurityGroup(g.id, g.name, g.kind, sorted(g.permissions), builtin=True) for g in BUILTIN_GROUPS]
    admin = User("admin", UserKind.STAFF, "admin", "Admin", "a@x.test", security_group_ids=["administrators"])
    tenants.create_tenant(settings, groups, admin)
    customers.create(T, customer)
    users.create(T, buyer)
    users.create(T, boss)
    sessions.start_family(T, "buyer", "login1", "hash1", 3600, 0)  # the buyer's login


@pytest.fixture(params=["fake", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[OrderStore]:
    if request.param == "fake":
        s: OrderStore = InMemoryOrderStore()
        world(s)
        yield s
        return
    from chalicelib.storage.orders import DynamoOrderStore

    with aws_environment():
        s = DynamoOrderStore()
        world(s)
        yield s


def new_order(number: int = 1, created_by: str = "buyer") -> Order:
    o = Order(
        id=f"order{number}", tenant=T, number=f"ORD-{number:06d}", customer_id="c1", customer_name="Bistro",
        site_id=None, source="portal", created_by=created_by, currency="EUR", customer_path=["c1"],
        created_at=f"2026-12-0{number}T10:00:00Z",
    )  # fmt: skip
    o.record_created(created_by)
    o.add_line(new_line("p1", "SKU-1", "Coffee", D(2), D("10.00"), D("0.20")), created_by, record=False)
    return o


def create(store: OrderStore, number: int = 1, **kw: Any) -> Order:
    return store.save(T, None, new_order(number, **kw), "rep", actor_kind="customer", number=number)


def test_an_order_comes_back_as_it_was_saved(store: OrderStore) -> None:
    saved = create(store)
    loaded = store.load(T, saved.id)
    assert loaded is not None and loaded.sales_rep_id == "rep"
    o = loaded.order
    assert (o.number, o.status, o.version, o.totals.gross, len(o.history)) == ("ORD-000001", "draft", 1, D("24.00"), 1)
    assert store.load(T, "nope") is None


def test_a_write_on_a_stale_read_changes_nothing(store: OrderStore) -> None:
    create(store)
    first, second = store.load(T, "order1"), store.load(T, "order1")
    assert first is not None and second is not None
    first.order.submit("buyer", needs_approval=False)
    store.save(T, first, first.order, "rep", actor_kind="customer")
    second.order.cancel("buyer", "changed my mind")
    with pytest.raises(VersionMismatchError):
        store.save(T, second, second.order, "rep", actor_kind="customer")
    now = store.load(T, "order1")
    assert now is not None and (now.order.status, now.order.version) == (OrderStatus.SUBMITTED, 2)


def test_the_order_counter_hands_out_each_number_once(store: OrderStore) -> None:
    create(store, 1)
    with pytest.raises(NumberTakenError):
        store.save(T, None, new_order(2), "rep", actor_kind="customer", number=1)
    assert store.load(T, "order2") is None and store.read(T, Reads(counter=True)).order_counter == 1


def test_a_budget_move_past_its_limit_writes_nothing(store: OrderStore) -> None:
    create(store)
    month = keys.budget(T, "c1", "2026-12")
    loaded = store.load(T, "order1")
    assert loaded is not None
    loaded.order.submit("buyer", needs_approval=False)
    move = BudgetMove("c1", "2026-12", 2400)
    with pytest.raises(BudgetExceededError):
        store.save(T, loaded, loaded.order, "rep", actor_kind="customer", budget=[move], budget_limits={month[1]: 2000})
    assert store.read(T, Reads(extra=[month])).budgets.get(month, 0) == 0
    assert store.load(T, "order1").order.status == OrderStatus.DRAFT  # type: ignore[union-attr]
    store.save(T, loaded, loaded.order, "rep", actor_kind="customer", budget=[move], budget_limits={"2026-12": 3000})
    assert store.read(T, Reads(extra=[month])).budgets[month] == 2400


def test_one_read_brings_what_it_names(store: OrderStore) -> None:
    found = store.read(T, Reads(customers=["c1", "ghost"], settings=True, users=["boss"], counter=True))
    assert set(found.customers) == {"c1"} and found.customers["c1"].sales_rep_id == "rep"
    assert found.settings is not None and found.settings.name == "Acme"
    assert set(found.users) == {"boss"} and found.order_counter == 0


def test_approvers_and_parents(store: OrderStore) -> None:
    # Decided from a read that named the path (submit's one BatchGet).
    found = store.read(T, Reads(customers=["c1"], approvers_of=["c1", "ghost"]))
    assert store.approver_ids(T, ["c1"], found) == {"boss"}  # the buyer holds no orders.approve
    assert store.approver_ids(T, ["ghost"], found) == set()  # a customer nobody belongs to
    assert store.customer(T, "c1") is not None and store.customer(T, "ghost") is None


def test_lists_are_newest_first_and_a_buyer_sees_their_own(store: OrderStore) -> None:
    create(store, 1)
    create(store, 2, created_by="boss")
    everyone = store.list_orders(OrderQuery(T, (("customer", "c1"),), 10))
    assert [s.id for s in everyone.items] == ["order2", "order1"]
    own = store.list_orders(OrderQuery(T, (("customer", "c1"),), 10, keep=lambda v: v.created_by == "buyer"))
    assert [s.id for s in own.items] == ["order1"]
    assert [s.id for s in store.list_orders(OrderQuery(T, (("rep", "rep"),), 10)).items] == ["order2", "order1"]
    # an organisation's list (by its top customer) and a staff member's own list, merged: each order once
    both = store.list_orders(OrderQuery(T, (("org", "c1"), ("customer", "c1")), 10))
    assert [s.id for s in both.items] == ["order2", "order1"]


def test_messages_come_back_in_order(store: OrderStore) -> None:
    o = create(store)
    for n, body in enumerate(("Hello", "Friday?")):
        o.record_message("buyer", f"m{n}", body)
        message = Message(f"m{n}", "buyer", "customer", body, f"2026-12-0{n + 1}T00:00:00Z")
        store.add_message(T, o, "rep", message, "customer")
    assert [m.body for m in store.messages(T, o.id, 10, None).items] == ["Hello", "Friday?"]


def test_an_order_keeps_its_files_through_arrival_and_removal(store: OrderStore) -> None:
    from chalicelib.domain.orders import Attachment

    create(store)
    loaded = store.load(T, "order1")
    assert loaded is not None
    files = [
        Attachment(f"f{i}", f"po-{i}.pdf", "application/pdf", 10 + i, "purchase_order", True, "buyer", "customer",
                   "2026-12-05T10:00:00Z", expires_at="2999-01-01T00:00:00Z")
        for i in (1, 2)
    ]  # fmt: skip
    for f in files:
        loaded.order.attach(f)
    store.save(T, loaded, loaded.order, loaded.sales_rep_id, actor_kind="customer")

    loaded = store.load(T, "order1")
    assert loaded is not None
    assert [a.id for a in loaded.order.attachments] == ["f1", "f2"]
    assert loaded.order.attachments[0] == files[0]
    assert loaded.order.attachment_arrived("f1", "v1", 11, "application/pdf", "2026-12-05T10:05:00Z")
    assert not loaded.order.attachment_arrived(
        "f2", "v1", 99, "application/pdf", "2026-12-05T10:05:00Z"
    )  # not as declared
    loaded.order.remove_attachment("f2")
    store.save(T, loaded, loaded.order, loaded.sales_rep_id, actor_kind="customer")

    loaded = store.load(T, "order1")
    assert loaded is not None
    [kept] = loaded.order.attachments
    arrived_at = "2026-12-05T10:05:00Z"
    assert (kept.id, kept.status, kept.expires_at, kept.uploaded_at) == ("f1", "available", None, arrived_at)


def test_an_order_is_found_by_its_supplier_reference_as_it_is_now(store: OrderStore) -> None:
    """Issue 15: the reference's list shows the order as its last write left it, in any case, and
    drops it when the reference changes."""
    create(store, 1)
    create(store, 2)
    loaded = store.load(T, "order1")
    assert loaded is not None
    loaded.order.set_supplier_reference("desk", "SO-1")
    store.save(T, loaded, loaded.order, "rep", actor_kind="staff")
    assert [s.id for s in store.list_by_supplier_reference(T, "so-1", 25, None).items] == ["order1"]
    again = store.load(T, "order1")
    assert again is not None and again.order.supplier_reference == "SO-1"
    again.order.submit("buyer", needs_approval=False)
    store.save(T, again, again.order, "rep", actor_kind="customer")
    (found,) = store.list_by_supplier_reference(T, "SO-1", 25, None).items
    assert (found.status, found.supplier_reference) == ("submitted", "SO-1")
    moved = store.load(T, "order1")
    assert moved is not None
    moved.order.set_supplier_reference("desk", "SO-2")
    store.save(T, moved, moved.order, "rep", actor_kind="staff")
    assert store.list_by_supplier_reference(T, "SO-1", 25, None).items == []
    assert [s.id for s in store.list_by_supplier_reference(T, "SO-2", 25, None).items] == ["order1"]


def test_orders_waiting_for_approval_are_found_when_due_and_no_longer_once_decided(store: OrderStore) -> None:
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 12, 1, 10, tzinfo=UTC)
    for number in (1, 2, 3):
        create(store, number)
        loaded = store.load(T, f"order{number}")
        assert loaded is not None
        loaded.order.submit("buyer", [{"code": "policy"}])
        loaded.order.history[-1].at = "2026-12-01T10:00:00Z"  # it waits since `start`
        loaded.order.plan_approval_reminders(start, number * 10, None)  # due at 20:00, 06:00, 16:00
        store.save(T, loaded, loaded.order, "rep", actor_kind="customer")
    assert store.due_approvals("2026-12-01T19:59:59Z", 10) == []
    assert store.due_approvals("2026-12-02T06:00:00Z", 10) == [(T, "order1"), (T, "order2")]
    assert store.due_approvals("2026-12-02T16:00:00Z", 1) == [(T, "order1")]  # earliest first

    reminded = store.load(T, "order1")
    assert reminded is not None
    reminded.order.remind(start + timedelta(hours=11), 10, None)  # next: after 20 hours
    store.save(T, reminded, reminded.order, "rep", actor_kind="system")
    decided = store.load(T, "order2")
    assert decided is not None
    decided.order.approve("boss", [])
    store.save(T, decided, decided.order, "rep", actor_kind="customer")
    assert store.due_approvals("2026-12-02T05:59:59Z", 10) == []  # order1 moved on to 06:00
    assert store.due_approvals("2026-12-02T06:00:00Z", 10) == [(T, "order1")]
    assert store.due_approvals("2026-12-02T16:00:00Z", 10) == [(T, "order1"), (T, "order3")]


def add_link(store: OrderStore, token_hash: str, valid_until: str) -> None:
    """An approver's e-mail link to order1 (services/action_links.py), as the e-mail left it."""
    if isinstance(store, InMemoryOrderStore):
        store.add_link(T, token_hash, valid_until)
        return
    from datetime import UTC, datetime

    from chalicelib.storage import action_links

    link = action_links.ActionLink(T, token_hash, "approval", "order1", "boss", 2, "2026-12-01T10:00:00Z", valid_until)
    action_links.put(link, datetime(2026, 12, 9, tzinfo=UTC))


def test_a_decision_spends_its_email_link_once_and_only_when_written(store: OrderStore) -> None:
    create(store)
    waiting = store.load(T, "order1")
    assert waiting is not None
    waiting.order.submit("buyer", [{"code": "policy"}])
    store.save(T, waiting, waiting.order, "rep", actor_kind="customer")
    add_link(store, "h1", "2026-12-04T10:00:00Z")
    use = LinkUse("h1", at="2026-12-02T10:00:00Z", by="boss", by_name="Boss", decision="approve")

    # A write refused on the order's version spends nothing.
    stale = store.load(T, "order1")
    assert stale is not None
    stale.order.approve("boss", [])
    stale.order.version -= 1
    with pytest.raises(VersionMismatchError):
        store.save(T, stale, stale.order, "rep", actor_kind="customer", link=use)

    # The decision and its link, together; the link a second time: refused, whatever else holds.
    decided = store.load(T, "order1")
    assert decided is not None
    decided.order.approve("boss", [])
    store.save(T, decided, decided.order, "rep", actor_kind="customer", link=use)
    assert store.load(T, "order1").order.status == OrderStatus.SUBMITTED  # type: ignore[union-attr]
    again = store.load(T, "order1")
    assert again is not None
    again.order.cancel("buyer", "changed my mind")
    with pytest.raises(LinkUsedError):
        store.save(T, again, again.order, "rep", actor_kind="customer", link=use)
    stale_too = store.load(T, "order1")
    assert stale_too is not None
    stale_too.order.cancel("buyer", "changed my mind")
    stale_too.order.version -= 1
    with pytest.raises(LinkUsedError):  # spent and stale: the link's refusal is the one told
        store.save(T, stale_too, stale_too.order, "rep", actor_kind="customer", link=use)
    assert store.load(T, "order1").order.status == OrderStatus.SUBMITTED  # type: ignore[union-attr]


def test_an_email_link_past_its_end_or_unknown_spends_nothing(store: OrderStore) -> None:
    create(store)
    add_link(store, "h2", "2026-12-02T10:00:00Z")
    for token_hash, at in (("h2", "2026-12-02T10:00:00Z"), ("nope", "2026-12-01T10:00:00Z")):
        loaded = store.load(T, "order1")
        assert loaded is not None
        loaded.order.cancel("buyer", "not needed")
        use = LinkUse(token_hash, at=at, by="boss", by_name="Boss", decision="reject")
        with pytest.raises(LinkUsedError):
            store.save(T, loaded, loaded.order, "rep", actor_kind="customer", link=use)
    assert store.load(T, "order1").order.status == OrderStatus.DRAFT  # type: ignore[union-attr]


# --- events carry the order as committed -------------------------------------------------------------
def written_events(store: OrderStore) -> list[tuple[str, dict[str, Any]]]:
    """Every event the store wrote, oldest first: (type, data as written)."""
    if isinstance(store, InMemoryOrderStore):
        return [(e.type.value, e.data) for _, e, _, _ in store.events]
    from chalicelib.storage.events import page

    written = page(T, "0", "~", 100, None)  # every id of the tenant's one event partition
    return [(e.type, e.data) for e in written.events]


def as_committed(o: Order) -> dict[str, Any]:
    t = o.totals
    return {
        "status": o.status.value,
        "invoice_status": o.invoice_status,
        "payment_status": o.payment_status,
        "totals": {"net": str(t.net), "tax": str(t.tax), "gross": str(t.gross)},
        "version": o.version,
    }


def _doc(kind: str, number: str, amount: str | None = None) -> Document:
    return Document(f"{kind}-{number}", kind, date(2026, 12, 7), number, D(amount) if amount else None)


# Every action, as the service applies it to the order it loaded, on two orders: one through approval,
# a proposal declined and one accepted to payment; one submitted without approval and cancelled, one confirmed.
PATHS: dict[int, list[tuple[str, Any]]] = {
    1: [
        ("submit", lambda o: o.submit("buyer", needs_approval=True)),
        ("reject", lambda o: o.reject("boss", "Too much")),
        ("submit", lambda o: o.submit("buyer", needs_approval=True)),
        ("approve", lambda o: o.approve("boss", [{"id": o.lines[0].id, "quantity": D(1)}])),
        ("propose", lambda o: o.propose("rep", "Less", [{"id": o.lines[1].id, "quantity": D(2)}], [])),
        ("decline", lambda o: o.decline("buyer", "No")),
        ("propose", lambda o: o.propose("rep", "Less", [{"id": o.lines[1].id, "quantity": D(2)}], [])),
        ("accept", lambda o: o.accept("buyer")),
        ("ship", lambda o: o.record_shipment("desk", _doc("shipment", "DN-1"), None)),
        ("invoice", lambda o: o.record_invoice("desk", _doc("invoice", "INV-1", "12.00"))),
        ("pay", lambda o: o.record_payment("desk", _doc("payment", "PAY-1", "12.00"))),
    ],
    2: [
        ("submit", lambda o: o.submit("buyer", needs_approval=False)),
        ("cancel", lambda o: o.cancel("desk", "No longer needed")),
    ],
    3: [
        ("submit", lambda o: o.submit("buyer", needs_approval=False)),
        ("confirm", lambda o: o.confirm("desk")),
    ],
}


def test_every_event_carries_the_order_as_the_whole_action_left_it(store: OrderStore) -> None:
    """API.md's event feed: `data` is the order as that event left it — after the whole action, at the
    version it reached (a create with two lines states their totals, not those of an empty draft)."""
    for number, path in PATHS.items():
        o = new_order(number)  # `order.created` is recorded before its lines are added
        o.add_line(new_line("p2", "SKU-2", "Tea", D(1), D("28.00"), D("0.20")), "buyer", record=False)
        before = len(written_events(store))
        saved = store.save(T, None, o, "rep", actor_kind="customer", number=number)
        created = written_events(store)[before:]
        assert created == [("order.created", {**as_committed(saved), "from_status": None})]
        assert created[0][1]["totals"] == {"net": "48.00", "tax": "9.60", "gross": "57.60"}
        for name, action in path:
            loaded = store.load(T, saved.id)
            assert loaded is not None
            before = len(written_events(store))
            action(loaded.order)
            saved = store.save(T, loaded, loaded.order, "rep", actor_kind="staff")
            new = written_events(store)[before:]
            assert new, f"{name} recorded no event"
            for event_type, data in new:
                shown = {k: data[k] for k in as_committed(saved)}
                assert shown == as_committed(saved), f"{name}: {event_type} does not carry the order as committed"


# --- the caller's standing, checked in the write (services/callers.py) --------------------------------------
# The buyer as their token describes them: active, at session epoch 0, in the built-in buyers' group as it
# was created (version 1), of customer c1, every site; logged in as `login1`.
BUYER = Standing("buyer", "login1", "customer", 0, (("customer-buyers", 1),), ("c1",), ())


def change_the_buyer(store: OrderStore, how: str) -> None:
    """What an administrator (or the buyer's logout) does to the buyer, on either store."""
    if isinstance(store, InMemoryOrderStore):
        user = store.users[(T, "buyer")]
        if how == "deactivated":
            store.users[(T, "buyer")] = dataclasses.replace(user, status="inactive", session_epoch=1)
        elif how == "moved to another group":
            store.users[(T, "buyer")] = dataclasses.replace(user, security_group_ids=["customer-approvers"])
        elif how == "logged out":
            store.sessions[(T, "login1")] = ("buyer", True, 0)
        else:
            store.group_versions[(T, "customer-buyers")] += 1
        return
    from chalicelib.storage import groups, sessions, users
    from chalicelib.storage.refs import load as load_refs

    if how == "logged out":
        sessions.revoke_family(T, "login1")
        return
    if how == "their group changed":
        index = load_refs(T, extra=[keys.security_group_index(T)]).items[keys.security_group_index(T)]
        group = groups.get(T, "customer-buyers")
        groups.replace(T, index, dataclasses.replace(group, permissions=[*group.permissions, "orders.view_org"]))
        return
    user = users.get(T, "buyer")
    if how == "deactivated":
        users.update(T, user, dataclasses.replace(user, status="inactive", session_epoch=1))
    else:
        users.update(T, user, dataclasses.replace(user, security_group_ids=["customer-approvers"]))


def test_a_write_relying_on_its_caller_as_they_are_goes_through(store: OrderStore) -> None:
    create(store)
    loaded = store.load(T, "order1")
    assert loaded is not None
    loaded.order.submit("buyer", needs_approval=False)
    store.save(T, loaded, loaded.order, "rep", actor_kind="customer", relied=Relied(caller=BUYER))
    assert store.load(T, "order1").order.status == OrderStatus.SUBMITTED  # type: ignore[union-attr]


@pytest.mark.parametrize("how", ["deactivated", "moved to another group", "logged out", "their group changed"])
def test_a_write_relying_on_its_caller_writes_nothing_once_they_changed(store: OrderStore, how: str) -> None:
    create(store)
    first, second = store.load(T, "order1"), store.load(T, "order1")
    assert first is not None and second is not None
    first.order.cancel("boss", "not needed")
    store.save(T, first, first.order, "rep", actor_kind="customer")
    change_the_buyer(store, how)
    second.order.submit("buyer", needs_approval=False)
    # Stale too: the caller is decided on first (nothing of the order matters when they may not write).
    with pytest.raises(StandingMovedError):
        store.save(T, second, second.order, "rep", actor_kind="customer", relied=Relied(caller=BUYER))
    now = store.load(T, "order1")
    assert now is not None and (now.order.status, now.order.version) == (OrderStatus.CANCELLED, 2)
