"""The webhook pipeline behind the stream: fan-out of an event to its endpoints, one delivery attempt
per queue message, retries on the schedule of API.md, and the scheduled function that queues the
retries SQS cannot delay that long.

Costs (DynamoDB round trips): fan-out, one Query of the tenant's endpoints and one transaction for all
of the event's deliveries (however many endpoints); an attempt, one BatchGet (endpoint and delivery)
and one write (an update, or a transaction when the endpoint's state changes with it).

The queue message names the delivery and the attempt it is for; a message for an attempt already
made (SQS delivers at least once; a redelivered stream record queues again) records nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from chalicelib.domain.clock import iso
from chalicelib.domain.ids import new_id
from chalicelib.logs import logger
from chalicelib.storage import keys
from chalicelib.storage import webhooks as store
from chalicelib.storage.webhooks import Delivery, Endpoint
from chalicelib.webhooks import signing, urls
from chalicelib.webhooks.post import Outcome

# API.md: retried after about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h.
SCHEDULE_SECONDS = (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 14 * 3600, 20 * 3600, 24 * 3600)
SQS_MAX_DELAY = 15 * 60
DISABLE_AFTER = timedelta(days=3)


class Queue(Protocol):
    def send(self, messages: list[dict[str, Any]], delay_seconds: int = 0) -> None: ...


Poster = Callable[[urls.Target, dict[str, str], str], Outcome]


@dataclass
class Pipeline:
    """What the pipeline needs from outside, replaceable in tests (a clock, the network, DNS)."""

    queue: Queue
    post: Poster
    local_refused_ports: frozenset[int] | None = None  # the local stack's allowance (webhooks/urls.py)
    resolve: urls.Resolver = urls.system_resolver
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    on_disabled: Callable[[str, Endpoint], None] | None = None  # e-mails the tenant's administrators

    # --- fan-out --------------------------------------------------------------------------------------
    def fan_out(self, tenant: str, event: dict[str, Any]) -> int:
        """One event (the Event JSON of the feed) to every enabled endpoint subscribed to its type."""
        wanted = [e for e in store.endpoints(tenant) if e.wants(str(event["type"]))]
        if not wanted:
            return 0
        body = json.dumps(event, separators=(",", ":"), sort_keys=True)
        now = iso(self.clock())
        deliveries = [
            Delivery(
                id=f"{event['id']}-{e.id}",
                endpoint_id=e.id,
                event_id=str(event["id"]),
                event_type=str(event["type"]),
                body=body,
                status="pending",
                attempts=0,
                created_at=now,
                next_attempt_at=now,
            )
            for e in wanted
        ]
        # A redelivered stream record finds them written: queued again, the stale messages do nothing.
        store.create_deliveries(tenant, deliveries)
        self.queue.send([message(tenant, d) for d in deliveries])
        return len(deliveries)

    def ping(self, tenant: str, endpoint: Endpoint) -> Delivery:
        """POST .../test: a `ping` event to this endpoint alone, delivered like any other."""
        now = iso(self.clock())
        event_id = new_id()
        body = json.dumps({"id": event_id, "type": "ping", "occurred_at": now, "data": {}}, separators=(",", ":"))
        d = Delivery(
            f"{event_id}-{endpoint.id}", endpoint.id, event_id, "ping", body, "pending", 0, now, next_attempt_at=now
        )
        store.create_deliveries(tenant, [d])
        self.queue.send([message(tenant, d)])
        return d

    def retry(self, tenant: str, delivery: Delivery) -> Delivery:
        """POST .../retry: attempt it again now, whatever its state (its schedule goes on from there)."""
        after = replace(delivery, status="pending", next_attempt_at=iso(self.clock()))
        if not store.record_attempt(tenant, delivery, after, None):
            from chalicelib.domain.errors import ConflictError

            raise ConflictError("The delivery changed meanwhile; try again.")
        self.queue.send([message(tenant, after)])
        return after

    # --- one attempt ----------------------------------------------------------------------------------
    def attempt(self, msg: dict[str, Any]) -> str:
        """Deliver what the message names, once; returns what happened (for logs and tests)."""
        tenant, endpoint_id, delivery_id = str(msg["tenant"]), str(msg["endpoint_id"]), str(msg["delivery_id"])
        endpoint, delivery = store.endpoint_and_delivery(tenant, endpoint_id, delivery_id)
        if endpoint is None or delivery is None:
            return "gone"  # the endpoint was deleted (its deliveries with it, as far as anyone can see)
        if delivery.status != "pending" or delivery.attempts != int(msg["attempt"]):
            return "stale"
        now = self.clock()
        if not endpoint.enabled:
            after = replace(delivery, status="failed", last_error="The endpoint is disabled.", next_attempt_at=None)
            store.record_attempt(tenant, delivery, after, None)
            return "disabled"
        try:
            target = urls.check(endpoint.url, local_refused_ports=self.local_refused_ports, resolve=self.resolve)
        except urls.UrlRefused as exc:  # it resolves inward now (DNS rebinding): never posted
            outcome = Outcome(None, str(exc))
        else:
            headers = signing.headers(delivery.event_id, now, delivery.body, endpoint.signing_secrets(iso(now)))
            outcome = self.post(target, headers, delivery.body)
        return self._record(tenant, endpoint, delivery, outcome, now)

    def _record(self, tenant: str, endpoint: Endpoint, delivery: Delivery, outcome: Outcome, now: datetime) -> str:
        attempts = delivery.attempts + 1
        tried = replace(delivery, attempts=attempts, last_status_code=outcome.status, last_error=outcome.error)
        changed_endpoint: Endpoint | None = None
        delay: int | None = None
        if outcome.delivered:
            after = replace(tried, status="succeeded", next_attempt_at=None)
            if endpoint.failing_since:
                changed_endpoint = replace(endpoint, failing_since=None)
            result = "succeeded"
        elif outcome.status == 410:
            after = replace(tried, status="failed", next_attempt_at=None)
            changed_endpoint = replace(
                endpoint, enabled=False, disabled_reason="The endpoint answered 410 Gone.", failing_since=None
            )
            result = "disabled"
        else:
            since = endpoint.failing_since or iso(now)
            failing_for = now - datetime.fromisoformat(since.replace("Z", "+00:00"))
            if failing_for >= DISABLE_AFTER:
                after = replace(tried, status="failed", next_attempt_at=None)
                changed_endpoint = replace(
                    endpoint, enabled=False, disabled_reason="Deliveries failed for 3 days.", failing_since=since
                )
                result = "disabled"
            elif attempts > len(SCHEDULE_SECONDS):
                after = replace(tried, status="failed", next_attempt_at=None)
                result = "failed"
            else:
                delay = SCHEDULE_SECONDS[attempts - 1]
                after = replace(tried, status="pending", next_attempt_at=iso(now + timedelta(seconds=delay)))
                result = "retry"
            if changed_endpoint is None and endpoint.failing_since is None:
                changed_endpoint = replace(endpoint, failing_since=since)
        due = None
        if delay is not None and delay > SQS_MAX_DELAY:
            due = due_key(tenant, after)
        if not store.record_attempt(tenant, delivery, after, due, changed_endpoint):
            return "stale"  # another copy of this message recorded the attempt first
        if delay is not None and due is None:
            self.queue.send([message(tenant, after)], delay_seconds=delay)
        if result == "disabled" and self.on_disabled is not None and changed_endpoint is not None:
            try:
                self.on_disabled(tenant, changed_endpoint)
            except Exception:  # the endpoint is disabled; a lost e-mail must not undo or repeat that
                logger.exception("webhook endpoint disabled, administrators not e-mailed")
        logger.info("webhook attempt", extra={"tenant": tenant, "delivery": delivery.id, "result": result})
        return result

    # --- the scheduled function -------------------------------------------------------------------------
    def queue_due(self, limit: int = 100) -> int:
        """Queue the retries due by now (the days due: yesterday and today, one Query each)."""
        now = self.clock()
        queued = 0
        for day in ((now - timedelta(days=1)).date().isoformat(), now.date().isoformat()):
            for tenant, d in store.due(day, iso(now), limit):
                if d.due_key is not None and store.unschedule(tenant, d):
                    self.queue.send([message(tenant, d)])
                    queued += 1
        return queued


def message(tenant: str, d: Delivery) -> dict[str, Any]:
    return {"tenant": tenant, "endpoint_id": d.endpoint_id, "delivery_id": d.id, "attempt": d.attempts}


def due_key(tenant: str, d: Delivery) -> tuple[str, str]:
    at = d.next_attempt_at or ""
    return keys.webhooks_due(at[:10]), f"{at}#{tenant}#{d.endpoint_id}#{d.id}"


def event_json(item: Any) -> dict[str, Any]:
    """An event item as the feed and the webhooks show it."""
    from chalicelib.storage.events import to_event

    return asdict(to_event(item))
