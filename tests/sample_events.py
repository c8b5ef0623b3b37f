"""The order samples in events/: stream records made from real items, and the world they refer to.

    python -m tests.sample_events        # rewrites events/stream_order_*.json and events/sample_world.json

Two orders of customer C-100 (Bistro Lumière) of tenant `acme` are taken through the Order
aggregate; at each step the item models (storage.orders' own mappers) are serialized into stream
images exactly as DynamoDB writes them. `sample_world.json` is the table those records need around
them: tenant settings, security groups, the customer, its people (with their login guards), and the
final state of both orders' partitions (headers and history entries). Ids and clocks are fixed, so
regenerating gives the same files.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

from chalicelib.domain import orders as domain
from chalicelib.domain.model import Customer, SecurityGroup, TenantSettings, User
from chalicelib.domain.orders import HistoryEntry, Order, new_document, new_line
from chalicelib.domain.permissions import BUILTIN_GROUPS, UserKind
from chalicelib.storage import keys, members
from chalicelib.storage import order_codec as codec
from chalicelib.storage import orders as stored
from chalicelib.storage.customers import _item as customer_item
from chalicelib.storage.groups import group_item, index_item
from chalicelib.storage.items import (
    BaseItem,
    OrderHistoryItem,
    OrderItem,
    OrderLinesItem,
    TenantItem,
    UniqueItem,
)
from chalicelib.storage.users import user_items

EVENTS = Path(__file__).resolve().parent.parent / "events"
STREAM_ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/ordergate/stream/2026-11-23T00:00:00.000"
TENANT = "acme"
CUSTOMER_ID = "01SAMPLECUSTOMER000000000C"
BUYER_ID = "01SAMPLEBUYER0000000000000"  # Amélie, French, places orders
APPROVER_ID = "01SAMPLEAPPROVER0000000000"  # Piotr, Polish, approves
REP_ID = "01SAMPLEREP000000000000000"  # Sam, the sales rep
ORDER_A = "01SAMPLEORDERA000000000000"  # submitted, proposal, accepted, shipped, a message
ORDER_B = "01SAMPLEORDERB000000000000"  # needs approval
PASSWORD_HASH = "$argon2id$v=19$m=1024,t=1,p=1$c2FtcGxl$c2FtcGxl"  # nobody logs in with these


# --- the world --------------------------------------------------------------------------------------
def settings() -> TenantSettings:
    return TenantSettings(
        slug=TENANT,
        name="Acme Ltd",
        default_locale="en",
        portal_url="https://portal.acme.example",
        sender_email="orders@acme.example",
        order_desk_email="desk@acme.example",
        order_number_prefix="ORD-",
    )


def people() -> list[User]:
    def customer_user(uid: str, username: str, name: str, locale: str, group: str) -> User:
        return User(
            uid,
            UserKind.CUSTOMER,
            username,
            name,
            f"{username}@bistro.example",
            locale,
            security_group_ids=[group],
            customer_ids=[CUSTOMER_ID],
            password_hash=PASSWORD_HASH,
        )

    rep = User(REP_ID, UserKind.STAFF, "sam", "Sam Rep", "sam@acme.example", "en", security_group_ids=["sales-reps"])
    rep.password_hash = PASSWORD_HASH
    return [
        dataclasses.replace(
            customer_user(BUYER_ID, "amelie", "Amélie Martin", "fr", "customer-buyers"), approval_limit=Decimal(500)
        ),
        customer_user(APPROVER_ID, "piotr", "Piotr Nowak", "pl", "customer-approvers"),
        rep,
    ]


def world_items(final_orders: list[BaseItem]) -> list[BaseItem]:
    s = settings()
    tenant = TenantItem(*keys.tenant_settings(TENANT), created_at="2026-03-01T08:00:00Z")
    for f in dataclasses.fields(TenantSettings):
        if f.name not in ("version", "delivery_methods", "payment_methods"):
            setattr(tenant, f.name, getattr(s, f.name))
    groups = [
        group_item(TENANT, SecurityGroup(g.id, g.name, g.kind, sorted(g.permissions), builtin=True))
        for g in BUILTIN_GROUPS
    ]
    customer = Customer(CUSTOMER_ID, "C-100", "Bistro Lumière", sales_rep_id=REP_ID, approval_policy="over_limit")
    builtin = [SecurityGroup(g.id, g.name, g.kind, sorted(g.permissions), builtin=True) for g in BUILTIN_GROUPS]
    items: list[BaseItem] = [tenant, *groups, index_item(TENANT, builtin), customer_item(TENANT, customer)]
    items.append(UniqueItem(*keys.customer_number_guard(TENANT, customer.number), owner_id=CUSTOMER_ID))
    record = members.new_record(TENANT, CUSTOMER_ID)  # as the customer's create and its users' writes keep it
    record.members = {
        u.id: groups_of for u in people() for groups_of in [members.memberships(u).get(CUSTOMER_ID)] if groups_of
    }
    items.append(record)
    for user in people():
        items += user_items(TENANT, user)
    return items + final_orders


# --- the orders, step by step -------------------------------------------------------------------------
@contextmanager
def fixed_clock_and_ids() -> Iterator[None]:
    minutes = itertools.count()
    ids = itertools.count(1)

    def now() -> str:
        n = next(minutes)
        return f"2026-03-02T{9 + n // 60:02d}:{n % 60:02d}:00Z"

    def new_id(after: str | None = None) -> str:
        return f"01SAMPLEID{next(ids):016d}"

    with (
        mock.patch.object(domain, "now_iso", now),
        mock.patch.object(domain, "new_id", new_id),
    ):
        yield


def new_order(order_id: str, number: str, reference: str, coffee: int = 12) -> Order:
    order = Order(
        id=order_id,
        tenant=TENANT,
        number=number,
        customer_id=CUSTOMER_ID,
        customer_name="Bistro Lumière",
        site_id=None,
        source="portal",
        created_by=BUYER_ID,
        currency="EUR",
        customer_reference=reference,
        customer_path=[CUSTOMER_ID],
        created_at="2026-03-02T08:00:00Z",
        updated_at="2026-03-02T08:00:00Z",
    )
    order.history.append(HistoryEntry(order.created_at, BUYER_ID, "create", None, "draft"))
    order.lines = [
        new_line("p1", "COF-1KG", "Coffee beans 1 kg", Decimal(coffee), Decimal("18.50"), Decimal("0.20")),
        new_line("p2", "CUP-6", "Espresso cups (6)", Decimal(4), Decimal("24.00"), Decimal("0.20")),
    ]
    order.lines[0].id, order.lines[1].id = f"{order_id[:20]}LINE01", f"{order_id[:20]}LINE02"
    return order


def header(order: Order, version: int) -> OrderItem:
    item = codec.header_item(TENANT, order, REP_ID, 1, len(order.history))
    item.version = version
    return item


def lines_page(order: Order, version: int) -> OrderLinesItem:
    [(sk, body)] = codec.pages(order).items()
    item = OrderLinesItem(keys.order_pk(TENANT, order.id), sk, lines=json.loads(body))
    item.version = version
    return item


def history(order: Order) -> list[BaseItem]:
    pk = keys.order_pk(TENANT, order.id)
    return [
        OrderHistoryItem(pk, keys.order_history(n), entry=dataclasses.asdict(e)) for n, e in enumerate(order.history)
    ]


def image(item: BaseItem) -> dict[str, Any]:
    """The item as DynamoDB JSON; string sets sorted so regenerated files do not differ by hash seed."""
    return {name: {"SS": sorted(v["SS"])} if "SS" in v else v for name, v in item.serialize().items()}


def record(n: int, name: str, old: BaseItem | None, new: BaseItem | None) -> dict[str, Any]:
    some = new or old
    assert some is not None
    ddb: dict[str, Any] = {
        "ApproximateCreationDateTime": 1795000000.0 + n,
        "Keys": {"pk": {"S": some.pk}, "sk": {"S": some.sk}},
        "SequenceNumber": str(100 + n),
        "SizeBytes": 1000,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if old is not None:
        ddb["OldImage"] = image(old)
    if new is not None:
        ddb["NewImage"] = image(new)
    return {
        "eventID": f"order-sample-{n}",
        "eventName": name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": ddb,
        "eventSourceARN": STREAM_ARN,
    }


def recorded(order: Order, version: int, kind: str = "customer") -> list[BaseItem]:
    """The event items the order's last action recorded, as its write stores them."""
    order.version = version
    items: list[BaseItem] = [stored._event_item(TENANT, order, REP_ID, e, kind) for e in order.events]
    order.events.clear()
    return items


def build() -> tuple[dict[str, dict[str, Any]], list[BaseItem]]:
    """Sample events by file name, and the world's items."""
    events: dict[str, dict[str, Any]] = {}
    with fixed_clock_and_ids():
        a = new_order(ORDER_A, "ORD-000101", "PO-4711")
        a.events.clear()
        a.submit(BUYER_ID, needs_approval=False)
        submitted_a = header(a, 2)
        [submitted] = recorded(a, 2)
        events["stream_order_submitted"] = record(1, "INSERT", None, submitted)
        # The header's own records tell nobody anything now: the events do.
        events["stream_order_noop_modify"] = record(2, "MODIFY", submitted_a, header(a, 2))

        cups_later = [{"id": a.lines[1].id, "confirmed_delivery_date": date(2026, 3, 12)}]
        a.propose(REP_ID, "Cups ship on 12 March", cups_later, [])
        [proposal] = recorded(a, 3, "staff")
        events["stream_order_proposal_sent"] = record(3, "INSERT", None, proposal)
        a.accept(BUYER_ID)
        recorded(a, 4)
        doc = new_document(
            "shipment", REP_ID, date=date(2026, 3, 5), number="DN-2026-0042", carrier="DPD", tracking_number="09831122"
        )
        a.record_shipment(REP_ID, doc, {a.lines[0].id: Decimal(12)})
        [shipped] = recorded(a, 5, "staff")
        events["stream_order_shipment_inserted"] = record(4, "INSERT", None, shipped)
        before_shipping = lines_page(new_order(ORDER_A, "ORD-000101", "PO-4711"), 1)
        events["stream_order_lines_modified"] = record(5, "MODIFY", before_shipping, lines_page(a, 2))
        message_id = "01SAMPLEMESSAGE00000000000"
        a.record_message(BUYER_ID, message_id, "Could the cups come with the coffee?\nMerci !")
        [message] = recorded(a, 5)
        events["stream_order_message_inserted"] = record(6, "INSERT", None, message)

        b = new_order(ORDER_B, "ORD-000102", "PO-4712", coffee=40)  # over Amélie's approval limit
        b.events.clear()
        b.submit(BUYER_ID, needs_approval=True)
        [waiting] = recorded(b, 2)
        events["stream_order_needs_approval"] = record(7, "INSERT", None, waiting)

        final = [header(a, 5), *history(a), header(b, 2), *history(b)]
    return {name: {"Records": [r]} for name, r in events.items()}, world_items(final)


def write() -> list[Path]:
    events, world = build()
    written = []
    for name, event in events.items():
        path = EVENTS / f"{name}.json"
        path.write_text(json.dumps(event, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    path = EVENTS / "sample_world.json"
    items = [image(item) for item in world]
    path.write_text(json.dumps({"Items": items}, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return [*written, path]


if __name__ == "__main__":
    for p in write():
        sys.stdout.write(f"wrote {p.relative_to(EVENTS.parent)}\n")
