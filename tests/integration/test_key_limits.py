"""DynamoDB's key-size limits, locally: moto is given the limits real DynamoDB enforces on reads
(devstack/key_limits.py), and a read refused for its key is a 404 (storage/table.py), the
one backstop behind the API's own id checks."""

from __future__ import annotations

import pytest
from pynamodb.exceptions import GetError, PutError, QueryError

from chalicelib.domain.errors import NotFoundError
from chalicelib.storage import customers, table
from chalicelib.storage.items import UniqueItem

OVERSIZED_SORT_KEY_PART = "é" * 600  # 1,200 bytes: over the 1,024-byte sort key limit
OVERSIZED_PARTITION_KEY_PART = "x" * 2100


@pytest.mark.parametrize(
    "read",
    [
        lambda: customers.get("acme", OVERSIZED_SORT_KEY_PART),
        lambda: customers.get_many("acme", ["c1", OVERSIZED_SORT_KEY_PART]),
        pytest.param(
            lambda: customers.list_page("acme", 10, None, sales_rep_id=OVERSIZED_PARTITION_KEY_PART),
            marks=pytest.mark.moto_only(
                reason="DynamoDB Local answers an index Query on an oversized key with no items; AWS and our moto "
                "patch refuse it (either way: not found)"
            ),
        ),
        lambda: customers.get(OVERSIZED_PARTITION_KEY_PART, "c1"),
    ],
    ids=["GetItem", "BatchGetItem", "Query on an index", "GetItem, partition key"],
)
def test_a_read_with_an_oversized_key_is_refused_as_dynamodb_does_and_means_not_found(aws: None, read) -> None:
    with pytest.raises((GetError, QueryError)) as refused:
        read()
    assert refused.value.cause_response_code == "ValidationException"
    assert isinstance(table.domain_error(refused.value), NotFoundError)


def test_a_key_just_within_the_limit_reads_as_a_plain_miss(aws: None) -> None:
    with pytest.raises(NotFoundError):
        customers.get("acme", "é" * 507)  # "CUSTOMER#" + 1,014 bytes: 1,023 bytes, one under the limit


def test_a_write_refused_by_dynamodb_is_not_turned_into_a_404(aws: None) -> None:
    with pytest.raises(PutError) as refused:
        UniqueItem("T#acme", "UNIQUE#" + OVERSIZED_SORT_KEY_PART, owner_id="x").save()
    assert refused.value.cause_response_code == "ValidationException"
    assert table.domain_error(refused.value) is None  # a bug of ours: a 500, logged, not a 404


def test_other_errors_are_not_mapped() -> None:
    assert table.domain_error(ValueError("boom")) is None
