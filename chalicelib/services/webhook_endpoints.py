"""Administering webhook endpoints (API.md "Machine clients"): tenant.admin only; the URL is checked
against SSRF when it is given (and again at every delivery); the secret is shown when created and when
rotated, never listed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.auth.principal import Principal
from chalicelib.domain.clock import iso, utcnow
from chalicelib.domain.errors import ConflictError, NotFoundError, invalid_field
from chalicelib.domain.ids import new_id
from chalicelib.domain.orders import EventType
from chalicelib.domain.permissions import Permission
from chalicelib.storage import webhooks as store
from chalicelib.storage.paging import Page
from chalicelib.storage.webhooks import MAX_ENDPOINTS, Delivery, Endpoint
from chalicelib.webhooks import signing, urls

if TYPE_CHECKING:
    from chalicelib.webhooks.delivery import Pipeline

OLD_SECRET_SIGNS_FOR = timedelta(hours=24)
EVENT_TYPES = frozenset(t.value for t in EventType)


def _check(p: Principal) -> None:
    p.require_staff(Permission.TENANT_ADMIN)


def _types(event_types: list[str]) -> tuple[str, ...]:
    if event_types == ["*"]:
        return ("*",)
    for t in event_types:
        if t not in EVENT_TYPES:
            raise invalid_field("event_types", f"'{t}' is not an event type; use the feed's types or [\"*\"].")
    return tuple(dict.fromkeys(event_types))


class WebhookEndpoints:
    def __init__(self, pipeline: Callable[[], Pipeline | None], local_refused_ports: frozenset[int] | None) -> None:
        self._built = pipeline  # built on first use (an SQS client): listing endpoints needs none
        self._local_refused_ports = local_refused_ports

    def _pipeline(self) -> Pipeline:
        built = self._built()
        if built is None:  # a deployment without the queue (ORDERGATE_WEBHOOK_QUEUE_URL)
            raise ConflictError("Webhooks are not set up on this deployment: there is no delivery queue.")
        return built

    def _url(self, url: str) -> str:
        try:
            urls.check(url, local_refused_ports=self._local_refused_ports)
        except urls.UrlRefused as exc:
            raise invalid_field("url", str(exc)) from exc
        return url

    def create(self, p: Principal, url: str, event_types: list[str], description: str | None) -> Endpoint:
        _check(p)
        types = _types(event_types)
        checked = self._url(url)
        if len(store.endpoints(p.tenant)) >= MAX_ENDPOINTS:
            raise ConflictError(f"A tenant may have at most {MAX_ENDPOINTS} webhook endpoints.")
        endpoint = Endpoint(
            id=new_id(),
            url=checked,
            event_types=types,
            description=description,
            enabled=True,
            created_at=iso(utcnow()),
            secrets=({"secret": signing.new_secret(), "expires_at": None},),
        )
        return store.create_endpoint(p.tenant, endpoint)

    def list_page(self, p: Principal, limit: int, cursor: str | None) -> Page[Endpoint]:
        _check(p)
        return store.endpoints_page(p.tenant, limit, cursor)

    def get(self, p: Principal, endpoint_id: str) -> Endpoint:
        _check(p)
        return store.get_endpoint(p.tenant, endpoint_id)

    def update(self, p: Principal, endpoint_id: str, changes: dict[str, Any]) -> Endpoint:
        _check(p)
        current = store.get_endpoint(p.tenant, endpoint_id)
        after = current
        if "url" in changes:
            after = replace(after, url=self._url(changes["url"]))
        if "event_types" in changes:
            after = replace(after, event_types=_types(changes["event_types"]))
        if "description" in changes:
            after = replace(after, description=changes["description"])
        if "enabled" in changes:
            enabled = bool(changes["enabled"])
            after = replace(after, enabled=enabled)
            if enabled and not current.enabled:  # enabled again: a fresh start
                after = replace(after, disabled_reason=None, failing_since=None)
            if not enabled and current.enabled:
                after = replace(after, disabled_reason="Disabled by an administrator.")
        return store.save_endpoint(p.tenant, after)

    def delete(self, p: Principal, endpoint_id: str) -> None:
        _check(p)
        store.delete_endpoint(p.tenant, endpoint_id)

    def rotate_secret(self, p: Principal, endpoint_id: str) -> Endpoint:
        """A new secret signs from now on; the previous one also signs for 24 h (older ones stop)."""
        _check(p)
        current = store.get_endpoint(p.tenant, endpoint_id)
        now = utcnow()
        until = iso(now + OLD_SECRET_SIGNS_FOR)
        still = [s for s in current.secrets if not s.get("expires_at") or s["expires_at"] > iso(now)]
        previous = [{"secret": still[0]["secret"], "expires_at": until}] if still else []
        fresh = {"secret": signing.new_secret(), "expires_at": None}
        return store.save_endpoint(p.tenant, replace(current, secrets=(fresh, *previous)))

    def test(self, p: Principal, endpoint_id: str) -> Delivery:
        _check(p)
        endpoint = store.get_endpoint(p.tenant, endpoint_id)
        return self._pipeline().ping(p.tenant, endpoint)

    def deliveries(self, p: Principal, endpoint_id: str, limit: int, cursor: str | None) -> Page[Delivery]:
        _check(p)
        store.get_endpoint(p.tenant, endpoint_id)  # 404 for an endpoint that is not there
        return store.deliveries_page(p.tenant, endpoint_id, limit, cursor)

    def retry(self, p: Principal, endpoint_id: str, delivery_id: str) -> Delivery:
        _check(p)
        endpoint, delivery = store.endpoint_and_delivery(p.tenant, endpoint_id, delivery_id)  # one BatchGet
        if endpoint is None:
            raise NotFoundError("webhook endpoint")
        if delivery is None:
            raise NotFoundError("delivery")
        if not endpoint.enabled:
            raise ConflictError("The endpoint is disabled; enable it before retrying a delivery.")
        return self._pipeline().retry(p.tenant, delivery)
