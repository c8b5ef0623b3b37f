"""The caller, as the access token describes it, and the scope every service call takes.

The tenant, user, kind, permissions, customers and sites come from the token only; nothing in a
request body, path or query can widen them.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.errors import ForbiddenError, NotFoundError
from chalicelib.domain.permissions import Permission, UserKind


@dataclass(frozen=True)
class Principal:
    tenant: str
    user_id: str
    kind: UserKind
    permissions: frozenset[str]
    customer_ids: tuple[str, ...] = ()
    site_ids: tuple[str, ...] = ()  # empty: every site
    session_id: str = ""  # the login (refresh-token family) this token belongs to
    # The display name, for what the caller's actions record (history entries): "" in older tokens.
    name: str = ""
    # A delegate deciding for an approver, through their e-mail link or the API's `on_behalf_of`: the
    # approver they stand in for (their permissions and customers are this principal's); "" otherwise.
    # Built server side only, once the approver's delegation is read (services/delegations.py `stand_in`).
    on_behalf_of: str = ""
    # Read from storage in this request (services/callers.py), not only taken from a token: what a write
    # may be decided on. Never set from a token.
    current: bool = False
    # What an order write checks in its own transaction instead of reading it (services/callers.py
    # `standing_of`): the user's session epoch, and their security groups with each group's version (0: the
    # group does not exist), as they were when the token was issued.
    session_epoch: int = 0
    group_ids: tuple[str, ...] = ()
    group_versions: tuple[int, ...] = ()

    @property
    def is_staff(self) -> bool:
        return self.kind == UserKind.STAFF

    @property
    def is_customer(self) -> bool:
        return self.kind == UserKind.CUSTOMER

    def has(self, permission: Permission) -> bool:
        return permission.value in self.permissions

    def require(self, *permissions: Permission) -> None:
        """403 unless the caller holds at least one of `permissions`."""
        if not any(self.has(p) for p in permissions):
            raise ForbiddenError("You do not have permission to do this.")

    def require_staff(self, *permissions: Permission) -> None:
        if not self.is_staff:
            raise ForbiddenError("Only supplier staff may do this.")
        if permissions:
            self.require(*permissions)

    def sees_customer(self, customer_id: str) -> bool:
        """Staff see every customer of their tenant; customer users only their authorized ones."""
        return self.is_staff or customer_id in self.customer_ids

    def check_customer_visible(self, customer_id: str) -> None:
        if not self.sees_customer(customer_id):
            raise NotFoundError("customer")

    def may_use_site(self, site_id: str) -> bool:
        return self.is_staff or not self.site_ids or site_id in self.site_ids
