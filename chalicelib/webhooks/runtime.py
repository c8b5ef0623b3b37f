"""The webhook pipeline as the Lambda functions (and the local stack) run it: SQS, the network, DNS,
and the e-mail to the tenant's administrators when an endpoint is disabled. Built on first use."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.storage.webhooks import Endpoint
from chalicelib.webhooks.delivery import Pipeline

_pipeline: list[Pipeline] = []


class SqsQueue:
    def __init__(self, client: Any, url: str) -> None:
        self._client = client
        self._url = url

    def send(self, messages: list[dict[str, Any]], delay_seconds: int = 0) -> None:
        """SendMessageBatch, 10 at a time; a message SQS did not take fails the caller (its record or
        message is then retried; the stale copies that may follow record nothing)."""
        for start in range(0, len(messages), 10):
            entries = [
                {"Id": str(i), "MessageBody": json.dumps(m, sort_keys=True), "DelaySeconds": delay_seconds}
                for i, m in enumerate(messages[start : start + 10])
            ]
            reply = self._client.send_message_batch(QueueUrl=self._url, Entries=entries)
            if reply.get("Failed"):
                raise RuntimeError(f"SQS refused {len(reply['Failed'])} webhook message(s): {reply['Failed'][0]}")


def pipeline() -> Pipeline:
    if not _pipeline:
        from chalicelib.bootstrap import aws_client, get_services
        from chalicelib.webhooks.post import post

        settings = get_services().settings
        if not settings.webhook_queue_url:  # a deployment without the queue (ORDERGATE_WEBHOOK_QUEUE_URL)
            from chalicelib.domain.errors import ConflictError

            raise ConflictError("Webhooks are not set up on this deployment: there is no delivery queue.")
        queue = SqsQueue(aws_client("sqs", settings, endpoint=settings.sqs_endpoint), settings.webhook_queue_url)
        _pipeline.append(
            Pipeline(queue, post, local_refused_ports=settings.webhook_local_refused_ports, on_disabled=email_admins)
        )
    return _pipeline[0]


def webhooks_configured() -> bool:
    """Whether this deployment delivers webhooks (a queue is configured, or tests installed a pipeline):
    a stack without the queue still sends its e-mails."""
    from chalicelib.bootstrap import get_services

    return bool(_pipeline) or bool(get_services().settings.webhook_queue_url)


def set_pipeline(p: Pipeline | None) -> None:
    """Tests install a pipeline with a controllable clock, network and queue."""
    _pipeline[:] = [p] if p is not None else []


def email_admins(tenant: str, endpoint: Endpoint) -> None:
    """Tell the tenant's administrators (staff holding tenant.admin) that an endpoint was disabled."""
    from chalicelib.bootstrap import get_services
    from chalicelib.domain.permissions import Permission, UserKind
    from chalicelib.notifications.events import sender_address
    from chalicelib.notifications.sender import OutgoingEmail
    from chalicelib.storage import groups, tenants, users

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
    notifications = get_services().notifications
    for admin in admins:
        email = OutgoingEmail(
            sender=sender_address(settings),
            sender_name=settings.name,
            to=admin.email,
            subject=f"Webhook endpoint disabled: {endpoint.url}"[:200],
            text=text,
            html=f"<p>{_escape(text)}</p>",
            dedupe_key=f"webhook-disabled:{endpoint.id}:{endpoint.version}",
        )
        notifications.send_once(tenant, email)


def _escape(text: str) -> str:
    import html

    return html.escape(text).replace("\n", "<br>")
