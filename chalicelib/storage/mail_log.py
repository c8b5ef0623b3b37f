"""What became of each e-mail about an order, and the tenant's suppressed addresses (keys.py: "order
e-mail", "suppressed"). Written by the notification service when it sends (or skips) and by the SES
event handler when the mail service reports a delivery, a bounce, a complaint or a rejection."""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from chalicelib.storage import keys
from chalicelib.storage.items import OrderMailItem, SuppressedAddressItem
from chalicelib.storage.table import find_item, is_condition_failure


@dataclass(frozen=True)
class OrderMail:
    claim: str
    event: str
    recipient: str
    status: str
    at: str
    message_id: str | None = None
    detail: str | None = None


def record(tenant: str, order_id: str, mail: OrderMail) -> None:
    item = OrderMailItem(
        *keys.order_mail(tenant, order_id, mail.claim),
        order_id=order_id,
        event=mail.event,
        recipient=mail.recipient,
        status=mail.status,
        at=mail.at,
        message_id=mail.message_id,
        detail=mail.detail,
    )
    item.save(add_version_condition=False)  # the latest word on this (event, recipient) wins


def report(tenant: str, order_id: str, claim: str, status: str, at: str, detail: str | None = None) -> bool:
    """The mail service's report on an e-mail this app recorded; False when there is no such e-mail."""
    item = OrderMailItem(*keys.order_mail(tenant, order_id, claim))
    actions: list[Action] = [OrderMailItem.status.set(status), OrderMailItem.at.set(at)]
    if detail:
        actions.append(OrderMailItem.detail.set(detail[:500]))
    try:
        item.update(actions=actions, condition=OrderMailItem.pk.exists(), add_version_condition=False)
    except UpdateError as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True


def of_order(tenant: str, order_id: str) -> list[OrderMail]:
    """Every e-mail of the order (one Query of its partition; a few dozen at most), oldest first."""
    found = OrderMailItem.query(keys.order_mails_pk(tenant, order_id))
    mails = [
        OrderMail(i.sk.removeprefix("MAIL#"), i.event, i.recipient, i.status, i.at, i.message_id, i.detail)
        for i in found
        if isinstance(i, OrderMailItem)
    ]
    return sorted(mails, key=lambda m: m.at)


def suppress(tenant: str, address: str, reason: str, at: str) -> None:
    pk, sk = keys.suppressed_address(tenant, address)
    SuppressedAddressItem(pk, sk, address=sk, reason=reason, at=at).save(add_version_condition=False)


def is_suppressed(tenant: str, address: str) -> bool:
    return find_item(SuppressedAddressItem, keys.suppressed_address(tenant, address), consistent=True) is not None
