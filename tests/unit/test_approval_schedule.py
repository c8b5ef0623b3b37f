"""When an order waiting for approval is next reminded or escalated (domain/approval_schedule.py, through
`Order.remind`), and why it needs approval (domain/approval.py): pure domain, a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from chalicelib.domain.approval import approval_reasons
from chalicelib.domain.clock import iso
from chalicelib.domain.errors import InvalidTransitionError
from chalicelib.domain.orders import Order, OrderStatus, new_line

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def waiting(reminder: int | None = 24, escalation: int | None = 72) -> Order:
    o = Order("o1", "acme", "ORD-1", "c1", "C", None, "portal", "u1", "EUR")
    o.lines.append(new_line("p1", "SKU-1", "Thing", Decimal("2"), Decimal("10.00"), Decimal("0.20")))
    o.submit("u1", [{"code": "policy"}])
    o.history[-1].at = iso(T0)
    o.plan_approval_reminders(T0, reminder, escalation)
    return o


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_reminders_come_once_per_period_and_the_escalation_once() -> None:
    o = waiting()
    assert o.approval_due_at == iso(at(24))
    assert o.remind(at(24.2), 24, 72) == "remind"
    assert o.approval_due_at == iso(at(48))
    assert o.remind(at(48), 24, 72) == "remind"
    assert o.approval_due_at == iso(at(72))
    assert o.remind(at(72.5), 24, 72) == "escalate" and o.approval_escalated
    assert o.approval_due_at == iso(at(96))
    assert o.remind(at(96.1), 24, 72) == "remind"
    assert [h.action for h in o.history[-4:]] == ["remind", "remind", "escalate", "remind"]
    assert all(h.to_status == OrderStatus.PENDING_APPROVAL for h in o.history[1:])


def test_a_late_run_escalates_first() -> None:
    o = waiting(reminder=24, escalation=30)
    assert o.remind(at(40), 24, 30) == "escalate"
    assert o.approval_due_at == iso(at(48))


def test_never_is_never() -> None:
    assert waiting(None, None).approval_due_at is None
    only_escalation = waiting(None, 10)
    assert only_escalation.approval_due_at == iso(at(10))
    assert only_escalation.remind(at(10), None, 10) == "escalate"
    assert only_escalation.approval_due_at is None


def test_a_decision_stops_them() -> None:
    o = waiting()
    o.approve("boss", [])
    assert (o.approval_due_at, o.approval_reasons, o.approval_escalated) == (None, [], False)
    with pytest.raises(InvalidTransitionError):
        o.remind(at(30), 24, 72)


def test_the_reasons_say_policy_limit_and_budget_with_amounts() -> None:
    reasons = approval_reasons(
        submitter_can_approve=False,
        policy="over_limit",
        total=Decimal("120.00"),
        approval_limit=Decimal("100"),
        over_budget=True,
        budget=Decimal("500"),
        spent=Decimal("450.5"),
    )
    assert reasons == [
        {"code": "over_budget", "budget": "500.00", "spent": "450.50", "remaining": "49.50"},
        {"code": "over_limit", "limit": "100.00"},
    ]

    def plain(can_approve: bool, policy: str) -> list[dict[str, object]]:
        return approval_reasons(
            submitter_can_approve=can_approve, policy=policy, total=Decimal("1"), approval_limit=None, over_budget=False
        )

    assert plain(False, "always") == [{"code": "policy"}]
    assert plain(True, "always") == []
    assert plain(False, "none") == []
