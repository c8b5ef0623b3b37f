"""The local stack's own settings (`make run`): where it listens and keeps its files.

Development only, like the rest of devstack/: the Lambda's settings are chalicelib/config.py.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

LOCAL_AWS_PORT = "ORDERGATE_LOCAL_AWS_PORT"  # the AWS emulator (moto server: SES, S3, SQS); default 5000
LOCAL_API_PORT = "ORDERGATE_LOCAL_API_PORT"  # the Chalice app over HTTP; default 8000
LOCAL_DYNAMODB_PORT = "ORDERGATE_LOCAL_DYNAMODB_PORT"  # DynamoDB Local (its JVM); default 8001
LOCAL_DIR = "ORDERGATE_LOCAL_DIR"  # signing key and outbox; default .local/ beside app.py
LOCAL_SCHEDULE_SECONDS = "ORDERGATE_LOCAL_SCHEDULE_SECONDS"  # how often scheduled functions run; default 5


@dataclass(frozen=True)
class LocalSettings:
    """How the local stack is reached and where it keeps its files."""

    host: str
    aws_port: int
    api_port: int
    local_dir: str | None  # None: the project's own .local/
    schedule_seconds: float = 5.0  # app.py's scheduled functions (hourly on AWS) run this often locally
    dynamodb_port: int = 8001

    @classmethod
    def from_env(cls) -> LocalSettings:
        env = os.environ
        return cls(
            host="127.0.0.1",
            aws_port=_port(env.get(LOCAL_AWS_PORT), 5000, LOCAL_AWS_PORT),
            api_port=_port(env.get(LOCAL_API_PORT), 8000, LOCAL_API_PORT),
            local_dir=env.get(LOCAL_DIR) or None,
            schedule_seconds=_seconds(env.get(LOCAL_SCHEDULE_SECONDS), 5.0, LOCAL_SCHEDULE_SECONDS),
            dynamodb_port=_port(env.get(LOCAL_DYNAMODB_PORT), 8001, LOCAL_DYNAMODB_PORT),
        )


def _seconds(raw: str | None, default: float, name: str) -> float:
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 0.1 <= value <= 3600:
        raise ValueError(f"{name} must be a number of seconds from 0.1 to 3600, not {raw!r}.")
    return value


def _port(raw: str | None, default: int, name: str) -> int:
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise ValueError(f"{name} must be a port number from 1 to 65535, not {raw!r}.")
    return int(raw)
