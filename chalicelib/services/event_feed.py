"""GET /events: the tenant's order events, oldest first, through a cursor that never skips one.

Why a settle margin. An event gets its id (a ULID: its millisecond, then random bits) when the action
runs, before its transaction commits, so two writers can commit out of id order: a reader that had
served up to id X could later find an older id committed behind it. The feed therefore serves only
ids older than `settle` seconds: an action runs inside one API invocation (lambda_timeout 29 s, and
its event ids are taken during it), so an event whose id is older than that has committed or never
will. What the feed has passed over can no longer change, and the cursor (the last id served or
passed over) moves only over settled ids: every event is served once, whatever the commit
order. The price is latency: an event reaches the feed `settle` seconds after it happened (webhooks
carry it at once).

Each call is one Query of the tenant's event partition from the cursor up to the settled bound, so
quiet days cost nothing: a page is empty only when nothing settled follows the cursor, and `has_more`
says whether the next call may be made at once (a full page) or later.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from chalicelib.auth.principal import Principal
from chalicelib.domain.errors import MalformedRequestError
from chalicelib.domain.ids import decode, encode, floor_id
from chalicelib.domain.permissions import Permission
from chalicelib.storage import events
from chalicelib.storage.events import FeedEvent
from chalicelib.storage.orders import EVENT_DAYS

_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")


@dataclass(frozen=True)
class Cursor:
    after: str | None  # the last id served (or passed over); None: from the oldest event kept

    def encode(self) -> str:
        raw = json.dumps({"a": self.after}, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str) -> Cursor:
        try:
            data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            after = data["a"]
            # A client stored a cursor of the day-partitioned feed ({"d": day, "a": null}: the start
            # of that day): it goes on from that day's first event, not from the oldest kept again.
            if after is None and "d" in data:
                start = datetime.combine(date.fromisoformat(data["d"]), time(), UTC)
                after = encode(decode(floor_id(int(start.timestamp() * 1000))) - 1)
        except (binascii.Error, ValueError, UnicodeDecodeError, KeyError, TypeError) as exc:
            raise MalformedRequestError("The cursor is not valid.") from exc
        if not (after is None or (isinstance(after, str) and _ID.fullmatch(after) is not None)):
            raise MalformedRequestError("The cursor is not valid.")
        return cls(after)


@dataclass(frozen=True)
class FeedResult:
    events: list[FeedEvent]
    next_cursor: str
    has_more: bool  # more settled events may be read at once (else: ask again later)


def read(
    p: Principal,
    after_cursor: str | None,
    event_type: str | None,
    limit: int,
    *,
    settle_seconds: float,
    now: datetime | None = None,
) -> FeedResult:
    p.require_staff(Permission.ORDERS_READ_ALL)
    now = now or datetime.now(UTC)
    settled = now - timedelta(seconds=settle_seconds)
    below_bound = encode(decode(floor_id(int(settled.timestamp() * 1000))) - 1)  # older than the margin
    kept = floor_id(int((now - timedelta(days=EVENT_DAYS)).timestamp() * 1000))  # past it: expired (TTL)
    after = Cursor.decode(after_cursor).after if after_cursor else None
    low = kept if after is None else max(kept, encode(decode(after) + 1))
    if low > below_bound:  # nothing after the cursor has settled yet
        return FeedResult([], Cursor(after).encode(), False)
    page = events.page(p.tenant, low, below_bound, limit, event_type)
    if page.last_key is not None:
        return FeedResult(page.events, Cursor(page.last_key).encode(), True)
    # Every id up to the bound has been read, and no other can still appear below it: the cursor
    # moves up to the bound (never back, should this clock be behind another's).
    return FeedResult(page.events, Cursor(max(x for x in (after, below_bound) if x is not None)).encode(), False)
