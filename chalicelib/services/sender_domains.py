"""Sender domains: a tenant proves a domain in SES before its e-mails may come from it (issue 23).

Storage says which tenant a domain belongs to (one tenant per domain, platform-wide); SES says whether
it is proved. The status is SES's, asked whenever it is shown or relied on, so it is never stale.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.auth.principal import Principal
from chalicelib.domain.clock import now_iso
from chalicelib.domain.errors import ConflictError, DuplicateError, NotFoundError, VersionMismatchError, invalid_field
from chalicelib.domain.permissions import Permission
from chalicelib.services.sender_identities import DnsRecord, Identity, IdentityExistsError, SenderIdentities, Status
from chalicelib.services.updates import ATTEMPTS
from chalicelib.storage import sender_domains, tenants
from chalicelib.storage.paging import Page


@dataclass(frozen=True)
class SenderDomainView:
    domain: str
    status: Status
    dns_records: tuple[DnsRecord, ...]
    created_at: str


class SenderDomains:
    def __init__(self, identities: SenderIdentities) -> None:
        self._identities = identities

    def add(self, principal: Principal, domain: str) -> SenderDomainView:
        principal.require_staff(Permission.TENANT_ADMIN)
        claimed = sender_domains.SenderDomain(domain, now_iso(), principal.user_id)
        # The domain is claimed for the tenant first, so two tenants racing for it never both reach SES.
        sender_domains.add(principal.tenant, claimed)
        try:
            identity = self._identities.start(domain)
        except IdentityExistsError:
            # An identity made outside OrderGate (the platform's own, another application's): not ours.
            sender_domains.remove(principal.tenant, domain, None)
            raise DuplicateError(f"The domain {domain} is already a sender domain.") from None
        except Exception:
            sender_domains.remove(principal.tenant, domain, None)
            raise
        return _view(claimed, identity)

    def get(self, principal: Principal, domain: str) -> SenderDomainView:
        principal.require_staff(Permission.TENANT_ADMIN)
        stored = sender_domains.get(principal.tenant, domain)
        return _view(stored, self._identities.find(domain))

    def list(self, principal: Principal, limit: int, cursor: str | None) -> Page[SenderDomainView]:
        principal.require_staff(Permission.TENANT_ADMIN)
        page = sender_domains.list_page(principal.tenant, limit, cursor)
        return page.map(lambda d: _view(d, self._identities.find(d.domain)))

    def delete(self, principal: Principal, domain: str) -> None:
        """SES stops sending for it, then the tenant's items go (its sender_email too, when at the domain:
        its e-mails go from the platform's sender again)."""
        principal.require_staff(Permission.TENANT_ADMIN)
        sender_domains.get(principal.tenant, domain)  # 404 before SES is touched
        self._identities.remove(domain)
        for _ in range(ATTEMPTS):
            settings = tenants.get_settings(principal.tenant)
            current = settings.sender_email if settings is not None else None
            try:
                sender_domains.remove(principal.tenant, domain, current if _at(current, domain) else None)
                return
            except VersionMismatchError:
                continue  # the sender_email changed meanwhile: read it again
        raise ConflictError("The settings are being changed by others right now; try again.")

    def require_verified(self, tenant: str, email: str) -> None:
        """422 unless `email` is at a domain this tenant proved (API.md: sender_email)."""
        domain = email.rpartition("@")[2].lower()
        refused = invalid_field("sender_email", "Use an address at one of your verified sender domains.")
        try:
            sender_domains.get(tenant, domain)
        except NotFoundError:
            raise refused from None
        identity = self._identities.find(domain)
        if identity is None or identity.status != "verified":
            raise refused


def _at(email: str | None, domain: str) -> bool:
    return email is not None and email.rpartition("@")[2].lower() == domain


def _view(stored: sender_domains.SenderDomain, identity: Identity | None) -> SenderDomainView:
    if identity is None:  # SES no longer knows it (removed outside OrderGate): it cannot send
        return SenderDomainView(stored.domain, "failed", (), stored.created_at)
    return SenderDomainView(stored.domain, identity.status, identity.dns_records, stored.created_at)
