"""Shared test set-up: a fake AWS environment, moto in process, a fresh table per test."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

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
        "ORDERGATE_DOCUMENTS_BUCKET": "ordergate-documents-test",
    }
)
_ENDPOINTS = ("ORDERGATE_DYNAMODB_ENDPOINT", "ORDERGATE_SES_ENDPOINT", "ORDERGATE_S3_ENDPOINT", "AWS_ENDPOINT_URL")
for var in (*_ENDPOINTS, "AWS_PROFILE"):
    os.environ.pop(var, None)


@contextmanager
def aws_environment() -> Iterator[None]:
    """moto in process, with the OrderGate table created from the item models."""
    from moto import mock_aws

    from chalicelib import bootstrap
    from chalicelib.config import get_settings
    from chalicelib.storage import table
    from devstack.isolation import moto_costs_what_it_touches, serialize_dynamodb_operations
    from devstack.key_limits import enforce_dynamodb_key_limits
    from devstack.s3_post_policy import enforce_post_policies

    serialize_dynamodb_operations()  # concurrency tests need DynamoDB's isolation, see the module
    moto_costs_what_it_touches()  # a transaction or Query costs what it touches; a refused one writes nothing
    enforce_dynamodb_key_limits()  # and its key-size limits on reads: an oversized id must not pass locally
    enforce_post_policies()  # S3 checks a presigned POST's policy; moto does not (s3_post_policy.py)
    with mock_aws():
        bootstrap.reset()
        bootstrap.configure_storage(get_settings())
        table.create_table()
        _create_documents_bucket()
        yield
        bootstrap.reset()


def _create_documents_bucket() -> None:
    import boto3

    from chalicelib.config import get_settings

    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=get_settings().documents_bucket)


@pytest.fixture
def aws() -> Iterator[None]:
    """A fresh table for one test."""
    with aws_environment():
        yield


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The fuzz run's request count and statuses (tests/functional/test_fuzz.py), when it ran."""
    fuzz = sys.modules.get("tests.functional.test_fuzz")
    line = fuzz.summary() if fuzz is not None else None
    if line and not getattr(terminalreporter, "_ordergate_fuzz_reported", False):  # some plugins call this twice
        terminalreporter._ordergate_fuzz_reported = True  # type: ignore[attr-defined]
        terminalreporter.write_line(line)
