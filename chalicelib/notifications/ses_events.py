"""What the mail service says happened to each e-mail: SES configuration-set events, delivered by
EventBridge (`detail-type` "Email Delivered", "Email Bounced", "Email Complaint Received", "Email
Rejected", ...; `detail` is SES's event record). app.py `on_ses_event` hands them here.

The e-mail is found by the tags the send carried (tenant, order, claim: services.py `send_once`); its
status on the order's list becomes delivered, bounced, complained or failed. A permanent bounce or a
complaint suppresses the address for the tenant: later sends to it are skipped and recorded. Samples:
events/ses_*.json.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.clock import now_iso
from chalicelib.logs import logger
from chalicelib.storage import mail_log

STATUS = {
    "Delivery": "delivered",
    "Bounce": "bounced",
    "Complaint": "complained",
    "Reject": "failed",
    "RenderingFailure": "failed",
}


def _tag(mail: dict[str, Any], name: str) -> str | None:
    values = (mail.get("tags") or {}).get(name) or []
    return str(values[0]) if values else None


def handle(detail: dict[str, Any]) -> str | None:
    """One SES event record; returns the status it gave, or None when it concerns nothing of ours."""
    kind = str(detail.get("eventType") or detail.get("notificationType") or "")
    status = STATUS.get(kind)
    mail = detail.get("mail") or {}
    tenant = _tag(mail, "tenant")
    if status is None or tenant is None:
        logger.info("SES event ignored", extra={"event_type": kind})
        return None
    at = now_iso()
    explanation: str | None = None
    if kind == "Bounce":
        bounce = detail.get("bounce") or {}
        permanent = bounce.get("bounceType") == "Permanent"
        explanation = f"{bounce.get('bounceType', '')} {bounce.get('bounceSubType', '')}".strip() or None
        if permanent:
            for r in bounce.get("bouncedRecipients") or []:
                if r.get("emailAddress"):
                    mail_log.suppress(tenant, str(r["emailAddress"]), "bounce", at)
        else:
            status = "sent"  # a soft bounce: SES keeps trying; the address stays in use
    elif kind == "Complaint":
        for r in (detail.get("complaint") or {}).get("complainedRecipients") or []:
            if r.get("emailAddress"):
                mail_log.suppress(tenant, str(r["emailAddress"]), "complaint", at)
    elif kind == "Reject":
        explanation = str((detail.get("reject") or {}).get("reason") or "") or None
    order_id, claim = _tag(mail, "order"), _tag(mail, "claim")
    if order_id and claim and not mail_log.report(tenant, order_id, claim, status, at, explanation):
        logger.info("SES event for an e-mail not on record", extra={"tenant": tenant, "order_id": order_id})
    return status
