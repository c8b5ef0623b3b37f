"""The benchmark's environment: moto in process, fake credentials, no endpoints, no network.

Imported before anything that imports boto3 or PynamoDB (they read the environment when a client
is built). The same settings as tests/conftest.py, with a table of its own.
"""

from __future__ import annotations

import os

ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",  # PITFALLS.md: moto and stream ARNs
    "ORDERGATE_TABLE": "ordergate-bench",
    "ORDERGATE_SIGNING_KEY": "bench-signing-key-0123456789abcdef0123456789",
    # Password hashing costs CPU, not round trips: the fast profile keeps the run short.
    "ORDERGATE_PASSWORD_HASH_PROFILE": "fast",
    # The stream phase sends 1,000 e-mails; their INFO lines would bury the summary.
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}
UNSET = ("ORDERGATE_DYNAMODB_ENDPOINT", "ORDERGATE_SES_ENDPOINT", "AWS_ENDPOINT_URL", "AWS_PROFILE")


def apply() -> None:
    os.environ.update(ENV)
    for name in UNSET:
        os.environ.pop(name, None)


def child_env() -> dict[str, str]:
    """The environment of the fresh interpreters the cold-import figure starts."""
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    env.update(ENV)
    return env
