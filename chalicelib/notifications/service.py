"""The notification service: events in, each e-mail out once.

For every (event, recipient) the e-mail is claimed in the table before it is sent (a redelivered
record finds the claim and sends nothing), marked sent afterwards, and released when the mail
service refuses it, so the retry of the record can send it. Every e-mail of a record is attempted
even when one fails; then the record fails as a whole and is retried, and only what is still unsent
goes out again.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable

from chalicelib.domain.clock import now_iso
from chalicelib.logs import logger
from chalicelib.notifications import events
from chalicelib.notifications.changes import Event
from chalicelib.notifications.directory import Directory
from chalicelib.notifications.sender import EmailSender, OutgoingEmail
from chalicelib.storage import mail_log, notified


class NotificationFailedError(Exception):
    """Some e-mails of a record could not be sent; the record is retried for them."""

    def __init__(self, failures: list[tuple[OutgoingEmail, Exception]]) -> None:
        keys = ", ".join(f"{m.dedupe_key} → {m.to}: {type(e).__name__}" for m, e in failures)
        super().__init__(f"{len(failures)} e-mail(s) not sent: {keys}")
        self.failures = failures


class NotificationService:
    def __init__(
        self,
        sender: EmailSender,
        links: events.Links,
        *,
        platform_sender: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._sender = sender
        self._links = links
        self.platform_sender = platform_sender  # From: of a tenant without a proved sender of its own
        self._clock = clock

    def notify(self, happened: Iterable[Event], directory: Directory) -> int:
        """Send what the events call for (people and settings read through the batch's `directory`);
        returns how many e-mails went out now."""
        sent = 0
        failures: list[tuple[OutgoingEmail, Exception]] = []
        for event in happened:
            for email in events.emails_for(event, directory, self._links, self.platform_sender):
                try:
                    sent += self.send_once(event.tenant, email)
                except Exception as exc:  # every e-mail gets its chance; the record fails below
                    failures.append((email, exc))
                    logger.warning(
                        "e-mail not sent",
                        extra={"tenant": event.tenant, "dedupe_key": email.dedupe_key, "error": repr(exc)},
                    )
        if failures:
            raise NotificationFailedError(failures)
        return sent

    def send_once(self, tenant: str, email: OutgoingEmail) -> bool:
        """True when sent now; False when an earlier delivery of the same record sent it, or when the
        address is suppressed (it bounced hard or complained: the skip is recorded, never retried)."""
        claimed_at = self._clock()
        if not notified.claim(tenant, email.dedupe_key, email.to, claimed_at):
            logger.info("e-mail already sent", extra={"tenant": tenant, "dedupe_key": email.dedupe_key})
            return False
        claim = notified.claim_key(email.dedupe_key, email.to)
        if mail_log.is_suppressed(tenant, email.to):
            notified.mark_sent(tenant, email.dedupe_key, email.to, claimed_at, "suppressed")
            self._log(tenant, email, claim, "suppressed", None)
            logger.info(
                "e-mail to a suppressed address skipped", extra={"tenant": tenant, "dedupe_key": email.dedupe_key}
            )
            return False
        tags = (("tenant", tenant), ("claim", claim)) + ((("order", email.order_id),) if email.order_id else ())
        try:
            message_id = self._sender.send(dataclasses.replace(email, tags=tags))
        except Exception as exc:
            notified.release(tenant, email.dedupe_key, email.to, claimed_at)
            self._log(tenant, email, claim, "failed", None, detail=type(exc).__name__)
            raise
        try:
            notified.mark_sent(tenant, email.dedupe_key, email.to, claimed_at, message_id)
        except Exception:  # the mail is out: failing the record now would only risk a duplicate
            logger.exception("e-mail sent but its claim not marked", extra={"dedupe_key": email.dedupe_key})
        self._log(tenant, email, claim, "sent", message_id)
        logger.info("e-mail sent", extra={"tenant": tenant, "dedupe_key": email.dedupe_key, "message_id": message_id})
        return True

    @staticmethod
    def _log(
        tenant: str, email: OutgoingEmail, claim: str, status: str, message_id: str | None, detail: str | None = None
    ) -> None:
        """The order's list of e-mails (GET /orders/{id}/notifications); a failure here sends nothing twice."""
        if not email.order_id:
            return
        try:
            at = now_iso()
            mail = mail_log.OrderMail(claim, email.event, email.to, status, at, message_id, detail)
            mail_log.record(tenant, email.order_id, mail)
        except Exception:
            logger.exception("e-mail not recorded on its order", extra={"dedupe_key": email.dedupe_key})
