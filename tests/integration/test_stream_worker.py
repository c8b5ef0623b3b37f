"""The local stream worker: GetRecords records become the event Lambda would deliver, and the worker
reads a real (moto) stream and hands each batch to the handler it was given."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent
from chalice.app import DynamoDBEvent

from chalicelib.bootstrap import get_services
from chalicelib.config import get_settings
from chalicelib.services.tenants import create_tenant
from devstack.worker import StreamWorker, epoch_seconds, lambda_event, lambda_record
from tests.conftest import dynamodb_client

STREAM_ARN = "arn:aws:dynamodb:eu-west-1:123456789012:table/ordergate/stream/2026-01-01T00:00:00.000"


def get_records_record(**dynamodb: Any) -> dict[str, Any]:
    """A record as boto3's GetRecords returns it (timestamps as datetime, binary as bytes)."""
    return {
        "eventID": "1",
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": datetime(2026, 3, 1, 12, 0, 30, 500000, tzinfo=UTC),
            "Keys": {"pk": {"S": "T#demo"}, "sk": {"S": "SETTINGS"}},
            "NewImage": {"pk": {"S": "T#demo"}, "sk": {"S": "SETTINGS"}, "blob": {"B": b"\x00\xff"}},
            "SequenceNumber": "100",
            "SizeBytes": 42,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
            **dynamodb,
        },
    }


# --- conversion ------------------------------------------------------------------------------------
def test_a_record_carries_its_stream_arn_and_whole_epoch_seconds():
    out = lambda_record(get_records_record(), STREAM_ARN)

    assert out["eventSourceARN"] == STREAM_ARN
    assert out["dynamodb"]["ApproximateCreationDateTime"] == 1772366430
    assert out["awsRegion"] == "eu-west-1"  # from the ARN: moto always says us-east-1
    assert out["dynamodb"]["SequenceNumber"] == "100"
    assert out["eventName"] == "INSERT"


def test_binary_attributes_travel_as_base64_text_as_in_a_lambda_event():
    out = lambda_record(get_records_record(), STREAM_ARN)

    assert out["dynamodb"]["NewImage"]["blob"] == {"B": base64.b64encode(b"\x00\xff").decode()}
    assert out["dynamodb"]["Keys"] == {"pk": {"S": "T#demo"}, "sk": {"S": "SETTINGS"}}


def test_the_original_record_is_left_unchanged():
    original = get_records_record()
    lambda_record(original, STREAM_ARN)
    assert isinstance(original["dynamodb"]["ApproximateCreationDateTime"], datetime)
    assert "eventSourceARN" not in original


@pytest.mark.parametrize(
    "value",
    [1772366430, 1772366430.9, "1772366430", "2026-03-01T12:00:30Z", datetime(2026, 3, 1, 12, 0, 30, tzinfo=UTC)],
)
def test_creation_time_is_read_from_every_form_it_may_come_in(value: Any):
    assert epoch_seconds(value) == 1772366430


def test_chalice_and_powertools_both_read_the_event():
    event = lambda_event([get_records_record(), get_records_record(SequenceNumber="101")], STREAM_ARN)

    chalice_records = list(DynamoDBEvent(event, None))  # what @app.on_dynamodb_record hands the handler
    assert [r.timestamp for r in chalice_records] == [datetime(2026, 3, 1, 12, 0, 30)] * 2
    assert [r.event_source_arn for r in chalice_records] == [STREAM_ARN] * 2

    powertools_records = list(DynamoDBStreamEvent(event).records)  # what handle_batch's processor reads
    assert [r.dynamodb.sequence_number for r in powertools_records if r.dynamodb] == ["100", "101"]


# --- reading a real stream (moto in process) ----------------------------------------------------------
class Recorder:
    """A handler that remembers every event; reports the sequence numbers in `fail` as failed."""

    def __init__(self, fail: set[str] | None = None, raises: bool = False) -> None:
        self.events: list[dict[str, Any]] = []
        self.fail = fail or set()
        self.raises = raises

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        self.events.append(event)
        if self.raises:
            raise RuntimeError("handler broke")
        numbers = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]
        failed = [n for n in numbers if n in self.fail]
        return {"batchItemFailures": [{"itemIdentifier": s} for s in failed]}

    @property
    def records(self) -> list[dict[str, Any]]:
        return [r for e in self.events for r in e["Records"]]


def make_worker(handler: Recorder, table_name: str | None = None, **kw: Any) -> StreamWorker:
    return StreamWorker(
        dynamodb_client(),
        dynamodb_client("dynamodbstreams"),
        table_name or get_settings().table_name,
        handler,
        retry_delay=0,
        **kw,
    )


def seed_tenant(slug: str) -> None:
    create_tenant(
        get_services().passwords,
        slug=slug,
        name=f"{slug.title()} Ltd",
        admin_username="admin",
        admin_password="admin-password-1",
        admin_email=f"admin@{slug}.example",
    )


def new_images_of_type(records: list[dict[str, Any]], item_type: str) -> list[dict[str, Any]]:
    return [
        r["dynamodb"]["NewImage"]
        for r in records
        if r["eventName"] == "INSERT" and r["dynamodb"]["NewImage"].get("type", {}).get("S") == item_type
    ]


def test_the_worker_delivers_a_created_item_as_a_lambda_event(aws: None):
    handler = Recorder()
    worker = make_worker(handler)

    seed_tenant("acme")
    delivered = worker.poll_once()

    stream_arn = dynamodb_client().describe_table(TableName=get_settings().table_name)["Table"]["LatestStreamArn"]
    assert delivered == len(handler.records) > 0
    assert {r["eventSourceARN"] for r in handler.records} == {stream_arn}
    assert all(isinstance(r["dynamodb"]["ApproximateCreationDateTime"], int) for r in handler.records)
    (tenant,) = new_images_of_type(handler.records, "tenant")
    assert tenant["slug"] == {"S": "acme"}
    assert new_images_of_type(handler.records, "user")[0]["username"] == {"S": "admin"}
    list(DynamoDBEvent(handler.events[0], None))  # chalice accepts it as is


def test_each_record_is_delivered_once(aws: None):
    handler = Recorder()
    worker = make_worker(handler)
    seed_tenant("acme")
    first = worker.poll_once()

    assert worker.poll_once() == 0
    seed_tenant("globex")
    assert worker.poll_once() > 0
    sequence_numbers = [r["dynamodb"]["SequenceNumber"] for r in handler.records]
    assert len(sequence_numbers) == len(set(sequence_numbers)) > first


def test_latest_skips_what_was_written_before_the_first_poll(aws: None):
    seed_tenant("before")
    handler = Recorder()
    worker = make_worker(handler, start="LATEST")

    assert worker.poll_once() == 0
    seed_tenant("after")
    worker.poll_once()

    assert [i["slug"]["S"] for i in new_images_of_type(handler.records, "tenant")] == ["after"]


def test_a_failed_record_is_retried_from_there_on_then_given_up(aws: None):
    seed_tenant("acme")
    probe = Recorder()
    make_worker(probe).poll_once()
    records = probe.records
    third = records[2]["dynamodb"]["SequenceNumber"]

    handler = Recorder(fail={third})
    worker = make_worker(handler, max_attempts=3)
    worker.poll_once()

    assert len(handler.events) == 3
    assert [len(e["Records"]) for e in handler.events] == [len(records), len(records) - 2, len(records) - 2]
    assert handler.events[1]["Records"][0]["dynamodb"]["SequenceNumber"] == third
    assert worker.poll_once() == 0  # given up: the stream moves on


def test_a_handler_that_raises_does_not_stop_the_worker(aws: None):
    handler = Recorder(raises=True)
    worker = make_worker(handler, max_attempts=2)
    seed_tenant("acme")

    worker.poll_once()
    seed_tenant("globex")
    worker.poll_once()

    assert len(handler.events) == 4  # two batches, each tried twice


def test_the_worker_waits_quietly_for_a_table_that_does_not_exist(aws: None):
    handler = Recorder()
    worker = make_worker(handler, table_name="no-such-table")

    assert worker.poll_once() == 0
    assert worker.stream_arn is None
    assert handler.events == []
