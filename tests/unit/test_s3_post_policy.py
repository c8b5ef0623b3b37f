"""S3's checks of a presigned POST, as the tests and the local stack apply them in front of moto."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from devstack.s3_post_policy import PolicyRefusal, check_post

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def form(conditions: list[Any], expiration: str = "2026-12-05T12:15:00Z", **fields: str) -> dict[str, str]:
    policy = base64.b64encode(json.dumps({"expiration": expiration, "conditions": conditions}).encode()).decode()
    return {"policy": policy, "x-amz-signature": "sig", **fields}


CONDITIONS = [
    {"bucket": "docs"},
    {"key": "t/a/orders/o/d"},
    {"Content-Type": "application/pdf"},
    ["content-length-range", 5, 5],
]
FIELDS = {"key": "t/a/orders/o/d", "Content-Type": "application/pdf"}


def refusal(bucket: str, f: dict[str, str], size: int) -> PolicyRefusal:
    with pytest.raises(PolicyRefusal) as caught:
        check_post(bucket, f, size, now=NOW)
    return caught.value


def test_the_declared_upload_passes() -> None:
    check_post("docs", form(CONDITIONS, **FIELDS), 5, now=NOW)


@pytest.mark.parametrize(
    ("bucket", "fields", "size", "status", "code"),
    [
        ("docs", FIELDS, 6, 400, "EntityTooLarge"),
        ("docs", FIELDS, 4, 400, "EntityTooSmall"),
        ("docs", {**FIELDS, "Content-Type": "text/html"}, 5, 403, "AccessDenied"),
        ("docs", {**FIELDS, "key": "t/a/orders/o/other"}, 5, 403, "AccessDenied"),
        ("other", FIELDS, 5, 403, "AccessDenied"),
        ("docs", {**FIELDS, "x-amz-meta-note": "unconditioned"}, 5, 403, "AccessDenied"),
    ],
)
def test_anything_else_is_refused_as_s3_refuses_it(
    bucket: str, fields: dict[str, str], size: int, status: int, code: str
) -> None:
    r = refusal(bucket, form(CONDITIONS, **fields), size)
    assert (r.status, r.code) == (status, code)
    assert r.response()[0] == status and f"<Code>{code}</Code>" in r.response()[2]


def test_an_expired_policy_is_refused() -> None:
    r = refusal("docs", form(CONDITIONS, expiration="2026-12-05T11:59:59Z", **FIELDS), 5)
    assert (r.status, r.code, r.message) == (403, "AccessDenied", "Invalid according to Policy: Policy expired.")


def test_starts_with_and_ignored_fields() -> None:
    conditions = [["starts-with", "$key", "t/a/"], ["content-length-range", 1, 10]]
    check_post("docs", form(conditions, key="t/a/x", **{"x-ignore-me": "1"}), 3, now=NOW)
    assert refusal("docs", form(conditions, key="t/b/x"), 3).code == "AccessDenied"


def test_a_policy_that_is_not_json_is_refused() -> None:
    r = refusal("docs", {"policy": "bm90IGpzb24=", "key": "k"}, 1)
    assert (r.status, r.code) == (400, "InvalidPolicyDocument")
