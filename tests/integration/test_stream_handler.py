"""The stream handler, driven through app.py's Lambda entry point with the sample events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from app import on_table_change
from chalicelib.bootstrap import get_services
from chalicelib.services.tenants import create_tenant
from devstack.fakes import FakeEmailSender
from tests.events import combine, load_event


class Context:
    function_name = "ordergate-dev-on_table_change"
    aws_request_id = "test"


@pytest.fixture
def outbox(aws: None) -> Iterator[FakeEmailSender]:
    services = get_services()
    create_tenant(
        services.passwords,
        slug="acme",
        name="Acme Ltd",
        admin_username="admin",
        admin_password="admin-password-1",
        admin_email="admin@acme.example",
        portal_url="https://portal.acme.example",
        sender_email="orders@acme.example",
    )
    fake = FakeEmailSender()
    services.email_sender = fake
    yield fake


def run(event: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = on_table_change(event, Context())
    return result


def test_a_new_user_is_told_how_to_log_in(outbox: FakeEmailSender) -> None:
    assert run(load_event("stream_user_inserted")) == {"batchItemFailures": []}
    [mail] = outbox.sent
    assert mail.to == "sam@acme.example"
    assert mail.sender == "orders@acme.example"
    assert mail.subject == "Your account at Acme Ltd"
    assert "Username: sam" in mail.text and "https://portal.acme.example" in mail.text
    assert "Company code: acme" in mail.html


@pytest.mark.parametrize("name", ["stream_user_modified", "stream_user_noop_modify", "stream_user_removed"])
def test_other_user_changes_send_nothing(outbox: FakeEmailSender, name: str) -> None:
    assert run(load_event(name)) == {"batchItemFailures": []}
    assert outbox.sent == []


def test_an_inactive_new_user_gets_no_mail(outbox: FakeEmailSender) -> None:
    event = load_event("stream_user_inserted")
    event["Records"][0]["dynamodb"]["NewImage"]["status"] = {"S": "inactive"}
    run(event)
    assert outbox.sent == []


def test_a_poisoned_record_is_reported_alone_and_the_others_are_sent(outbox: FakeEmailSender) -> None:
    result = run(combine("stream_poisoned_record", "stream_user_inserted"))
    assert result == {"batchItemFailures": [{"itemIdentifier": "5"}]}
    assert [m.to for m in outbox.sent] == ["sam@acme.example"]


def test_a_refused_send_fails_only_its_record(outbox: FakeEmailSender) -> None:
    outbox.refuse.add("sam@acme.example")
    event = combine("stream_user_inserted", "stream_user_noop_modify")
    assert run(event) == {"batchItemFailures": [{"itemIdentifier": "1"}]}


def test_a_batch_reads_the_tenant_settings_once_not_once_per_record(outbox: FakeEmailSender) -> None:
    from bench.counting import storage_counter

    records = load_event("stream_user_inserted")["Records"]
    second = json.loads(json.dumps(records[0]))
    second["eventID"] = "2"
    second["dynamodb"]["NewImage"]["email"] = {"S": "kim@acme.example"}
    with storage_counter().measure() as tally:
        assert run({"Records": [records[0], second]}) == {"batchItemFailures": []}
    assert sorted(m.to for m in outbox.sent) == ["kim@acme.example", "sam@acme.example"]
    reads = {op: n for op, n in tally.summary()["operations"].items() if op in ("GetItem", "BatchGetItem", "Query")}
    # The settings, once for the batch, and whether each recipient's address is suppressed (the writes are
    # the e-mails' claims).
    assert reads == {"GetItem": 1 + len(outbox.sent)}
