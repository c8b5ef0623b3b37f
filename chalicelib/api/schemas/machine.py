"""Request and response bodies of machine clients: API keys and the event feed (API.md "Machine clients")."""

from typing import Annotated, Any

from pydantic import Field

from chalicelib.api.schemas.catalog import StockQuantity
from chalicelib.api.schemas.common import (
    Code,
    Id,
    Line,
    Name,
    RequestModel,
    ResponseModel,
    ShortText,
    StrictFlag,
)
from chalicelib.event_payloads import AnyEvent

PermissionName = Annotated[str, Field(min_length=1, max_length=64)]


class ApiKeyCreate(RequestModel):
    name: Name
    permissions: Annotated[list[PermissionName], Field(max_length=20)]


class ApiKeyOut(ResponseModel):
    id: str
    name: str
    permissions: list[str]
    prefix: str
    created_at: str
    created_by: str
    last_used_at: str | None


class ApiKeyCreated(ApiKeyOut):
    key: str  # in this response only


class ApiKeyList(ResponseModel):
    items: list[ApiKeyOut]
    next_cursor: str | None


class EventFeed(ResponseModel):
    items: list[AnyEvent]  # each type's payload: chalicelib/event_payloads.py
    next_cursor: str  # always given: store it and ask again later
    has_more: bool  # more events can be read at once (otherwise: ask again later)


# --- stock sync -----------------------------------------------------------------------------------
class StockEntryIn(RequestModel):
    sku: Code
    site_id: Id
    quantity: StockQuantity


class StockSync(RequestModel):
    # Each entry is validated on its own (routes/machine.py): one bad entry refuses only itself.
    # Objects {"sku", "site_id", "quantity"}, each validated on its own (routes/machine.py): a refused
    # entry is reported in `errors` and the others are applied, so the document does not refuse them.
    entries: Annotated[
        list[dict[str, Any]],
        Field(
            min_length=1,
            max_length=1000,
            description='Each {"sku", "site_id", "quantity"} (quantity 0 to 1,000,000,000); an entry that is '
            "refused is reported in `errors` by its index, the others are applied.",
        ),
    ]


class StockError(ResponseModel):
    index: int
    field: str
    message: str


class StockSyncResult(ResponseModel):
    updated: int
    unchanged: int
    errors: list[StockError]


# --- webhooks -------------------------------------------------------------------------------------
WebhookUrl = Annotated[Line, Field(min_length=1, max_length=2000)]
EventTypes = Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(min_length=1, max_length=30)]


class WebhookCreate(RequestModel):
    url: WebhookUrl
    event_types: EventTypes
    description: ShortText | None = None


class WebhookPatch(RequestModel):
    url: WebhookUrl | None = None
    event_types: EventTypes | None = None
    description: ShortText | None = None
    enabled: StrictFlag | None = None


class WebhookOut(ResponseModel):
    id: str
    url: str
    event_types: list[str]
    description: str | None
    enabled: bool
    created_at: str
    disabled_reason: str | None


class WebhookCreated(WebhookOut):
    secret: str  # in this response only


class WebhookSecret(ResponseModel):
    secret: str


class WebhookList(ResponseModel):
    items: list[WebhookOut]
    next_cursor: str | None


class DeliveryOut(ResponseModel):
    id: str
    event_id: str
    event_type: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: str | None


class DeliveryList(ResponseModel):
    items: list[DeliveryOut]
    next_cursor: str | None
