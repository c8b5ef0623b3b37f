"""Machine clients (the supplier's ERP): API keys and the event feed (API.md "Machine clients")."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any

from chalice.app import Blueprint, Response
from pydantic import Field

from chalicelib.api.http import LIMIT, PAGE, Ctx, endpoint, json_response, no_content, patch_changes
from chalicelib.api.openapi import QueryParam
from chalicelib.api.schemas.machine import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyList,
    ApiKeyOut,
    DeliveryList,
    DeliveryOut,
    EventFeed,
    StockEntryIn,
    StockSync,
    StockSyncResult,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookOut,
    WebhookPatch,
    WebhookSecret,
)
from chalicelib.bootstrap import get_services
from chalicelib.domain.order_states import EventType
from chalicelib.domain.permissions import Permission as P
from chalicelib.lazy import LazyModule
from chalicelib.storage.paging import DEFAULT_LIMIT, MAX_CURSOR_LENGTH

if TYPE_CHECKING:
    from chalicelib.services import api_keys, event_feed, stock
    from chalicelib.services.stock import StockEntry
    from chalicelib.storage.api_keys import ApiKey
    from chalicelib.storage.webhooks import Delivery, Endpoint
else:
    api_keys = LazyModule("chalicelib.services.api_keys")
    event_feed = LazyModule("chalicelib.services.event_feed")
    stock = LazyModule("chalicelib.services.stock")

bp = Blueprint(__name__)


def key_out(key: ApiKey) -> dict[str, Any]:
    out = asdict(key)
    out.pop("key_hash")
    out["permissions"] = list(key.permissions)
    return out


# --- API keys -------------------------------------------------------------------------------------
@endpoint(
    bp,
    "/api-keys",
    "POST",
    summary="Create an API key (the key is shown in this response only)",
    request_model=ApiKeyCreate,
    response_model=ApiKeyCreated,
    status=201,
    tags=("machine clients",),
    permissions=(P.TENANT_ADMIN,),
)
def create_api_key(ctx: Ctx) -> Response:
    body = ctx.body(ApiKeyCreate)
    stored, key = api_keys.create(ctx.principal, body.name, body.permissions)
    return json_response({**key_out(stored), "key": key}, status=201)


@endpoint(
    bp,
    "/api-keys",
    "GET",
    summary="List API keys",
    response_model=ApiKeyList,
    tags=("machine clients",),
    query=PAGE,
    permissions=(P.TENANT_ADMIN,),
)
def list_api_keys(ctx: Ctx) -> Response:
    limit, cursor = ctx.page_args()
    page = api_keys.list_keys(ctx.principal, limit, cursor)
    return json_response({"items": [key_out(k) for k in page.items], "next_cursor": page.next_cursor})


@endpoint(
    bp,
    "/api-keys/{key_id}",
    "GET",
    summary="Get an API key (never the key itself)",
    response_model=ApiKeyOut,
    tags=("machine clients",),
    permissions=(P.TENANT_ADMIN,),
)
def get_api_key(ctx: Ctx, key_id: str) -> Response:
    return json_response(key_out(api_keys.get(ctx.principal, key_id)))


@endpoint(
    bp,
    "/api-keys/{key_id}",
    "DELETE",
    summary="Delete an API key: it answers 401 from now on",
    tags=("machine clients",),
    status=204,
    permissions=(P.TENANT_ADMIN,),
)
def delete_api_key(ctx: Ctx, key_id: str) -> Response:
    api_keys.delete(ctx.principal, key_id)
    return no_content()


# --- the event feed -------------------------------------------------------------------------------
AFTER = QueryParam(
    "after",
    Annotated[str, Field(max_length=MAX_CURSOR_LENGTH, pattern=r"^[A-Za-z0-9_\-]+$")],
    "The `next_cursor` of the previous call, as given (none: from the oldest event kept).",
)
TYPE = QueryParam("type", EventType, "Only events of this type.")


@endpoint(
    bp,
    "/events",
    "GET",
    summary="The order event feed, oldest first (follow next_cursor; it never skips an event)",
    response_model=EventFeed,
    tags=("machine clients",),
    query=(AFTER, TYPE, LIMIT),
    permissions=(P.ORDERS_READ_ALL,),
)
def list_events(ctx: Ctx) -> Response:
    limit = ctx.query("limit")
    result = event_feed.read(
        ctx.principal,
        ctx.query("after"),
        ctx.query("type"),
        DEFAULT_LIMIT if limit is None else int(limit),
        settle_seconds=get_services().settings.event_settle_seconds,
    )
    items = [asdict(e) for e in result.events]
    return json_response({"items": items, "next_cursor": result.next_cursor, "has_more": result.has_more})


# --- stock sync -----------------------------------------------------------------------------------
@endpoint(
    bp,
    "/stock",
    "PUT",
    summary="Set stock by sku and site (up to 1,000 entries; each applied or refused on its own)",
    request_model=StockSync,
    response_model=StockSyncResult,
    tags=("machine clients",),
    permissions=(P.CATALOG_MANAGE,),
)
def put_stock(ctx: Ctx) -> Response:
    from pydantic import TypeAdapter, ValidationError

    from chalicelib.api.messages import describe, field_path

    body = ctx.body(StockSync)
    adapter = TypeAdapter(StockEntryIn)
    entries: list[StockEntry] = []
    refused: list[dict[str, object]] = []
    for index, raw in enumerate(body.entries):
        try:
            e = adapter.validate_python(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            name = field_path(first["loc"])
            where = f"entries[{index}]" + (f".{name}" if name else "")
            refused.append({"index": index, "field": name or "entry", "message": describe(first, where)})
            continue
        entries.append(stock.StockEntry(index, e.sku, e.site_id, e.quantity))
    result = stock.sync(ctx.principal, entries, refused)
    return json_response({"updated": result.updated, "unchanged": result.unchanged, "errors": result.errors})


# --- webhooks -------------------------------------------------------------------------------------
WH = ("webhooks",)


def endpoint_out(e: Endpoint) -> dict[str, Any]:
    return WebhookOut.model_validate(e, from_attributes=True).model_dump(mode="json")


def delivery_out(d: Delivery) -> dict[str, Any]:
    return DeliveryOut.model_validate(d, from_attributes=True).model_dump(mode="json")


@endpoint(
    bp,
    "/webhook-endpoints",
    "POST",
    summary="Subscribe a URL to events (the signing secret is shown in this response only)",
    request_model=WebhookCreate,
    response_model=WebhookCreated,
    status=201,
    tags=WH,
    permissions=(P.TENANT_ADMIN,),
)
def create_webhook(ctx: Ctx) -> Response:
    body = ctx.body(WebhookCreate)
    e = get_services().webhook_endpoints.create(ctx.principal, body.url, body.event_types, body.description)
    return json_response({**endpoint_out(e), "secret": e.secrets[0]["secret"]}, status=201)


@endpoint(
    bp,
    "/webhook-endpoints",
    "GET",
    summary="List webhook endpoints",
    response_model=WebhookList,
    tags=WH,
    query=PAGE,
    permissions=(P.TENANT_ADMIN,),
)
def list_webhooks(ctx: Ctx) -> Response:
    limit, cursor = ctx.page_args()
    page = get_services().webhook_endpoints.list_page(ctx.principal, limit, cursor)
    return json_response({"items": [endpoint_out(e) for e in page.items], "next_cursor": page.next_cursor})


@endpoint(
    bp,
    "/webhook-endpoints/{endpoint_id}",
    "GET",
    summary="A webhook endpoint",
    response_model=WebhookOut,
    tags=WH,
    permissions=(P.TENANT_ADMIN,),
)
def get_webhook(ctx: Ctx, endpoint_id: str) -> Response:
    return json_response(endpoint_out(get_services().webhook_endpoints.get(ctx.principal, endpoint_id)))


@endpoint(
    bp,
    "/webhook-endpoints/{endpoint_id}",
    "PATCH",
    summary="Change a webhook endpoint (enabled: true enables a disabled one again)",
    request_model=WebhookPatch,
    response_model=WebhookOut,
    tags=WH,
    permissions=(P.TENANT_ADMIN,),
)
def patch_webhook(ctx: Ctx, endpoint_id: str) -> Response:
    changes = patch_changes(ctx.body(WebhookPatch), frozenset({"description"}))
    return json_response(endpoint_out(get_services().webhook_endpoints.update(ctx.principal, endpoint_id, changes)))


@endpoint(
    bp,
    "/webhook-endpoints/{endpoint_id}",
    "DELETE",
    summary="Delete a webhook endpoint",
    status=204,
    tags=WH,
    permissions=(P.TENANT_ADMIN,),
)
def delete_webhook(ctx: Ctx, endpoint_id: str) -> Response:
    get_services().webhook_endpoints.delete(ctx.principal, endpoint_id)
    return no_content()


@endpoint(
    bp,
    "/webhook-endpoints/{endpoint_id}/rotate-secret",
    "POST",
    summary="A new signing secret (the previous one also signs for 24 h)",
    response_model=WebhookSecret,
    tags=WH,
    permissions=(P.TENANT_ADMIN,),
)
def rotate_webhook_secret(ctx: Ctx, endpoint_id: str) -> Response:
    e = get_services().webhook_endpoints.rotate_secret(ctx.principal, endpoint_id)
    return json_response({"secret": e.secrets[0]["secret"]})


@endpoint(
    bp,
    "/webhook-endpoints/{endpoint_id}/test",
    "POST",
    summary="Send a ping event to this endpoint",
    response_model=DeliveryOut,
    status=202,
    errors=(409,),
    tags=WH,
    permissions=(P.TENANT_ADMIN,),
)
def test_webhook(ctx: Ctx, endpoint_id: str) -> Response:
    return json_response(delivery_out(get_services().webhook_endpoints.test(ctx.principal, endpoint_id)), status=202)


@endpoint(
    bp,
    "/webhook-endpoints/{endpoint_id}/deliveries",
    "GET",
    summary="The endpoint's deliveries, newest first",
    response_model=DeliveryList,
    tags=WH,
    query=PAGE,
    permissions=(P.TENANT_ADMIN,),
)
def list_deliveries(ctx: Ctx, endpoint_id: str) -> Response:
    limit, cursor = ctx.page_args()
    page = get_services().webhook_endpoints.deliveries(ctx.principal, endpoint_id, limit, cursor)
    return json_response({"items": [delivery_out(d) for d in page.items], "next_cursor": page.next_cursor})


@endpoint(
    bp,
    "/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/retry",
    "POST",
    summary="Attempt a delivery again now",
    response_model=DeliveryOut,
    status=202,
    errors=(409,),
    tags=WH,
    permissions=(P.TENANT_ADMIN,),
)
def retry_delivery(ctx: Ctx, endpoint_id: str, delivery_id: str) -> Response:
    return json_response(
        delivery_out(get_services().webhook_endpoints.retry(ctx.principal, endpoint_id, delivery_id)), status=202
    )
