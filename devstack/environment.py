"""The process environment that points the app, boto3 and PynamoDB at the emulators: DynamoDB Local
for DynamoDB and its stream, moto server for SES, S3 and SQS.

The app reads its settings from the environment (chalicelib/config.py), exactly as on Lambda, so
the local stack configures it the same way: by setting variables before anything reads them.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from chalicelib import config

SIGNING_KEY_FILE = "signing-key"
DOCUMENTS_BUCKET = "ordergate-documents-local"
# Variables that would send SDK calls elsewhere (a named profile, a global endpoint override).
_REMOVED = (config.AWS_PROFILE, config.AWS_ENDPOINT_URL)


def signing_key(local_dir: Path) -> str:
    """The token signing key kept in `<local_dir>/signing-key`: created once, reused afterwards, so
    tokens issued before a restart stay valid."""
    path = local_dir / SIGNING_KEY_FILE
    if path.exists():
        key = path.read_text(encoding="utf-8").strip()
        if len(key) >= 32:
            return key
    key = secrets.token_urlsafe(48)
    local_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # a secret: owner only
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(key + "\n")
    tmp.replace(path)
    return key


def local_environment(aws_url: str, dynamodb_url: str, key: str, region: str) -> dict[str, str]:
    return {
        config.DYNAMODB_ENDPOINT: dynamodb_url,
        config.SES_ENDPOINT: aws_url,
        config.S3_ENDPOINT: aws_url,  # presigned upload and download links point at the emulator
        config.DOCUMENTS_BUCKET: DOCUMENTS_BUCKET,
        config.AWS_REGION: region,
        config.AWS_REGION_ALT: region,
        # Fake credentials: the emulators accept any, and real ones must never be used by accident.
        # DynamoDB Local keeps a database per access key: every part of the stack uses this one.
        config.AWS_ACCESS_KEY_ID: "local",
        config.AWS_SECRET_ACCESS_KEY: "local",
        config.AWS_SESSION_TOKEN: "local",
        config.AWS_ACCOUNT_ID_ENDPOINT_MODE: "disabled",
        config.SIGNING_KEY: key,
        config.PASSWORD_HASH_PROFILE: "production",
        config.STAGE: "local",
    }


def apply(variables: Mapping[str, str]) -> None:
    # Writing os.environ is the point of this module; everything else reads it through config.py.
    for name in _REMOVED:
        os.environ.pop(name, None)
    os.environ.update(variables)
