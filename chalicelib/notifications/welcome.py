"""The account e-mail: when a user is created, they learn how to log in.

A supplier creates logins for its customers' people; without this e-mail they would have to be
told their username, customer number and portal address by hand.
"""

from __future__ import annotations

from html import escape

from chalicelib.domain.model import TenantSettings
from chalicelib.notifications.sender import OutgoingEmail


def welcome_email(
    settings: TenantSettings, *, user_id: str, name: str, email: str, username: str, customer_numbers: list[str]
) -> OutgoingEmail:
    login_lines = [f"Portal: {settings.portal_url}", f"Company code: {settings.slug}", f"Username: {username}"]
    if customer_numbers:
        login_lines.append(f"Customer number: {', '.join(customer_numbers)}")
    text = (
        f"Hello {name},\n\n"
        f"{settings.name} has created an account for you on its ordering portal.\n\n"
        + "\n".join(login_lines)
        + "\n\nYour password is given to you separately. Please change it after your first login.\n"
    )
    html = (
        f"<p>Hello {escape(name)},</p>"
        f"<p>{escape(settings.name)} has created an account for you on its ordering portal.</p>"
        "<ul>" + "".join(f"<li>{escape(line)}</li>" for line in login_lines) + "</ul>"
        "<p>Your password is given to you separately. Please change it after your first login.</p>"
    )
    return OutgoingEmail(
        sender=settings.sender_email,
        to=email,
        subject=f"Your account at {settings.name}",
        text=text,
        html=html,
        dedupe_key=f"user-created:{user_id}",
    )
