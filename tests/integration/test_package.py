"""`make package`: one deployable template (app + infra) that passes cfn-lint.

`chalice package` runs once per session (session fixture). It pip-installs requirements.txt for
Linux, which needs the package index; Chalice caches the resulting zip in .chalice/deployments/ by
requirements hash, so only the first run on a machine downloads (a few seconds), later ones take
about a second. Deselect with `-m "not package"` for a quick loop.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from chalicelib import config
from infra import deploy, package, resources
from tests.infra_checks import aws_shape, model_shape, shape_differences, template_policies, wildcard_problems

pytestmark = pytest.mark.package

STAGE = "prod"


@pytest.fixture(scope="session")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return package.build(STAGE, tmp_path_factory.mktemp("build"))


@pytest.fixture(scope="session")
def sam(packaged: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(packaged.read_text())
    return loaded


def test_packaged_template_passes_cfn_lint(packaged):
    cfn_lint = Path(sys.executable).with_name("cfn-lint")

    result = subprocess.run([str(cfn_lint), str(packaged)], capture_output=True, text=True, check=False)

    assert result.returncode == 0, result.stdout + result.stderr


def test_stream_mapping_has_partial_failures_bisect_bounded_retries_and_the_dlq(sam):
    function = sam["Resources"][package.STREAM_FUNCTION]
    [event] = function["Properties"]["Events"].values()

    assert event["Type"] == "DynamoDB"
    props = event["Properties"]
    assert props["Stream"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BisectBatchOnFunctionError"] is True
    assert props["MaximumRetryAttempts"] == deploy.MAXIMUM_RETRY_ATTEMPTS
    dlq = {"Fn::GetAtt": ["StreamDeadLetterQueue", "Arn"]}
    assert props["DestinationConfig"] == {"OnFailure": {"Destination": dlq}}
    assert props["BatchSize"] == 100  # from app.py, kept by the merge


def test_packaged_table_is_the_infra_table_and_matches_the_item_models(sam):
    table = sam["Resources"]["Table"]

    assert table == resources.load_template()["Resources"]["Table"]
    assert shape_differences(model_shape(), aws_shape(table["Properties"]), "packaged template") == []


def test_packaged_template_has_no_wildcard_action_or_resource(sam):
    policies = template_policies(sam)

    assert set(policies) == {
        f"{package.API_ROLE}/{package.API_ROLE}Policy",
        f"{package.STREAM_ROLE}/{package.STREAM_ROLE}Policy",
        f"{package.DOCUMENTS_ROLE}/{package.DOCUMENTS_ROLE}Policy",
        f"{package.WEBHOOK_ROLE}/{package.WEBHOOK_ROLE}Policy",
        f"{package.SCHEDULE_ROLE}/{package.SCHEDULE_ROLE}Policy",
        f"{package.REMINDERS_ROLE}/{package.REMINDERS_ROLE}Policy",
        f"{package.SES_EVENTS_ROLE}/{package.SES_EVENTS_ROLE}Policy",
    }
    for name, document in policies.items():
        assert wildcard_problems(document) == [], name
    assert '"Action": "*"' not in json.dumps(sam)


def test_merge_only_overrides_resources_chalice_generated(sam):
    # A Chalice upgrade renaming a logical id would leave a merged resource without a Type.
    assert all("Type" in resource for resource in sam["Resources"].values())
    assert sam["Resources"][package.API_FUNCTION]["Properties"]["Role"] == {"Fn::GetAtt": [package.API_ROLE, "Arn"]}
    assert sam["Resources"][package.STREAM_FUNCTION]["Properties"]["Role"] == {
        "Fn::GetAtt": [package.STREAM_ROLE, "Arn"]
    }
    assert sam["Resources"][package.REMINDERS_FUNCTION]["Properties"]["Role"] == {
        "Fn::GetAtt": [package.REMINDERS_ROLE, "Arn"]
    }
    assert sam["Resources"][package.DOCUMENTS_FUNCTION]["Properties"]["Role"] == {
        "Fn::GetAtt": [package.DOCUMENTS_ROLE, "Arn"]
    }


def test_the_documents_bucket_is_private_tls_only_and_calls_the_handler_on_new_objects(sam):
    resources_ = sam["Resources"]
    bucket = resources_[package.DOCUMENTS_BUCKET]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }
    [cors] = bucket["CorsConfiguration"]["CorsRules"]
    assert cors["AllowedOrigins"] == [{"Ref": "PortalOrigin"}] and set(cors["AllowedMethods"]) == {"POST", "GET"}
    [rule] = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    [notification] = bucket["NotificationConfiguration"]["LambdaConfigurations"]
    assert notification["Function"] == {"Fn::GetAtt": [package.DOCUMENTS_FUNCTION, "Arn"]}
    assert notification["Event"] == "s3:ObjectCreated:*"
    [deny] = resources_["DocumentsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    # Versioned: a document is fixed to the version that arrived first (a later upload is never served).
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    # The handler may reach the documents' objects and their versions, and list versions under their
    # prefix only: nothing else of S3.
    policy = template_policies(sam)[f"{package.DOCUMENTS_ROLE}/{package.DOCUMENTS_ROLE}Policy"]
    s3, listing = [s for s in policy["Statement"] if any(a.startswith("s3:") for a in s["Action"])]
    assert sorted(s3["Action"]) == [
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:PutObject",
    ]
    assert json.dumps(s3["Resource"]).count("/t/*") == 1
    assert listing["Action"] == ["s3:ListBucketVersions"]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["t/*"]}}


def test_no_literal_from_the_stage_config_survives(packaged, sam):
    text = packaged.read_text()
    env = deploy.stage_environment(STAGE)

    assert config.PLACEHOLDER_STREAM_ARN not in text
    assert env[config.STREAM_ARN] not in text
    assert env[config.DLQ_ARN] not in text
    assert sam["Resources"][package.API_FUNCTION]["Properties"]["Environment"]["Variables"][config.TABLE_NAME] == {
        "Ref": "Table"
    }


def test_deployment_zip_holds_the_app_and_linux_wheels_only(packaged):
    names = zipfile.ZipFile(packaged.with_name("deployment.zip")).namelist()
    top = {n.split("/")[0] for n in names}

    assert {"app.py", "chalicelib", "chalice", "pynamodb", "pydantic_core", "argon2", "jwt"} <= top
    assert not top & {"tests", "infra", "moto", "cfnlint", ".chalice"}
    assert any(n.startswith("pydantic_core/") and n.endswith("x86_64-linux-gnu.so") for n in names)


def test_deployment_zip_ships_production_code_only(packaged):
    """The local stack, the emulator patches, the fakes and the tests stay out of the Lambda: not
    as a folder, not copied into chalicelib/, not imported by what ships."""
    root = Path(__file__).resolve().parents[2]
    zipped = zipfile.ZipFile(packaged.with_name("deployment.zip"))
    ours = [n for n in zipped.namelist() if n == "app.py" or n.startswith("chalicelib/")]
    development = {
        path.read_bytes()
        for folder in ("devstack", "tests", "bench")
        for path in (root / folder).rglob("*.py")
        if path.stat().st_size > 0
    }

    assert not {n.split("/")[0] for n in zipped.namelist()} & {"devstack", "tests", "bench", "events", "scripts"}
    assert any(n.startswith("chalicelib/storage/") for n in ours)  # the check looks at the real thing
    for name in (n for n in ours if n.endswith(".py")):
        source = zipped.read(name)
        assert source not in development, name
        tree = ast.parse(source)
        imported = {a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
        imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not {m for m in imported if m.split(".")[0] in {"devstack", "tests", "moto", "bench"}}, name
        fakes = [n.name for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name.startswith("Fake")]
        assert fakes == [], name


def test_api_gateway_answers_an_unknown_path_with_a_404_in_our_envelope(sam):
    api = sam["Resources"][package.REST_API]
    body = api["Properties"]["DefinitionBody"]
    responses = body["x-amazon-apigateway-gateway-responses"]

    assert api["Type"] == "AWS::Serverless::Api" and body["paths"]  # merged into chalice's definition
    assert {"DEFAULT_4XX", "DEFAULT_5XX", "MISSING_AUTHENTICATION_TOKEN", "INCOMPLETE_SIGNATURE"} <= set(responses)
    for name in ("MISSING_AUTHENTICATION_TOKEN", "INCOMPLETE_SIGNATURE", "INVALID_SIGNATURE", "RESOURCE_NOT_FOUND"):
        assert responses[name]["statusCode"] == "404", name
        assert json.loads(responses[name]["responseTemplates"]["application/json"])["error"]["code"] == "not_found"
    assert "statusCode" not in responses["DEFAULT_4XX"]  # keeps API Gateway's status
    for name, response in responses.items():
        error = json.loads(response["responseTemplates"]["application/json"])["error"]
        assert error["code"] and error["message"].endswith("."), name
        # $context.error.message quotes the Authorization header for a signature problem
        assert "$context.error" not in json.dumps(response), name


def test_the_webhook_functions_read_the_packaged_queue_and_report_failed_messages_alone(sam):
    """Issue 15: the delivery function's SQS trigger is the packaged queue (not a name app.py was
    imported with), with partial batch responses; the scheduled function runs every minute."""
    deliver = sam["Resources"][package.WEBHOOK_FUNCTION]["Properties"]
    event = deliver["Events"][package.WEBHOOK_EVENT]["Properties"]
    assert event["Queue"] == {"Fn::Sub": "${WebhookQueue.Arn}"}
    assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    queue = sam["Resources"]["WebhookQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * deliver["Timeout"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["WebhookDeadLetterQueue", "Arn"]}
    schedule = sam["Resources"][package.SCHEDULE_FUNCTION]["Properties"]["Events"]
    assert [e["Properties"]["Schedule"] for e in schedule.values()] == ["rate(1 minute)"]
    env = deliver["Environment"]["Variables"]
    assert env[config.WEBHOOK_QUEUE_URL] == {"Ref": "WebhookQueue"}
