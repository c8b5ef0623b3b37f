"""Logging in, refreshing, logging out, and the caller's own account."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from chalicelib.auth.passwords import Passwords
from chalicelib.auth.principal import Principal
from chalicelib.auth.tokens import TokenSigner, hash_refresh_token, new_refresh_token
from chalicelib.domain.errors import (
    InvalidCredentialsError,
    TooManyAttemptsError,
    UnauthenticatedError,
    invalid_field,
)
from chalicelib.domain.ids import new_id
from chalicelib.domain.model import User
from chalicelib.domain.permissions import UserKind
from chalicelib.storage import customers, groups, sessions, tenants, users

MAX_FAILURES = 5
FAILURE_WINDOW_SECONDS = 15 * 60


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    expires_in: int
    refresh_token: str


class AuthService:
    def __init__(self, passwords: Passwords, signer: TokenSigner, refresh_ttl: int) -> None:
        self._passwords = passwords
        self._signer = signer
        self._refresh_ttl = refresh_ttl

    # --- login ----------------------------------------------------------------------------------
    def login(self, tenant: str, username: str, password: str, customer_number: str | None) -> TokenPair:
        # Failures are counted per login identity, existing or not, so a 429 reveals nothing either.
        login_key = hashlib.sha256(f"{customer_number or ''}\x00{username.lower()}".encode()).hexdigest()
        failures, retry_after = sessions.failures_in_window(tenant, login_key, FAILURE_WINDOW_SECONDS)
        if failures >= MAX_FAILURES:
            raise TooManyAttemptsError(retry_after)

        user = self._find_login(tenant, username, customer_number)
        # Always verify a hash (a dummy one when there is no user) so every failure costs the same.
        password_ok = self._passwords.verify(user.password_hash if user else None, password)
        if user is None or not password_ok or not user.active:
            sessions.record_failure(tenant, login_key, FAILURE_WINDOW_SECONDS)
            raise InvalidCredentialsError()
        if failures:
            sessions.clear_failures(tenant, login_key)
        return self._start_session(tenant, user)

    def _find_login(self, tenant: str, username: str, customer_number: str | None) -> User | None:
        if tenants.get_settings(tenant) is None:
            return None
        if customer_number is None:
            return users.find_staff_login(tenant, username)
        user = users.find_customer_login(tenant, customer_number, username)
        if user is None:
            return None
        # A customer the supplier deactivated no longer logs in, whatever its users' status.
        active_customers = [c for c in customers.get_many(tenant, user.customer_ids) if c.status == "active"]
        return user if any(c.number.lower() == customer_number.lower() for c in active_customers) else None

    def principal_for(self, tenant: str, user: User, session_id: str) -> Principal:
        held = groups.get_many(tenant, user.security_group_ids)
        perms = {p for g in held if g.kind == user.kind for p in g.permissions}
        is_customer = user.kind == UserKind.CUSTOMER
        return Principal(
            tenant=tenant,
            user_id=user.id,
            kind=user.kind,
            permissions=frozenset(perms),
            customer_ids=tuple(user.customer_ids) if is_customer else (),
            site_ids=tuple(user.site_ids) if is_customer else (),
            session_id=session_id,
        )

    def _start_session(self, tenant: str, user: User) -> TokenPair:
        family_id = new_id()
        refresh = f"{tenant}.{new_refresh_token()}"
        sessions.start_family(tenant, user.id, family_id, hash_refresh_token(refresh), self._refresh_ttl)
        access = self._signer.issue(self.principal_for(tenant, user, family_id))
        return TokenPair(access, self._signer.access_ttl, refresh)

    # --- refresh and logout -----------------------------------------------------------------------
    def refresh(self, refresh_token: str) -> TokenPair:
        tenant, _, _ = refresh_token.partition(".")
        token_hash = hash_refresh_token(refresh_token)
        stored = sessions.find_token(tenant, token_hash) if tenant else None
        if stored is None or stored.expired:
            raise UnauthenticatedError("The refresh token is not valid.")
        if stored.used:
            # A rotated token came back: someone holds a copy. End the whole session.
            sessions.revoke_family(tenant, stored.family_id)
            raise UnauthenticatedError("The refresh token is not valid.")
        if not sessions.family_active(tenant, stored.family_id):
            raise UnauthenticatedError("The refresh token is not valid.")
        user = users.find(tenant, stored.user_id)
        if user is None or not user.active:
            raise UnauthenticatedError("The refresh token is not valid.")
        new_refresh = f"{tenant}.{new_refresh_token()}"
        rotated = sessions.rotate(
            tenant, token_hash, hash_refresh_token(new_refresh), user.id, stored.family_id, self._refresh_ttl
        )
        if not rotated:
            sessions.revoke_family(tenant, stored.family_id)
            raise UnauthenticatedError("The refresh token is not valid.")
        access = self._signer.issue(self.principal_for(tenant, user, stored.family_id))
        return TokenPair(access, self._signer.access_ttl, new_refresh)

    def logout(self, principal: Principal, refresh_token: str | None) -> None:
        """Ends the caller's session: every refresh token issued since that login stops working."""
        if principal.session_id:
            sessions.revoke_family(principal.tenant, principal.session_id)
        if refresh_token:
            stored = sessions.find_token(principal.tenant, hash_refresh_token(refresh_token))
            if stored is not None and stored.user_id == principal.user_id:
                sessions.revoke_family(principal.tenant, stored.family_id)

    # --- the caller's own account -----------------------------------------------------------------
    def me(self, principal: Principal) -> User:
        return users.get(principal.tenant, principal.user_id)

    def change_password(self, principal: Principal, current: str, new: str) -> None:
        user = users.get(principal.tenant, principal.user_id)
        if not self._passwords.verify(user.password_hash, current):
            raise invalid_field("current_password", "The current password is not correct.")
        if current == new:
            raise invalid_field("new_password", "The new password must differ from the current one.")
        updated = User(**{**user.__dict__, "password_hash": self._passwords.hash(new)})
        users.update(principal.tenant, user, updated)
