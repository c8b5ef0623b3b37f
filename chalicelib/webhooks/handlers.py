"""The Lambda entry points of the webhook pipeline (app.py hands them the pipeline bootstrap built; None on
a deployment without the delivery queue), and the stream's fan-out hook."""

from __future__ import annotations

import json
from functools import partial
from typing import TYPE_CHECKING, Any

from chalicelib.storage import keys

if TYPE_CHECKING:
    from chalicelib.storage.items import OrderEventItem
    from chalicelib.webhooks.delivery import Pipeline


def fan_out(item: OrderEventItem, pipeline: Pipeline | None) -> None:
    """A new event item (the stream): one delivery per subscribed endpoint, queued. A stack without the
    queue still sends its e-mails; a notice (reminder, escalation) is for e-mails only."""
    from chalicelib.domain.order_states import EventType
    from chalicelib.webhooks.delivery import event_json

    if pipeline is not None and item.event_type in {t.value for t in EventType}:
        pipeline.fan_out(keys.tenant_of(item.pk), event_json(item))


def handle_record(record: Any, pipeline: Pipeline) -> None:
    """One SQS message: one delivery attempt. Named `record` for Powertools."""
    pipeline.attempt(json.loads(record.body))


def handle_sqs_batch(event: dict[str, Any], pipeline: Pipeline | None) -> dict[str, Any]:
    """A failing message is reported alone (batchItemFailures) and comes back after its visibility
    timeout; after maxReceiveCount SQS moves it to the dead-letter queue."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    if pipeline is None:  # messages without a queue configured: a deployment error, retried once fixed
        raise RuntimeError("Webhook messages arrived, but ORDERGATE_WEBHOOK_QUEUE_URL is not set.")
    processor = BatchProcessor(event_type=EventType.SQS)
    handler = partial(handle_record, pipeline=pipeline)
    return dict(process_partial_response(event=event, record_handler=handler, processor=processor))


def queue_due(pipeline: Pipeline | None) -> int:
    return pipeline.queue_due() if pipeline is not None else 0
