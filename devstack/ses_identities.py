"""Give moto's SES the domain identities AWS has (issue 23: sender domains per tenant).

moto creates an SES v2 identity without DKIM tokens, never verifies it and silently replaces one that
exists. AWS answers three Easy DKIM tokens (the CNAMEs to publish), keeps the identity pending until
it finds them, and refuses a second CreateEmailIdentity for the same name (AlreadyExistsException).
`ses_identities_as_on_aws` makes moto do the same; `publish_dkim_records` is what publishing the
records does on AWS (SES finds them and may send for the domain): the local stack calls it for the
demo tenant's domain at start, tests for the domains they verify. Production code is unchanged.
"""

from __future__ import annotations

import functools
import secrets
from typing import Any


def ses_identities_as_on_aws() -> None:
    """Idempotent: patches moto's SES v2 CreateEmailIdentity."""
    from moto.core.exceptions import JsonRESTError
    from moto.sesv2.models import SESV2Backend

    original = SESV2Backend.create_email_identity
    if getattr(original, "_ordergate_patched", False):
        return

    def create_email_identity(self: Any, email_identity: str, *args: Any, **kwargs: Any) -> Any:
        if email_identity in self.core_backend.email_identities:
            raise JsonRESTError("AlreadyExistsException", f"Email identity {email_identity} already exist.")
        identity = original(self, email_identity, *args, **kwargs)
        if identity.identity_type == "DOMAIN" and not identity.dkim_signing_attributes:
            identity.verification_status = "PENDING"
            identity.dkim_attributes.update(
                {"SigningEnabled": True, "Status": "PENDING", "Tokens": [secrets.token_hex(16) for _ in range(3)]}
            )
        return identity

    functools.update_wrapper(create_email_identity, original)
    create_email_identity._ordergate_patched = True  # type: ignore[attr-defined]
    SESV2Backend.create_email_identity = create_email_identity  # type: ignore[method-assign]


def publish_dkim_records(domain: str, region: str = "us-east-1") -> None:
    """What publishing a domain's DKIM records does on AWS: SES verifies the identity (in this process's
    moto, in process or behind the local stack's server)."""
    from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]
    from moto.ses.models import ses_backends

    identity = ses_backends[DEFAULT_ACCOUNT_ID][region].email_identities[domain]
    identity.verified_for_sending_status = True
    identity.verification_status = "SUCCESS"
    identity.dkim_attributes["Status"] = "SUCCESS"
