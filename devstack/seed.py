"""The demo tenant the README promises, and the SES identity its e-mails are sent from."""

from __future__ import annotations

import logging
from typing import Any

from chalicelib.auth.passwords import Passwords
from chalicelib.domain.errors import DuplicateError
from chalicelib.services.tenants import create_tenant

log = logging.getLogger(__name__)

DEMO_TENANT = "demo"
DEMO_ADMIN = "admin"
DEMO_PASSWORD = "demo-admin-pw"
DEMO_SENDER = "orders@demo.example.com"
DEMO_DOMAIN = DEMO_SENDER.rpartition("@")[2]


def verify_sender_domain(ses: Any, domain: str = DEMO_DOMAIN) -> None:
    """moto's SES refuses mail from unverified identities (MessageRejected); verifying is instant there."""
    ses.verify_domain_identity(Domain=domain)


def seed_demo(passwords: Passwords, portal_url: str) -> bool:
    """Create tenant `demo` with its administrator; False if it already exists (nothing changed)."""
    try:
        create_tenant(
            passwords,
            slug=DEMO_TENANT,
            name="Demo Supplies Ltd",
            admin_username=DEMO_ADMIN,
            admin_password=DEMO_PASSWORD,
            admin_email=f"{DEMO_ADMIN}@{DEMO_DOMAIN}",
            sender_email=DEMO_SENDER,
            portal_url=portal_url,
            order_desk_email=f"order-desk@{DEMO_DOMAIN}",
        )
    except DuplicateError:
        log.info("tenant %r exists already; left as it is", DEMO_TENANT)
        return False
    return True
