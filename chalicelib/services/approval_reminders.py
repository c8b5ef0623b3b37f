"""Approval reminders and escalation (API.md "Approval reminders, escalation and delegation").

A scheduled function (hourly on AWS, every few seconds in the local stack) asks the order store what is
due by now (an index on each waiting order's next due time, never a scan), and for each order still
waiting records the reminder or the escalation: a history entry and a notice (`Order.remind`), in one
conditional write, so a decision made meanwhile makes it fail and nothing is recorded. The stream sends
the notice's e-mails like every other (notifications/): the approvers again with fresh links (bound to
the version this write gives the order), and on escalation the sales rep (else the order desk) too.
A decision stops them: it removes the due item in its own transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.clock import iso, utcnow
from chalicelib.domain.errors import TransactionConflictError, VersionMismatchError
from chalicelib.domain.orders import OrderStatus
from chalicelib.services.order_store import OrderStore
from chalicelib.storage import tenants

BATCH = 100  # orders per run; what is left is due still, and the next run takes it


@dataclass(frozen=True)
class Reminded:
    tenant: str
    order_id: str
    kind: str  # remind | escalate


class ApprovalReminders:
    def __init__(self, store: OrderStore, clock: Callable[[], datetime] = utcnow) -> None:
        self._store = store
        self._clock = clock  # tests drive it

    def run(self, limit: int = BATCH) -> list[Reminded]:
        now = self._clock()
        done: list[Reminded] = []
        for tenant, order_id in self._store.due_approvals(iso(now), limit):
            reminded = self._remind(tenant, order_id, now)
            if reminded is not None:
                done.append(reminded)
        return done

    def _remind(self, tenant: str, order_id: str, now: datetime) -> Reminded | None:
        loaded = self._store.load(tenant, order_id)
        if loaded is None:
            return None
        o = loaded.order
        # The index is eventually consistent: the order itself says whether anything is due.
        if o.status != OrderStatus.PENDING_APPROVAL or o.approval_due_at is None or o.approval_due_at > iso(now):
            return None
        settings = tenants.get_settings(tenant)
        if settings is None:
            return None
        kind = o.remind(now, settings.approval_reminder_hours, settings.approval_escalation_hours)
        try:
            self._store.save(tenant, loaded, o, loaded.sales_rep_id, actor_kind="system")
        except (VersionMismatchError, TransactionConflictError):
            return None  # decided or changed meanwhile (or busy): the next run looks again
        return Reminded(tenant, order_id, kind)
