"""The e-mail to a tenant's administrators when one of its webhook endpoints is disabled (the webhook
pipeline calls it, bootstrap.py hands it the notification service)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from chalicelib.domain.permissions import Permission, UserKind
from chalicelib.notifications.events import sender_address
from chalicelib.notifications.sender import OutgoingEmail
from chalicelib.storage import groups, tenants, users

if TYPE_CHECKING:
    from chalicelib.notifications.service import NotificationService
    from chalicelib.storage.webhooks import Endpoint


def email_admins(notifications: NotificationService, tenant: str, endpoint: Endpoint) -> None:
    """Tell the tenant's administrators (staff holding tenant.admin) that an endpoint was disabled."""
    settings = tenants.get_settings(tenant)
    if settings is None:
        return
    everyone = []
    cursor: str | None = None
    while True:  # the tenant's users, a page at a time (a rare event: an endpoint disabled)
        page = users.list_page(tenant, 100, cursor)
        everyone += page.items
        cursor = page.next_cursor
        if not cursor:
            break
    staff = [u for u in everyone if u.kind == UserKind.STAFF and u.active]
    wanted = sorted({gid for u in staff for gid in u.security_group_ids})
    held = {g.id: g for g in groups.get_many(tenant, wanted)}
    admins = [
        u
        for u in staff
        if any(Permission.TENANT_ADMIN.value in held[g].permissions for g in u.security_group_ids if g in held)
    ]
    reason = endpoint.disabled_reason or "It failed."
    text = (
        f"The webhook endpoint {endpoint.url} was disabled: {reason}\n"
        "Events are no longer posted to it. Fix the receiver, then enable it again "
        f"(PATCH /webhook-endpoints/{endpoint.id} with enabled: true)."
    )
    for admin in admins:
        email = OutgoingEmail(
            sender=sender_address(settings, notifications.platform_sender),
            sender_name=settings.name,
            to=admin.email,
            subject=f"Webhook endpoint disabled: {endpoint.url}"[:200],
            text=text,
            html=f"<p>{_escape(text)}</p>",
            dedupe_key=f"webhook-disabled:{endpoint.id}:{endpoint.version}",
        )
        notifications.send_once(tenant, email)


def _escape(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")
