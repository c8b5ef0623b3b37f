"""moto in process for the infra tests: the infra template deployed into moto's CloudFormation."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest

STAGE = "ci"


@pytest.fixture
def moto() -> Iterator[None]:
    from moto import mock_aws

    with mock_aws():
        yield


@pytest.fixture
def cfn(moto: None) -> Any:
    import boto3

    return boto3.client("cloudformation")


@pytest.fixture
def stack_outputs(cfn: Any) -> dict[str, str]:
    """infra/ordergate.yaml deployed by the deploy helper, as `make deploy` does."""
    from infra import deploy, resources

    parameters: dict[str, str | None] = {"Stage": STAGE, "SesIdentity": "example.org"}
    with warnings.catch_warnings():
        # moto has no CloudFormation model for these two; test_infra_template.py checks it is only them.
        warnings.filterwarnings("ignore", message=r"Tried to parse AWS::(CloudWatch::Alarm|SES::EmailIdentity)")
        return deploy.deploy_stack(cfn, deploy.stack_name(STAGE), resources.template_body(), parameters)
