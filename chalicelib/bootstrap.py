"""The one place that builds clients and services and wires them together.

Nothing here runs at import time: `get_services()` builds everything on the first request of a
Lambda container (or test), so importing app.py opens no connection.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from chalicelib.auth.passwords import Passwords
from chalicelib.auth.tokens import TokenSigner
from chalicelib.config import Settings, get_settings
from chalicelib.services.admin import UserAdmin
from chalicelib.services.auth import AuthService
from chalicelib.storage import table


@dataclass
class Services:
    settings: Settings
    passwords: Passwords
    signer: TokenSigner
    auth: AuthService
    user_admin: UserAdmin


_lock = threading.Lock()
_services: Services | None = None


def configure_storage(settings: Settings) -> None:
    table.configure(settings.table_name, settings.region, settings.dynamodb_endpoint)


def _signing_key(settings: Settings) -> str:
    if settings.signing_key:
        return settings.signing_key
    if settings.signing_key_parameter:
        return _read_ssm_parameter(settings.signing_key_parameter, settings.region)
    raise RuntimeError(
        "No token signing key: set ORDERGATE_SIGNING_KEY (local) or ORDERGATE_SIGNING_KEY_PARAMETER (AWS)."
    )


def _read_ssm_parameter(name: str, region: str) -> str:
    import boto3  # imported here: only cold starts on AWS need it

    client: Any = boto3.client("ssm", region_name=region)
    value: str = client.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    return value


def build(settings: Settings) -> Services:
    configure_storage(settings)
    passwords = Passwords(settings.password_hash_profile)
    signer = TokenSigner(_signing_key(settings), settings.access_token_ttl)
    return Services(
        settings=settings,
        passwords=passwords,
        signer=signer,
        auth=AuthService(passwords, signer, settings.refresh_token_ttl),
        user_admin=UserAdmin(passwords),
    )


def get_services() -> Services:
    global _services
    if _services is None:
        with _lock:
            if _services is None:
                _services = build(get_settings())
    return _services


def reset() -> None:
    """Forget built services and settings (tests switch environments between suites)."""
    global _services
    with _lock:
        _services = None
    get_settings.cache_clear()
