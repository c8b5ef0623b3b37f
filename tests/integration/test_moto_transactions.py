"""moto's TransactWriteItems as the tests, the bench and the local stack run it
(`devstack/isolation.py`): a refused transaction writes nothing and leaves no stream record,
a failed write is undone item by item, and no transaction copies or replaces the table."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib.config import get_settings
from tests.integration.test_stream_worker import Recorder, make_worker

pytestmark = pytest.mark.moto_only(reason="tests of our patches of moto (devstack/isolation.py) and of moto's backend")


def _table() -> Any:
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends["123456789012"]["us-east-1"].get_table(get_settings().table_name)


def _put(pk: str, sk: str, **attrs: Any) -> dict[str, Any]:
    item = {"pk": {"S": pk}, "sk": {"S": sk}, **attrs}
    return {"Put": {"TableName": get_settings().table_name, "Item": item}}


def _get(pk: str, sk: str) -> dict[str, Any] | None:
    client = boto3.client("dynamodb")
    item: dict[str, Any] | None = client.get_item(
        TableName=get_settings().table_name, Key={"pk": {"S": pk}, "sk": {"S": sk}}
    ).get("Item")
    return item


def _stream_length() -> int:
    shard = _table().stream_shard
    return len(shard.items)


def test_a_refused_transaction_writes_nothing_and_leaves_no_stream_record(aws: None):
    client = boto3.client("dynamodb")
    client.transact_write_items(TransactItems=[_put("T#x", "A", n={"N": "1"})])
    table, shard, records = _table(), _table().stream_shard, _stream_length()

    with pytest.raises(ClientError) as refused:
        client.transact_write_items(
            TransactItems=[
                _put("T#x", "B", n={"N": "2"}),  # would be written first by moto
                {
                    "Update": {
                        "TableName": get_settings().table_name,
                        "Key": {"pk": {"S": "T#x"}, "sk": {"S": "A"}},
                        "UpdateExpression": "SET n = :two",
                        "ConditionExpression": "n = :five",
                        "ExpressionAttributeValues": {":two": {"N": "2"}, ":five": {"N": "5"}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
            ]
        )

    reasons = refused.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "ConditionalCheckFailed"]
    assert reasons[1]["Item"]["n"] == {"N": "1"}
    assert _get("T#x", "B") is None
    assert _get("T#x", "A")["n"] == {"N": "1"}  # type: ignore[index]
    assert _stream_length() == records
    assert _table() is table and _table().stream_shard is shard  # nothing replaced: readers keep their shard


def test_a_write_that_fails_midway_is_undone_item_by_item_with_its_stream_records(aws: None):
    client = boto3.client("dynamodb")
    client.transact_write_items(TransactItems=[_put("T#x", "A", s={"S": "text"}), _put("T#x", "C", n={"N": "1"})])
    records = _stream_length()

    with pytest.raises(ClientError):
        client.transact_write_items(
            TransactItems=[
                _put("T#x", "B", n={"N": "2"}),
                {"Delete": {"TableName": get_settings().table_name, "Key": {"pk": {"S": "T#x"}, "sk": {"S": "C"}}}},
                {
                    "Update": {  # no condition, but ADD to a string cannot be written
                        "TableName": get_settings().table_name,
                        "Key": {"pk": {"S": "T#x"}, "sk": {"S": "A"}},
                        "UpdateExpression": "ADD s :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
            ]
        )

    assert _get("T#x", "B") is None
    assert _get("T#x", "C") == {"pk": {"S": "T#x"}, "sk": {"S": "C"}, "n": {"N": "1"}}
    assert _get("T#x", "A")["s"] == {"S": "text"}  # type: ignore[index]
    assert _stream_length() == records


def test_a_transaction_does_not_copy_the_table(aws: None, monkeypatch: pytest.MonkeyPatch):
    from moto.dynamodb.models.table import Table

    client = boto3.client("dynamodb")
    client.transact_write_items(TransactItems=[_put("T#x", "A")])
    copied: list[Any] = []
    original = Table.__deepcopy__ if hasattr(Table, "__deepcopy__") else None

    def spy(self: Table, memo: Any) -> Any:
        copied.append(self)
        raise AssertionError("a transaction copied the table")

    monkeypatch.setattr(Table, "__deepcopy__", spy, raising=False)
    client.transact_write_items(TransactItems=[_put("T#x", "B"), _put("T#x", "A", n={"N": "3"})])
    with pytest.raises(ClientError):
        client.transact_write_items(
            TransactItems=[
                _put("T#x", "D"),
                {
                    "ConditionCheck": {
                        "TableName": get_settings().table_name,
                        "Key": {"pk": {"S": "T#x"}, "sk": {"S": "missing"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    assert copied == [] and original is None


def test_the_worker_reads_on_after_refused_transactions(aws: None):
    client = boto3.client("dynamodb")
    handler = Recorder()
    worker = make_worker(handler)
    client.transact_write_items(TransactItems=[_put("T#x", "A", n={"N": "1"})])
    worker.poll_once()

    for _ in range(3):
        with pytest.raises(ClientError):
            client.transact_write_items(
                TransactItems=[
                    _put("T#x", "refused"),
                    {
                        "ConditionCheck": {
                            "TableName": get_settings().table_name,
                            "Key": {"pk": {"S": "T#x"}, "sk": {"S": "A"}},
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            )
        worker.poll_once()
    client.transact_write_items(TransactItems=[_put("T#x", "after")])
    worker.poll_once()

    keys = [r["dynamodb"]["Keys"]["sk"]["S"] for r in handler.records]
    assert keys == ["A", "after"]


def test_a_query_reads_its_partition_in_order_with_paging(aws: None):
    client = boto3.client("dynamodb")
    name = get_settings().table_name
    for pk in ("T#a", "T#b", "T#c"):
        client.transact_write_items(TransactItems=[_put(pk, f"S#{n}", n={"N": str(n)}) for n in (3, 1, 2)])

    def page(**kw: Any) -> Any:
        return client.query(
            TableName=name,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :s)",
            ExpressionAttributeValues={":pk": {"S": "T#b"}, ":s": {"S": "S#"}},
            **kw,
        )

    first = page(Limit=2)
    assert [i["sk"]["S"] for i in first["Items"]] == ["S#1", "S#2"]
    rest = page(ExclusiveStartKey=first["LastEvaluatedKey"])
    assert [i["sk"]["S"] for i in rest["Items"]] == ["S#3"]
    assert [i["sk"]["S"] for i in page(ScanIndexForward=False)["Items"]] == ["S#3", "S#2", "S#1"]
    assert page(Select="COUNT")["Count"] == 3
    none = client.query(
        TableName=name, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": "T#none"}}
    )
    assert none["Items"] == []
    assert "all_items" not in vars(_table())  # the partition is seen by that one call only
