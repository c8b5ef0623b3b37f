"""Bodies of the approvers' action links (API.md "Acting from an e-mail")."""

from typing import Annotated, Any, Literal

from pydantic import Field

from chalicelib.api.schemas.common import RequestModel, ResponseModel, Text
from chalicelib.api.schemas.orders import OrderOut


class ActionDecision(RequestModel):
    """The page's form (`decision=approve` or `decision=reject&reason=...`; a proposal's link: `accept` or
    `decline`), or the same as JSON. The reason is checked by the action (a reject or decline needs one), so
    that the page can say so in a sentence."""

    decision: Literal["approve", "reject", "accept", "decline"]
    reason: Annotated[Text, Field(max_length=2000)] | None = None


class ActionDecidedOut(ResponseModel):
    by_name: str | None
    at: str
    action: str


class ActionOut(ResponseModel):
    action: Literal["approval", "proposal"]
    state: Literal["open", "used", "expired", "superseded"]
    expires_at: str
    reasons: list[dict[str, Any]]
    order: OrderOut | None
    decided: ActionDecidedOut | None = None
