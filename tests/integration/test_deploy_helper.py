"""The steps of `make deploy` around `chalice deploy`, against moto (boto3 clients injected)."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib import config
from infra import deploy, resources
from tests.integration.conftest import STAGE

REPO = Path(__file__).resolve().parents[2]


def create_function(name: str) -> str:
    role = boto3.client("iam").create_role(
        RoleName=f"{name}-role",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as z:
        z.writestr("app.py", "def handler(event, context):\n    return {}\n")
    fn = boto3.client("lambda").create_function(
        FunctionName=name, Runtime="python3.11", Role=role, Handler="app.handler", Code={"ZipFile": code.getvalue()}
    )
    arn: str = fn["FunctionArn"]
    return arn


def subscribe_like_chalice(function_name: str, stream_arn: str) -> str:
    """What `chalice deploy` does for @app.on_dynamodb_record (chalice/awsclient.py): by function ARN."""
    lam = boto3.client("lambda")
    function_arn = lam.get_function_configuration(FunctionName=function_name)["FunctionArn"]
    mapping = lam.create_event_source_mapping(
        EventSourceArn=stream_arn,
        FunctionName=function_arn,
        BatchSize=100,
        StartingPosition="LATEST",
        MaximumBatchingWindowInSeconds=0,
    )
    uuid: str = mapping["UUID"]
    return uuid


@pytest.fixture
def chalice_dir(tmp_path: Path) -> Path:
    """A copy of the committed .chalice/ to write into."""
    target = tmp_path / ".chalice"
    target.mkdir()
    for name in ("config.json", "policy-dev.json", "policy-prod.json"):
        shutil.copy(REPO / ".chalice" / name, target / name)
    return target


# --- signing key ---------------------------------------------------------------------------------


def test_signing_key_is_created_once_as_a_random_secure_string(moto):
    ssm = boto3.client("ssm")

    assert deploy.ensure_signing_key(ssm, "/ordergate/ci/signing-key", STAGE) is True
    first = ssm.get_parameter(Name="/ordergate/ci/signing-key", WithDecryption=True)["Parameter"]
    assert deploy.ensure_signing_key(ssm, "/ordergate/ci/signing-key", STAGE) is False
    second = ssm.get_parameter(Name="/ordergate/ci/signing-key", WithDecryption=True)["Parameter"]

    assert first["Type"] == "SecureString"
    assert len(first["Value"]) >= 32
    assert second["Value"] == first["Value"]


def test_rotating_the_signing_key_replaces_it_and_restarts_the_functions(moto):
    ssm, lam = boto3.client("ssm"), boto3.client("lambda")
    deploy.ensure_signing_key(ssm, "/ordergate/ci/signing-key", STAGE)
    old = ssm.get_parameter(Name="/ordergate/ci/signing-key", WithDecryption=True)["Parameter"]["Value"]
    names = [resources.function_name(STAGE), resources.function_name(STAGE, resources.STREAM_HANDLER)]
    for name in names:
        create_function(name)

    deploy.rotate_signing_key(ssm, lam, "/ordergate/ci/signing-key", names)

    new = ssm.get_parameter(Name="/ordergate/ci/signing-key", WithDecryption=True)["Parameter"]
    assert new["Value"] != old
    assert new["Version"] == 2
    for name in names:
        assert lam.get_function_configuration(FunctionName=name)["Description"] == "signing key version 2"


# --- stream mapping ------------------------------------------------------------------------------


def test_stream_mapping_gets_partial_failures_bisect_bounded_retries_and_the_dlq(stack_outputs):
    fn = resources.function_name(STAGE, resources.STREAM_HANDLER)
    create_function(fn)
    uuid = subscribe_like_chalice(fn, stack_outputs["TableStreamArn"])

    deploy.configure_stream_mapping(
        boto3.client("lambda"), fn, stack_outputs["TableStreamArn"], stack_outputs["DeadLetterQueueArn"]
    )

    mapping = boto3.client("lambda").get_event_source_mapping(UUID=uuid)
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["MaximumRetryAttempts"] == deploy.MAXIMUM_RETRY_ATTEMPTS
    assert mapping["DestinationConfig"] == {"OnFailure": {"Destination": stack_outputs["DeadLetterQueueArn"]}}
    assert mapping["BatchSize"] == 100  # what chalice set is left alone


class SettlingLambda:
    """A Lambda client whose mapping reports `Creating` twice before it is `Enabled`."""

    def __init__(self) -> None:
        self.states = ["Creating", "Creating", "Enabled"]

    def get_event_source_mapping(self, UUID: str) -> dict[str, str]:
        return {"UUID": UUID, "State": self.states.pop(0)}


def test_stream_mapping_step_waits_for_a_mapping_chalice_is_still_creating():
    slept: list[float] = []

    deploy.wait_until_settled(SettlingLambda(), "uuid-1", sleep=slept.append)

    assert slept == [5, 5]


def test_stream_mapping_step_gives_up_on_a_mapping_that_never_settles():
    client = SettlingLambda()
    client.states = ["Updating"] * 3

    with pytest.raises(deploy.DeployError, match="still Updating"):
        deploy.wait_until_settled(client, "uuid-1", sleep=lambda _: None, attempts=3)


def test_stream_mapping_step_says_so_when_chalice_has_not_subscribed_the_function(stack_outputs):
    fn = resources.function_name(STAGE, resources.STREAM_HANDLER)
    create_function(fn)

    with pytest.raises(deploy.DeployError, match="found 0"):
        deploy.configure_stream_mapping(
            boto3.client("lambda"), fn, stack_outputs["TableStreamArn"], stack_outputs["DeadLetterQueueArn"]
        )


# --- stage configuration -------------------------------------------------------------------------


def test_stage_config_gets_the_stack_outputs_and_a_policy_rendered_from_them(stack_outputs, chalice_dir):
    env = resources.environment_from_outputs("dev", stack_outputs)

    deploy.write_stage_config("dev", {k: str(v) for k, v in env.items()}, chalice_dir)

    cfg = json.loads((chalice_dir / "config.json").read_text())
    dev = cfg["stages"]["dev"]
    assert dev["environment_variables"][config.TABLE_NAME] == stack_outputs["TableName"]
    assert dev["environment_variables"][config.STREAM_ARN] == stack_outputs["TableStreamArn"]
    assert dev["environment_variables"][config.DLQ_ARN] == stack_outputs["DeadLetterQueueArn"]
    assert dev["autogen_policy"] is False
    assert dev["lambda_functions"]["on_table_change"]["lambda_timeout"] == 120  # the rest is kept
    assert cfg["stages"]["prod"] == json.loads((REPO / ".chalice" / "config.json").read_text())["stages"]["prod"]
    policy = json.loads((chalice_dir / "policy-dev.json").read_text())
    resources_granted = {r for s in policy["Statement"] for r in s["Resource"]}
    assert {
        stack_outputs["TableArn"],
        stack_outputs["TableArn"] + "/index/*",
        stack_outputs["TableArn"] + "/stream/*",
        stack_outputs["DeadLetterQueueArn"],
        stack_outputs["SesIdentityArn"],
        stack_outputs["SigningKeyParameterArn"],
    } <= resources_granted


def test_sandbox_recipients_are_granted_and_dropped_again(stack_outputs, chalice_dir):
    with_recipients = resources.environment_from_outputs("dev", stack_outputs, ["qa@example.org"])
    deploy.write_stage_config("dev", {k: str(v) for k, v in with_recipients.items()}, chalice_dir)
    granted = json.loads((chalice_dir / "policy-dev.json").read_text())["Statement"]
    assert [s["Resource"] for s in granted if s["Sid"] == "SendEmail"] == [
        [
            stack_outputs["SesIdentityArn"],
            stack_outputs["SesConfigurationSetArn"],
            stack_outputs["SesIdentityArn"].replace("example.org", "qa@example.org"),
        ]
    ]

    without = resources.environment_from_outputs("dev", stack_outputs)
    deploy.write_stage_config("dev", {k: str(v) for k, v in without.items()}, chalice_dir)
    cfg = json.loads((chalice_dir / "config.json").read_text())
    assert config.SES_SANDBOX_RECIPIENTS not in cfg["stages"]["dev"]["environment_variables"]


# --- the whole command line, `chalice deploy` simulated ------------------------------------------


def run(*argv: str, chalice_dir: Path) -> int:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # moto: no CloudFormation model for the alarm and SES identity
        return deploy.main([*argv, "--chalice-dir", str(chalice_dir)])


def test_deploy_before_and_after_chalice_deploy(moto, chalice_dir, capsys):
    assert run("before", "--stage", "dev", "--ses-identity", "example.org", chalice_dir=chalice_dir) == 0

    env: dict[str, Any] = json.loads((chalice_dir / "config.json").read_text())["stages"]["dev"][
        "environment_variables"
    ]
    assert env[config.SES_IDENTITY] == "example.org"
    assert (
        env[config.STREAM_ARN]
        == boto3.client("dynamodb").describe_table(TableName="ordergate-dev")["Table"]["LatestStreamArn"]
    )
    assert boto3.client("ssm").get_parameter(Name=env[config.SIGNING_KEY_PARAMETER])["Parameter"]["Type"] == (
        "SecureString"
    )
    assert json.loads((chalice_dir / "policy-dev.json").read_text()) == resources.stage_policy("dev", env)

    # `chalice deploy --stage dev` imports app.py with these variables and subscribes the handler.
    fn = resources.function_name("dev", resources.STREAM_HANDLER)
    create_function(fn)
    uuid = subscribe_like_chalice(fn, env[config.STREAM_ARN])

    assert run("after", "--stage", "dev", chalice_dir=chalice_dir) == 0
    mapping = boto3.client("lambda").get_event_source_mapping(UUID=uuid)
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == env[config.DLQ_ARN]

    # A second deploy needs no SES identity: it is in the stage configuration now.
    assert run("before", "--stage", "dev", chalice_dir=chalice_dir) == 0


def test_signing_key_command_creates_the_key_the_packaged_stack_will_name(moto):
    assert run("signing-key", "--stage", "prod", chalice_dir=REPO / ".chalice") == 0

    parameter = boto3.client("ssm").get_parameter(Name=resources.signing_key_parameter("prod"))["Parameter"]
    assert parameter["Type"] == "SecureString"


def test_first_deploy_without_an_ses_identity_stops_with_a_hint(moto, chalice_dir, capsys):
    assert run("before", "--stage", "dev", chalice_dir=chalice_dir) == 1

    assert "SES_IDENTITY=" in capsys.readouterr().err
    assert boto3.client("cloudformation").list_stacks()["StackSummaries"] == []


# --- API Gateway's own answers on a `chalice deploy` stage --------------------------------------------


def test_after_a_chalice_deploy_an_unknown_path_answers_404_in_our_envelope(moto, chalice_dir):
    apigw = boto3.client("apigateway")
    assert deploy.put_gateway_responses(apigw, "dev", chalice_dir) == 0  # nothing deployed yet: nothing to do

    api_id = apigw.create_rest_api(name="ordergate")["id"]  # what `chalice deploy` made and recorded
    root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK")
    (chalice_dir / "deployed").mkdir()
    url = f"https://{api_id}.execute-api.eu-west-1.amazonaws.com/api/"
    resources_ = [{"name": "rest_api", "resource_type": "rest_api", "rest_api_id": api_id, "rest_api_url": url}]
    (chalice_dir / "deployed" / "dev.json").write_text(json.dumps({"resources": resources_}))

    for _ in range(2):  # every `make deploy` puts them back: chalice's deploy replaces the API definition
        assert deploy.put_gateway_responses(apigw, "dev", chalice_dir) > 0
    found = {r["responseType"]: r for r in apigw.get_gateway_responses(restApiId=api_id)["items"]}
    missing_token = found["MISSING_AUTHENTICATION_TOKEN"]
    assert missing_token["statusCode"] == "404"
    body = json.loads(missing_token["responseTemplates"]["application/json"])
    assert body["error"]["code"] == "not_found" and "Authentication Token" not in json.dumps(body)
    assert json.loads(found["DEFAULT_5XX"]["responseTemplates"]["application/json"])["error"]["code"] == (
        "internal_error"
    )
    deployments = apigw.get_deployments(restApiId=api_id)["items"]
    assert len(deployments) == 2  # each put is made live on the stage
