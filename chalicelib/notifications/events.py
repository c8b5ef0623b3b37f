"""Which item changes call for which e-mails. Reads like the notification table of PRODUCT.md;
the Notifications capability extends it with the order events."""

from __future__ import annotations

from chalicelib.notifications import reads
from chalicelib.notifications.sender import OutgoingEmail
from chalicelib.notifications.welcome import welcome_email
from chalicelib.storage import keys
from chalicelib.storage.items import BaseItem, UserItem


def emails_for_change(old: BaseItem | None, new: BaseItem | None) -> list[OutgoingEmail]:
    if old is None and isinstance(new, UserItem):
        return _user_created(new)
    return []


def _user_created(user: UserItem) -> list[OutgoingEmail]:
    """A new login: tell its owner how to log in (inactive users are not told)."""
    if user.status != "active":
        return []
    tenant = keys.tenant_of(user.pk)
    settings = reads.settings(tenant)
    if settings is None:
        return []
    numbers = [c.number for c in reads.customers(tenant, list(user.customer_ids or []))]
    return [
        welcome_email(
            settings,
            user_id=user.id,
            name=user.name,
            email=user.email,
            username=user.username,
            customer_numbers=numbers,
        )
    ]
