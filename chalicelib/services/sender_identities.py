"""Sender identities in SES: a tenant proves a domain (Easy DKIM) before its e-mails may come from it.

The port (`SenderIdentities`) is what the sender-domain service needs of SES; `SesSenderIdentities`
is it over a boto3 "sesv2" client (injected by bootstrap or tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

Status = Literal["pending", "verified", "failed"]

# What SES's DKIM status means to a tenant: verified once SES found the records and may send for it;
# failed when SES gave up looking (the records must be published again, or the domain added again).
_DKIM_STATUS: dict[str, Status] = {"SUCCESS": "verified", "FAILED": "failed"}


@dataclass(frozen=True)
class DnsRecord:
    type: str
    name: str
    value: str


@dataclass(frozen=True)
class Identity:
    domain: str
    status: Status
    dns_records: tuple[DnsRecord, ...]


class IdentityExistsError(Exception):
    """SES holds an identity for this domain already (made outside OrderGate, e.g. the platform's own)."""


class SenderIdentities(Protocol):
    def start(self, domain: str) -> Identity: ...

    def find(self, domain: str) -> Identity | None: ...

    def remove(self, domain: str) -> None: ...


def dkim_records(domain: str, tokens: list[str]) -> tuple[DnsRecord, ...]:
    """The CNAMEs Easy DKIM asks for: one per token SES generated for the domain."""
    return tuple(DnsRecord("CNAME", f"{t}._domainkey.{domain}", f"{t}.dkim.amazonses.com") for t in tokens)


def identity_of(domain: str, answer: dict[str, Any]) -> Identity:
    """An Identity from CreateEmailIdentity's or GetEmailIdentity's answer."""
    dkim = answer.get("DkimAttributes") or {}
    status: Status = _DKIM_STATUS.get(str(dkim.get("Status", "")), "pending")
    if status == "verified" and not answer.get("VerifiedForSendingStatus", False):
        status = "pending"  # DKIM found, SES not yet sending for it (it follows within minutes)
    return Identity(domain, status, dkim_records(domain, list(dkim.get("Tokens") or [])))


class SesSenderIdentities:
    def __init__(self, client: Any) -> None:
        self._client = client  # boto3 "sesv2"

    def start(self, domain: str) -> Identity:
        from botocore.exceptions import ClientError

        try:
            return identity_of(domain, self._client.create_email_identity(EmailIdentity=domain))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "AlreadyExistsException":
                raise IdentityExistsError(domain) from exc
            raise

    def find(self, domain: str) -> Identity | None:
        from botocore.exceptions import ClientError

        try:
            return identity_of(domain, self._client.get_email_identity(EmailIdentity=domain))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "NotFoundException":
                return None
            raise

    def remove(self, domain: str) -> None:
        from botocore.exceptions import ClientError

        try:
            self._client.delete_email_identity(EmailIdentity=domain)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "NotFoundException":
                raise
