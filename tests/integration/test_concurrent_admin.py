"""Concurrent writers on real (emulated) DynamoDB conditional writes: nothing is lost or doubled."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from chalicelib.auth.principal import Principal
from chalicelib.bootstrap import get_services
from chalicelib.domain.errors import DuplicateError
from chalicelib.domain.permissions import Permission, UserKind
from chalicelib.services import admin
from chalicelib.services.tenants import create_tenant
from chalicelib.storage import customers, product_groups

ADMIN = Principal("acme", "admin", UserKind.STAFF, frozenset(p.value for p in Permission))


def setup_tenant() -> None:
    create_tenant(
        get_services().passwords,
        slug="acme",
        name="Acme",
        admin_username="admin",
        admin_password="admin-password-1",
        admin_email="a@acme.example",
    )


def test_concurrent_patches_of_different_fields_all_survive(aws: None) -> None:
    setup_tenant()
    c = admin.create_customer(ADMIN, {"number": "C-1", "name": "Start"})
    changes = [
        {"name": "Renamed"},
        {"payment_terms": 60},
        {"approval_policy": "always"},
        {"status": "inactive"},
        {"monthly_budget": Decimal("900.00")},
        {"sales_rep_id": None},
    ]

    def patch(change: dict[str, object]) -> None:
        admin.update_customer(ADMIN, c.id, dict(change), None)

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(patch, changes))
    final = customers.get("acme", c.id)
    assert (final.name, final.payment_terms, final.approval_policy, final.status, final.monthly_budget) == (
        "Renamed",
        60,
        "always",
        "inactive",
        Decimal("900.00"),
    )
    assert final.version == 1 + len(changes)


def test_concurrent_creates_of_one_customer_number_make_one_customer(aws: None) -> None:
    setup_tenant()

    def create(i: int) -> str:
        try:
            admin.create_customer(ADMIN, {"number": "C-1", "name": f"Attempt {i}"})
            return "created"
        except DuplicateError:
            return "duplicate"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(create, range(8)))
    assert outcomes.count("created") == 1
    assert outcomes.count("duplicate") == 7
    assert len(customers.list_page("acme", 100, None).items) == 1


def test_concurrent_group_writes_all_reach_the_group_index(aws: None) -> None:
    """The index item is rewritten by every group write, conditional on its version: concurrent writers
    retry on the fresh index, so none of them drops another's group."""
    from chalicelib.services import catalog
    from chalicelib.storage import keys
    from chalicelib.storage.items import ProductGroupIndexItem

    setup_tenant()
    first = catalog.create_group(ADMIN, "First", False)

    def write(i: int) -> str:
        if i == 0:
            return catalog.update_group(ADMIN, first.id, {"portal": True}, None).id
        return catalog.create_group(ADMIN, f"Group {i}", i % 2 == 0).id

    with ThreadPoolExecutor(max_workers=6) as pool:
        written = list(pool.map(write, range(6)))
    index = product_groups.index_of(ProductGroupIndexItem.get(*keys.product_group_index("acme")))
    stored = {g.id: (g.name, g.portal, g.version) for g in product_groups.all_groups("acme")}
    assert {g.id: (g.name, g.portal, g.version) for g in index.groups.values()} == stored
    assert set(written) <= set(stored) and len(stored) == 6 and stored[first.id] == ("First", True, 2)


def test_concurrent_user_writes_of_one_customer_all_reach_its_members_record(aws: None) -> None:
    """Each user write SETs its own key of the customer's members record (storage/members.py): concurrent
    creates never lose each other on either of two customers; concurrent moves out keep the rest."""
    from chalicelib.domain.model import User
    from chalicelib.storage import keys, users
    from chalicelib.storage.items import CustomerMembersItem

    setup_tenant()
    fresh = admin.create_customer(ADMIN, {"number": "C-1", "name": "Bistro"})
    second = admin.create_customer(ADMIN, {"number": "C-2", "name": "Second bistro"})

    def create(i: int) -> User:
        groups = ["customer-approvers"] if i % 2 else ["customer-buyers"]
        u = User(f"u{i}", UserKind.CUSTOMER, f"cook{i}", f"Cook {i}", f"c{i}@x.test", security_group_ids=groups)
        u.customer_ids = [fresh.id, second.id]
        return users.create("acme", u)

    with ThreadPoolExecutor(max_workers=8) as pool:
        created = list(pool.map(create, range(8)))

    def record(customer_id: str) -> dict[str, list[str]]:
        item = CustomerMembersItem.get(*keys.customer_members("acme", customer_id))
        return {uid: list(groups) for uid, groups in item.members.attribute_values.items()}

    expected = {u.id: u.security_group_ids for u in created}
    assert record(fresh.id) == expected
    assert record(second.id) == expected

    def leave(u: User) -> None:  # half of them move to the first customer only
        users.update("acme", u, dataclasses.replace(u, customer_ids=[fresh.id]))

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(leave, created[:4]))
    assert record(fresh.id) == expected
    assert record(second.id) == {u.id: u.security_group_ids for u in created[4:]}
