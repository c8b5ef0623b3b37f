"""Password reset and invitations by e-mail (API.md "Authentication and the caller").

`POST /auth/password-reset` answers 202 whatever the identity: a known, active user gets a reset request
counted (at most `PER_USER` an hour for a user and `PER_ADDRESS` for an e-mail address, both in one
conditional transaction), and the request's stream record becomes the e-mail, composed like every other
(notifications/events.py), which issues the link then: `{public_api_url}/password-reset/{token}`, 128
random bits after the tenant, only its hash stored, valid 1 hour. A user created without a password is
invited the same way (7 days) and cannot log in until they chose one (an empty hash verifies nothing).

The link's page only reads; its form (or JSON) sets the password, raises the user's `session_epoch` (every
session ends) and spends the link, in one transaction: a link works once even when two posts race.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.auth.passwords import MIN_PASSWORD_LENGTH, Passwords
from chalicelib.domain.clock import iso, utcnow
from chalicelib.domain.errors import GoneError, LinkSpentError, NotFoundError, invalid_field
from chalicelib.domain.model import User
from chalicelib.services.auth import login_guard, login_user
from chalicelib.services.tenants import SLUG
from chalicelib.storage import action_links, users
from chalicelib.storage.action_links import PasswordLink
from chalicelib.storage.refs import load as load_refs

TOKEN_BYTES = 16  # 128 bits
HOURS = {"reset": 1, "invitation": 7 * 24}
PER_USER = 3  # reset e-mails a user may be sent in one hour
PER_ADDRESS = 5  # ... and one address (several users may share it)
MAX_PASSWORD = 256


@dataclass(frozen=True)
class PasswordView:
    state: str  # open | used | expired
    link: PasswordLink


def tenant_of(token: str) -> str | None:
    tenant, sep, secret = token.partition("_")
    return tenant if sep and SLUG.fullmatch(tenant) and len(secret) >= 22 else None


class PasswordLinks:
    def __init__(self, passwords: Passwords, clock: Callable[[], datetime] = utcnow) -> None:
        self._passwords = passwords
        self._clock = clock

    # --- asking -----------------------------------------------------------------------------------------
    def request_reset(self, tenant: str, username: str, customer_number: str | None) -> None:
        """Nothing tells the caller whether the identity exists: the same answer, and nothing raised."""
        user = self._find(tenant, username, customer_number) if SLUG.fullmatch(tenant) else None
        if user is None or not user.active or not user.email:
            return
        hour = int(self._clock().timestamp()) // 3600
        action_links.request_reset(tenant, user, hour, PER_USER, PER_ADDRESS)

    @staticmethod
    def _find(tenant: str, username: str, customer_number: str | None) -> User | None:
        """The user a login with these names reaches (services/auth.py), from the login guards."""
        refs = load_refs(tenant, guards=[login_guard(tenant, username, customer_number)])
        return login_user(tenant, username, customer_number, refs)

    # --- links, from the e-mails --------------------------------------------------------------------------
    def issue(self, tenant: str, user_id: str, username: str, purpose: str, locale: str | None) -> str:
        token = f"{tenant}_{secrets.token_urlsafe(TOKEN_BYTES)}"
        now = self._clock()
        until = now + timedelta(hours=HOURS[purpose])
        link = PasswordLink(
            tenant=tenant,
            token_hash=action_links.token_hash(token),
            purpose=purpose,
            user_id=user_id,
            username=username,
            locale=locale,
            created_at=iso(now),
            valid_until=iso(until),
        )
        action_links.put(link, until + timedelta(days=1))  # its page explains itself a day longer
        return token

    # --- the page ---------------------------------------------------------------------------------------
    def view(self, token: str) -> PasswordView:
        tenant = tenant_of(token)
        link = action_links.get_password_link(tenant, action_links.token_hash(token)) if tenant else None
        if link is None:
            raise NotFoundError("link")
        if link.used_at:
            return PasswordView("used", link)
        if iso(self._clock()) >= link.valid_until:
            return PasswordView("expired", link)
        return PasswordView("open", link)

    def set_password(self, token: str, password: str) -> PasswordView:
        """Three round trips: the link, the user, the transaction (password, session epoch, link spent)."""
        if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD:
            raise invalid_field("password", f"Use {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD} characters.")
        view = self.view(token)
        refuse(view)
        link = view.link
        user = users.get(link.tenant, link.user_id)
        at = iso(self._clock())
        changed = dataclasses.replace(
            user, password_hash=self._passwords.hash(password), session_epoch=user.session_epoch + 1
        )
        try:
            users.update(link.tenant, user, changed, link=(link.token_hash, at))
        except LinkSpentError:
            refuse(self.view(token))  # used meanwhile, or it ran out: say which
            raise
        return PasswordView("used", dataclasses.replace(link, used_at=at))


def refuse(view: PasswordView) -> None:
    """API.md: a used link answers 410 `link_used`, an expired one 410 `link_expired`."""
    if view.state == "used":
        raise GoneError("This link has been used already; ask for a new one if you need it.", code="link_used")
    if view.state == "expired":
        raise GoneError("This link has expired; ask for a new one.", code="link_expired")
