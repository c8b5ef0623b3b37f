"""Give moto's DynamoDB the key-size limits real DynamoDB enforces on reads.

Real DynamoDB refuses a GetItem, BatchGetItem, DeleteItem, UpdateItem or Query whose key values are
over its limits (partition key 2048 bytes, sort key 1024) with a ValidationException. moto checks
the limits only when it stores an item, and answers "not found" otherwise, so a request path that
lets an oversized id reach a key would pass every local test and fail with a 500 on AWS. With this
patch the tests and the fuzzer see what AWS would answer. Production code is unchanged.
"""

from __future__ import annotations

import functools
from typing import Any

HASH_KEY_MAX_BYTES = 2048
RANGE_KEY_MAX_BYTES = 1024


def enforce_dynamodb_key_limits() -> None:
    """Idempotent: wraps moto's key lookup (GetItem, BatchGetItem, DeleteItem, TransactGetItems) and Query."""
    from moto.dynamodb.exceptions import HashKeyTooLong, RangeKeyTooLong
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType

    def check(value: Any, limit: int, error: type[Exception]) -> None:
        if value and DynamoType(value).size() > limit:
            raise error

    original_keys = DynamoDBBackend.get_keys_value
    if not getattr(original_keys, "_ordergate_limited", False):

        @functools.wraps(original_keys)
        def get_keys_value(self: Any, table: Any, keys: dict[str, Any]) -> Any:
            check(keys.get(table.hash_key_attr), HASH_KEY_MAX_BYTES, HashKeyTooLong)
            if table.range_key_attr:
                check(keys.get(table.range_key_attr), RANGE_KEY_MAX_BYTES, RangeKeyTooLong)
            return original_keys(self, table, keys)

        get_keys_value._ordergate_limited = True  # type: ignore[attr-defined]
        DynamoDBBackend.get_keys_value = get_keys_value  # type: ignore[method-assign]

    original_update = DynamoDBBackend.update_item
    if not getattr(original_update, "_ordergate_limited", False):

        @functools.wraps(original_update)
        def update_item(self: Any, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
            table = self.get_table(table_name)
            check(key.get(table.hash_key_attr), HASH_KEY_MAX_BYTES, HashKeyTooLong)
            if table.range_key_attr:
                check(key.get(table.range_key_attr), RANGE_KEY_MAX_BYTES, RangeKeyTooLong)
            return original_update(self, table_name, key, *args, **kwargs)

        update_item._ordergate_limited = True  # type: ignore[attr-defined]
        DynamoDBBackend.update_item = update_item  # type: ignore[method-assign]

    original_query = DynamoDBBackend.query
    if not getattr(original_query, "_ordergate_limited", False):

        @functools.wraps(original_query)
        def query(
            self: Any,
            table_name: str,
            hash_key_dict: dict[str, Any] | None,
            range_comparison: str | None,
            range_value_dicts: list[dict[str, Any]],
            *args: Any,
            **kwargs: Any,
        ) -> Any:
            check(hash_key_dict, HASH_KEY_MAX_BYTES, HashKeyTooLong)
            for value in range_value_dicts or []:
                check(value, RANGE_KEY_MAX_BYTES, RangeKeyTooLong)
            return original_query(self, table_name, hash_key_dict, range_comparison, range_value_dicts, *args, **kwargs)

        query._ordergate_limited = True  # type: ignore[attr-defined]
        DynamoDBBackend.query = query  # type: ignore[method-assign]
