"""Approval reminders and escalation (API.md "Approval reminders, escalation and delegation").

A scheduled function (hourly on AWS, every few seconds in the local stack) asks the order store what is
due by now (an index on each waiting order's next due time, never a scan), and for each order still
waiting: records the reminder or the escalation in its history (one conditional write: a decision made
meanwhile makes it fail, and nothing is sent), then e-mails its approvers again with fresh links (bound to
the version this write gives the order), and on escalation the sales rep (else the order desk) too.
A decision stops them: it removes the due item in its own transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.clock import iso, utcnow
from chalicelib.domain.errors import VersionMismatchError
from chalicelib.domain.orders import EMAILED_LINES, Order, OrderStatus
from chalicelib.logs import logger
from chalicelib.notifications.changes import Event, EventName, OrderFacts
from chalicelib.notifications.directory import Directory
from chalicelib.notifications.service import NotificationService
from chalicelib.services.order_store import OrderStore
from chalicelib.storage import tenants

BATCH = 100  # orders per run; what is left is due still, and the next run takes it


@dataclass(frozen=True)
class Reminded:
    tenant: str
    order_id: str
    kind: str  # remind | escalate
    emails: int


class ApprovalReminders:
    def __init__(
        self,
        store: OrderStore,
        notifications: Callable[[], NotificationService],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._store = store
        self._notifications = notifications
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
        except VersionMismatchError:
            return None  # decided or changed meanwhile: the next run looks again
        name = EventName.APPROVAL_ESCALATED if kind == "escalate" else EventName.APPROVAL_REMINDER
        try:
            sent = self._notifications().notify([_event(name, tenant, o, loaded.sales_rep_id)], Directory())
        except Exception:  # the history holds the reminder; the next one comes at its time
            logger.exception("approval reminder not sent", extra={"tenant": tenant, "order_id": order_id})
            sent = 0
        return Reminded(tenant, order_id, kind, sent)


def _event(name: EventName, tenant: str, o: Order, sales_rep_id: str | None) -> Event:
    totals = o.totals
    facts = OrderFacts(
        tenant=tenant,
        id=o.id,
        number=o.number,
        status=o.status.value,
        source=o.source,
        customer_id=o.customer_id,
        customer_name=o.customer_name,
        customer_path=tuple(o.customer_path or [o.customer_id]),
        sales_rep_id=sales_rep_id,
        created_by=o.created_by,
        submitted_by=o.submitted_by,
        currency=o.currency,
        gross=str(totals.gross),
        customer_reference=o.customer_reference,
        net=str(totals.net),
        tax=str(totals.tax),
    )
    details = {
        "reasons": o.approval_reasons,
        "lines": [
            {
                "sku": line.sku,
                "name": line.name,
                "quantity": str(line.quantity),
                "unit_price": str(line.unit_price),
                "net": str(line.net),
            }
            for line in o.lines[:EMAILED_LINES]
        ],
        "line_count": len(o.lines),
        "version": o.version,  # the links are bound to the version this reminder's write gave the order
    }
    # One key per reminder (the version moves with each): a retried run never sends the same one twice.
    return Event(name, tenant, key=f"{name}:{o.id}:{o.version}", order=facts, details=details)
