"""The outbox: every e-mail the emulator's SES accepted, as one readable `.eml` file each.

moto keeps sent mail in memory, per account and region, for both SES APIs (SES v2 SendEmail hands
it to the v1 backend): simple messages (moto keeps the HTML body when there are both), raw MIME
messages and templated ones. The outbox copies each new one to disk once; any mail client (or
`cat`) opens the files.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import Parser
from email.utils import format_datetime, getaddresses
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MessageSource = Callable[[], Iterable[Any]]


def moto_sent_messages() -> list[Any]:
    """Everything moto's SES accepted so far in this process, in every account and region."""
    from moto.ses.models import ses_backends

    messages: list[Any] = []
    # list(...) copies: the emulator's request threads may add accounts, regions or messages meanwhile.
    for regions in list(ses_backends.values()):
        for backend in list(regions.values()):
            messages.extend(list(backend.sent_messages))
    return messages


def _addresses(destinations: Any) -> dict[str, list[str]]:
    """moto's destinations: {"ToAddresses": [...], ...} for simple/templated mail, a list for raw."""
    if isinstance(destinations, dict):
        return {
            "To": list(destinations.get("ToAddresses") or []),
            "Cc": list(destinations.get("CcAddresses") or []),
            "Bcc": list(destinations.get("BccAddresses") or []),
        }
    return {"To": list(destinations or []), "Cc": [], "Bcc": []}


def _looks_like_html(body: str) -> bool:
    return bool(re.match(r"\s*<(!doctype|html|body|p|div|table|h\d|ul|br|span|a)\b", body, re.IGNORECASE))


def to_email(message: Any, accepted_at: datetime) -> EmailMessage:
    """One moto SES message as a complete e-mail (From, To, Subject, Date and the body)."""
    raw = getattr(message, "raw_data", None)
    if raw is not None:
        msg = Parser(policy=policy.default).parsestr(raw)
        assert isinstance(msg, EmailMessage)  # policy.default parses into EmailMessage
        headers = _addresses(message.destinations)
        if msg["From"] is None and message.source:
            msg["From"] = message.source
        if msg["To"] is None and headers["To"]:
            msg["To"] = ", ".join(headers["To"])
    else:
        msg = EmailMessage()
        msg["From"] = message.source
        for name, addresses in _addresses(message.destinations).items():
            if addresses:
                msg[name] = ", ".join(addresses)
        if hasattr(message, "template"):
            msg["Subject"] = f"[SES template {message.template}]"
            msg.set_content(f"Template: {message.template}\nTemplate data:\n{_pretty(message.template_data)}\n")
        else:
            msg["Subject"] = message.subject or ""
            body = message.body or ""
            msg.set_content(body, subtype="html" if _looks_like_html(body) else "plain")
    if msg["Date"] is None:
        msg["Date"] = format_datetime(accepted_at)
    msg["X-SES-Message-Id"] = str(message.id)
    return msg


def _pretty(data: Any) -> str:
    try:
        return json.dumps(json.loads(data), indent=2, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(data)


def _file_part(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9@._+-]+", "_", text)[:80] or "unknown"


class Outbox:
    """Writes each message from `source` to `directory` once. `collect()` is one polling round."""

    def __init__(
        self,
        directory: Path,
        source: MessageSource = moto_sent_messages,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.directory = directory
        self._source = source
        self._clock = clock
        self._seen: set[str] = set()
        self._count = 0

    def run_step(self) -> None:
        self.collect()

    def empty(self) -> int:
        """Create the folder, or remove the e-mails an earlier run left in it; returns how many."""
        self.directory.mkdir(parents=True, exist_ok=True)
        removed = 0
        for path in [*self.directory.glob("*.eml"), *self.directory.glob("*.part")]:
            path.unlink(missing_ok=True)
            removed += path.suffix == ".eml"
        return removed

    def collect(self) -> list[Path]:
        written = []
        for message in self._source():
            message_id = str(message.id)
            if message_id in self._seen:
                continue
            written.append(self._write(message))
            self._seen.add(message_id)  # after writing: a failed write is retried next round
        return written

    def _write(self, message: Any) -> Path:
        now = self._clock()
        msg = to_email(message, now)
        self._count += 1
        recipients = [address for _, address in getaddresses([msg["To"] or ""]) if address]
        name = f"{now:%Y%m%dT%H%M%S}-{self._count:04d}-{_file_part(recipients[0] if recipients else '')}.eml"
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / name
        tmp = path.with_suffix(".part")  # renamed when complete: readers never see half a file
        tmp.write_bytes(msg.as_bytes())
        tmp.replace(path)
        log.info("outbox: %s (to %s, subject %r)", path, msg["To"], msg["Subject"])
        return path
