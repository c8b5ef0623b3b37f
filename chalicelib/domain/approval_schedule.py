"""When an order waiting for approval is next reminded or escalated (PRODUCT.md "Approval reminders"):
every `reminder_hours` from the time it started waiting, and once past `escalation_hours`. The order
records each reminder (domain/orders.py `Order.remind`); the hourly function finds the due ones by the
time this module gives (services/approval_reminders.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from chalicelib.domain.clock import iso
from chalicelib.domain.order_parts import HistoryEntry
from chalicelib.domain.order_states import OrderStatus


def waiting_since(history: Sequence[HistoryEntry], updated_at: str) -> datetime:
    """When the order last started waiting for approval (its last submit into pending_approval)."""
    submits = (h for h in reversed(history) if h.action == "submit" and h.to_status == OrderStatus.PENDING_APPROVAL)
    entry = next(submits, None)
    return _parse(entry.at if entry else updated_at)


def escalation_due(since: datetime, now: datetime, escalated: bool, escalation_hours: int | None) -> bool:
    """Whether a reminder at `now` is the escalation: not escalated yet and past its time."""
    return not escalated and escalation_hours is not None and now >= since + timedelta(hours=escalation_hours)


def next_due(
    since: datetime, now: datetime, escalated: bool, reminder_hours: int | None, escalation_hours: int | None
) -> str | None:
    """The next time something is due for an order waiting since `since`: the next reminder (every
    `reminder_hours` from `since`, the first one after `now`) or the escalation if not done yet (None:
    nothing more to do)."""
    candidates: list[datetime] = []
    if reminder_hours:
        period = timedelta(hours=reminder_hours)
        periods = int((now - since) / period) + 1
        candidates.append(since + periods * period)
    if escalation_hours and not escalated:
        candidates.append(max(since + timedelta(hours=escalation_hours), now))
    return iso(min(candidates)) if candidates else None


def _parse(at: str) -> datetime:
    return datetime.fromisoformat(at.replace("Z", "+00:00"))
