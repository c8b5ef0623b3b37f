"""The people and settings the notification rules look up, read once per stream batch.

One record can call for several events (an approval is also a submission) and each asks for
overlapping people; a batch of up to 100 records is usually about one tenant and a few customers.
The cache keeps that to one read per thing per batch (the stream handler makes one Directory per batch
and hands it to each record): a batch lasts seconds, too short for a copy to go stale in a way that
matters.
"""

from __future__ import annotations

from chalicelib.domain.model import Customer, Delegation, TenantSettings, User
from chalicelib.domain.permissions import Permission
from chalicelib.storage import approvers, customers, delegations, tenants, users


class Directory:
    def __init__(self) -> None:
        self._settings: dict[str, TenantSettings | None] = {}
        self._users: dict[tuple[str, str], User | None] = {}
        self._customers: dict[tuple[str, str], Customer | None] = {}
        self._holders: dict[tuple[str, tuple[str, ...], Permission], list[User]] = {}
        self._delegations: dict[tuple[str, str], Delegation | None] = {}

    def settings(self, tenant: str) -> TenantSettings | None:
        if tenant not in self._settings:
            self._settings[tenant] = tenants.get_settings(tenant)
        return self._settings[tenant]

    def user(self, tenant: str, user_id: str | None) -> User | None:
        if not user_id:
            return None
        if (tenant, user_id) not in self._users:
            self._users[(tenant, user_id)] = users.find(tenant, user_id)
        return self._users[(tenant, user_id)]

    def customer(self, tenant: str, customer_id: str) -> Customer | None:
        if (tenant, customer_id) not in self._customers:
            found = customers.get_many(tenant, [customer_id])
            self._customers[(tenant, customer_id)] = found[0] if found else None
        return self._customers[(tenant, customer_id)]

    def customer_numbers(self, tenant: str, customer_ids: tuple[str, ...]) -> list[str]:
        unseen = [c for c in dict.fromkeys(customer_ids) if (tenant, c) not in self._customers]
        if unseen:  # one BatchGet for those not read yet in this batch
            found = {c.id: c for c in customers.get_many(tenant, unseen)}
            self._customers.update({(tenant, c): found.get(c) for c in unseen})
        known = (self._customers[(tenant, c)] for c in customer_ids)
        return [c.number for c in known if c is not None]

    def delegations(self, tenant: str, user_ids: list[str]) -> dict[str, Delegation]:
        """The delegations of these approvers (one BatchGet for those not read yet in this batch)."""
        unseen = [u for u in dict.fromkeys(user_ids) if (tenant, u) not in self._delegations]
        if unseen:
            found = delegations.get_many(tenant, unseen)
            self._delegations.update({(tenant, u): found.get(u) for u in unseen})
        known = {u: self._delegations[(tenant, u)] for u in user_ids}
        return {u: d for u, d in known.items() if d is not None}

    def users_with(self, tenant: str, customer_ids: tuple[str, ...], permission: Permission) -> list[User]:
        """Active users of these customers holding `permission`."""
        key = (tenant, customer_ids, permission)
        if key not in self._holders:
            self._holders[key] = approvers.users_with(tenant, list(customer_ids), permission)
        return self._holders[key]
