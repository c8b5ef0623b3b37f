"""Machine clients (the supplier's ERP): API keys and the event feed (API.md "Machine clients")."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any

from chalice.app import Blueprint, Response
from pydantic import Field

from chalicelib.api.http import LIMIT, PAGE, Ctx, endpoint, json_response, no_content
from chalicelib.api.messages import describe, field_path
from chalicelib.api.openapi import QueryParam
from chalicelib.api.schemas.machine import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyList,
    ApiKeyOut,
    EventFeed,
    StockEntryIn,
    StockSync,
    StockSyncResult,
)
from chalicelib.bootstrap import get_services
from chalicelib.domain.orders import EventType
from chalicelib.domain.permissions import Permission as P
from chalicelib.lazy import LazyModule
from chalicelib.storage.paging import DEFAULT_LIMIT, MAX_CURSOR_LENGTH

if TYPE_CHECKING:
    from chalicelib.services import api_keys, event_feed, stock
    from chalicelib.services.stock import StockEntry
    from chalicelib.storage.api_keys import ApiKey
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
