"""The local stack's S3 events: S3 calls the documents handler when an object lands; here the emulator does.

moto server keeps objects but sends no bucket notifications. The stack puts S3's POST-policy check in
front of moto's upload handler (s3_post_policy.py) and, when an upload to the documents bucket
succeeded, calls app.py's `on_document_uploaded` with the Lambda event S3 would send (ObjectCreated:Post).
It runs before the upload's response is sent, so a client that got its 204 finds the document
available at once (on AWS the event follows within moments: clients poll).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger(__name__)


def s3_event(bucket: str, key: str, size: int, region: str) -> dict[str, Any]:
    """An S3 ObjectCreated notification as Lambda receives it (one record)."""
    from urllib.parse import quote_plus

    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": region,
                "eventTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "eventName": "ObjectCreated:Post",
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                    "object": {"key": quote_plus(key, safe="/"), "size": size},
                },
            }
        ]
    }


def feed_uploads(bucket: str, region: str, handler: Callable[[dict[str, Any], Any], Any], s3: Any) -> None:
    """Call `handler(event, context)` for every object uploaded to `bucket` through a presigned POST."""
    from devstack.s3_post_policy import after_upload, enforce_post_policies

    enforce_post_policies()

    def landed(bucket_name: str, key: str) -> None:
        if bucket_name != bucket:
            return
        try:
            size = int(s3.head_object(Bucket=bucket, Key=key)["ContentLength"])
            handler(s3_event(bucket, key, size, region), None)
        except Exception:  # the upload stands; like a failed Lambda, the document stays pending
            log.exception("documents: the S3 event handler failed for %s", key)

    after_upload(landed)
