"""Sender identities per tenant (API.md "Tenant administration", issue 23 point 2): a tenant proves a
domain through SES before its e-mails may come from it; a domain belongs to one tenant; until a tenant
has one, its e-mails come from the platform's sender with the tenant's name beside it."""

from __future__ import annotations

import email
import email.utils
from typing import Any

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]
from moto.ses.models import ses_backends

from chalicelib.bootstrap import get_services
from chalicelib.notifications.sender import SesEmailSender
from devstack.ses_identities import publish_dkim_records
from tests.functional.conftest import ADMIN_PASSWORD, Api, create_user, make_tenant, verified_sender_domain
from tests.stream_tap import StreamTap, run


@pytest.fixture
def globex(admin: Api, anon: Api) -> Api:
    make_tenant("globex")
    return anon.login("globex", "admin", ADMIN_PASSWORD)


def _sent_from(tap: StreamTap) -> list[tuple[str, str]]:
    """Delivers what the table recorded since the tap opened, through SES (moto); the From of each mail."""
    get_services().email_sender = SesEmailSender(boto3.client("sesv2", region_name="us-east-1"))
    assert run(tap.event()) == {"batchItemFailures": []}
    sent = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    return [email.utils.parseaddr(email.message_from_string(m.raw_data)["From"]) for m in sent]


def test_a_domain_answers_its_dkim_records_and_is_pending_until_they_are_published(admin: Api) -> None:
    r = admin.post("/sender-domains", {"domain": "Mail.Acme.test"})
    assert r.status_code == 201, r.body
    added: dict[str, Any] = r.json
    assert added["domain"] == "mail.acme.test" and added["status"] == "pending"
    assert len(added["dns_records"]) == 3
    for record in added["dns_records"]:
        assert record["type"] == "CNAME"
        token = record["name"].removesuffix("._domainkey.mail.acme.test")
        assert token and record["value"] == f"{token}.dkim.amazonses.com"
    listed = admin.get("/sender-domains").json["items"]
    assert [(d["domain"], d["status"]) for d in listed] == [("mail.acme.test", "pending")]
    # Not proved yet: no sender at it.
    refused = admin.patch("/settings", {"sender_email": "orders@mail.acme.test"})
    assert refused.status_code == 422, refused.body
    assert refused.json["error"]["details"][0]["field"] == "sender_email"
    publish_dkim_records("mail.acme.test")
    shown = admin.get("/sender-domains/mail.acme.test").json
    assert shown["status"] == "verified" and shown["dns_records"] == added["dns_records"]
    r = admin.patch("/settings", {"sender_email": "orders@mail.acme.test"})
    assert r.status_code == 200 and r.json["sender_email"] == "orders@mail.acme.test", r.body


def test_a_sender_outside_the_tenants_verified_domains_is_refused_and_changes_nothing(admin: Api, globex: Api) -> None:
    verified_sender_domain(admin, "acme.test")
    assert admin.patch("/settings", {"sender_email": "billing@acme.test"}).status_code == 200
    # Another tenant's administrator can neither send as acme's domain nor claim it.
    for address in ("billing@acme.test", "billing@ACME.test", "billing@sub.acme.test", "x@unknown.test"):
        r = globex.patch("/settings", {"sender_email": address})
        assert r.status_code == 422, r.body
    assert globex.get("/settings").json["sender_email"] is None
    taken = globex.post("/sender-domains", {"domain": "ACME.test"})
    assert taken.status_code == 409 and taken.json["error"]["code"] == "duplicate", taken.body
    assert globex.get("/sender-domains").json["items"] == []
    assert globex.get("/sender-domains/acme.test").status_code == 404
    assert globex.delete("/sender-domains/acme.test").status_code == 404
    assert admin.get("/sender-domains/acme.test").json["status"] == "verified"


def test_a_domain_made_in_ses_outside_ordergate_is_not_a_tenants(admin: Api) -> None:
    boto3.client("sesv2", region_name="us-east-1").create_email_identity(EmailIdentity="platform.test")
    r = admin.post("/sender-domains", {"domain": "platform.test"})
    assert r.status_code == 409, r.body
    assert admin.get("/sender-domains").json["items"] == []


@pytest.mark.parametrize(
    "domain", ["localhost", "a..b", "-x.test", "x_y.test", "x.test.", "é.test", "x" * 64 + ".test"]
)
def test_a_malformed_domain_is_refused(admin: Api, domain: str) -> None:
    r = admin.post("/sender-domains", {"domain": domain})
    assert r.status_code == 422 and r.json["error"]["details"][0]["field"] == "domain", r.body


def test_until_a_tenant_has_a_sender_its_mail_comes_from_the_platform_in_its_name(admin: Api) -> None:
    boto3.client("ses", region_name="us-east-1").verify_domain_identity(Domain="example.com")  # the platform's
    tap = StreamTap()
    create_user(admin, "newbie", ["sales-reps"], kind="staff")
    assert ("Acme Ltd", get_services().settings.platform_sender) in _sent_from(tap)


def test_deleting_the_domain_of_the_sender_returns_the_mail_to_the_platforms_sender(admin: Api) -> None:
    boto3.client("ses", region_name="us-east-1").verify_domain_identity(Domain="example.com")
    verified_sender_domain(admin, "acme.test")
    assert admin.patch("/settings", {"sender_email": "orders@acme.test"}).status_code == 200
    assert admin.delete("/sender-domains/acme.test").status_code == 204
    assert admin.get("/settings").json["sender_email"] is None
    assert admin.get("/sender-domains/acme.test").status_code == 404
    # Gone from SES too: adding it again starts over.
    again = admin.post("/sender-domains", {"domain": "acme.test"})
    assert again.status_code == 201 and again.json["status"] == "pending", again.body
