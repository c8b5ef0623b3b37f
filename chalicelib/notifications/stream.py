"""The DynamoDB stream handler: decode each record's images with the item models, derive what
changed, and (from the Notifications capability on) hand events to the notification service.

Batches are processed with Powertools' BatchProcessor so one failing record is reported in
`batchItemFailures` and does not hold back the others.
"""

from __future__ import annotations

from typing import Any

from chalicelib.logs import logger


def decode_image(image: dict[str, Any] | None) -> Any:
    """A stream image (DynamoDB JSON) as the item model it was written with, or None."""
    if not image:
        return None
    from chalicelib.storage.items import BaseItem

    return BaseItem.from_raw_data(image)


def handle_record(record: Any) -> None:
    """One stream record. Parameter name `record` is required by Powertools."""
    ddb = record.dynamodb
    old = decode_image(ddb.old_image if ddb else None)
    new = decode_image(ddb.new_image if ddb else None)
    item = new or old
    if old is not None and new is not None and old.serialize() == new.serialize():
        return  # moto emits MODIFY records for writes that change nothing
    logger.info(
        "stream record",
        extra={
            "event_name": record.event_name,
            "item_type": getattr(item, "type", None),
            "pk": getattr(item, "pk", None),
        },
    )


def handle_batch(event: dict[str, Any]) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
    return dict(process_partial_response(event=event, record_handler=handle_record, processor=processor))
