"""What one stage is made of, in one place: the infra template's outputs, the Lambda environment
variables built from them, and the Lambda execution policy granting exactly those resources.

Pure functions, no AWS calls. The same code renders two flavours of each value:

* for `make deploy` (infra stack + `chalice deploy`): literal strings read from the stack outputs;
* for `make package` (one template): the CloudFormation expressions of those outputs
  (`Fn::GetAtt`, `Fn::Sub`, ...), so the packaged functions reference the packaged table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from chalicelib import config

INFRA_DIR = Path(__file__).resolve().parent
TEMPLATE_PATH = INFRA_DIR / "ordergate.yaml"
APP_NAME = "ordergate"
STREAM_HANDLER = "on_table_change"  # the @app.on_dynamodb_record function in app.py
WEBHOOK_HANDLER = "deliver_webhooks"  # the @app.on_sqs_message function
SCHEDULE_HANDLER = "queue_due_webhooks"  # the @app.schedule function

# A value in a policy or an environment: a literal, or a CloudFormation intrinsic (a dict).
CfnValue = str | dict[str, Any]

# Lambda environment variable <- infra stack output. Everything the functions (and the deploy
# helper, through .chalice/config.json) need to know about the infra stack.
ENVIRONMENT_FROM_OUTPUTS: dict[str, str] = {
    config.TABLE_NAME: "TableName",
    config.STREAM_ARN: "TableStreamArn",
    config.DLQ_ARN: "DeadLetterQueueArn",
    config.SES_IDENTITY: "SesIdentity",
    config.SES_CONFIGURATION_SET: "SesConfigurationSet",
    config.SIGNING_KEY_PARAMETER: "SigningKeyParameterName",
    config.DOCUMENTS_BUCKET: "DocumentsBucketName",
    config.WEBHOOK_QUEUE_URL: "WebhookQueueUrl",
    config.WEBHOOK_QUEUE_NAME: "WebhookQueueName",
}

# Values in the committed .chalice/config.json before the first `make deploy` writes real ones.
PLACEHOLDER_SES_IDENTITY = "example.com"


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The infra template as a dict (it uses long-form intrinsics, so plain YAML reads it)."""
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return loaded


def template_body(path: Path = TEMPLATE_PATH) -> str:
    return path.read_text()


def function_name(stage: str, handler: str | None = None) -> str:
    """Chalice's naming: `<app>-<stage>` for the API handler, `<app>-<stage>-<function>` otherwise."""
    return f"{APP_NAME}-{stage}" + (f"-{handler}" if handler else "")


def signing_key_parameter(stage: str) -> str:
    """The SSM name the template's SigningKeyParameterName output gives (tests keep them equal)."""
    return f"/{APP_NAME}/{stage}/signing-key"


# --- environment <-> outputs ---------------------------------------------------------------------


def environment_from_outputs(
    stage: str, outputs: Mapping[str, CfnValue], sandbox_recipients: list[str] | None = None
) -> dict[str, CfnValue]:
    env: dict[str, CfnValue] = {config.STAGE: stage}
    env.update({var: outputs[name] for var, name in ENVIRONMENT_FROM_OUTPUTS.items()})
    if sandbox_recipients:
        env[config.SES_SANDBOX_RECIPIENTS] = ",".join(sandbox_recipients)
    return env


@dataclass(frozen=True)
class Arn:
    partition: str
    region: str
    account: str

    @classmethod
    def of(cls, arn: str) -> Arn:
        parts = arn.split(":")
        if len(parts) < 6 or parts[0] != "arn":
            raise ValueError(f"not an ARN: {arn!r}")
        return cls(partition=parts[1], region=parts[3], account=parts[4])

    def make(self, service: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{self.region}:{self.account}:{resource}"


def outputs_from_environment(env: Mapping[str, str]) -> dict[str, str]:
    """The stack outputs a stage's environment was written from (ARNs rebuilt from the stream ARN's
    partition, region and account). Lets the policy file be checked against .chalice/config.json."""
    outputs = {name: env[var] for var, name in ENVIRONMENT_FROM_OUTPUTS.items()}
    stream_arn = outputs["TableStreamArn"]
    where = Arn.of(stream_arn)
    outputs["TableArn"] = stream_arn.split("/stream/")[0]
    outputs["SesIdentityArn"] = where.make("ses", f"identity/{outputs['SesIdentity']}")
    outputs["SesIdentitiesArn"] = where.make("ses", "identity/*")
    outputs["SesConfigurationSetArn"] = where.make("ses", f"configuration-set/{outputs['SesConfigurationSet']}")
    outputs["SigningKeyParameterArn"] = where.make("ssm", f"parameter{outputs['SigningKeyParameterName']}")
    outputs["DocumentsBucketArn"] = f"arn:{where.partition}:s3:::{outputs['DocumentsBucketName']}"
    outputs["WebhookQueueArn"] = where.make("sqs", outputs["WebhookQueueName"])
    return outputs


def sandbox_recipients(env: Mapping[str, str]) -> list[str]:
    raw = env.get(config.SES_SANDBOX_RECIPIENTS, "")
    return [r.strip() for r in raw.split(",") if r.strip()]


# --- the Lambda execution policy -----------------------------------------------------------------

# What the code calls, and nothing else (PynamoDB: DescribeTable on first use; TransactWrite needs
# the per-item actions, ConditionCheckItem included). Lambda itself uses the role to read the
# stream and to send failed-batch pointers to the DLQ.
TABLE_ACTIONS = [
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
]
INDEX_ACTIONS = ["dynamodb:Query"]
STREAM_ACTIONS = [
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
]
# SES v2 SendEmail with Raw content (the sender sends multipart MIME) is authorised as
# ses:SendEmail; SendRawEmail is granted too, as AWS's own identity grants do.
SES_ACTIONS = ["ses:SendEmail", "ses:SendRawEmail"]
# Tenants' sender domains (services/sender_domains.py): the API starts, reads and deletes their SES
# identities, and mail is sent from them. Their names are the tenants' own, so the grant is every
# identity of the account but the platform's, which the code never creates or deletes and IAM keeps so.
SENDER_DOMAIN_ACTIONS = ["ses:CreateEmailIdentity", "ses:GetEmailIdentity", "ses:DeleteEmailIdentity"]
PLATFORM_IDENTITY_KEPT = ["ses:CreateEmailIdentity", "ses:DeleteEmailIdentity"]
DLQ_ACTIONS = ["sqs:SendMessage"]
# The webhook queue: the stream handler, the API (test, retry) and the delivery function send to it;
# Lambda reads it for the delivery function with the function's role (the SQS event source's needs).
WEBHOOK_QUEUE_ACTIONS = [
    "sqs:SendMessage",
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes",
]
# SecureString under the AWS managed key aws/ssm: its key policy lets SSM decrypt for any principal
# of the account, so no kms:Decrypt grant is needed (a customer managed key would need one).
SSM_ACTIONS = ["ssm:GetParameter"]
# Order documents: presigned POSTs and GETs act with the signer's rights (PutObject, GetObject); the S3
# event handler reads what arrived (HeadObject is GetObject) and deletes what no document declares.
# Only under the documents' prefix; no ListBucket (a HEAD of a missing key then answers 403, not 404).
# The bucket is versioned (a document is fixed to the first version that arrived): reading and deleting a
# given version are actions of their own, and the handler lists a key's versions (on the bucket, limited
# to the documents' prefix by a condition).
DOCUMENT_ACTIONS = [
    "s3:PutObject",
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
]
DOCUMENT_LIST_ACTIONS = ["s3:ListBucketVersions"]
DOCUMENTS_PREFIX = "/t/*"  # services/document_files.py object_key
LOG_GROUP_ACTIONS = ["logs:CreateLogGroup"]
LOG_STREAM_ACTIONS = ["logs:CreateLogStream", "logs:PutLogEvents"]


def _join(value: CfnValue, suffix: str) -> CfnValue:
    if isinstance(value, str):
        return value + suffix
    return {"Fn::Join": ["", [value, suffix]]}


def _statement(sid: str, actions: list[str], resources: list[CfnValue], effect: str = "Allow") -> dict[str, Any]:
    return {"Sid": sid, "Effect": effect, "Action": actions, "Resource": resources}


def lambda_policy(
    outputs: Mapping[str, CfnValue],
    log_groups: list[CfnValue],
    ses_recipient_identities: list[CfnValue] | None = None,
) -> dict[str, Any]:
    """The execution policy of both OrderGate functions.

    `outputs` are the infra stack's outputs (literal) or their template expressions; `log_groups`
    the ARNs of the functions' log groups (`arn:...:log-group:/aws/lambda/<name>`, patterns allowed).
    """
    # A send through the configuration set is authorised on the set too.
    ses_resources = [outputs["SesIdentityArn"], outputs["SesConfigurationSetArn"], *(ses_recipient_identities or [])]
    return {
        "Version": "2012-10-17",
        "Statement": [
            _statement("Table", TABLE_ACTIONS, [outputs["TableArn"]]),
            _statement("TableIndexes", INDEX_ACTIONS, [_join(outputs["TableArn"], "/index/*")]),
            _statement("TableStream", STREAM_ACTIONS, [_join(outputs["TableArn"], "/stream/*")]),
            _statement("SendEmail", SES_ACTIONS, ses_resources),
            _statement("SenderDomains", SENDER_DOMAIN_ACTIONS + SES_ACTIONS, [outputs["SesIdentitiesArn"]]),
            _statement("PlatformIdentityKept", PLATFORM_IDENTITY_KEPT, [outputs["SesIdentityArn"]], effect="Deny"),
            _statement("StreamDeadLetterQueue", DLQ_ACTIONS, [outputs["DeadLetterQueueArn"]]),
            _statement("WebhookQueue", WEBHOOK_QUEUE_ACTIONS, [outputs["WebhookQueueArn"]]),
            _statement("SigningKey", SSM_ACTIONS, [outputs["SigningKeyParameterArn"]]),
            _statement("Documents", DOCUMENT_ACTIONS, [_join(outputs["DocumentsBucketArn"], DOCUMENTS_PREFIX)]),
            {
                **_statement("DocumentVersions", DOCUMENT_LIST_ACTIONS, [outputs["DocumentsBucketArn"]]),
                "Condition": {"StringLike": {"s3:prefix": [DOCUMENTS_PREFIX.removeprefix("/")]}},
            },
            _statement("LogGroups", LOG_GROUP_ACTIONS, list(log_groups)),
            _statement("LogStreams", LOG_STREAM_ACTIONS, [_join(g, ":*") for g in log_groups]),
        ],
    }


def stage_policy(stage: str, env: Mapping[str, str]) -> dict[str, Any]:
    """The policy file of a `chalice deploy` stage, from that stage's environment variables."""
    outputs = outputs_from_environment(env)
    where = Arn.of(outputs["TableStreamArn"])
    log_groups: list[CfnValue] = [
        where.make("logs", f"log-group:/aws/lambda/{function_name(stage)}"),
        where.make("logs", f"log-group:/aws/lambda/{function_name(stage)}-*"),
    ]
    recipients: list[CfnValue] = [where.make("ses", f"identity/{r}") for r in sandbox_recipients(env)]
    return lambda_policy(outputs, log_groups, recipients)
