"""Creating a tenant: the operator's command (cli.py) and the local stack's demo seed call this."""

from __future__ import annotations

import re

from chalicelib.auth.passwords import MIN_PASSWORD_LENGTH, Passwords
from chalicelib.domain.errors import invalid_field
from chalicelib.domain.ids import new_id
from chalicelib.domain.model import SecurityGroup, TenantSettings, User
from chalicelib.domain.permissions import BUILTIN_GROUPS, UserKind
from chalicelib.storage import tenants

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")


def create_tenant(
    passwords: Passwords,
    *,
    slug: str,
    name: str,
    admin_username: str,
    admin_password: str,
    admin_email: str,
    admin_name: str = "Administrator",
    **settings: str,
) -> User:
    """The tenant's settings, its built-in security groups and its first administrator, atomically."""
    if not SLUG.match(slug):
        raise invalid_field("slug", "Use 1-40 lowercase letters, digits and dashes.")
    if len(admin_password) < MIN_PASSWORD_LENGTH:
        raise invalid_field("password", f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    groups = [SecurityGroup(g.id, g.name, g.kind, sorted(g.permissions), builtin=True) for g in BUILTIN_GROUPS]
    admin = User(
        id=new_id(),
        kind=UserKind.STAFF,
        username=admin_username,
        name=admin_name,
        email=admin_email,
        security_group_ids=["administrators"],
        password_hash=passwords.hash(admin_password),
    )
    tenant_settings = TenantSettings(slug=slug, name=name, **settings)  # type: ignore[arg-type]
    tenants.create_tenant(tenant_settings, groups, admin)
    return admin
