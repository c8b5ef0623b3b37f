"""infra/ordergate.yaml against the PynamoDB models (the one source of truth), offline and deployed
into moto's CloudFormation."""

from __future__ import annotations

import copy
import warnings
from typing import Any

import boto3
import pytest

from chalicelib.storage.items import BaseItem
from infra import deploy, resources
from tests.infra_checks import aws_shape, model_shape, shape_differences
from tests.integration.conftest import STAGE


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return resources.load_template()


def table_properties(template: dict[str, Any], name: str = "Table") -> dict[str, Any]:
    props: dict[str, Any] = template["Resources"][name]["Properties"]
    return props


# --- the template, offline -----------------------------------------------------------------------


def test_template_table_has_the_keys_and_indexes_of_the_item_models(template):
    assert shape_differences(model_shape(), aws_shape(table_properties(template))) == []


def test_schema_check_fails_when_a_gsi_is_added_to_the_models_but_not_the_template(template):
    models = model_shape()
    models["gsi"]["gsi9"] = {"keys": [("gsi9pk", "HASH"), ("gsi9sk", "RANGE")], "projection": "ALL"}
    models["attributes"].update({"gsi9pk": "S", "gsi9sk": "S"})

    problems = shape_differences(models, aws_shape(table_properties(template)))

    assert "gsi gsi9 is in the models but not in the template" in problems


def test_schema_check_fails_when_a_gsi_is_added_to_the_template_but_not_the_models(template):
    props = copy.deepcopy(table_properties(template))
    props["GlobalSecondaryIndexes"].append(
        {
            "IndexName": "gsi9",
            "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
        }
    )

    problems = shape_differences(model_shape(), aws_shape(props))

    assert problems == ["gsi gsi9 is in the template but not in the models"]


def test_schema_check_fails_when_an_index_projection_differs(template):
    props = copy.deepcopy(table_properties(template))
    props["GlobalSecondaryIndexes"][0]["Projection"] = {"ProjectionType": "KEYS_ONLY"}

    assert len(shape_differences(model_shape(), aws_shape(props))) == 1


def test_template_table_settings_follow_the_models(template):
    props = table_properties(template)
    meta: Any = BaseItem.Meta
    ttl = BaseItem._ttl_attribute()  # type: ignore[no-untyped-call]
    assert ttl is not None

    assert props["BillingMode"] == meta.billing_mode
    assert props["StreamSpecification"] == {"StreamViewType": meta.stream_view_type}
    assert props["TimeToLiveSpecification"] == {"AttributeName": ttl.attr_name, "Enabled": True}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True}
    assert template["Resources"]["Table"]["DeletionPolicy"] == "Retain"


def test_there_is_one_table(template):
    # Idempotency-Key records live in the table, claimed in the order's own transaction (storage/
    # idempotency.py); nothing uses a second table, so none is provisioned.
    tables = [name for name, r in template["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table"]
    assert tables == ["Table"]


def test_template_holds_no_secret(template):
    text = resources.template_body()
    assert "AWS::SSM::Parameter" not in text  # the SecureString is created by infra/deploy.py
    assert set(template["Parameters"]) == {"Stage", "SesIdentity", "CreateSesIdentity", "PortalOrigin", "AlarmTopicArn"}


def test_every_environment_variable_comes_from_a_template_output(template):
    assert set(resources.ENVIRONMENT_FROM_OUTPUTS.values()) <= set(template["Outputs"])


# --- deployed into moto's CloudFormation ---------------------------------------------------------


def test_stack_creates_a_table_with_the_keys_indexes_and_stream_of_the_item_models(stack_outputs):
    table = boto3.client("dynamodb").describe_table(TableName=stack_outputs["TableName"])["Table"]
    meta: Any = BaseItem.Meta

    assert shape_differences(model_shape(), aws_shape(table), "deployed table") == []
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": meta.stream_view_type}
    assert table["LatestStreamArn"] == stack_outputs["TableStreamArn"]
    assert table["BillingModeSummary"]["BillingMode"] == meta.billing_mode


def test_stack_creates_the_dead_letter_queue(stack_outputs):
    queue = boto3.client("sqs").get_queue_attributes(
        QueueUrl=stack_outputs["DeadLetterQueueUrl"], AttributeNames=["QueueArn", "MessageRetentionPeriod"]
    )["Attributes"]

    assert queue == {"QueueArn": stack_outputs["DeadLetterQueueArn"], "MessageRetentionPeriod": "1209600"}


def test_stack_names_every_resource_after_the_stage(stack_outputs):
    assert stack_outputs["TableName"] == f"ordergate-{STAGE}"
    assert stack_outputs["DeadLetterQueueArn"].endswith(f":ordergate-{STAGE}-stream-dlq")
    assert stack_outputs["SigningKeyParameterName"] == resources.signing_key_parameter(STAGE)


def test_moto_skips_only_the_alarm_and_the_ses_identity(cfn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        deploy.deploy_stack(cfn, "skipped", resources.template_body(), {"Stage": STAGE, "SesIdentity": "example.org"})

    skipped = {str(w.message).split()[3] for w in caught if "not supported by moto" in str(w.message)}
    # moto's CloudFormation creates the documents bucket but not its policy (the TLS-only deny), nor SES's.
    ses = {"AWS::SES::EmailIdentity", "AWS::SES::ConfigurationSet", "AWS::SES::ConfigurationSetEventDestination"}
    assert skipped == {"AWS::CloudWatch::Alarm", "AWS::S3::BucketPolicy", *ses}


def test_redeploying_the_stack_keeps_its_outputs(cfn, stack_outputs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = deploy.deploy_stack(
            cfn, deploy.stack_name(STAGE), resources.template_body(), {"Stage": STAGE, "SesIdentity": None}
        )

    assert again == stack_outputs


def test_the_stage_environment_rebuilds_the_stack_outputs(stack_outputs):
    env = resources.environment_from_outputs(STAGE, stack_outputs)

    rebuilt = resources.outputs_from_environment({k: str(v) for k, v in env.items()})

    assert rebuilt == {k: stack_outputs[k] for k in rebuilt}
    assert set(rebuilt) >= {"TableArn", "SesIdentityArn", "SigningKeyParameterArn"}
