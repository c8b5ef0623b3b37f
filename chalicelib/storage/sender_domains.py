"""The domains a tenant sends e-mail from (API.md "Tenant administration": /sender-domains).

Each is an item in the tenant's partition and, for the whole platform, an owner item naming the
tenant: SES identities belong to the AWS account, so a domain proved by one tenant must never let
another send as it (issue 23: one tenant sent invitations from another's domain).
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import TransactWriteError

from chalicelib.domain.errors import DuplicateError, NotFoundError, VersionMismatchError
from chalicelib.storage import keys
from chalicelib.storage.items import SenderDomainItem, TenantItem, UniqueItem
from chalicelib.storage.paging import Page, prefix_page
from chalicelib.storage.table import cancellation_codes, get_item, transaction


@dataclass(frozen=True)
class SenderDomain:
    domain: str
    created_at: str
    created_by: str


def _domain(item: SenderDomainItem) -> SenderDomain:
    return SenderDomain(item.domain, item.created_at, item.created_by)


def add(tenant: str, domain: SenderDomain) -> None:
    """The tenant's item and the domain's owner, both new, in one transaction (else 409 duplicate)."""
    item = SenderDomainItem(
        *keys.sender_domain(tenant, domain.domain),
        domain=domain.domain,
        created_at=domain.created_at,
        created_by=domain.created_by,
    )
    try:
        with transaction() as tx:
            tx.save(item)  # new items: PynamoDB makes both puts conditional on not existing
            tx.save(UniqueItem(*keys.sender_domain_owner(domain.domain), owner_id=tenant))
    except TransactWriteError as exc:
        if "ConditionalCheckFailed" in cancellation_codes(exc):
            raise DuplicateError(f"The domain {domain.domain} is already a sender domain.") from exc
        raise


def get(tenant: str, domain: str) -> SenderDomain:
    return _domain(get_item(SenderDomainItem, keys.sender_domain(tenant, domain), "sender domain"))


def list_page(tenant: str, limit: int, cursor: str | None) -> Page[SenderDomain]:
    return prefix_page(SenderDomainItem, keys.tenant_pk(tenant), keys.SENDER_DOMAIN, limit, cursor, _domain)


def remove(tenant: str, domain: str, sender_email: str | None) -> None:
    """Deletes the domain (404 when the tenant has none by that name) and its owner item; when the tenant's
    `sender_email` is at it, clears that in the same transaction (its e-mails go from the platform's
    sender again), conditional on it being unchanged."""
    item = SenderDomainItem(*keys.sender_domain(tenant, domain))
    try:
        with transaction() as tx:
            tx.delete(item, condition=SenderDomainItem.pk.exists(), add_version_condition=False)
            owner = UniqueItem(*keys.sender_domain_owner(domain))
            tx.delete(owner, condition=UniqueItem.owner_id == tenant, add_version_condition=False)
            if sender_email is not None:
                settings = TenantItem(*keys.tenant_settings(tenant))
                tx.update(
                    settings,
                    actions=[TenantItem.sender_email.remove()],
                    condition=TenantItem.sender_email == sender_email,
                    add_version_condition=False,
                )
    except TransactWriteError as exc:
        codes = cancellation_codes(exc)
        # PynamoDB sends the deletes before the update: a changed sender_email is the third reason.
        if len(codes) > 2 and codes[2] == "ConditionalCheckFailed" and "ConditionalCheckFailed" not in codes[:2]:
            raise VersionMismatchError() from exc
        if "ConditionalCheckFailed" in codes:
            raise NotFoundError("sender domain") from exc
        raise
