"""The DynamoDB stream handler: decode each record's images with the item models, derive what
happened, and send the e-mails it calls for.

Batches are processed with Powertools' BatchProcessor so one failing record is reported in
`batchItemFailures` and does not hold back the others.
"""

from __future__ import annotations

from typing import Any

from chalicelib.logs import logger
from chalicelib.storage.items import BaseItem


def decode_image(image: dict[str, Any] | None) -> BaseItem | None:
    """A stream image (DynamoDB JSON) as the item model it was written with, or None."""
    if not image:
        return None
    return BaseItem.from_raw_data(image)


def handle_record(record: Any) -> None:
    """One stream record. The parameter must be named `record` for Powertools."""
    from chalicelib.notifications import events

    # The raw images (DynamoDB JSON), not Powertools' deserialized ones: the item models decode them.
    ddb = record.raw_event.get("dynamodb") or {}
    old = decode_image(ddb.get("OldImage"))
    new = decode_image(ddb.get("NewImage"))
    if old is not None and new is not None and old.serialize() == new.serialize():
        return  # moto emits MODIFY records for writes that change nothing; real DynamoDB does not
    for email in events.emails_for_change(old, new):
        from chalicelib.bootstrap import get_services

        message_id = get_services().email_sender.send(email)
        logger.info("e-mail sent", extra={"dedupe_key": email.dedupe_key, "message_id": message_id})


def handle_batch(event: dict[str, Any]) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    from chalicelib.notifications import reads

    processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
    with reads.batch_scope():  # settings and customers read once per batch, not per record
        return dict(process_partial_response(event=event, record_handler=handle_record, processor=processor))
