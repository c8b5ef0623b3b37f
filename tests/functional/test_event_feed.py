"""GET /events (API.md "Machine clients"): oldest first, a type filter, one Query per call, and a
cursor that serves every event exactly once even when writers commit out of id order."""

from __future__ import annotations

import base64
import dataclasses
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.counting import storage_counter
from chalicelib.auth.principal import Principal
from chalicelib.bootstrap import get_services
from chalicelib.domain.ids import floor_id
from chalicelib.domain.permissions import UserKind
from chalicelib.services import event_feed
from chalicelib.storage import keys
from chalicelib.storage import orders as order_storage
from chalicelib.storage.items import OrderEventItem
from tests.functional.conftest import Api
from tests.functional.order_world import World

DESK = Principal("acme", "desk", UserKind.STAFF, frozenset({"orders.read_all", "orders.review", "orders.fulfil"}))


def settle(seconds: float) -> None:
    services = get_services()
    services.settings = dataclasses.replace(services.settings, event_settle_seconds=seconds)


def follow(api: Api, cursor: str | None = None, **params: str) -> tuple[list[dict[str, Any]], str]:
    """Everything the feed serves now, following next_cursor while it says there is more."""
    out: list[dict[str, Any]] = []
    while True:
        query = "&".join(f"{k}={v}" for k, v in {**params, **({"after": cursor} if cursor else {})}.items())
        r = api.get(f"/events?{query}")
        assert r.status_code == 200, r.body
        out += r.json["items"]
        assert r.json["next_cursor"]
        cursor = r.json["next_cursor"]
        if not r.json["has_more"]:
            return out, cursor


def test_events_of_actions_in_order_with_their_shape_and_a_type_filter(world: World) -> None:
    settle(0.2)
    order = world.order()
    assert world.buyer.post(f"/orders/{order['id']}/submit").status_code == 200
    assert world.desk.post(f"/orders/{order['id']}/confirm").status_code == 200
    time.sleep(0.3)
    events, cursor = follow(world.desk)
    assert [e["type"] for e in events] == ["order.created", "order.submitted", "order.confirmed"]
    confirmed = events[-1]
    assert confirmed["order_id"] == order["id"] and confirmed["order_number"] == order["number"]
    assert confirmed["customer_id"] == world.customer["id"]
    assert confirmed["actor"]["kind"] == "staff" and confirmed["actor"]["id"] not in ("", world.ids["buyer"])
    assert events[1]["actor"] == {"id": world.ids["buyer"], "kind": "customer"}
    assert confirmed["data"]["status"] == "confirmed" and confirmed["data"]["version"] == 3
    assert set(confirmed["data"]) >= {"status", "invoice_status", "payment_status", "totals", "version"}
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    # The type filter, and nothing new after the stored cursor.
    only, _ = follow(world.desk, type="order.submitted")
    assert [e["type"] for e in only] == ["order.submitted"]
    again, _ = follow(world.desk, cursor)
    assert again == []


def test_a_created_event_states_the_order_its_create_made(world: World) -> None:
    """The event carries the order as the whole action committed it: `order.created` for a two-line create
    states the two lines' totals (it is recorded before the lines are added)."""
    settle(0.2)
    order = world.order(lines=[{"sku": "SKU-1", "quantity": 2}, {"sku": "BOX-6", "quantity": 12}])
    assert order["totals"]["net"] == "44.00"
    time.sleep(0.3)
    events, _ = follow(world.desk)
    [created] = [e for e in events if e["order_id"] == order["id"]]
    assert created["type"] == "order.created"
    assert created["data"]["totals"] == order["totals"]
    assert (created["data"]["status"], created["data"]["version"]) == ("draft", 1)


def test_who_may_read_the_feed_and_forged_cursors(world: World) -> None:
    assert world.buyer.get("/events").status_code == 403
    assert world.rep.get("/events").status_code == 403
    for bad in (
        "x",
        "eyJhIjoiLi4ifQ",
        "eyJkIjoiMjAyNi0xMy0wMSIsImEiOm51bGx9",
        "eyJkIjoiMjAyNi0wMS0wMSIsImEiOiIuLiJ9",
        "eyJiIjpudWxsfQ",
    ):
        r = world.desk.get(f"/events?after={bad}")
        assert r.status_code == 400, (bad, r.body)
    assert world.desk.get("/events?type=order.nothing").status_code == 400


def test_one_query_per_call(world: World) -> None:
    settle(0.0)
    world.order()
    with storage_counter().measure() as tally:
        r = world.desk.get("/events")
    assert r.status_code == 200
    assert tally.summary()["operations"] == {"Query": 1}


def _put_event(tenant: str, id_: str, at: datetime) -> None:
    OrderEventItem(
        keys.order_events_pk(tenant),
        id_,
        id=id_,
        event_type="order.message_posted",
        occurred_at=at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        order_id="o1",
        order_number="1",
        customer_id="c1",
        actor={"id": "u", "kind": "staff"},
        data={"status": "submitted"},
        order={},
    ).save()


def _id_at(at: datetime) -> str:
    # An id of that millisecond with random bits set (a real id is never a floor id).
    base = floor_id(int(at.timestamp() * 1000))
    return base[:-1] + "Z"


def _read_all(now: datetime, settle_seconds: float, cursor: str | None) -> tuple[list[str], str]:
    ids: list[str] = []
    while True:
        r = event_feed.read(DESK, cursor, None, 100, settle_seconds=settle_seconds, now=now)
        ids += [e.id for e in r.events]
        cursor = r.next_cursor
        if not r.has_more:
            return ids, cursor


def test_an_event_committed_after_a_read_with_an_older_id_is_not_skipped(aws: None) -> None:
    """The race the margin exists for, with a controlled clock: an event whose id is older than one
    already served commits after the read. A reader without the margin passes over it for good."""
    t = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)
    first = _id_at(t - timedelta(seconds=1))
    _put_event("acme", first, t - timedelta(seconds=1))
    late = _id_at(t - timedelta(seconds=2))  # its action ran earlier, its transaction commits now

    naive, naive_cursor = _read_all(t, 0.0, None)
    careful, careful_cursor = _read_all(t, 5.0, None)
    assert naive == [first] and careful == []  # within the margin nothing is served yet
    _put_event("acme", late, t - timedelta(seconds=2))

    later = t + timedelta(seconds=10)
    assert _read_all(later, 0.0, naive_cursor)[0] == []  # skipped: the naive cursor was past it
    assert _read_all(later, 5.0, careful_cursor)[0] == [late, first]


def test_the_feed_walks_the_days_kept_and_drops_expired_cursors(aws: None) -> None:
    now = datetime(2026, 12, 10, 12, 0, 0, tzinfo=UTC)
    days_ago = [29, 3, 0]
    ids = []
    for d in days_ago:
        at = now - timedelta(days=d, minutes=5)
        ids.append(_id_at(at))
        _put_event("acme", ids[-1], at)
    _put_event("acme", _id_at(now - timedelta(days=31)), now - timedelta(days=31))  # expired (TTL pending)
    _put_event("globex", _id_at(now - timedelta(days=1)), now - timedelta(days=1))  # another tenant's
    got, cursor = _read_all(now, 5.0, None)
    assert got == ids
    assert _read_all(now + timedelta(hours=1), 5.0, cursor)[0] == []
    # A cursor a client stored from the day-partitioned feed goes on from its day.
    stored = base64.urlsafe_b64encode(b'{"d":"2026-12-07","a":null}').decode().rstrip("=")
    assert _read_all(now, 5.0, stored)[0] == ids[1:]
    # A cursor older than what is kept continues from the oldest event kept.
    old = event_feed.Cursor(_id_at(now - timedelta(days=60))).encode()
    assert _read_all(now, 5.0, old)[0] == ids


def test_a_client_that_stops_at_the_first_empty_page_sees_every_event(aws: None) -> None:
    """Events on a few days of the 30 kept, quiet days between: from no cursor, the first page starts
    at the oldest event, and every page until the last event is full."""
    now = datetime(2026, 12, 10, 12, 0, 0, tzinfo=UTC)
    ids: list[str] = []
    for d in (29, 29, 17, 3, 3, 3, 0):
        at = now - timedelta(days=d, minutes=5 + len(ids))
        ids.append(_id_at(at))
        _put_event("acme", ids[-1], at)
    ids.sort()
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        r = event_feed.read(DESK, cursor, None, 2, settle_seconds=5.0, now=now)
        pages += 1
        if not r.events:
            assert not r.has_more  # empty means nothing follows, and it says so
            break
        seen += [e.id for e in r.events]
        cursor = r.next_cursor
    assert seen == ids and pages == 5  # 2 + 2 + 2 + 1, then the empty page


def test_the_first_page_over_http_holds_the_oldest_event(world: World) -> None:
    settle(0.0)
    order = world.order()
    assert world.buyer.post(f"/orders/{order['id']}/submit").status_code == 200
    r = world.desk.get("/events?limit=1")
    assert r.status_code == 200
    assert [e["type"] for e in r.json["items"]] == ["order.created"]
    assert r.json["items"][0]["order_id"] == order["id"] and r.json["has_more"] is True
    r = world.desk.get(f"/events?limit=5&after={r.json['next_cursor']}")
    assert [e["type"] for e in r.json["items"]] == ["order.submitted"] and r.json["has_more"] is False
    r = world.desk.get(f"/events?after={r.json['next_cursor']}")
    assert r.json["items"] == [] and r.json["has_more"] is False


def test_a_reader_following_the_cursor_sees_every_event_once_under_eight_writers(world: World) -> None:
    """8 threads act on orders (messages: an event each) and commit in random order: some writers are
    held between taking their events' ids and committing. A reader following next_cursor meanwhile
    sees every event exactly once."""
    settle(1.5)
    orders = [world.order()["id"] for _ in range(8)]
    for o in orders:
        assert world.buyer.post(f"/orders/{o}/submit").status_code == 200
    service = get_services().orders
    real_add = order_storage.add_message

    def slow_add(*args: Any, **kwargs: Any) -> None:
        time.sleep(random.uniform(0, 0.3))  # between the events' ids and the commit: out of order
        real_add(*args, **kwargs)

    done = threading.Event()
    seen, cursor = _read_all(datetime.now(UTC), 1.5, None)

    def write(order_id: str) -> None:
        for i in range(10):
            service.post_message(DESK, order_id, f"message {i}")

    original = order_storage.add_message
    order_storage.add_message = slow_add
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(write, o) for o in orders]
            while not done.is_set():
                r = event_feed.read(DESK, cursor, None, 7, settle_seconds=1.5)
                seen.extend(e.id for e in r.events)
                cursor = r.next_cursor
                if all(f.done() for f in futures):
                    done.set()
                time.sleep(0.05)
            for f in futures:
                f.result()
    finally:
        order_storage.add_message = original
    time.sleep(1.6)  # let the last ones settle, then read to the end
    rest, _ = _read_all(datetime.now(UTC), 1.5, cursor)
    seen += rest
    stored = [i.id for i in OrderEventItem.query(keys.order_events_pk("acme"))]
    assert len(seen) == len(set(seen)), "an event was served twice"
    assert sorted(seen) == sorted(stored), "an event was missed"
    assert sum(1 for _ in stored) >= 8 * 10
