"""The webhook pipeline in the local stack: the queue and its dead-letter queue in the emulator's SQS,
a worker that feeds the queue to app.py's delivery function as Lambda would (a batch of up to 10,
failed messages left for redelivery), and the scheduled function on a short period."""

from __future__ import annotations

import json
import logging
from typing import Any

log = logging.getLogger(__name__)

MAX_RECEIVES = 5  # then the dead-letter queue, as infra/ordergate.yaml configures it
VISIBILITY_SECONDS = 30


def create_queues(sqs: Any, name: str) -> tuple[str, str]:
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(
        QueueName=name,
        Attributes={
            "VisibilityTimeout": str(VISIBILITY_SECONDS),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVES)}),
        },
    )["QueueUrl"]
    return url, dlq


class WebhookWorker:
    """One polling step: receive what is visible, run the delivery function, delete what it handled."""

    def __init__(self, sqs: Any, url: str, region: str) -> None:
        self._sqs = sqs
        self._url = url
        self._arn = f"arn:aws:sqs:{region}:000000000000:{url.rsplit('/', 1)[-1]}"
        self._region = region

    def run_step(self) -> int:
        from chalicelib.webhooks.handlers import handle_sqs_batch

        received = self._sqs.receive_message(QueueUrl=self._url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []
        )
        if not received:
            return 0
        records = [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": self._arn,
                "awsRegion": self._region,
            }
            for m in received
        ]
        from chalicelib.bootstrap import get_services

        result = handle_sqs_batch({"Records": records}, get_services().webhook_pipeline)
        failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        done = [m for m in received if m["MessageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=self._url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        if failed:
            log.warning(
                "webhook worker: %d message(s) failed; they come back after %ds", len(failed), VISIBILITY_SECONDS
            )
        return len(received)


def run_schedule() -> int:
    from chalicelib.bootstrap import get_services
    from chalicelib.webhooks.handlers import queue_due

    return queue_due(get_services().webhook_pipeline)
