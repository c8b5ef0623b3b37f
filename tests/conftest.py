"""Shared test set-up: a fake AWS environment, moto in process, a fresh table per test."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# The order tests' `world` fixture (customers, people, a fake catalog) is shared by several modules.
pytest_plugins = ["tests.functional.order_world"]

# Before anything imports boto3/PynamoDB: fake credentials, one region, no real endpoints.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",  # see PITFALLS.md: moto and stream ARNs
        "ORDERGATE_TABLE": "ordergate-test",
        "ORDERGATE_SIGNING_KEY": "test-signing-key-0123456789abcdef0123456789",
        "ORDERGATE_PASSWORD_HASH_PROFILE": "fast",
    }
)
for var in ("ORDERGATE_DYNAMODB_ENDPOINT", "ORDERGATE_SES_ENDPOINT", "AWS_ENDPOINT_URL", "AWS_PROFILE"):
    os.environ.pop(var, None)


def forget_copies() -> None:
    from chalicelib.services import approvers
    from chalicelib.storage import offer_reads

    offer_reads.forget()
    approvers.forget()


@pytest.fixture
def aws() -> Iterator[None]:
    """moto in process, with the OrderGate table created from the item models."""
    from moto import mock_aws

    from chalicelib import bootstrap
    from chalicelib.config import get_settings
    from chalicelib.local.isolation import serialize_dynamodb_operations
    from chalicelib.storage import table

    serialize_dynamodb_operations()  # concurrency tests need DynamoDB's isolation, see the module
    with mock_aws():
        bootstrap.reset()
        forget_copies()  # a new table: the process's copies of the last one's items would only miss
        bootstrap.configure_storage(get_settings())
        table.create_table()
        yield
        bootstrap.reset()
