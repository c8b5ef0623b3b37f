"""The merge template for `chalice package --merge-template`: the infra template plus what Chalice
cannot express, so that `make package` writes ONE deployable template.

    python -m infra.package --stage prod --build-dir build   # build/package/sam.json + deployment.zip

Chalice's TemplateDeepMerger merges dicts key by key and lets this file win on everything else
(lists are replaced whole). On top of the infra resources it:

* points the stream handler's DynamoDB event at the packaged table's StreamArn (app.py was imported
  with a placeholder ARN) and adds the failure handling `chalice deploy` leaves to infra/deploy.py;
* replaces the functions' environment (literal values from .chalice/config.json) by references
  to the packaged resources;
* replaces the roles' policy (the literal policy file) by the same policy over those references;
* names the functions as `chalice deploy` does, so logs and the policy agree between both paths;
* subscribes the documents handler to the documents bucket (ObjectCreated under t/): `chalice package`
  refuses `@app.on_s3_event`, so app.py registers the handler as a plain function when packaged;
* replaces API Gateway's own error responses (an unknown path answers 403 "Missing Authentication
  Token", or with an Authorization header an "incomplete signature" message that echoes the header)
  by our error envelope: an unknown path or method is a 404, anything else keeps its status.

The error responses go into the API definition (`x-amazon-apigateway-gateway-responses` in the
RestAPI's DefinitionBody), not into separate `AWS::ApiGateway::GatewayResponse` resources: SAM imports
the definition in "overwrite" mode on every deploy, which drops gateway responses it does not hold,
and a GatewayResponse resource does not trigger a new deployment either; in the definition they are
part of every deployment of the API.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from chalicelib import config
from infra import resources
from infra.deploy import stream_mapping_settings
from infra.gateway_responses import gateway_responses

# Logical ids Chalice generates (chalice/package.py, SAMTemplateGenerator). The package test fails
# if a Chalice upgrade renames them: merging into a missing resource yields one without a Type.
API_FUNCTION = "APIHandler"
API_ROLE = "ApiHandlerRole"
STREAM_FUNCTION = "OnTableChange"
STREAM_ROLE = "OnTableChangeRole"
STREAM_EVENT = "OnTableChangeDynamodbEventSource"
REMINDERS_FUNCTION = "ApprovalReminders"  # app.py's @app.schedule (approval reminders and escalation)
REMINDERS_ROLE = "ApprovalRemindersRole"
SES_EVENTS_FUNCTION = "OnSesEvent"  # app.py's @app.on_cw_event (SES delivery, bounce, complaint events)
SES_EVENTS_ROLE = "OnSesEventRole"
REST_API = "RestAPI"
DOCUMENTS_FUNCTION = "OnDocumentUploaded"
DOCUMENTS_ROLE = "OnDocumentUploadedRole"
DOCUMENTS_HANDLER = "on_document_uploaded"  # app.py: its name when packaged (a plain Lambda function)
DOCUMENTS_BUCKET = "DocumentsBucket"  # infra/ordergate.yaml
DOCUMENTS_PERMISSION = "DocumentsBucketInvokesHandler"
WEBHOOK_FUNCTION = "DeliverWebhooks"
WEBHOOK_ROLE = "DeliverWebhooksRole"
WEBHOOK_EVENT = "DeliverWebhooksSqsEventSource"
SCHEDULE_FUNCTION = "QueueDueWebhooks"
SCHEDULE_ROLE = "QueueDueWebhooksRole"
GATEWAY_RESPONSES_KEY = "x-amazon-apigateway-gateway-responses"


def _output_expressions(template: dict[str, Any]) -> dict[str, Any]:
    return {name: out["Value"] for name, out in template["Outputs"].items()}


def packaged_environment(template: dict[str, Any]) -> dict[str, Any]:
    outputs = _output_expressions(template)
    env: dict[str, Any] = {config.STAGE: {"Ref": "Stage"}}
    env.update({var: outputs[name] for var, name in resources.ENVIRONMENT_FROM_OUTPUTS.items()})
    return env


def packaged_policy(template: dict[str, Any]) -> dict[str, Any]:
    log_group = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/"
    log_groups: list[resources.CfnValue] = [
        {"Fn::Sub": log_group + resources.function_name("${Stage}")},
        {"Fn::Sub": log_group + resources.function_name("${Stage}") + "-*"},
    ]
    return resources.lambda_policy(_output_expressions(template), log_groups)


def merge_template(stage: str, template: dict[str, Any] | None = None) -> dict[str, Any]:
    infra = template if template is not None else resources.load_template()
    parameters = json.loads(json.dumps(infra["Parameters"]))
    parameters["Stage"]["Default"] = stage
    environment = {"Variables": packaged_environment(infra)}
    policy = packaged_policy(infra)
    stream_arn = {"Fn::GetAtt": ["Table", "StreamArn"]}
    dlq_arn = {"Fn::GetAtt": ["StreamDeadLetterQueue", "Arn"]}

    def role(name: str) -> dict[str, Any]:
        return {"Properties": {"Policies": [{"PolicyName": f"{name}Policy", "PolicyDocument": policy}]}}

    # The bucket calls the handler: its permission names the bucket by name, not by reference, so that
    # the bucket (which must wait for the permission) and the permission do not depend on each other.
    bucket = json.loads(json.dumps(infra["Resources"][DOCUMENTS_BUCKET]))
    bucket["DependsOn"] = [DOCUMENTS_PERMISSION]
    bucket["Properties"]["NotificationConfiguration"] = {
        "LambdaConfigurations": [
            {
                "Event": "s3:ObjectCreated:*",
                "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": "t/"}]}},
                "Function": {"Fn::GetAtt": [DOCUMENTS_FUNCTION, "Arn"]},
            }
        ]
    }
    permission = {
        "Type": "AWS::Lambda::Permission",
        "Properties": {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Fn::GetAtt": [DOCUMENTS_FUNCTION, "Arn"]},
            "Principal": "s3.amazonaws.com",
            "SourceAccount": {"Ref": "AWS::AccountId"},
            "SourceArn": {"Fn::Sub": "arn:${AWS::Partition}:s3:::" + bucket["Properties"]["BucketName"]["Fn::Sub"]},
        },
    }

    return {
        "Description": f"OrderGate ({stage}): API, stream handler and their infrastructure in one stack",
        "Parameters": parameters,
        "Conditions": infra["Conditions"],
        "Resources": {
            **infra["Resources"],
            API_FUNCTION: {
                "Properties": {
                    "FunctionName": {"Fn::Sub": resources.function_name("${Stage}")},
                    "Environment": environment,
                }
            },
            STREAM_FUNCTION: {
                "Properties": {
                    "FunctionName": {"Fn::Sub": resources.function_name("${Stage}", resources.STREAM_HANDLER)},
                    "Environment": environment,
                    "Events": {
                        STREAM_EVENT: {
                            "Properties": {
                                "Stream": stream_arn,
                                # SAM spells them as update_event_source_mapping does.
                                **stream_mapping_settings(dlq_arn),
                            }
                        }
                    },
                }
            },
            DOCUMENTS_FUNCTION: {
                "Properties": {
                    "FunctionName": {"Fn::Sub": resources.function_name("${Stage}", DOCUMENTS_HANDLER)},
                    "Environment": environment,
                }
            },
            DOCUMENTS_BUCKET: bucket,
            DOCUMENTS_PERMISSION: permission,
            REMINDERS_FUNCTION: {
                "Properties": {
                    "FunctionName": {"Fn::Sub": resources.function_name("${Stage}", "approval_reminders")},
                    "Environment": environment,
                }
            },
            SES_EVENTS_FUNCTION: {
                "Properties": {
                    "FunctionName": {"Fn::Sub": resources.function_name("${Stage}", "on_ses_event")},
                    "Environment": environment,
                }
            },
            REST_API: {"Properties": {"DefinitionBody": {GATEWAY_RESPONSES_KEY: gateway_responses()}}},
            # Webhooks (issue 15): the delivery function reads the packaged queue and reports failed
            # messages alone; the scheduled function queues the retries due.
            WEBHOOK_FUNCTION: {
                "Properties": {
                    "FunctionName": {"Fn::Sub": resources.function_name("${Stage}", resources.WEBHOOK_HANDLER)},
                    "Environment": environment,
                    "Events": {
                        WEBHOOK_EVENT: {
                            "Properties": {
                                # Fn::Sub, as Chalice writes it: the merge replaces its string (a GetAtt
                                # would be merged beside it into an invalid two-key intrinsic).
                                "Queue": {"Fn::Sub": "${WebhookQueue.Arn}"},
                                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                            }
                        }
                    },
                }
            },
            SCHEDULE_FUNCTION: {
                "Properties": {
                    "FunctionName": {"Fn::Sub": resources.function_name("${Stage}", resources.SCHEDULE_HANDLER)},
                    "Environment": environment,
                }
            },
            API_ROLE: role(API_ROLE),
            STREAM_ROLE: role(STREAM_ROLE),
            DOCUMENTS_ROLE: role(DOCUMENTS_ROLE),
            WEBHOOK_ROLE: role(WEBHOOK_ROLE),
            SCHEDULE_ROLE: role(SCHEDULE_ROLE),
            REMINDERS_ROLE: role(REMINDERS_ROLE),
            SES_EVENTS_ROLE: role(SES_EVENTS_ROLE),
        },
        "Outputs": infra["Outputs"],
    }


def build(stage: str, build_dir: Path) -> Path:
    """Write the merge template and run `chalice package` with it; return the packaged template.

    Chalice pip-installs requirements.txt for Linux into the deployment zip (network to the package
    index) and caches the zip in .chalice/deployments/ by requirements hash: the first run takes
    seconds, later ones reuse it. No AWS credentials are needed; the region only has to be set,
    and none is written into the template.
    """
    build_dir.mkdir(parents=True, exist_ok=True)
    merge_path = build_dir / "merge-template.json"
    merge_path.write_text(json.dumps(merge_template(stage), indent=2) + "\n")
    out_dir = build_dir / "package"
    shutil.rmtree(out_dir, ignore_errors=True)
    env = {**os.environ}
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    env[config.PACKAGING] = "1"  # app.py registers the documents handler as a plain function (see there)
    chalice = Path(sys.executable).with_name("chalice")
    command = [str(chalice), "package", "--stage", stage, "--merge-template", str(merge_path), str(out_dir)]
    subprocess.run(command, cwd=resources.INFRA_DIR.parent, env=env, check=True)  # noqa: S603 (fixed argv)
    return out_dir / "sam.json"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.package", description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--build-dir", type=Path, default=Path("build"))
    args = parser.parse_args(argv)
    print(build(args.stage, args.build_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
