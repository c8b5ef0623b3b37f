"""Reading the test table's DynamoDB stream from moto in process, and feeding it to the handler.

Records come from GetRecords shaped as Lambda delivers them: Chalice's DynamoDBRecord wants an
`eventSourceARN` and a numeric `ApproximateCreationDateTime` (GetRecords gives a datetime).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app import on_table_change
from chalicelib.config import get_settings
from tests.conftest import dynamodb_client


class Context:
    function_name = "ordergate-dev-on_table_change"
    aws_request_id = "test"


def run(event: dict[str, Any]) -> dict[str, Any]:
    """The Lambda entry point of app.py, as Lambda calls it."""
    result: dict[str, Any] = on_table_change(event, Context())
    return result


def lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    shaped = {**record, "eventSourceARN": stream_arn, "eventVersion": "1.1"}
    ddb = dict(record["dynamodb"])
    created = ddb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        ddb["ApproximateCreationDateTime"] = created.timestamp()
    shaped["dynamodb"] = ddb
    return shaped


class StreamTap:
    """Everything written to the table since the tap was opened (or last drained)."""

    def __init__(self) -> None:
        table = dynamodb_client().describe_table(TableName=get_settings().table_name)["Table"]
        self.arn: str = table["LatestStreamArn"]
        self._streams = dynamodb_client("dynamodbstreams")
        shard = self._streams.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"][0]
        self._iterator: str = self._streams.get_shard_iterator(
            StreamArn=self.arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST"
        )["ShardIterator"]

    def drain(self) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        while True:
            page = self._streams.get_records(ShardIterator=self._iterator, Limit=1000)
            self._iterator = page["NextShardIterator"]
            if not page["Records"]:
                return [lambda_record(r, self.arn) for r in records]
            records += page["Records"]

    def event(self) -> dict[str, Any]:
        """The records since the last drain, as one Lambda event."""
        return {"Records": self.drain()}
