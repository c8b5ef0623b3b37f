"""The demo tenant the README promises, and the SES identity its e-mails are sent from."""

from __future__ import annotations

import logging
from typing import Any

from chalicelib.auth.passwords import Passwords
from chalicelib.domain.clock import now_iso
from chalicelib.domain.errors import DuplicateError
from chalicelib.services.sender_identities import SenderIdentities
from chalicelib.services.tenants import create_tenant
from chalicelib.storage import sender_domains
from devstack.ses_identities import publish_dkim_records

log = logging.getLogger(__name__)

DEMO_TENANT = "demo"
DEMO_ADMIN = "admin"
DEMO_PASSWORD = "demo-admin-pw"
DEMO_SENDER = "orders@demo.example.com"
DEMO_DOMAIN = DEMO_SENDER.rpartition("@")[2]


def verify_sender_domain(ses: Any, domain: str) -> None:
    """moto's SES refuses mail from unverified identities (MessageRejected); verifying is instant there.
    The platform's sender's domain: on AWS the deployment's SES identity (infra/)."""
    ses.verify_domain_identity(Domain=domain)


def prove_demo_domain(identities: SenderIdentities, admin_id: str, region: str) -> None:
    """The demo tenant's sender domain, as a tenant administrator adds it and SES verifies it once its DKIM
    records are published: the demo's e-mails come from orders@demo.example.com."""
    sender_domains.add(DEMO_TENANT, sender_domains.SenderDomain(DEMO_DOMAIN, now_iso(), admin_id))
    identities.start(DEMO_DOMAIN)
    publish_dkim_records(DEMO_DOMAIN, region)


def seed_demo(passwords: Passwords, identities: SenderIdentities, region: str, portal_url: str | None = None) -> bool:
    """Create tenant `demo` with its administrator and its proved sender domain; False if it already
    exists (nothing changed)."""
    try:
        admin = create_tenant(
            passwords,
            slug=DEMO_TENANT,
            name="Demo Supplies Ltd",
            admin_username=DEMO_ADMIN,
            admin_password=DEMO_PASSWORD,
            admin_email=f"{DEMO_ADMIN}@{DEMO_DOMAIN}",
            sender_email=DEMO_SENDER,
            **({"portal_url": portal_url} if portal_url else {}),
            order_desk_email=f"order-desk@{DEMO_DOMAIN}",
        )
    except DuplicateError:
        log.info("tenant %r exists already; left as it is", DEMO_TENANT)
        return False
    prove_demo_domain(identities, admin.id, region)
    return True
