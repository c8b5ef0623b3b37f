"""The Lambda entry points of the webhook pipeline (app.py), and the stream's fan-out hook."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.storage import keys
from chalicelib.storage.items import OrderEventItem


def fan_out(item: OrderEventItem) -> None:
    """A new event item (the stream): one delivery per subscribed endpoint, queued."""
    from chalicelib.webhooks.delivery import event_json
    from chalicelib.webhooks.runtime import pipeline, webhooks_configured

    if webhooks_configured():
        pipeline().fan_out(keys.tenant_of(item.pk), event_json(item))


def handle_record(record: Any) -> None:
    """One SQS message: one delivery attempt. Named `record` for Powertools."""
    from chalicelib.webhooks.runtime import pipeline

    pipeline().attempt(json.loads(record.body))


def handle_sqs_batch(event: dict[str, Any]) -> dict[str, Any]:
    """A failing message is reported alone (batchItemFailures) and comes back after its visibility
    timeout; after maxReceiveCount SQS moves it to the dead-letter queue."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    processor = BatchProcessor(event_type=EventType.SQS)
    return dict(process_partial_response(event=event, record_handler=handle_record, processor=processor))


def queue_due() -> int:
    from chalicelib.webhooks.runtime import pipeline

    return pipeline().queue_due()
