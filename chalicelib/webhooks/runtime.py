"""The webhook pipeline's queue on AWS: SQS (bootstrap.py builds the pipeline around it)."""

from __future__ import annotations

import json
from typing import Any


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
