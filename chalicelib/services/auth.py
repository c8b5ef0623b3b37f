"""Logging in, refreshing, logging out, and the caller's own account."""

from __future__ import annotations

import dataclasses
import hashlib
import json
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
from chalicelib.services.callers import principal_of
from chalicelib.services.tenants import SLUG
from chalicelib.storage import keys, sessions, users
from chalicelib.storage.refs import Refs
from chalicelib.storage.refs import load as load_refs

MAX_FAILURES = 5
FAILURE_WINDOW_SECONDS = 15 * 60


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    expires_in: int
    refresh_token: str


def login_guard(tenant: str, username: str, customer_number: str | None) -> tuple[str, str]:
    """The guard a login reads first: the staff login name's (it holds the user's login fields), or the
    customer number's (it points to the customer)."""
    if customer_number is None:
        return keys.staff_login(tenant, username)
    return keys.customer_number_guard(tenant, customer_number)


def login_user(tenant: str, username: str, customer_number: str | None, refs: Refs) -> User | None:
    """The user a login with these names reaches, from `refs` holding its `login_guard` (a customer user's:
    a second BatchGet, of the customer and the login name's guard)."""
    if customer_number is None:
        staff_guard = keys.staff_login(tenant, username)
        user_id = refs.owners.get(staff_guard)
        if not user_id:
            return None
        return users.from_login_guard(refs.items.get(staff_guard))
    customer_id = refs.owners.get(keys.customer_number_guard(tenant, customer_number))
    if not customer_id:
        return None
    # The login name's guard and the customer, together; then the user the guard points to.
    login = keys.customer_login(tenant, customer_id, username)
    found = load_refs(tenant, customers=[customer_id], guards=[login])
    customer = found.customers.get(customer_id)
    user_id = found.owners.get(login)
    # A customer the supplier deactivated no longer logs in, whatever its users' status.
    if customer is None or customer.status != "active" or customer.number.lower() != customer_number.lower():
        return None
    if not user_id:
        return None
    user = users.from_login_guard(found.items.get(login))
    return user if user is not None and customer_id in user.customer_ids else None


class AuthService:
    def __init__(self, passwords: Passwords, signer: TokenSigner, refresh_ttl: int) -> None:
        self._passwords = passwords
        self._signer = signer
        self._refresh_ttl = refresh_ttl

    # --- login ----------------------------------------------------------------------------------
    def login(self, tenant: str, username: str, password: str, customer_number: str | None) -> TokenPair:
        # One BatchGet: the tenant, the security group index (the token's permissions) and the guard of
        # the login name (staff: it holds the user's login fields) or of the customer number (customer
        # users: it points to the customer, read with the login name's guard in a second BatchGet). Then
        # the attempt's claim, and on success the session's write: 3 round trips for staff, 4 for
        # customer users.
        index_key = keys.security_group_index(tenant)
        guard = login_guard(tenant, username, customer_number)
        refs = load_refs(tenant, settings=True, guards=[guard], extra=[index_key])
        user = login_user(tenant, username, customer_number, refs) if refs.settings is not None else None
        # Attempts are counted per user, whichever of their customers' numbers or spelling reached them
        # (a user of N customers would otherwise have 5 x N guesses), and claimed before the password is
        # checked, so concurrent attempts cannot all read a count below the limit.
        attempts_key = self._attempts_key(customer_number, username, user)
        retry_after = sessions.claim_attempt(tenant, attempts_key, FAILURE_WINDOW_SECONDS, MAX_FAILURES)
        if retry_after:
            raise TooManyAttemptsError(retry_after)
        # Always verify a hash (a dummy one when there is no user) so every failure costs the same.
        password_ok = self._passwords.verify(user.password_hash if user else None, password)
        if user is None or not password_ok or not user.active:
            raise InvalidCredentialsError()
        return self._start_session(tenant, user, refs, clear_failures_of=attempts_key)

    @classmethod
    def _attempts_key(cls, customer_number: str | None, username: str, user: User | None) -> str:
        """A login that reaches a user counts on the user; one that reaches nobody on what it names."""
        return f"user#{user.id}" if user is not None else cls._login_key(customer_number, username)

    @staticmethod
    def _login_key(customer_number: str | None, username: str) -> str:
        """The identity failures are counted on: the one a login reaches, existing or not (so a 429
        reveals nothing either). Customer numbers and usernames match whatever their case (the guards'
        keys are lower case), so they are counted lower case too: `C-100` and `c-100` are one login,
        and six wrong passwords spread over spellings still reach the limit. The tenant is the key's
        partition and is matched exactly. JSON keeps staff and customer logins, and the two parts,
        apart whatever characters they hold."""
        identity = ["staff"] if customer_number is None else ["customer", customer_number.lower()]
        return hashlib.sha256(json.dumps([*identity, username.lower()]).encode()).hexdigest()

    def _start_session(self, tenant: str, user: User, found: Refs, clear_failures_of: str | None = None) -> TokenPair:
        """A new login of `user`, whose token's permissions come from the group index in `found`."""
        family_id = new_id()
        refresh = f"{tenant}.{new_refresh_token()}"
        sessions.start_family(
            tenant,
            user.id,
            family_id,
            hash_refresh_token(refresh),
            self._refresh_ttl,
            user.session_epoch,
            clear_failures_of,
        )
        access = self._signer.issue(principal_of(tenant, user, family_id, found))
        return TokenPair(access, self._signer.access_ttl, refresh)

    # --- refresh and logout -----------------------------------------------------------------------
    def refresh(self, refresh_token: str) -> TokenPair:
        tenant, _, _ = refresh_token.partition(".")
        token_hash = hash_refresh_token(refresh_token)
        # Only a tenant slug is looked up: anything else (an access token, a long string) names no key.
        stored = sessions.find_token(tenant, token_hash) if SLUG.fullmatch(tenant) else None
        if stored is None or stored.expired:
            raise UnauthenticatedError("The refresh token is not valid.")
        if stored.used:
            # A rotated token came back: someone holds a copy. End the whole session.
            sessions.revoke_family(tenant, stored.family_id)
            raise UnauthenticatedError("The refresh token is not valid.")
        # Whether the session was revoked, or ended with all the user's others (a new password, a
        # deactivation: the user's `session_epoch` moved past the family's), is checked by the rotation
        # below (a ConditionCheck on the family in the same transaction): no read of its own.
        # The user and the group index (the new token's permissions) in one BatchGet.
        index_key = keys.security_group_index(tenant)
        found = load_refs(tenant, users=[stored.user_id], extra=[index_key])
        user = found.users.get(stored.user_id)
        if user is None or not user.active:
            raise UnauthenticatedError("The refresh token is not valid.")
        new_refresh = f"{tenant}.{new_refresh_token()}"
        rotated = sessions.rotate(
            tenant,
            token_hash,
            hash_refresh_token(new_refresh),
            user.id,
            stored.family_id,
            self._refresh_ttl,
            user.session_epoch,
        )
        if not rotated:
            sessions.revoke_family(tenant, stored.family_id)
            raise UnauthenticatedError("The refresh token is not valid.")
        access = self._signer.issue(principal_of(tenant, user, stored.family_id, found))
        return TokenPair(access, self._signer.access_ttl, new_refresh)

    def logout(self, principal: Principal, refresh_token: str | None) -> None:
        """Ends the caller's session: every refresh token issued since that login stops working."""
        families = [principal.session_id] if principal.session_id else []
        if refresh_token:
            stored = sessions.find_token(principal.tenant, hash_refresh_token(refresh_token))
            if stored is not None and stored.user_id == principal.user_id:
                families.append(stored.family_id)
        for family_id in dict.fromkeys(families):  # usually one: the token belongs to this session
            sessions.revoke_family(principal.tenant, family_id)

    # --- the caller's own account -----------------------------------------------------------------
    def me(self, principal: Principal) -> User:
        return users.get(principal.tenant, principal.user_id)

    def change_password(self, principal: Principal, current: str, new: str) -> None:
        user = users.get(principal.tenant, principal.user_id)
        if not self._passwords.verify(user.password_hash, current):
            raise invalid_field("current_password", "The current password is not correct.")
        if current == new:
            raise invalid_field("new_password", "The new password must differ from the current one.")
        # Every other session ends (their refresh tokens stop working; access tokens already issued
        # live out their 15 minutes): the caller's own goes on, its epoch raised in the same write.
        updated = dataclasses.replace(
            user, password_hash=self._passwords.hash(new), session_epoch=user.session_epoch + 1
        )
        users.update(principal.tenant, user, updated, keep_session=principal.session_id or None)
