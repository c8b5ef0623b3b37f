"""The tenant's sender domains (API.md "Tenant administration"): proved in SES before e-mails use them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib.api.http import PAGE, Ctx, endpoint, json_response, no_content
from chalicelib.api.schemas.sender_domains import SenderDomainCreate, SenderDomainList, SenderDomainOut
from chalicelib.bootstrap import get_services
from chalicelib.domain.permissions import Permission as P

if TYPE_CHECKING:
    from chalicelib.services.sender_domains import SenderDomainView

bp = Blueprint(__name__)
TAGS = ("sender-domains",)


def _out(d: SenderDomainView) -> SenderDomainOut:
    return SenderDomainOut.model_validate(d, from_attributes=True)


@endpoint(
    bp,
    "/sender-domains",
    "GET",
    summary="The tenant's sender domains and whether SES has verified each",
    response_model=SenderDomainList,
    tags=TAGS,
    query=PAGE,
    permissions=(P.TENANT_ADMIN,),
)
def list_sender_domains(ctx: Ctx) -> Response:
    page = get_services().sender_domains.list(ctx.principal, *ctx.page_args())
    return json_response(SenderDomainList(items=[_out(d) for d in page.items], next_cursor=page.next_cursor))


@endpoint(
    bp,
    "/sender-domains",
    "POST",
    summary="Start proving a sender domain: answers the DKIM records to publish in its DNS",
    request_model=SenderDomainCreate,
    response_model=SenderDomainOut,
    status=201,
    tags=TAGS,
    permissions=(P.TENANT_ADMIN,),
)
def add_sender_domain(ctx: Ctx) -> Response:
    domain = ctx.body(SenderDomainCreate).domain.lower()  # DNS names are case-insensitive
    return json_response(_out(get_services().sender_domains.add(ctx.principal, domain)), status=201)


@endpoint(
    bp,
    "/sender-domains/{domain}",
    "GET",
    summary="A sender domain and its verification status",
    response_model=SenderDomainOut,
    tags=TAGS,
    permissions=(P.TENANT_ADMIN,),
)
def get_sender_domain(ctx: Ctx, domain: str) -> Response:
    return json_response(_out(get_services().sender_domains.get(ctx.principal, domain.lower())))


@endpoint(
    bp,
    "/sender-domains/{domain}",
    "DELETE",
    summary="Stop sending from a domain (a sender_email at it is cleared: e-mails go from the platform's sender)",
    status=204,
    tags=TAGS,
    permissions=(P.TENANT_ADMIN,),
)
def delete_sender_domain(ctx: Ctx, domain: str) -> Response:
    get_services().sender_domains.delete(ctx.principal, domain.lower())
    return no_content()
