"""Shared test set-up: a fake AWS environment, moto in process, a fresh table per test."""

from __future__ import annotations

import functools
import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

# The order tests' `world` fixture (customers, people, a fake catalog) is shared by several modules.
pytest_plugins = ["tests.functional.order_world"]

TABLE = "ordergate-test"

# Before anything imports boto3/PynamoDB: fake credentials, one region, no real endpoints.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",  # see PITFALLS.md: moto and stream ARNs
        "ORDERGATE_TABLE": TABLE,
        "ORDERGATE_SIGNING_KEY": "test-signing-key-0123456789abcdef0123456789",
        "ORDERGATE_PASSWORD_HASH_PROFILE": "fast",
        "ORDERGATE_DOCUMENTS_BUCKET": "ordergate-documents-test",
        # Where e-mails' action, invitation and reset links lead (the local stack's address, as make run sets it).
        "ORDERGATE_PUBLIC_API_URL": "http://127.0.0.1:8000",
    }
)
_ENDPOINTS = ("ORDERGATE_DYNAMODB_ENDPOINT", "ORDERGATE_SES_ENDPOINT", "ORDERGATE_S3_ENDPOINT", "AWS_ENDPOINT_URL")
for var in (*_ENDPOINTS, "AWS_PROFILE"):
    os.environ.pop(var, None)


def _one_botocore_loader_per_process() -> None:
    """moto's mock_aws drops boto3's default session and PynamoDB builds a botocore session per
    connection, so each test builds its clients from new sessions, and each new session's loader
    parsed the services' JSON models again: a quarter of a functional test's CPU (measured with
    cProfile, December 2026). The models do not change during a run, so every session of the
    process shares one loader and its cache; the clients themselves are still built per test."""
    import botocore.loaders
    import botocore.session

    botocore.session.create_loader = functools.cache(botocore.loaders.create_loader)


_one_botocore_loader_per_process()


# --- the DynamoDB engine: moto in process, or Amazon's DynamoDB Local (issue 26) --------------------
MOTO = "moto"
DYNAMODB_LOCAL = "dynamodb-local"
ENGINES = (MOTO, DYNAMODB_LOCAL)
ENGINE_VAR = "ORDERGATE_TEST_ENGINE"  # what `--engine` defaults to
# Each xdist worker runs one JVM with a bounded heap, one database (an access key) and a table per
# test, dropped after it: the memory in use stays that of one test's table.
DYNAMODB_LOCAL_HEAP_MB = 384
DYNAMODB_LOCAL_KEY = "testing"  # DynamoDB Local takes letters and digits only
_engine = MOTO
_dynamodb_local: Any = None  # devstack.dynamodb_local.DynamoDBLocal, started on first use in this process


def _server() -> Any:
    global _dynamodb_local
    if _dynamodb_local is None:
        from devstack.dynamodb_local import DynamoDBLocal
        from devstack.ports import free_port

        server = DynamoDBLocal("127.0.0.1", free_port(), "us-east-1", heap_mb=DYNAMODB_LOCAL_HEAP_MB)
        try:
            server.start()
        except Exception as exc:
            _dynamodb_local = exc  # every later test of this worker fails at once, not after the timeout
            raise
        _dynamodb_local = server
    if isinstance(_dynamodb_local, Exception):
        raise _dynamodb_local
    return _dynamodb_local


def dynamodb_client(service: str = "dynamodb") -> Any:
    """A client of the engine the test runs on (`dynamodb` or `dynamodbstreams`), as the app's own are built."""
    import boto3

    from chalicelib.config import get_settings

    settings = get_settings()
    return boto3.client(service, region_name=settings.region, endpoint_url=settings.dynamodb_endpoint)


@contextmanager
def aws_environment() -> Iterator[None]:
    """moto in process (SES, S3, SQS, and DynamoDB on the moto engine), with the OrderGate table
    created from the item models: on the moto engine in moto, on DynamoDB Local a table of its own
    (a name of its own), dropped afterwards."""
    from moto import mock_aws

    from chalicelib import bootstrap
    from chalicelib.config import get_settings
    from chalicelib.storage import table
    from devstack.s3_post_policy import enforce_post_policies
    from devstack.ses_identities import ses_identities_as_on_aws

    enforce_post_policies()  # S3 checks a presigned POST's policy; moto does not (s3_post_policy.py)
    ses_identities_as_on_aws()  # DKIM tokens, pending until published, one identity per name
    local = _server() if _engine == DYNAMODB_LOCAL else None
    if local is None:
        from devstack.isolation import moto_costs_what_it_touches, serialize_dynamodb_operations
        from devstack.key_limits import enforce_dynamodb_key_limits

        serialize_dynamodb_operations()  # concurrency tests need DynamoDB's isolation, see the module
        moto_costs_what_it_touches()  # a transaction or Query costs what it touches; a refused one writes nothing
        enforce_dynamodb_key_limits()  # and its key-size limits on reads: an oversized id must not pass locally
    with mock_aws():
        if local is not None:
            # After mock_aws, which sets credentials of its own: the worker's database, a table of the test's.
            os.environ.update(
                {
                    "AWS_ACCESS_KEY_ID": DYNAMODB_LOCAL_KEY,
                    "AWS_SECRET_ACCESS_KEY": DYNAMODB_LOCAL_KEY,
                    "ORDERGATE_DYNAMODB_ENDPOINT": local.url,
                    "ORDERGATE_TABLE": f"ordergate-test-{uuid.uuid4().hex[:12]}",
                }
            )
        bootstrap.reset()
        bootstrap.configure_storage(get_settings())
        table.create_table()
        _create_documents_bucket()
        try:
            yield
        finally:
            if local is not None:
                dynamodb_client().delete_table(TableName=get_settings().table_name)  # frees the JVM's memory
                os.environ.pop("ORDERGATE_DYNAMODB_ENDPOINT", None)
                os.environ["ORDERGATE_TABLE"] = TABLE
            bootstrap.reset()


def _create_documents_bucket() -> None:
    import boto3

    from chalicelib.config import get_settings

    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=get_settings().documents_bucket)
    # As infra/ordergate.yaml makes it: a document is fixed to the version that arrived first.
    versioning = {"Status": "Enabled"}
    s3.put_bucket_versioning(Bucket=get_settings().documents_bucket, VersioningConfiguration=versioning)


@pytest.fixture
def aws() -> Iterator[None]:
    """A fresh table for one test."""
    with aws_environment():
        yield


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--engine",
        choices=ENGINES,
        default=os.environ.get(ENGINE_VAR) or MOTO,
        help="the DynamoDB the tests use: moto in process (default) or Amazon's DynamoDB Local (a JVM per worker)",
    )


def pytest_configure(config: pytest.Config) -> None:
    global _engine
    _engine = config.getoption("--engine")


def pytest_unconfigure(config: pytest.Config) -> None:
    if _dynamodb_local is not None and not isinstance(_dynamodb_local, Exception):
        _dynamodb_local.stop()


def _touches_dynamodb(item: pytest.Item) -> bool:
    """The tests worth a second engine: they use the `aws` fixture or build their own aws_environment()."""
    if "aws" in getattr(item, "fixturenames", ()):
        return True
    module = getattr(item, "module", None)
    return getattr(module, "aws_environment", None) is aws_environment


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On DynamoDB Local: only the tests that touch DynamoDB, and not those marked moto-only (each
    says why). Deselected, not skipped: they ran on moto in the same `make test`."""
    for item in items:
        marker = item.get_closest_marker("moto_only")
        if marker is not None and not (marker.kwargs.get("reason") or marker.args):
            raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.moto_only needs a reason")
    if _engine != DYNAMODB_LOCAL:
        return
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        if item.get_closest_marker("moto_only") is not None or not _touches_dynamodb(item):
            dropped.append(item)
        else:
            keep.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
    workeroutput = getattr(config, "workeroutput", None)  # an xdist worker: tell the controller
    if workeroutput is not None:
        workeroutput["ordergate_deselected"] = len(dropped)


_deselected_on_workers: list[int] = []


def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist's controller collects nothing itself: the workers say how many they deselected."""
    _deselected_on_workers.append(int(getattr(node, "workeroutput", {}).get("ordergate_deselected", 0)))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The fuzz run's request count and statuses (tests/functional/test_fuzz.py), when it ran."""
    fuzz = sys.modules.get("tests.functional.test_fuzz")
    line = fuzz.summary() if fuzz is not None else None
    if line and not getattr(terminalreporter, "_ordergate_fuzz_reported", False):  # some plugins call this twice
        terminalreporter._ordergate_fuzz_reported = True  # type: ignore[attr-defined]
        terminalreporter.write_line(line)
    if not hasattr(terminalreporter.config, "workerinput"):  # once, in the process that reports
        stats = terminalreporter.stats
        outcomes = {k: len(stats.get(k, [])) for k in ("passed", "failed", "error", "skipped")}
        run = sum(outcomes.values())
        # Every worker collects (and deselects) the same tests.
        dropped = max(_deselected_on_workers, default=len(stats.get("deselected", [])))
        why = " (moto-only, or not touching DynamoDB)" if _engine == DYNAMODB_LOCAL else ""
        terminalreporter.write_line(
            f"DynamoDB engine {_engine}: {run} tests run ({outcomes['passed']} passed, "
            f"{outcomes['failed'] + outcomes['error']} failed or errors), {dropped} deselected{why}"
        )
