"""The benchmark's environment: moto in process, fake credentials, no endpoints, no network.

Imported before anything that imports boto3 or PynamoDB (they read the environment when a client
is built). The same settings as tests/conftest.py, with a table of its own.
"""

from __future__ import annotations

import os
from typing import Any

ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",  # PITFALLS.md: moto and stream ARNs
    "ORDERGATE_TABLE": "ordergate-bench",
    "ORDERGATE_SIGNING_KEY": "bench-signing-key-0123456789abcdef0123456789",
    # Password hashing costs CPU, not round trips: the fast profile keeps the run short.
    "ORDERGATE_PASSWORD_HASH_PROFILE": "fast",
    # The stream phase sends 1,000 e-mails; their INFO lines would bury the summary.
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}
UNSET = ("ORDERGATE_DYNAMODB_ENDPOINT", "ORDERGATE_SES_ENDPOINT", "AWS_ENDPOINT_URL", "AWS_PROFILE")


def apply() -> None:
    os.environ.update(ENV)
    for name in UNSET:
        os.environ.pop(name, None)


def child_env() -> dict[str, str]:
    """The environment of the fresh interpreters the cold-import figure starts."""
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    env.update(ENV)
    return env


def moto_backs_up_tables_once() -> None:
    """moto backs up the table before each transaction, to roll back a failed one: once per *item* of the
    transaction (the copies overwrite each other; the last one is kept), a deep copy of the whole table,
    stream records included. With order writes that carry forty ConditionChecks that is forty copies per
    request, and the endpoints phase grew to 9 GB and minutes of moto time. Copy each table once per
    transaction, which is what moto means to do: no DynamoDB figure (calls, items, capacity) changes,
    only moto's wall time and memory."""
    import copy

    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    original = DynamoDBBackend.transact_write_items
    if getattr(original, "backs_up_once", False):
        return

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        deepcopy = copy.deepcopy
        backups: dict[int, Any] = {}

        def copy_once(value: Any, memo: Any = None) -> Any:
            if isinstance(value, Table):
                if id(value) not in backups:
                    backups[id(value)] = deepcopy(value, memo)
                return backups[id(value)]
            return deepcopy(value, memo)

        copy.deepcopy = copy_once  # type: ignore[assignment]
        try:
            original(self, transact_items)
        finally:
            copy.deepcopy = deepcopy

    transact_write_items.backs_up_once = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
