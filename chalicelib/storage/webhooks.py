"""Webhook endpoints and deliveries on the single table (keys.py, "webhooks")."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError

from chalicelib.domain.errors import NotFoundError, VersionMismatchError
from chalicelib.storage import keys
from chalicelib.storage.items import BaseItem, WebhookDeliveryItem, WebhookEndpointItem
from chalicelib.storage.paging import Page, partition_page
from chalicelib.storage.table import cancellation_codes, get_item, is_condition_failure, transaction

MAX_ENDPOINTS = 20  # per tenant: the fan-out reads them in one Query and writes in one transaction


@dataclass(frozen=True)
class Endpoint:
    id: str
    url: str
    event_types: tuple[str, ...]
    description: str | None
    enabled: bool
    created_at: str
    disabled_reason: str | None = None
    secrets: tuple[dict[str, Any], ...] = ()  # {"secret", "expires_at" | None}, newest first
    failing_since: str | None = None
    version: int = 0

    def wants(self, event_type: str) -> bool:
        return self.enabled and ("*" in self.event_types or event_type in self.event_types)

    def signing_secrets(self, now_iso: str) -> list[str]:
        return [s["secret"] for s in self.secrets if not s.get("expires_at") or s["expires_at"] > now_iso]


@dataclass(frozen=True)
class Delivery:
    id: str
    endpoint_id: str
    event_id: str
    event_type: str
    body: str
    status: str
    attempts: int
    created_at: str
    last_status_code: int | None = None
    last_error: str | None = None
    next_attempt_at: str | None = None
    due_key: tuple[str, str] | None = field(default=None, compare=False)  # (gsi1pk, gsi1sk) when scheduled


def _endpoint(item: WebhookEndpointItem) -> Endpoint:
    return Endpoint(
        id=item.id,
        url=item.url,
        event_types=tuple(item.event_types or ()),
        description=item.description,
        enabled=bool(item.enabled),
        created_at=item.created_at,
        disabled_reason=item.disabled_reason,
        secrets=tuple(item.secrets or ()),
        failing_since=item.failing_since,
        version=item.version or 0,
    )


def _endpoint_item(tenant: str, e: Endpoint) -> WebhookEndpointItem:
    item = WebhookEndpointItem(
        *keys.webhook_endpoint(tenant, e.id),
        id=e.id,
        url=e.url,
        event_types=list(e.event_types),
        description=e.description,
        enabled=e.enabled,
        created_at=e.created_at,
        disabled_reason=e.disabled_reason,
        secrets=list(e.secrets),
        failing_since=e.failing_since,
    )
    if e.version:
        item.version = e.version
    return item


def _delivery(item: WebhookDeliveryItem) -> Delivery:
    due = (item.gsi1pk, item.gsi1sk) if item.gsi1pk and item.gsi1sk else None
    return Delivery(
        id=item.id,
        endpoint_id=item.endpoint_id,
        event_id=item.event_id,
        event_type=item.event_type,
        body=item.body,
        status=item.status,
        attempts=int(item.attempts or 0),
        created_at=item.created_at,
        last_status_code=int(item.last_status_code) if item.last_status_code is not None else None,
        last_error=item.last_error,
        next_attempt_at=item.next_attempt_at,
        due_key=due,
    )


DELIVERY_DAYS = 30  # a delivery's record is kept this long (TTL), like the event it carried


def _delivery_item(tenant: str, d: Delivery) -> WebhookDeliveryItem:
    created = datetime.fromisoformat(d.created_at.replace("Z", "+00:00"))
    return WebhookDeliveryItem(
        *keys.webhook_delivery(tenant, d.endpoint_id, d.id),
        id=d.id,
        endpoint_id=d.endpoint_id,
        event_id=d.event_id,
        event_type=d.event_type,
        body=d.body,
        status=d.status,
        attempts=d.attempts,
        created_at=d.created_at,
        next_attempt_at=d.next_attempt_at,
        expires_at=created + timedelta(days=DELIVERY_DAYS),
    )


# --- endpoints ----------------------------------------------------------------------------------------
def endpoints(tenant: str) -> list[Endpoint]:
    """Every endpoint of the tenant: one Query (at most MAX_ENDPOINTS)."""
    return [_endpoint(i) for i in WebhookEndpointItem.query(keys.webhooks_pk(tenant), limit=MAX_ENDPOINTS + 1)]


def endpoints_page(tenant: str, limit: int, cursor: str | None) -> Page[Endpoint]:
    return partition_page(WebhookEndpointItem, keys.webhooks_pk(tenant), limit, cursor, _endpoint)


def get_endpoint(tenant: str, endpoint_id: str) -> Endpoint:
    return _endpoint(get_item(WebhookEndpointItem, keys.webhook_endpoint(tenant, endpoint_id), "webhook endpoint"))


def create_endpoint(tenant: str, e: Endpoint) -> Endpoint:
    item = _endpoint_item(tenant, e)
    item.save()  # version condition: attribute_not_exists (a fresh id)
    return replace(e, version=1)


def save_endpoint(tenant: str, e: Endpoint) -> Endpoint:
    """Write `e` if the stored endpoint is still at `e.version` (else VersionMismatchError)."""
    item = _endpoint_item(tenant, e)
    try:
        item.save()
    except PutError as exc:
        if is_condition_failure(exc):
            raise VersionMismatchError() from exc
        raise
    return replace(e, version=e.version + 1)


def delete_endpoint(tenant: str, endpoint_id: str) -> None:
    try:
        WebhookEndpointItem(*keys.webhook_endpoint(tenant, endpoint_id)).delete(
            condition=WebhookEndpointItem.pk.exists(), add_version_condition=False
        )
    except DeleteError as exc:
        if is_condition_failure(exc):
            raise NotFoundError("webhook endpoint") from exc
        raise


# --- deliveries ---------------------------------------------------------------------------------------
def create_deliveries(tenant: str, deliveries: list[Delivery]) -> bool:
    """All of them in one transaction, each only if it does not exist yet. False when they did (a
    redelivered stream record: what it would create exists already)."""
    if not deliveries:
        return True
    try:
        with transaction() as tx:
            for d in deliveries:
                tx.save(_delivery_item(tenant, d))  # new: conditional on not existing
    except TransactWriteError as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True


def endpoint_and_delivery(tenant: str, endpoint_id: str, delivery_id: str) -> tuple[Endpoint | None, Delivery | None]:
    """One BatchGet."""
    wanted = [keys.webhook_endpoint(tenant, endpoint_id), keys.webhook_delivery(tenant, endpoint_id, delivery_id)]
    endpoint: Endpoint | None = None
    delivery: Delivery | None = None
    for item in BaseItem.batch_get(wanted):
        if isinstance(item, WebhookEndpointItem):
            endpoint = _endpoint(item)
        elif isinstance(item, WebhookDeliveryItem):
            delivery = _delivery(item)
    return endpoint, delivery


def deliveries_page(tenant: str, endpoint_id: str, limit: int, cursor: str | None) -> Page[Delivery]:
    pk = keys.webhook_deliveries_pk(tenant, endpoint_id)
    return partition_page(WebhookDeliveryItem, pk, limit, cursor, _delivery, newest_first=True)


def record_attempt(
    tenant: str,
    before: Delivery,
    after: Delivery,
    due: tuple[str, str] | None,
    endpoint: Endpoint | None = None,
) -> bool:
    """The delivery's new state, only if it still has the attempts `before` read (a duplicate message
    of the same attempt records nothing): False then. With `endpoint`, that endpoint's new state in the
    same transaction (its failure clock, or disabled)."""
    item = WebhookDeliveryItem(*keys.webhook_delivery(tenant, before.endpoint_id, before.id))
    attrs = WebhookDeliveryItem
    actions: list[Any] = [
        attrs.status.set(after.status),
        attrs.attempts.set(after.attempts),
        attrs.last_status_code.set(after.last_status_code)
        if after.last_status_code is not None
        else attrs.last_status_code.remove(),
        attrs.last_error.set(after.last_error) if after.last_error else attrs.last_error.remove(),
        attrs.next_attempt_at.set(after.next_attempt_at) if after.next_attempt_at else attrs.next_attempt_at.remove(),
    ]
    if due is not None:
        actions += [attrs.gsi1pk.set(due[0]), attrs.gsi1sk.set(due[1])]
    else:
        actions += [attrs.gsi1pk.remove(), attrs.gsi1sk.remove()]
    condition = attrs.pk.exists() & (attrs.attempts == before.attempts) & (attrs.status == before.status)
    try:
        if endpoint is None:
            item.update(actions=actions, condition=condition, add_version_condition=False)
        else:
            with transaction() as tx:
                tx.update(item, actions=actions, condition=condition, add_version_condition=False)
                tx.save(_endpoint_item(tenant, endpoint))  # conditional on the version read
    except TransactWriteError as exc:
        # PynamoDB sends puts before updates: [0] the endpoint, [1] the delivery.
        codes = cancellation_codes(exc)
        if len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
            return False  # the attempt was recorded by another copy of the message
        if codes and codes[0] == "ConditionalCheckFailed":
            # The endpoint changed meanwhile (an administrator's edit): fail the message, so that
            # it comes back and the attempt is made and recorded against the endpoint as it is now.
            raise VersionMismatchError() from exc
        raise
    except UpdateError as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True


def due(day: str, until: str, limit: int) -> list[tuple[str, Delivery]]:
    """(tenant, delivery) of the deliveries due on `day` up to `until`: one Query of gsi1."""
    result = WebhookDeliveryItem.gsi1.query(
        keys.webhooks_due(day), WebhookDeliveryItem.gsi1sk <= until + "~", limit=limit
    )
    out = []
    for item in result:
        if isinstance(item, WebhookDeliveryItem) and (item.gsi1sk or "") <= until + "~":
            out.append((keys.tenant_of(item.pk), _delivery(item)))
    return out


def unschedule(tenant: str, d: Delivery) -> bool:
    """Take a due delivery out of the due index before queueing it; False if someone else did."""
    if d.due_key is None:
        return False
    item = WebhookDeliveryItem(*keys.webhook_delivery(tenant, d.endpoint_id, d.id))
    try:
        item.update(
            actions=[WebhookDeliveryItem.gsi1pk.remove(), WebhookDeliveryItem.gsi1sk.remove()],
            condition=WebhookDeliveryItem.gsi1sk == d.due_key[1],
            add_version_condition=False,
        )
    except UpdateError as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True
