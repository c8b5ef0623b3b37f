"""The DynamoDB stream handler: decode each record's images with the item models, derive what
happened, and hand it to the notification service.

Batches are processed with Powertools' BatchProcessor so one failing record is reported in
`batchItemFailures` and does not hold back the others. Lambda then redelivers from the first failed
record on, so records after it may come again: the service's claims make that harmless.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalicelib.notifications.directory import Directory
from chalicelib.storage.items import BaseItem, OrderEventItem

if TYPE_CHECKING:
    from chalicelib.notifications.service import NotificationService


def decode_image(image: dict[str, Any] | None) -> BaseItem | None:
    """A stream image (DynamoDB JSON) as the item model it was written with, or None."""
    if not image:
        return None
    return BaseItem.from_raw_data(image)


def handle_record(
    record: Any,
    notifications: NotificationService,
    directory: Directory,
    fan_out: Callable[[OrderEventItem], None],
) -> None:
    """One stream record. The parameter must be named `record` for Powertools."""
    from chalicelib.notifications import changes

    # The raw images (DynamoDB JSON), not Powertools' deserialized ones: the item models decode them.
    ddb = record.raw_event.get("dynamodb") or {}
    old_image, new_image = ddb.get("OldImage"), ddb.get("NewImage")
    if not changes.concerns(old_image, new_image):
        return  # deletions, and items that are no business change (line pages, claims, sessions...)
    old, new = decode_image(old_image), decode_image(new_image)
    if old is not None and new is not None and old.serialize() == new.serialize():
        return  # moto emits MODIFY records for writes that change nothing; real DynamoDB does not
    happened = changes.detect(old, new)
    if happened:
        notifications.notify(happened, directory)
    if old is None and isinstance(new, OrderEventItem):  # and to the tenant's webhooks (issue 15)
        fan_out(new)


def handle_batch(
    event: dict[str, Any], notifications: NotificationService, fan_out: Callable[[OrderEventItem], None]
) -> dict[str, Any]:
    """A batch of stream records, with the notification service and the webhooks' fan-out bootstrap built."""
    from functools import partial

    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
    # One Directory for the batch: settings, people and customers read once per batch, not per record.
    handler = partial(handle_record, notifications=notifications, directory=Directory(), fan_out=fan_out)
    return dict(process_partial_response(event=event, record_handler=handler, processor=processor))
