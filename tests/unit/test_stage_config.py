"""The committed deploy configuration: .chalice/ stages and policies, the merge template, requirements.txt."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from chalicelib import config
from infra import deploy, package, resources
from tests.infra_checks import wildcard_problems

REPO = Path(__file__).resolve().parents[2]
CHALICE = REPO / ".chalice"
STAGES = ("dev", "prod")


def chalice_config() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((CHALICE / "config.json").read_text())
    return loaded


@pytest.mark.parametrize("stage", STAGES)
def test_stage_uses_its_own_policy_file_instead_of_chalices_generated_one(stage):
    stage_cfg = chalice_config()["stages"][stage]

    assert stage_cfg["autogen_policy"] is False
    assert stage_cfg["iam_policy_file"] == f"policy-{stage}.json"
    assert (CHALICE / stage_cfg["iam_policy_file"]).is_file()


@pytest.mark.parametrize("stage", STAGES)
def test_stage_environment_names_every_infra_output(stage):
    env = chalice_config()["stages"][stage]["environment_variables"]

    assert set(resources.ENVIRONMENT_FROM_OUTPUTS) | {config.STAGE} <= set(env)
    assert env[config.STAGE] == stage


@pytest.mark.parametrize("stage", STAGES)
def test_no_deployed_configuration_allows_webhooks_to_the_loopback(stage, monkeypatch):
    """Issue 23: the local stack's http://127.0.0.1 allowance is given by the local stack only; neither a
    stage of .chalice/config.json nor the packaged template, whatever they hold, can turn it on."""
    from chalicelib.webhooks import urls

    packaged = package.packaged_environment(resources.load_template())
    env = chalice_config()["stages"][stage]["environment_variables"]
    assert not [name for name in [*env, *packaged] if "LOCAL" in name.upper()]
    # Even an environment that tries: every variable either names, the old switch, a local stage.
    for name in packaged:
        monkeypatch.setenv(name, "1")
    for name, value in env.items():
        monkeypatch.setenv(name, str(value))
    monkeypatch.setenv("ORDERGATE_WEBHOOK_ALLOW_LOCAL", "1")
    monkeypatch.setenv(config.STAGE, "local")
    settings = config.Settings.from_env()
    assert settings.webhook_local_refused_ports is None
    with pytest.raises(urls.UrlRefused):
        urls.check("http://127.0.0.1:9000/hooks", local_refused_ports=settings.webhook_local_refused_ports)


@pytest.mark.parametrize("stage", STAGES)
def test_policy_file_is_the_one_rendered_from_the_stage_environment(stage):
    # `make deploy` writes both from the stack outputs; a hand edit of one of them fails here.
    env = deploy.stage_environment(stage, CHALICE)
    committed = json.loads(deploy.policy_path(stage, CHALICE).read_text())

    assert committed == resources.stage_policy(stage, env)


@pytest.mark.parametrize("stage", STAGES)
def test_policy_file_has_no_wildcard_action_or_resource(stage):
    policy = json.loads(deploy.policy_path(stage, CHALICE).read_text())

    assert wildcard_problems(policy) == []


@pytest.mark.parametrize("stage", STAGES)
def test_policy_file_grants_each_resource_kind_the_code_uses_and_only_those(stage):
    policy = json.loads(deploy.policy_path(stage, CHALICE).read_text())

    services = {action.split(":")[0] for s in policy["Statement"] for action in s["Action"]}
    assert services == {"dynamodb", "ses", "sqs", "ssm", "logs", "s3"}
    # One Deny: the tenants' sender domains are granted as every SES identity but the platform's own.
    denied = [s for s in policy["Statement"] if s["Effect"] != "Allow"]
    env = json.loads((CHALICE / "config.json").read_text())["stages"][stage]["environment_variables"]
    identity = f"identity/{env[config.SES_IDENTITY]}"
    assert [(s["Effect"], s["Action"], [r.rsplit(":", 1)[1] for r in s["Resource"]]) for s in denied] == [
        ("Deny", ["ses:CreateEmailIdentity", "ses:DeleteEmailIdentity"], [identity])
    ]


def test_wildcard_check_catches_what_it_is_for():
    policy = {
        "Statement": [
            {"Sid": "a", "Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Sid": "b", "Effect": "Allow", "Action": ["dynamodb:*"], "Resource": ["arn:aws:dynamodb:*:*:table/x"]},
            {"Sid": "c", "Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [{"Fn::If": ["c", "*", "x"]}]},
        ]
    }

    assert len(wildcard_problems(policy)) == 5


# --- the merge template of `make package` --------------------------------------------------------


@pytest.fixture(scope="module")
def merge() -> dict[str, Any]:
    return package.merge_template("prod")


def test_merge_template_points_the_stream_handler_at_the_packaged_table_with_failure_handling(merge):
    event = merge["Resources"][package.STREAM_FUNCTION]["Properties"]["Events"][package.STREAM_EVENT]["Properties"]

    assert event == {
        "Stream": {"Fn::GetAtt": ["Table", "StreamArn"]},
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "BisectBatchOnFunctionError": True,
        "MaximumRetryAttempts": deploy.MAXIMUM_RETRY_ATTEMPTS,
        "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": ["StreamDeadLetterQueue", "Arn"]}}},
    }


def test_merge_template_replaces_every_literal_the_stage_config_sets(merge):
    # Anything the merge leaves alone keeps its literal value from .chalice/config.json.
    stage_env = chalice_config()["stages"]["prod"]["environment_variables"]
    for fn in (package.API_FUNCTION, package.STREAM_FUNCTION):
        packaged = merge["Resources"][fn]["Properties"]["Environment"]["Variables"]
        assert set(packaged) == set(stage_env) - {config.SES_SANDBOX_RECIPIENTS}
        assert all(isinstance(v, dict) for v in packaged.values()), packaged


def test_merge_template_policy_has_no_wildcard_and_matches_the_deploy_policy_statement_by_statement(merge):
    env = deploy.stage_environment("prod", CHALICE)
    deployed = resources.stage_policy("prod", env)
    for role in (package.API_ROLE, package.STREAM_ROLE):
        [policy] = merge["Resources"][role]["Properties"]["Policies"]
        document = policy["PolicyDocument"]
        assert wildcard_problems(document) == []
        assert [(s["Sid"], s["Action"]) for s in document["Statement"]] == [
            (s["Sid"], s["Action"]) for s in deployed["Statement"]
        ]


def test_merge_template_names_the_functions_as_chalice_deploy_does(merge):
    names = {
        fn: merge["Resources"][fn]["Properties"]["FunctionName"]["Fn::Sub"]
        for fn in (package.API_FUNCTION, package.STREAM_FUNCTION)
    }

    assert names == {
        package.API_FUNCTION: "ordergate-${Stage}",
        package.STREAM_FUNCTION: "ordergate-${Stage}-on_table_change",
    }
    assert merge["Parameters"]["Stage"]["Default"] == "prod"


def test_the_helpers_know_the_stream_handler_of_app_py():
    from chalice.app import DynamoDBEventConfig

    from app import app

    streams = [e for e in app.event_sources if isinstance(e, DynamoDBEventConfig)]

    assert [e.name for e in streams] == [resources.STREAM_HANDLER]
    assert streams[0].stream_arn == config.stream_arn()  # ORDERGATE_STREAM_ARN, or the placeholder


# --- requirements.txt ----------------------------------------------------------------------------


def _pins(lines: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"not pinned: {line}"
            out[re.sub(r"[-_.]+", "-", name).lower()] = version
    return out


def test_requirements_txt_pins_the_runtime_dependencies_of_pyproject_except_chalice():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    runtime = _pins(project["dependencies"])
    shipped = _pins((REPO / "requirements.txt").read_text().splitlines())

    assert shipped == {name: v for name, v in runtime.items() if name != "chalice"}
