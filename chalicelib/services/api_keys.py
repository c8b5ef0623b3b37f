"""API keys: how a machine client (the supplier's ERP) acts as staff of one tenant with chosen
permissions (API.md "Machine clients").

A key reads `ogk_{tenant}_{key id}_{secret}`: the tenant and id say which item to read (one GetItem
per request), the secret is compared by its SHA-256 in constant time. Deleting the item ends the key
at once: nothing about a key is cached or signed into a token. Kept apart from services/auth.py
(logins and sessions) on purpose: the two share nothing but the Principal they produce.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from chalicelib.auth.principal import Principal
from chalicelib.domain.clock import iso, utcnow
from chalicelib.domain.errors import UnauthenticatedError, invalid_field
from chalicelib.domain.ids import new_id
from chalicelib.domain.permissions import PERMISSION_KIND, Permission, UserKind
from chalicelib.storage import api_keys
from chalicelib.storage.api_keys import ApiKey
from chalicelib.storage.paging import Page

SCHEME = "ogk"
# Lowercase slug, ULID, urlsafe secret: the first two never contain "_", so splitting is unambiguous.
_KEY = re.compile(r"ogk_([a-z0-9-]{1,40})_([0-9A-Z]{26})_([A-Za-z0-9_\-]{43})")
TOUCH_EVERY = timedelta(minutes=1)
# What a key may hold: staff permissions, except administering the tenant (keys, users, webhooks).
GRANTABLE = frozenset(p.value for p, kind in PERMISSION_KIND.items() if kind == UserKind.STAFF) - {
    Permission.TENANT_ADMIN.value
}


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create(p: Principal, name: str, permissions: list[str]) -> tuple[ApiKey, str]:
    """A new key and, this once, the key itself."""
    p.require_staff(Permission.TENANT_ADMIN)
    refused = [perm for perm in permissions if perm not in GRANTABLE]
    if refused:
        raise invalid_field(
            "permissions",
            f"An API key may hold staff permissions other than tenant.admin; {refused[0]!r} is not one.",
        )
    key_id = new_id()
    key = f"{SCHEME}_{p.tenant}_{key_id}_{secrets.token_urlsafe(32)}"
    stored = ApiKey(
        id=key_id,
        name=name,
        permissions=tuple(sorted(set(permissions))),
        prefix=key[: len(f"{SCHEME}_{p.tenant}_{key_id}_") + 4],
        key_hash=_hash(key),
        created_at=iso(utcnow()),
        created_by=p.user_id,
        last_used_at=None,
    )
    api_keys.create(p.tenant, stored)
    return stored, key


def list_keys(p: Principal, limit: int, cursor: str | None) -> Page[ApiKey]:
    p.require_staff(Permission.TENANT_ADMIN)
    return api_keys.page(p.tenant, limit, cursor)


def get(p: Principal, key_id: str) -> ApiKey:
    p.require_staff(Permission.TENANT_ADMIN)
    return api_keys.get(p.tenant, key_id)


def delete(p: Principal, key_id: str) -> None:
    p.require_staff(Permission.TENANT_ADMIN)
    api_keys.delete(p.tenant, key_id)


def authenticate(token: str) -> Principal:
    """The caller a key stands for: staff of its tenant with the key's permissions (one GetItem; a
    write at most once a minute to keep `last_used_at`)."""
    match = _KEY.fullmatch(token)
    if match is None:
        raise UnauthenticatedError("The API key is not valid.")
    tenant, key_id = match.group(1), match.group(2)
    stored = api_keys.find(tenant, key_id)
    if stored is None or not hmac.compare_digest(stored.key_hash, _hash(token)):
        raise UnauthenticatedError("The API key is not valid.")
    now = utcnow()
    if stored.last_used_at is None or stored.last_used_at < iso(now - TOUCH_EVERY):
        api_keys.touch(tenant, key_id, iso(now), iso(now - TOUCH_EVERY))
    return Principal(
        tenant=tenant,
        user_id=key_id,
        kind=UserKind.STAFF,
        permissions=frozenset(stored.permissions) & GRANTABLE,
        name=stored.name,
        current=True,  # the key as read in this request, with its own permissions: services/callers.py
    )
