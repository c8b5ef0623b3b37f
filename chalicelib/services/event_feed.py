"""GET /events: the tenant's order events, oldest first, through a cursor that never skips one.

Why a settle margin. An event gets its id (a ULID: its millisecond, then random bits) when the action
runs, before its transaction commits, so two writers can commit out of id order: a reader that had
served up to id X could later find an older id committed behind it. The feed therefore serves only
ids older than `settle` seconds: an action runs inside one API invocation (lambda_timeout 29 s, and
its event ids are taken during it), so an event whose id is older than that has committed or never
will. What the feed has passed over can no longer change, and the cursor (a day partition and the
last id served there) moves only over settled ids: every event is served once, whatever the commit
order. The price is latency: an event reaches the feed `settle` seconds after it happened (webhooks
carry it at once).

Each call is one Query of one day's partition. When a past day is exhausted the cursor moves to the
next day (the page may then be short or empty: `has_more` tells a client it may ask again at once).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from chalicelib.auth.principal import Principal
from chalicelib.domain.errors import MalformedRequestError
from chalicelib.domain.ids import decode, encode, floor_id
from chalicelib.domain.permissions import Permission
from chalicelib.storage import events
from chalicelib.storage.events import FeedEvent
from chalicelib.storage.orders import EVENT_DAYS

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")


@dataclass(frozen=True)
class Cursor:
    day: str
    after: str | None  # the last id served (or passed over) in that day; None: from its start

    def encode(self) -> str:
        raw = json.dumps({"d": self.day, "a": self.after}, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str) -> Cursor:
        try:
            data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            day, after = data["d"], data["a"]
            ok = (
                isinstance(day, str)
                and _DAY.fullmatch(day) is not None
                and (after is None or (isinstance(after, str) and _ID.fullmatch(after) is not None))
            )
            if ok:
                date.fromisoformat(day)
        except (binascii.Error, ValueError, UnicodeDecodeError, KeyError, TypeError) as exc:
            raise MalformedRequestError("The cursor is not valid.") from exc
        if not ok:
            raise MalformedRequestError("The cursor is not valid.")
        return cls(day, after)


@dataclass(frozen=True)
class FeedResult:
    events: list[FeedEvent]
    next_cursor: str
    has_more: bool  # more settled events may be read at once (else: ask again later)


def read(
    p: Principal,
    after: str | None,
    event_type: str | None,
    limit: int,
    *,
    settle_seconds: float,
    now: datetime | None = None,
) -> FeedResult:
    p.require_staff(Permission.ORDERS_READ_ALL)
    now = now or datetime.now(UTC)
    settled = now - timedelta(seconds=settle_seconds)
    bound = floor_id(int(settled.timestamp() * 1000))  # serve ids below it: older than the margin
    settled_day = settled.date().isoformat()
    oldest_day = (now - timedelta(days=EVENT_DAYS)).date().isoformat()
    cursor = Cursor.decode(after) if after else Cursor(oldest_day, None)
    if cursor.day < oldest_day:  # what it pointed at has expired: continue from what is kept
        cursor = Cursor(oldest_day, None)
    if cursor.day > settled_day:  # nothing of that day has settled yet
        return FeedResult([], cursor.encode(), False)
    page = events.day_page(p.tenant, cursor.day, cursor.after, bound, limit, event_type)
    if page.last_key is not None:
        return FeedResult(page.events, Cursor(cursor.day, page.last_key).encode(), True)
    if cursor.day < settled_day:
        next_day = (date.fromisoformat(cursor.day) + timedelta(days=1)).isoformat()
        return FeedResult(page.events, Cursor(next_day, None).encode(), True)
    # Every id of the day below `bound` has been read, and no other can still appear below it: the
    # cursor moves up to just below the bound (never back, should this clock be behind another's).
    below_bound = encode(decode(bound) - 1)
    position = max(x for x in (cursor.after, below_bound) if x is not None)
    return FeedResult(page.events, Cursor(cursor.day, position).encode(), False)
