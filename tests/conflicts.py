"""DynamoDB's TransactionConflict, which neither moto nor DynamoDB Local produces (issue 26 point 3).

On AWS a transaction that meets another one under way on one of its items is cancelled whole
(`TransactionCanceledException`), the item in dispute giving the reason `TransactionConflict`, the
others `None`; nothing is written. `transaction_conflicts(n)` makes the next n TransactWriteItems
calls answer exactly that, at the botocore client every adapter goes through (PynamoDB's and boto3's),
so it works on both test engines and the code under test cannot tell it from the real thing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock

from botocore.client import BaseClient
from botocore.exceptions import ClientError

OPERATION = "TransactWriteItems"


@dataclass
class Conflicts:
    remaining: int
    injected: int = 0
    passed: int = 0  # transactions let through (after the injected ones ran out)


def _cancelled(items: list[dict[str, Any]]) -> ClientError:
    reasons = [{"Code": "None"} for _ in items]
    if reasons:
        reasons[0] = {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}
    codes = ", ".join(r["Code"] for r in reasons)
    response: Any = {
        "Error": {
            "Code": "TransactionCanceledException",
            "Message": f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
        },
        "CancellationReasons": reasons,
        "ResponseMetadata": {"HTTPStatusCode": 400, "HTTPHeaders": {}},
    }
    return ClientError(response, OPERATION)


@contextmanager
def transaction_conflicts(times: int) -> Iterator[Conflicts]:
    """The next `times` transactions are cancelled by a TransactionConflict; later ones run."""
    conflicts = Conflicts(times)
    original = BaseClient._make_api_call

    def call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if operation == OPERATION:
            if conflicts.remaining > 0:
                conflicts.remaining -= 1
                conflicts.injected += 1
                raise _cancelled(params.get("TransactItems", []))
            conflicts.passed += 1
        return original(client, operation, params)

    with mock.patch.object(BaseClient, "_make_api_call", call):
        yield conflicts


@contextmanager
def before_next_transaction(change: Callable[[], object]) -> Iterator[None]:
    """`change` runs once, just before the next TransactWriteItems call goes out: a concurrent writer that
    acts between a request's reads and its write (its own writes go out unhindered)."""
    original = BaseClient._make_api_call
    pending = [change]

    def call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if operation == OPERATION and pending:
            pending.pop()()
        return original(client, operation, params)

    with mock.patch.object(BaseClient, "_make_api_call", call):
        yield
