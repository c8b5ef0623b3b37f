"""Every environment variable OrderGate reads, by name, and the Settings built from them once.

Nothing else in the code base calls ``os.environ``: a newcomer (or DevOps) finds every knob here.
The local stack's own knobs (its ports and directory) are in devstack/settings.py, outside the Lambda.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

# --- environment variable names -------------------------------------------------------------
TABLE_NAME = "ORDERGATE_TABLE"
DYNAMODB_ENDPOINT = "ORDERGATE_DYNAMODB_ENDPOINT"  # local stack / tests only; unset on AWS
SES_ENDPOINT = "ORDERGATE_SES_ENDPOINT"  # local stack only
AWS_REGION = "AWS_DEFAULT_REGION"
STREAM_ARN = "ORDERGATE_STREAM_ARN"  # read by app.py at import (chalice deploy needs a literal)
SIGNING_KEY = "ORDERGATE_SIGNING_KEY"  # tests and local stack: the HS256 key itself
SIGNING_KEY_PARAMETER = "ORDERGATE_SIGNING_KEY_PARAMETER"  # AWS: SSM SecureString name
ACCESS_TOKEN_TTL = "ORDERGATE_ACCESS_TOKEN_TTL"
REFRESH_TOKEN_TTL = "ORDERGATE_REFRESH_TOKEN_TTL"
PASSWORD_HASH_PROFILE = "ORDERGATE_PASSWORD_HASH_PROFILE"  # "production" (default) or "fast" (tests)
STAGE = "ORDERGATE_STAGE"
DOCUMENTS_BUCKET = "ORDERGATE_DOCUMENTS_BUCKET"  # order documents' files; read by app.py at import (S3 event)
S3_ENDPOINT = "ORDERGATE_S3_ENDPOINT"
# Set by infra/package.py while `chalice package` imports app.py: chalice cannot package an S3 event
# (it would change an existing bucket's notifications), so the template wires it (app.py, infra/package.py).
PACKAGING = "ORDERGATE_PACKAGING"  # local stack / tests only: the emulator, for presigned URLs too
PUBLIC_API_URL = "ORDERGATE_PUBLIC_API_URL"  # base of links in e-mails that lead to the API (action links)
SES_CONFIGURATION_SET = "ORDERGATE_SES_CONFIGURATION_SET"  # sends report deliveries/bounces through it
SES_IDENTITY = "ORDERGATE_SES_IDENTITY"  # the verified SES identity (domain or address) mail is sent from
# The platform's own sender, for tenants without a verified sender domain of their own (API.md); when
# unset: SES_IDENTITY if it is an address, else orders@ at its domain.
PLATFORM_SENDER = "ORDERGATE_PLATFORM_SENDER"
# The event feed serves only events at least this old (seconds): longer than any API invocation may run
# (lambda_timeout 29 s), so no event can still commit behind a cursor (services/event_feed.py).
EVENT_SETTLE_SECONDS = "ORDERGATE_EVENT_SETTLE_SECONDS"
# Webhooks (issue 15): the delivery queue (its name is read by app.py at import, for the SQS trigger).
# Whether http://127.0.0.1 URLs are allowed is no environment variable: only the local stack turns that on
# (Settings.webhook_local_refused_ports), so no deployed configuration can.
WEBHOOK_QUEUE_URL = "ORDERGATE_WEBHOOK_QUEUE_URL"
WEBHOOK_QUEUE_NAME = "ORDERGATE_WEBHOOK_QUEUE_NAME"
SQS_ENDPOINT = "ORDERGATE_SQS_ENDPOINT"  # local stack only
# Deploy-time only (infra/deploy.py reads them from .chalice/config.json; the Lambda code does not):
DLQ_ARN = "ORDERGATE_DLQ_ARN"  # on-failure destination of the stream's event source mapping
SES_SANDBOX_RECIPIENTS = "ORDERGATE_SES_SANDBOX_RECIPIENTS"  # comma-separated; SES sandbox only

# AWS SDK variables the local stack sets so boto3/PynamoDB talk to the emulator, never to AWS.
AWS_REGION_ALT = "AWS_REGION"
AWS_ACCESS_KEY_ID = "AWS_ACCESS_KEY_ID"
AWS_SECRET_ACCESS_KEY = "AWS_SECRET_ACCESS_KEY"
AWS_SESSION_TOKEN = "AWS_SESSION_TOKEN"
AWS_PROFILE = "AWS_PROFILE"
AWS_ENDPOINT_URL = "AWS_ENDPOINT_URL"
AWS_ACCOUNT_ID_ENDPOINT_MODE = "AWS_ACCOUNT_ID_ENDPOINT_MODE"  # "disabled": see PITFALLS.md (moto, stream ARNs)

# A placeholder ARN lets app.py be imported where no stream exists yet (tests, local, first package).
PLACEHOLDER_STREAM_ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/ordergate/stream/1970-01-01T00:00:00.000"


@dataclass(frozen=True)
class Settings:
    table_name: str
    region: str
    dynamodb_endpoint: str | None
    ses_endpoint: str | None
    signing_key: str | None
    signing_key_parameter: str | None
    access_token_ttl: int
    refresh_token_ttl: int
    password_hash_profile: str
    stage: str
    documents_bucket: str = "ordergate-documents"
    s3_endpoint: str | None = None
    event_settle_seconds: float = 35.0
    webhook_queue_url: str | None = None
    # The local stack's allowance of http://127.0.0.1 webhook receivers, but on these ports (its own:
    # the emulator's and the API's). None everywhere else: `from_env` never sets it (webhooks/urls.py).
    webhook_local_refused_ports: frozenset[int] | None = None
    sqs_endpoint: str | None = None
    # Where e-mails' action links point: the API's public URL on AWS, the local stack's address locally.
    # None: the tenant's portal_url (which defaults to the API too).
    public_api_url: str | None = None
    ses_configuration_set: str | None = None
    platform_sender: str = "orders@example.com"

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        return cls(
            table_name=env.get(TABLE_NAME, "ordergate"),
            region=env.get(AWS_REGION) or env.get(AWS_REGION_ALT) or "us-east-1",
            dynamodb_endpoint=env.get(DYNAMODB_ENDPOINT) or None,
            ses_endpoint=env.get(SES_ENDPOINT) or None,
            signing_key=env.get(SIGNING_KEY) or None,
            signing_key_parameter=env.get(SIGNING_KEY_PARAMETER) or None,
            access_token_ttl=int(env.get(ACCESS_TOKEN_TTL, "900")),
            refresh_token_ttl=int(env.get(REFRESH_TOKEN_TTL, str(30 * 24 * 3600))),
            password_hash_profile=env.get(PASSWORD_HASH_PROFILE, "production"),
            stage=env.get(STAGE, "local"),
            documents_bucket=documents_bucket(),
            s3_endpoint=env.get(S3_ENDPOINT) or None,
            event_settle_seconds=float(env.get(EVENT_SETTLE_SECONDS, "35")),
            webhook_queue_url=env.get(WEBHOOK_QUEUE_URL) or None,
            sqs_endpoint=env.get(SQS_ENDPOINT) or None,
            public_api_url=(env.get(PUBLIC_API_URL) or "").rstrip("/") or None,
            ses_configuration_set=env.get(SES_CONFIGURATION_SET) or None,
            platform_sender=env.get(PLATFORM_SENDER) or _platform_sender(env.get(SES_IDENTITY) or "example.com"),
        )


def _platform_sender(identity: str) -> str:
    return identity if "@" in identity else f"orders@{identity}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()


PLACEHOLDER_DOCUMENTS_BUCKET = "ordergate-documents"


def documents_bucket() -> str:
    """The bucket of order documents: `@app.on_s3_event` needs its name when app.py is imported."""
    return os.environ.get(DOCUMENTS_BUCKET) or PLACEHOLDER_DOCUMENTS_BUCKET


def packaging() -> bool:
    return os.environ.get(PACKAGING) == "1"


def stream_arn() -> str:
    return os.environ.get(STREAM_ARN) or PLACEHOLDER_STREAM_ARN


def webhook_queue_name() -> str:
    return os.environ.get(WEBHOOK_QUEUE_NAME) or "ordergate-webhooks"
