"""The deploy helper: the steps around `chalice deploy` that Chalice cannot do itself.

    python -m infra.deploy before --stage dev [--ses-identity example.org]   # infra stack, key, config
    chalice deploy --stage dev
    python -m infra.deploy after --stage dev           # stream mapping, error responses, the API's URL
    python -m infra.deploy rotate-signing-key --stage dev
    python -m infra.deploy signing-key --stage prod     # packaged-template path: only the key

`make deploy STAGE=dev` runs the three deploy commands in order (docs/DEPLOY.md). Every step is a
function taking its boto3 client, so the tests run them against moto.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from chalicelib import config
from infra import resources
from infra.gateway_responses import gateway_responses

REPO = resources.INFRA_DIR.parent
CHALICE_DIR = REPO / ".chalice"

# Failure handling of the stream's event source mapping. Bisecting splits a failing batch to
# isolate the bad record (splits do not use up retries); after the last retry Lambda sends the
# batch's shard and sequence numbers to the DLQ and moves on, so one poison record cannot block
# the shard until the stream's 24 h retention drops it.
MAXIMUM_RETRY_ATTEMPTS = 5


def stream_mapping_settings(dlq_arn: resources.CfnValue) -> dict[str, Any]:
    """The event source mapping settings, as update_event_source_mapping (and SAM) take them."""
    return {
        "FunctionResponseTypes": ["ReportBatchItemFailures"],  # else Lambda ignores batchItemFailures
        "BisectBatchOnFunctionError": True,
        "MaximumRetryAttempts": MAXIMUM_RETRY_ATTEMPTS,
        "DestinationConfig": {"OnFailure": {"Destination": dlq_arn}},
    }


def stack_name(stage: str) -> str:
    return f"{resources.APP_NAME}-{stage}-infra"


class DeployError(Exception):
    """A deploy step cannot go on; the message says what the operator should do."""


# --- the infra stack -----------------------------------------------------------------------------


def _stack(cfn: Any, name: str) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError

    try:
        stacks: list[dict[str, Any]] = cfn.describe_stacks(StackName=name)["Stacks"]
    except ClientError as exc:
        # CloudFormation answers a missing stack with a generic ValidationError; only the message tells.
        if exc.response["Error"]["Code"] == "ValidationError" and "does not exist" in str(exc):
            return None
        raise
    return stacks[0] if stacks else None


def deploy_stack(
    cfn: Any, name: str, template_body: str, parameters: Mapping[str, str | None], *, protect: bool = False
) -> dict[str, str]:
    """Create or update the stack and wait for it; return its outputs. A parameter given as None
    keeps its previous value on update (and the template default on create)."""
    from botocore.exceptions import ClientError

    existing = _stack(cfn, name)
    if existing is not None and existing["StackStatus"] in ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED"):
        raise DeployError(
            f"stack {name} is {existing['StackStatus']} (its first create failed): see its events, "
            f"delete it (aws cloudformation delete-stack --stack-name {name}) and deploy again"
        )
    params: list[dict[str, Any]] = []
    for key, value in parameters.items():
        if value is not None:
            params.append({"ParameterKey": key, "ParameterValue": value})
        elif existing is not None:
            params.append({"ParameterKey": key, "UsePreviousValue": True})
    if existing is None:
        cfn.create_stack(
            StackName=name,
            TemplateBody=template_body,
            Parameters=params,
            EnableTerminationProtection=protect,
            Tags=[{"Key": "app", "Value": resources.APP_NAME}],
        )
        cfn.get_waiter("stack_create_complete").wait(StackName=name)
    else:
        try:
            cfn.update_stack(StackName=name, TemplateBody=template_body, Parameters=params)
        except ClientError as exc:
            # Same generic ValidationError as above: an unchanged stack is not a failure.
            if "No updates are to be performed" not in str(exc):
                raise
        else:
            cfn.get_waiter("stack_update_complete").wait(StackName=name)
    stack = _stack(cfn, name)
    assert stack is not None
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


# --- the token signing key -----------------------------------------------------------------------


def new_signing_key() -> str:
    return secrets.token_urlsafe(48)  # 64 characters, 384 bits; TokenSigner wants >= 32


def ensure_signing_key(ssm: Any, name: str, stage: str) -> bool:
    """Create the SecureString with a random key unless it exists. True when it was created."""
    try:
        ssm.get_parameter(Name=name)  # no decryption: only whether it exists
        return False
    except ssm.exceptions.ParameterNotFound:
        pass
    ssm.put_parameter(
        Name=name,
        Description=f"OrderGate {stage}: HS256 key that signs access tokens",
        Value=new_signing_key(),
        Type="SecureString",  # encrypted with the AWS managed key aws/ssm
        Tags=[{"Key": "app", "Value": resources.APP_NAME}, {"Key": "stage", "Value": stage}],
    )
    return True


def rotate_signing_key(ssm: Any, lambda_client: Any, name: str, function_names: Sequence[str]) -> None:
    """Overwrite the key, then touch each function's configuration so that warm containers, which
    hold the old key, are replaced. Access tokens signed with the old key then fail with 401 and
    clients refresh (refresh tokens are opaque and stored, not signed)."""
    ssm.put_parameter(Name=name, Value=new_signing_key(), Type="SecureString", Overwrite=True)
    version = ssm.get_parameter(Name=name)["Parameter"]["Version"]
    for fn in function_names:
        lambda_client.update_function_configuration(FunctionName=fn, Description=f"signing key version {version}")


# --- .chalice/config.json and the policy files ---------------------------------------------------


def read_chalice_config(chalice_dir: Path = CHALICE_DIR) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((chalice_dir / "config.json").read_text())
    return loaded


def stage_environment(stage: str, chalice_dir: Path = CHALICE_DIR) -> dict[str, str]:
    stages = read_chalice_config(chalice_dir)["stages"]
    if stage not in stages:
        raise DeployError(f"no stage {stage!r} in {chalice_dir / 'config.json'} (stages: {', '.join(stages)})")
    env: dict[str, str] = stages[stage].get("environment_variables", {})
    return env


def policy_path(stage: str, chalice_dir: Path = CHALICE_DIR) -> Path:
    return chalice_dir / f"policy-{stage}.json"


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n")


def write_stage_config(stage: str, env: Mapping[str, str], chalice_dir: Path = CHALICE_DIR) -> None:
    """Write the stack's values into the stage's environment_variables, and the stage's policy file
    rendered from them (`autogen_policy: false`: Chalice deploys exactly this file)."""
    cfg = read_chalice_config(chalice_dir)
    stage_cfg = cfg["stages"].setdefault(stage, {})
    stage_cfg["autogen_policy"] = False
    stage_cfg["iam_policy_file"] = policy_path(stage, chalice_dir).name
    merged = {**stage_cfg.get("environment_variables", {}), **env}
    if config.SES_SANDBOX_RECIPIENTS not in env:
        merged.pop(config.SES_SANDBOX_RECIPIENTS, None)
    stage_cfg["environment_variables"] = merged
    _write_json(chalice_dir / "config.json", cfg)
    _write_json(policy_path(stage, chalice_dir), resources.stage_policy(stage, merged))


# --- the stream's event source mapping -----------------------------------------------------------


def wait_until_settled(
    lambda_client: Any, uuid: str, *, sleep: Callable[[float], None] = time.sleep, attempts: int = 60
) -> None:
    """A mapping still Creating or Updating refuses updates (ResourceInUseException); right after
    `chalice deploy` created it, it may be."""
    for _ in range(attempts):
        state = lambda_client.get_event_source_mapping(UUID=uuid)["State"]
        if state in ("Enabled", "Disabled"):
            return
        sleep(5)
    raise DeployError(f"event source mapping {uuid} is still {state} after {attempts * 5} s")


def configure_stream_mapping(
    lambda_client: Any,
    function_name: str,
    stream_arn: str,
    dlq_arn: str,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Set failure handling on the mapping `chalice deploy` created. Returns the updated mapping."""
    # Filter on the function here, not in the call: Chalice subscribes the function by ARN, and moto
    # only matches FunctionName as given at creation (AWS resolves names and ARNs alike).
    paginator = lambda_client.get_paginator("list_event_source_mappings")
    mappings = [
        m
        for page in paginator.paginate(EventSourceArn=stream_arn)
        for m in page["EventSourceMappings"]
        if m["FunctionArn"].split(":")[6] == function_name
    ]
    if len(mappings) != 1:
        raise DeployError(
            f"expected one event source mapping from {stream_arn} to {function_name}, found {len(mappings)}: "
            "did `chalice deploy` run with this stream ARN in .chalice/config.json?"
        )
    wait_until_settled(lambda_client, mappings[0]["UUID"], sleep=sleep)
    updated: dict[str, Any] = lambda_client.update_event_source_mapping(
        UUID=mappings[0]["UUID"], **stream_mapping_settings(dlq_arn)
    )
    return updated


def configure_webhook_mapping(lambda_client: Any, function_name: str, queue_arn: str) -> dict[str, Any] | None:
    """The SQS mapping `chalice deploy` created for the delivery function: report failed messages
    alone (without it Lambda ignores batchItemFailures and retries the whole batch)."""
    mappings = [
        m
        for page in lambda_client.get_paginator("list_event_source_mappings").paginate(EventSourceArn=queue_arn)
        for m in page["EventSourceMappings"]
        if m["FunctionArn"].split(":")[6] == function_name
    ]
    if not mappings:
        return None
    updated: dict[str, Any] = lambda_client.update_event_source_mapping(
        UUID=mappings[0]["UUID"], FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    return updated


# --- command line --------------------------------------------------------------------------------


def _session() -> Any:
    import boto3

    session = boto3.session.Session()
    if not session.region_name:
        raise DeployError("no AWS region: set AWS_DEFAULT_REGION or AWS_PROFILE (with a region)")
    return session


def _real(value: str | None, placeholder: str) -> str | None:
    return value if value and value != placeholder else None


def cmd_before(args: argparse.Namespace) -> None:
    stage: str = args.stage
    env = stage_environment(stage, args.chalice_dir)
    ses_identity = args.ses_identity or _real(env.get(config.SES_IDENTITY), resources.PLACEHOLDER_SES_IDENTITY)
    session = _session()
    cfn = session.client("cloudformation")
    if ses_identity is None and _stack(cfn, stack_name(stage)) is None:
        raise DeployError("first deploy of this stage: give the SES identity (make deploy SES_IDENTITY=example.org)")
    parameters: dict[str, str | None] = {
        "Stage": stage,
        "SesIdentity": ses_identity,
        "CreateSesIdentity": args.create_ses_identity,
        "AlarmTopicArn": args.alarm_topic_arn,
        "PortalOrigin": args.portal_origin,
    }
    print(f"Deploying stack {stack_name(stage)} ...", flush=True)
    outputs = deploy_stack(cfn, stack_name(stage), resources.template_body(), parameters, protect=stage == "prod")
    if ensure_signing_key(session.client("ssm"), outputs["SigningKeyParameterName"], stage):
        print(f"Created the token signing key {outputs['SigningKeyParameterName']}")
    recipients = args.ses_sandbox_recipients
    if recipients is None:
        recipients = resources.sandbox_recipients(env)
    new_env = resources.environment_from_outputs(stage, outputs, recipients)
    write_stage_config(stage, {k: str(v) for k, v in new_env.items()}, args.chalice_dir)
    print(f"Wrote stage {stage} to {args.chalice_dir / 'config.json'} and {policy_path(stage, args.chalice_dir)}")


def cmd_after(args: argparse.Namespace) -> None:
    stage: str = args.stage
    env = stage_environment(stage, args.chalice_dir)
    fn = resources.function_name(stage, resources.STREAM_HANDLER)
    mapping = configure_stream_mapping(_session().client("lambda"), fn, env[config.STREAM_ARN], env[config.DLQ_ARN])
    print(
        f"Stream mapping {mapping['UUID']} of {fn}: {mapping.get('FunctionResponseTypes')}, "
        f"bisect={mapping.get('BisectBatchOnFunctionError')}, retries={mapping.get('MaximumRetryAttempts')}, "
        f"on failure -> {env[config.DLQ_ARN]}"
    )
    queue_arn = resources.outputs_from_environment(env)["WebhookQueueArn"]
    webhook_fn = resources.function_name(stage, resources.WEBHOOK_HANDLER)
    if configure_webhook_mapping(_session().client("lambda"), webhook_fn, queue_arn) is None:
        print(f"No SQS mapping of {webhook_fn} from {queue_arn} yet: run `make deploy` again once it exists.")
    url = set_public_api_url(_session().client("lambda"), stage, args.chalice_dir)
    print(f"E-mail links lead to {url}" if url else "No REST API deployed yet: e-mail links use the portal URL.")
    count = put_gateway_responses(_session().client("apigateway"), stage, args.chalice_dir)
    if count:
        print(f"API Gateway's own answers (an unknown path, throttling, ...) in the error envelope: {count} types")


# --- the API's public URL, for the links in e-mails ---------------------------------------------------
def deployed_resources(stage: str, chalice_dir: Path = CHALICE_DIR) -> list[dict[str, Any]]:
    """What `chalice deploy` recorded for the stage (.chalice/deployed/<stage>.json), or nothing."""
    path = chalice_dir / "deployed" / f"{stage}.json"
    if not path.exists():
        return []
    found: list[dict[str, Any]] = json.loads(path.read_text()).get("resources", [])
    return found


def set_public_api_url(lambda_client: Any, stage: str, chalice_dir: Path = CHALICE_DIR) -> str | None:
    """The e-mails' action links lead to the API (API.md "Acting from an e-mail"), whose URL exists only once
    `chalice deploy` has made it: the template cannot hand it to the functions (a cycle). So after a deploy
    the URL is written into the stage's environment (the next deploys carry it) and, when it was not
    there yet, into the deployed functions' environment at once. Returns the URL (None: no API yet)."""
    deployed = deployed_resources(stage, chalice_dir)
    url = next((str(r["rest_api_url"]).rstrip("/") for r in deployed if r.get("rest_api_url")), None)
    if url is None or stage_environment(stage, chalice_dir).get(config.PUBLIC_API_URL) == url:
        return url
    write_stage_config(stage, {config.PUBLIC_API_URL: url}, chalice_dir)
    for function in (r for r in deployed if r.get("resource_type") == "lambda_function"):
        name = function["lambda_arn"]
        current = lambda_client.get_function_configuration(FunctionName=name).get("Environment", {})
        variables = {**current.get("Variables", {}), config.PUBLIC_API_URL: url}
        lambda_client.update_function_configuration(FunctionName=name, Environment={"Variables": variables})
    return url


def put_gateway_responses(apigateway: Any, stage: str, chalice_dir: Path = CHALICE_DIR) -> int:
    """API Gateway's own answers in the error envelope on a `chalice deploy` stage (an unknown path: 404
    `not_found`, not 403 "Missing Authentication Token"), as the packaged template has them. Each
    `chalice deploy` replaces the API definition and drops them, so `make deploy` puts them back after it,
    then deploys the API stage for them to take effect. Returns how many (0: no REST API deployed yet)."""
    rest_api = next((r for r in deployed_resources(stage, chalice_dir) if r.get("rest_api_id")), None)
    if rest_api is None:
        return 0
    api_id = str(rest_api["rest_api_id"])
    responses = gateway_responses()
    for response_type, response in responses.items():
        status = {"statusCode": response["statusCode"]} if "statusCode" in response else {}
        apigateway.put_gateway_response(
            restApiId=api_id,
            responseType=response_type,
            responseParameters=response["responseParameters"],
            responseTemplates=response["responseTemplates"],
            **status,
        )
    stage_name = read_chalice_config(chalice_dir)["stages"].get(stage, {}).get("api_gateway_stage")
    stage_name = stage_name or read_chalice_config(chalice_dir).get("api_gateway_stage", "api")
    apigateway.create_deployment(restApiId=api_id, stageName=stage_name, description="OrderGate error responses")
    return len(responses)


def cmd_signing_key(args: argparse.Namespace) -> None:
    """For the packaged-template path, which does not run `before`."""
    name = resources.signing_key_parameter(args.stage)
    created = ensure_signing_key(_session().client("ssm"), name, args.stage)
    print(f"{'Created' if created else 'Kept the existing'} token signing key {name}")


def cmd_rotate_signing_key(args: argparse.Namespace) -> None:
    stage: str = args.stage
    env = stage_environment(stage, args.chalice_dir)
    session = _session()
    functions = [resources.function_name(stage), resources.function_name(stage, resources.STREAM_HANDLER)]
    rotate_signing_key(session.client("ssm"), session.client("lambda"), env[config.SIGNING_KEY_PARAMETER], functions)
    print(f"Rotated {env[config.SIGNING_KEY_PARAMETER]}; {', '.join(functions)} restart with the new key")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.deploy", description=__doc__.splitlines()[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--stage", required=True)
    common.add_argument("--chalice-dir", type=Path, default=CHALICE_DIR, help=argparse.SUPPRESS)  # tests
    sub = parser.add_subparsers(dest="command", required=True)
    before = sub.add_parser(
        "before", parents=[common], help="deploy the infra stack, create the signing key, write .chalice/"
    )
    before.add_argument("--ses-identity", default=None, help="domain or address to send from")
    before.add_argument("--create-ses-identity", choices=["true", "false"], default=None)
    before.add_argument("--alarm-topic-arn", default=None, help="SNS topic for the DLQ alarm")
    before.add_argument(
        "--portal-origin", default=None, help="the portal's origin (https://host), allowed to upload documents (CORS)"
    )
    before.add_argument(
        "--ses-sandbox-recipients",
        type=lambda s: [r for r in s.split(",") if r],
        default=None,
        help="comma-separated verified recipients the role may send to while SES is in the sandbox",
    )
    before.set_defaults(func=cmd_before)
    after = sub.add_parser("after", parents=[common], help="set failure handling on the stream's event source mapping")
    after.set_defaults(func=cmd_after)
    key = sub.add_parser("signing-key", parents=[common], help="create the token signing key if it is missing")
    key.set_defaults(func=cmd_signing_key)
    rotate = sub.add_parser("rotate-signing-key", parents=[common], help="replace the token signing key")
    rotate.set_defaults(func=cmd_rotate_signing_key)
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except DeployError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
