"""Request and response bodies of the tenant's sender domains (API.md "Tenant administration")."""

from typing import Literal

from chalicelib.api.schemas.common import DomainName, RequestModel, ResponseModel


class SenderDomainCreate(RequestModel):
    domain: DomainName


class DnsRecordOut(ResponseModel):
    type: str
    name: str
    value: str


class SenderDomainOut(ResponseModel):
    domain: str
    status: Literal["pending", "verified", "failed"]
    dns_records: list[DnsRecordOut]
    created_at: str


class SenderDomainList(ResponseModel):
    items: list[SenderDomainOut]
    next_cursor: str | None
