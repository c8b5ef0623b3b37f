"""What S3 does with a browser-based upload (presigned POST) that moto 5.2.5 does not: enforce its policy.

moto stores whatever a POST carries: it checks neither the policy's expiration nor its conditions (an
exact `Content-Type`, the `content-length-range`, the key). Our uploads rely on exactly those (PITFALLS.md
"Presigned S3 POST"), so the tests and the local stack put this check in front of moto's POST handler.
It follows S3's rules for POST policies (the conditions `{"field": value}`, `["eq", "$field", value]`,
`["starts-with", "$field", prefix]`, `["content-length-range", min, max]`; every form field but the
policy, the signature, the file and `x-ignore-*` must be named by a condition; an expired policy is
refused) and answers as S3 does: 403 AccessDenied "Invalid according to Policy", 400 EntityTooLarge /
EntityTooSmall. It does not verify the signature (moto knows no secret keys); S3 does.

`after_upload` hooks let the local stack feed the S3 event handler when an object lands
(devstack/uploads.py).
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

_lock = threading.Lock()
_hooks: list[Callable[[str, str], None]] = []  # (bucket, key) after an object was stored by a POST
_NOT_CONDITIONED = {"policy", "x-amz-signature", "file", "signature", "awsaccesskeyid"}


class PolicyRefusal(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def response(self) -> tuple[int, dict[str, str], str]:
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{self.code}</Code><Message>{escape(self.message)}</Message></Error>"
        )
        return self.status, {"Content-Type": "application/xml"}, body


def _denied(message: str) -> PolicyRefusal:
    return PolicyRefusal(403, "AccessDenied", f"Invalid according to Policy: {message}")


def check_post(bucket: str, form: dict[str, str], size: int, now: datetime | None = None) -> None:
    """Raise PolicyRefusal unless the form's policy allows this upload of `size` bytes into `bucket`."""
    fields = {k.lower(): v for k, v in form.items()}
    encoded = fields.get("policy")
    if not encoded:
        return  # an unsigned POST: only a public-write bucket takes it, and S3's ACLs decide (moto's job)
    try:
        policy = json.loads(base64.b64decode(encoded, validate=True))
        expiration = datetime.fromisoformat(str(policy["expiration"]).replace("Z", "+00:00"))
        conditions = list(policy["conditions"])
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise PolicyRefusal(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.") from exc
    if (now or datetime.now(UTC)) >= expiration:
        raise _denied("Policy expired.")
    values = {**fields, "bucket": bucket}
    named: set[str] = set()
    for condition in conditions:
        if isinstance(condition, dict):
            for name, expected in condition.items():
                named.add(name.lower())
                if values.get(name.lower()) != expected:
                    raise _denied(f'Policy Condition failed: ["eq", "${name}", "{expected}"]')
        elif isinstance(condition, list) and len(condition) == 3:
            op = str(condition[0]).lower()
            if op == "content-length-range":
                low, high = int(condition[1]), int(condition[2])
                if size > high:
                    raise PolicyRefusal(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
                if size < low:
                    message = "Your proposed upload is smaller than the minimum allowed size"
                    raise PolicyRefusal(400, "EntityTooSmall", message)
                continue
            name = str(condition[1]).lstrip("$").lower()
            named.add(name)
            actual = values.get(name, "")
            if (op == "eq" and actual != condition[2]) or (op == "starts-with" and not actual.startswith(condition[2])):
                raise _denied(f'Policy Condition failed: ["{op}", "${name}", "{condition[2]}"]')
        else:
            raise PolicyRefusal(400, "InvalidPolicyDocument", "Invalid Policy: Invalid Condition.")
    for name in fields:
        if name not in named and name not in _NOT_CONDITIONED and not name.startswith("x-ignore-"):
            raise _denied(f"Extra input fields: {name}")


def after_upload(hook: Callable[[str, str], None]) -> None:
    with _lock:
        if hook not in _hooks:
            _hooks.append(hook)


def enforce_post_policies() -> None:
    """Idempotent: wrap moto's S3 POST handler in `check_post`, and call the `after_upload` hooks."""
    from moto.s3.responses import S3Response

    original = S3Response._bucket_response_post
    if getattr(original, "_ordergate_policy", False):
        return

    def checked(self: Any, request: Any, bucket_name: str) -> Any:
        form = dict(getattr(self, "form_data", None) or {})
        is_upload = "key" in form and not self._get_path(request).endswith("?delete")
        if is_upload:
            body = self.raw_body if isinstance(self.raw_body, bytes) else str(self.body or "").encode()
            try:
                check_post(bucket_name, form, len(body))
            except PolicyRefusal as refusal:
                return refusal.response()
        answer = original(self, request, bucket_name)
        if is_upload and int(answer[0]) < 300:
            key = self.querystring["key"][0]
            for hook in list(_hooks):
                hook(bucket_name, key)
        return answer

    checked._ordergate_policy = True  # type: ignore[attr-defined]
    S3Response._bucket_response_post = checked  # type: ignore[method-assign]
