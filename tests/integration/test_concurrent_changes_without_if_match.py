"""API.md "Concurrency": without `If-Match` a change applies atomically against the current state. Writers
changing different fields of one resource at the same moment all succeed (never a 412 they did not ask
for) and every change survives, for each resource that takes If-Match (customers: test_concurrent_admin.py).
Threads call the services the routes call, on the emulated table (chalice's test client swaps os.environ
per request, which threads would garble)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from functools import partial
from typing import Any

from chalicelib.auth.principal import Principal
from chalicelib.bootstrap import get_services
from chalicelib.domain.catalog import Product
from chalicelib.domain.permissions import Permission, UserKind
from chalicelib.services import admin, catalog, stock
from chalicelib.services.tenants import create_tenant
from chalicelib.storage import products

# The administrator as stored now (services/callers.py): the services decide on it as given.
ADMIN = Principal("acme", "admin", UserKind.STAFF, frozenset(p.value for p in Permission), current=True)
WRITERS = 6


def setup_tenant() -> None:
    create_tenant(
        get_services().passwords,
        slug="acme",
        name="Acme",
        admin_username="admin",
        admin_password="admin-password-1",
        admin_email="a@acme.example",
    )


def at_once(calls: list[Callable[[], Any]]) -> None:
    """Every call at the same time; any error (a 412 VersionMismatchError, a 409) fails the test."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        for future in [pool.submit(call) for call in calls]:
            future.result()


def test_concurrent_product_changes_and_stock_pushes_all_land(aws: None) -> None:
    setup_tenant()
    site = admin.create_site(ADMIN, "WAW", "Warsaw", None)
    body = {"sku": "P-1", "name": "Hammer", "base_price": Decimal("9.50"), "tax_rate": Decimal("0.23")}
    page = catalog.create_product(ADMIN, body)
    pid = page.items[0].id
    changes: list[dict[str, Any]] = [
        {"name": "Claw hammer"},
        {"description": "Steel"},
        {"base_price": Decimal("11.00")},
        {"unit": "box"},
        {"barcodes": ["5901234123457"]},
        {"portal": True},
    ]
    pushes = [stock.StockEntry(0, "P-1", site.id, Decimal(n)) for n in (3, 4, 5)]
    calls: list[Callable[[], Any]] = [partial(catalog.update_product, ADMIN, pid, c, None) for c in changes]
    calls += [partial(stock.sync, ADMIN, [e], []) for e in pushes]
    at_once(calls)
    final: Product = products.get("acme", pid)
    assert (final.name, final.description, final.base_price, final.unit, final.barcodes, final.portal) == (
        "Claw hammer",
        "Steel",
        Decimal("11.00"),
        "box",
        ["5901234123457"],
        True,
    )
    assert final.stock[site.id] in (3, 4, 5)


def test_concurrent_user_changes_all_survive(aws: None) -> None:
    setup_tenant()
    site = admin.create_site(ADMIN, "WAW", "Warsaw", None)
    c = admin.create_customer(ADMIN, {"number": "C-1", "name": "Shop"})
    user_admin = get_services().user_admin
    u = user_admin.create(
        ADMIN,
        {
            "kind": "customer",
            "username": "buyer",
            "name": "Buyer",
            "email": "b@example.com",
            "password": "user-password-1",
            "security_group_ids": ["customer-buyers"],
            "customer_ids": [c.id],
        },
    )
    changes: list[dict[str, Any]] = [
        {"name": "Renamed"},
        {"email": "new@example.com"},
        {"locale": "pl"},
        {"site_ids": [site.id]},
        {"approval_limit": Decimal("250.00")},
        {"security_group_ids": ["customer-approvers"]},
    ]
    at_once([partial(user_admin.update, ADMIN, u.id, c, None) for c in changes])
    final = user_admin.get(ADMIN, u.id)
    assert (final.name, final.email, final.locale, final.site_ids, final.approval_limit) == (
        "Renamed",
        "new@example.com",
        "pl",
        [site.id],
        Decimal("250.00"),
    )
    assert final.security_group_ids == ["customer-approvers"] and final.version == u.version + len(changes)


def test_concurrent_security_group_and_site_changes_all_apply(aws: None) -> None:
    setup_tenant()
    group = admin.create_group(ADMIN, "Buyers plus", "customer", [])
    grants = ["orders.place", "orders.approve", "orders.view_org", "org.manage", "orders.place", "orders.approve"]
    at_once([partial(admin.replace_group, ADMIN, group.id, f"With {p}", None, [p], None) for p in grants])
    final_group = admin.get_group(ADMIN, group.id)
    assert final_group.version == group.version + len(grants)
    site = admin.create_site(ADMIN, "WAW", "Warsaw", None)
    site_changes: list[dict[str, Any]] = [{"name": "Warszawa"}, {"address": "1 Street"}, {"code": "WA1"}]
    at_once([partial(admin.update_site, ADMIN, site.id, c, None) for c in site_changes])
    final_site = admin.get_site(ADMIN, site.id)
    assert (final_site.name, final_site.address, final_site.code) == ("Warszawa", "1 Street", "WA1")


def test_concurrent_settings_changes_all_survive(aws: None) -> None:
    setup_tenant()
    changes: list[dict[str, Any]] = [
        {"name": "Acme Ltd"},
        {"default_locale": "pl"},
        {"order_number_prefix": "AC-"},
        {"portal_url": "https://shop.acme.example"},
        {"order_desk_email": "desk@acme.example"},
        {"approval_link_hours": 48},
    ]
    domains = get_services().sender_domains  # no change names a sender_email: SES is never asked
    at_once([partial(admin.update_settings, ADMIN, c, None, domains) for c in changes])
    final = admin.get_settings(ADMIN)
    assert (final.name, final.default_locale, final.order_number_prefix, final.portal_url) == (
        "Acme Ltd",
        "pl",
        "AC-",
        "https://shop.acme.example",
    )
    assert (final.order_desk_email, final.approval_link_hours) == ("desk@acme.example", 48)


def test_concurrent_product_group_changes_all_survive(aws: None) -> None:
    setup_tenant()
    group = catalog.create_group(ADMIN, "Tools", False)
    changes: list[dict[str, Any]] = [{"name": "Hand tools"}, {"portal": True}, {"name": "Hand tools"}, {"portal": True}]
    at_once([partial(catalog.update_group, ADMIN, group.id, c, None) for c in changes])
    final = catalog.get_group(ADMIN, group.id)
    assert (final.name, final.portal, final.version) == ("Hand tools", True, group.version + len(changes))


def test_concurrent_price_list_replacements_all_apply(aws: None) -> None:
    from chalicelib.services import pricing

    setup_tenant()
    header, _ = pricing.save_price_list(ADMIN, None, "Trade", None, [], None)
    names = [f"Trade {n}" for n in range(WRITERS)]
    at_once([partial(pricing.save_price_list, ADMIN, header.id, n, None, [], None) for n in names])
    final, _ = pricing.get_price_list(ADMIN, header.id)
    assert final.name in names and final.version == header.version + WRITERS
