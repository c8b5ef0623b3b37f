"""Standard Webhooks signatures, made by the `standardwebhooks` package: `webhook-signature` is
`v1,<base64 HMAC-SHA256>` of "{webhook-id}.{webhook-timestamp}.{body}" with each current secret's
bytes, space-separated when two secrets sign (the 24 h after a rotation)."""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

PREFIX = "whsec_"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def headers(webhook_id: str, at: datetime, body: str, signing_secrets: list[str]) -> dict[str, str]:
    timestamp = datetime.fromtimestamp(int(at.timestamp()), tz=UTC)
    signatures = " ".join(Webhook(s).sign(webhook_id, timestamp, body) for s in signing_secrets)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signatures,
        "content-type": "application/json",
        "user-agent": "OrderGate-Webhooks/1",
    }
