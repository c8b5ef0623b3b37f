"""`GET|PUT|DELETE /me/delegation`: an approver's delegate while away (API.md "Approval reminders,
escalation and delegation")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib.api.http import Ctx, endpoint, json_response, no_content
from chalicelib.api.schemas.delegation import DelegationIn, DelegationOut
from chalicelib.domain.permissions import Permission as P

if TYPE_CHECKING:
    from chalicelib.domain.model import Delegation
    from chalicelib.services.delegations import DelegationService

bp = Blueprint(__name__)
TAGS = ("me",)
PATH = "/me/delegation"


def _svc() -> DelegationService:
    from chalicelib.services.delegations import DelegationService

    return DelegationService()


def _out(d: Delegation) -> Response:
    return json_response(DelegationOut.model_validate(d, from_attributes=True))


@endpoint(
    bp,
    PATH,
    "GET",
    summary="The caller's delegate while away",
    response_model=DelegationOut,
    tags=TAGS,
    permissions=(P.ORDERS_APPROVE,),
)
def get_delegation(ctx: Ctx) -> Response:
    return _out(_svc().get(ctx.principal))


@endpoint(
    bp,
    PATH,
    "PUT",
    caller="action",  # read with the delegate and the delegation (services/delegations.py)
    summary="Name a delegate for a period (approvers)",
    request_model=DelegationIn,
    response_model=DelegationOut,
    tags=TAGS,
    permissions=(P.ORDERS_APPROVE,),
)
def put_delegation(ctx: Ctx) -> Response:
    body = ctx.body(DelegationIn)
    return _out(_svc().put(ctx.principal, body.delegate_id, body.starts_on, body.ends_on))


@endpoint(
    bp,
    PATH,
    "DELETE",
    caller="action",  # read with the delegation (services/delegations.py)
    summary="End the delegation",
    status=204,
    tags=TAGS,
    permissions=(P.ORDERS_APPROVE,),
)
def delete_delegation(ctx: Ctx) -> Response:
    _svc().delete(ctx.principal)
    return no_content()
