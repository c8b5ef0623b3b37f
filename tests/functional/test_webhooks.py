"""Webhooks (API.md "Machine clients"): endpoints administered by tenant.admin, URLs refused when they
lead inward (SSRF), each event fanned out from the stream to its subscribed endpoints, signed as the
Standard Webhooks scheme says (checked with its JavaScript reference implementation), retried on the
schedule with a controllable clock, 410 and 3 days of failures disabling the endpoint."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from bench.counting import storage_counter
from chalicelib.bootstrap import get_services
from chalicelib.webhooks import urls
from chalicelib.webhooks.delivery import Pipeline
from chalicelib.webhooks.handlers import handle_sqs_batch
from chalicelib.webhooks.post import Outcome
from chalicelib.webhooks.runtime import SqsQueue
from devstack.fakes import FakeEmailSender
from tests.functional.order_world import World
from tests.stream_tap import StreamTap, run

VERIFIER = Path(__file__).parents[1] / "webhook_verifier"
PUBLIC = "93.184.216.34"


@dataclass
class FakeQueue:
    sent: list[tuple[dict[str, Any], int]] = field(default_factory=list)

    def send(self, messages: list[dict[str, Any]], delay_seconds: int = 0) -> None:
        self.sent += [(m, delay_seconds) for m in messages]

    def take(self) -> list[tuple[dict[str, Any], int]]:
        out, self.sent = self.sent, []
        return out


@dataclass
class Receiver:
    """The receiving end: records every POST and answers from a script (then 200)."""

    answers: list[int | None] = field(default_factory=list)
    posts: list[tuple[urls.Target, dict[str, str], str]] = field(default_factory=list)

    def __call__(self, target: urls.Target, headers: dict[str, str], body: str) -> Outcome:
        self.posts.append((target, headers, body))
        status = self.answers.pop(0) if self.answers else 200
        if status is None:
            return Outcome(None, "ConnectTimeoutError: timed out")
        return Outcome(status, None if 200 <= status < 300 else f"HTTP {status}")


@dataclass
class Hooks:
    world: World
    tap: StreamTap
    queue: FakeQueue
    receiver: Receiver
    pipeline: Pipeline
    outbox: FakeEmailSender
    now: list[datetime]
    dns: dict[str, list[str]]

    def tick(self, seconds: float) -> None:
        self.now[0] += timedelta(seconds=seconds)

    def stream(self) -> list[tuple[dict[str, Any], int]]:
        """Deliver the table's new stream records to app.py's handler; the messages it queued."""
        assert run(self.tap.event()) == {"batchItemFailures": []}
        return self.queue.take()

    def subscribe(self, url: str = "https://erp.example.com/hooks", types: list[str] | None = None) -> dict[str, Any]:
        r = self.world.admin.post("/webhook-endpoints", {"url": url, "event_types": types or ["*"]})
        assert r.status_code == 201, r.body
        return dict(r.json)

    def attempt_all(self, messages: list[tuple[dict[str, Any], int]]) -> list[str]:
        return [self.pipeline.attempt(m) for m, _ in messages]


@pytest.fixture
def hooks(world: World) -> Any:
    now = [datetime.now(UTC).replace(microsecond=0)]
    dns = {"erp.example.com": [PUBLIC], "other.example.com": [PUBLIC]}
    queue, receiver = FakeQueue(), Receiver()

    def resolve(host: str, port: int) -> list[str]:
        if host not in dns:
            raise urls.UrlRefused(f"The host '{host}' cannot be resolved.")
        return dns[host]

    services = get_services()
    pipeline = Pipeline(queue, receiver, resolve=resolve, clock=lambda: now[0], on_disabled=services.email_admins)
    services.webhook_pipeline = pipeline
    outbox = FakeEmailSender()
    get_services().email_sender = outbox
    # The URL check at registration resolves through `check`'s default resolver: the same table.
    import chalicelib.webhooks.urls as urls_module

    check_defaults = urls_module.check.__kwdefaults__
    assert check_defaults is not None
    saved = dict(check_defaults)
    check_defaults["resolve"] = resolve
    yield Hooks(world, StreamTap(), queue, receiver, pipeline, outbox, now, dns)
    check_defaults.update(saved)


def submitted_order(h: Hooks) -> str:
    order_id = str(h.world.order()["id"])
    assert h.world.buyer.post(f"/orders/{order_id}/submit").status_code == 200
    return order_id


def verify(secret: str, headers: dict[str, str], body: str) -> str:
    """The Standard Webhooks JavaScript library's verdict ("ok" or its error)."""
    if shutil.which("node") is None or not (VERIFIER / "node_modules" / "standardwebhooks").is_dir():
        # `make test` installs it (npm is needed anyway: DynamoDB Local and the generated clients come from it).
        # A missing verifier is a broken install, never a reason to skip the one check of our signatures we did
        # not write ourselves.
        pytest.fail("the independent verifier is not installed: run `make webhook-verifier` (needs Node.js and npm)")
    done = subprocess.run(
        ["node", str(VERIFIER / "verify.mjs")],
        input=json.dumps({"secret": secret, "headers": headers, "body": body}),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout


# --- administering endpoints ----------------------------------------------------------------------------
def test_the_secret_is_shown_once_and_endpoints_are_the_administrators(hooks: Hooks) -> None:
    w = hooks.world
    created = hooks.subscribe(types=["order.submitted", "order.confirmed"])
    assert created["secret"].startswith("whsec_") and created["enabled"] is True
    shown = w.admin.get(f"/webhook-endpoints/{created['id']}").json
    assert "secret" not in shown and shown["event_types"] == ["order.submitted", "order.confirmed"]
    assert [e["id"] for e in w.admin.get("/webhook-endpoints").json["items"]] == [created["id"]]
    assert w.desk.get("/webhook-endpoints").status_code == 403
    assert (
        w.buyer.post("/webhook-endpoints", {"url": "https://erp.example.com", "event_types": ["*"]}).status_code == 403
    )
    r = w.admin.patch(f"/webhook-endpoints/{created['id']}", {"description": "Colibri", "event_types": ["*"]})
    assert r.status_code == 200 and r.json["description"] == "Colibri" and r.json["event_types"] == ["*"]
    assert w.admin.delete(f"/webhook-endpoints/{created['id']}").status_code == 204
    assert w.admin.get(f"/webhook-endpoints/{created['id']}").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "http://erp.example.com/hooks",  # not https
        "https://10.0.0.7/hooks",  # private
        "https://169.254.169.254/latest/meta-data",  # link-local: the instance metadata service
        "https://127.0.0.1/hooks",  # loopback
        "https://[::1]/hooks",
        "https://[::ffff:10.0.0.1]/hooks",  # a private IPv4 address inside IPv6
        # IPv6 forms that carry an IPv4 address are judged by it (issue 23)
        "https://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
        "https://[2002:a9fe:a9fe::]/",  # 6to4 of 169.254.169.254, the metadata service
        "https://[64:ff9b::a9fe:a9fe]/",  # NAT64 of 169.254.169.254
        "https://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
        "https://[2001:0:5db8:d822::80ff:fffe]/",  # Teredo: a public server, the client 127.0.0.1
        "https://[::a9fe:a9fe]/",  # IPv4-compatible 169.254.169.254
        "https://[::ffff:0:a00:1]/",  # IPv4-translated 10.0.0.1
        "https://[::ffff:127.0.0.1]/",  # IPv4-mapped loopback
        "https://six.example.com/hooks",  # resolves to a 6to4 address of the metadata service (below)
        "https://inside.example.com/hooks",  # resolves to a private address (below)
        "https://nowhere.example.com/hooks",  # does not resolve
        "https://user:pw@erp.example.com/hooks",
        "http://127.0.0.1:9000/hooks",  # only the local stack allows it
        "ftp://erp.example.com/",
        "not a url",
    ],
)
def test_urls_that_lead_inward_are_refused(hooks: Hooks, url: str) -> None:
    hooks.dns["inside.example.com"] = [PUBLIC, "192.168.1.20"]
    hooks.dns["six.example.com"] = ["2002:a9fe:a9fe::1"]
    r = hooks.world.admin.post("/webhook-endpoints", {"url": url, "event_types": ["*"]})
    assert r.status_code == 422, r.body
    assert r.json["error"]["details"][0]["field"] == "url"
    assert hooks.world.admin.get("/webhook-endpoints").json["items"] == []


@pytest.mark.parametrize(
    "host", ["[2002:5db8:d822::1]", "[64:ff9b::5db8:d822]", "[2606:2800:220:1:248:1893:25c8:1946]"]
)
def test_ipv6_forms_carrying_a_public_ipv4_address_are_public(hooks: Hooks, host: str) -> None:
    r = hooks.world.admin.post("/webhook-endpoints", {"url": f"https://{host}/hooks", "event_types": ["*"]})
    assert r.status_code == 201, r.body


def test_event_types_must_be_the_feeds(hooks: Hooks) -> None:
    r = hooks.world.admin.post("/webhook-endpoints", {"url": "https://erp.example.com", "event_types": ["order.x"]})
    assert r.status_code == 422 and r.json["error"]["details"][0]["field"] == "event_types"


# --- fan-out, signature, delivery -------------------------------------------------------------------------
def test_an_event_reaches_its_subscribers_signed_as_standard_webhooks_say(hooks: Hooks) -> None:
    hooks.now[0] = datetime.now(UTC)  # the verifier refuses timestamps older than 5 minutes
    everything = hooks.subscribe()
    hooks.subscribe("https://other.example.com/in", ["order.confirmed"])
    order_id = submitted_order(hooks)
    queued = hooks.stream()
    assert len(queued) == 2 and {d for _, d in queued} == {0}  # created and submitted, for `*` only
    assert hooks.attempt_all(queued) == ["succeeded", "succeeded"]
    (_, created_headers, _), (target, headers, body) = hooks.receiver.posts
    event = json.loads(body)
    assert event["type"] == "order.submitted" and event["order_id"] == order_id
    assert event["data"]["status"] == "submitted"
    assert headers["webhook-id"] == event["id"] and target.host == "erp.example.com" and target.address == PUBLIC
    assert verify(everything["secret"], headers, body) == "ok"
    assert verify(everything["secret"], {**headers, "webhook-id": created_headers["webhook-id"]}, body) != "ok"
    assert verify(everything["secret"], headers, body.replace("submitted", "cancelled")) != "ok"
    # The feed serves the same Event.
    deliveries = hooks.world.admin.get(f"/webhook-endpoints/{everything['id']}/deliveries").json["items"]
    assert {d["event_type"] for d in deliveries} == {"order.created", "order.submitted"}
    assert all(d["status"] == "succeeded" and d["attempts"] == 1 and d["last_status_code"] == 200 for d in deliveries)


def test_the_signature_matches_the_published_test_vector() -> None:
    """Standard Webhooks' own example (secret, id, timestamp, body → signature), computed by nobody here."""
    from chalicelib.webhooks import signing

    at = datetime.fromtimestamp(1614265330, tz=UTC)
    h = signing.headers(
        "msg_p5jXN8AQM9LWM0D4loKWxJek", at, '{"test": 2432232314}', ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]
    )
    assert h["webhook-signature"] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert h["webhook-timestamp"] == "1614265330"


def test_after_a_rotation_both_secrets_sign_for_a_day(hooks: Hooks) -> None:
    hooks.now[0] = datetime.now(UTC)
    endpoint = hooks.subscribe()
    rotated = hooks.world.admin.post(f"/webhook-endpoints/{endpoint['id']}/rotate-secret")
    assert rotated.status_code == 200 and rotated.json["secret"] != endpoint["secret"]
    r = hooks.world.admin.post(f"/webhook-endpoints/{endpoint['id']}/test")
    assert r.status_code == 202 and r.json["event_type"] == "ping"
    assert hooks.attempt_all(hooks.queue.take()) == ["succeeded"]
    _, headers, body = hooks.receiver.posts[-1]
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert verify(endpoint["secret"], headers, body) == "ok"
    assert verify(rotated.json["secret"], headers, body) == "ok"
    hooks.tick(25 * 3600)  # a day later only the new one signs
    hooks.world.admin.post(f"/webhook-endpoints/{endpoint['id']}/test")
    hooks.attempt_all(hooks.queue.take())
    _, later, _ = hooks.receiver.posts[-1]
    assert len(later["webhook-signature"].split(" ")) == 1


def test_fan_out_to_ten_endpoints_and_an_attempt_stay_within_their_round_trips(hooks: Hooks) -> None:
    for _ in range(10):
        hooks.subscribe()
    submitted_order(hooks)
    records = hooks.tap.event()
    from chalicelib.storage.items import OrderEventItem
    from chalicelib.webhooks.handlers import fan_out

    items = [
        OrderEventItem.from_raw_data(r["dynamodb"]["NewImage"])
        for r in records["Records"]
        if r["eventName"] == "INSERT" and r["dynamodb"]["NewImage"].get("type", {}).get("S") == "order_event"
    ]
    with storage_counter().measure() as tally:
        fan_out(items[-1], hooks.pipeline)
    assert tally.round_trips <= 3, tally.summary()["operations"]
    queued = hooks.queue.take()
    assert len(queued) == 10
    with storage_counter().measure() as tally:
        assert hooks.pipeline.attempt(queued[0][0]) == "succeeded"
    assert tally.round_trips <= 2, tally.summary()["operations"]


# --- retries and disabling ---------------------------------------------------------------------------------
def test_retries_follow_the_schedule_and_three_days_of_failures_disable_and_email(hooks: Hooks) -> None:
    endpoint = hooks.subscribe()
    hooks.world.order()
    ((message, _),) = hooks.stream()
    hooks.receiver.answers = [500] * 20
    delays = []
    for _ in range(9):
        assert hooks.pipeline.attempt(message) == "retry"
        queued = hooks.queue.take()
        if queued:  # delayed by SQS (at most 15 minutes)
            ((message, delay),) = queued
        else:  # due later: the scheduled function finds it by its time
            (d,) = hooks.world.admin.get(f"/webhook-endpoints/{endpoint['id']}/deliveries").json["items"]
            delay = int(
                (datetime.fromisoformat(d["next_attempt_at"].replace("Z", "+00:00")) - hooks.now[0]).total_seconds()
            )
            hooks.tick(delay - 60)
            assert hooks.pipeline.queue_due() == 0  # not yet
            hooks.tick(60)
            assert hooks.pipeline.queue_due() == 1
            ((message, _),) = hooks.queue.take()
        delays.append(delay)
        if queued:
            hooks.tick(delay)
        if hooks.world.admin.get(f"/webhook-endpoints/{endpoint['id']}").json["enabled"] is False:
            break
    assert delays[:7] == [5, 300, 1800, 7200, 18000, 36000, 50400]
    # 5 s + 5 min + 30 min + 2 h + 5 h + 10 h + 14 h + 20 h = 51.6 h; the attempt after 24 h more is past 3 days.
    assert hooks.pipeline.attempt(message) == "disabled"
    shown = hooks.world.admin.get(f"/webhook-endpoints/{endpoint['id']}").json
    assert shown["enabled"] is False and shown["disabled_reason"] == "Deliveries failed for 3 days."
    (d,) = hooks.world.admin.get(f"/webhook-endpoints/{endpoint['id']}/deliveries").json["items"]
    assert d["status"] == "failed" and d["attempts"] == 10 and d["last_status_code"] == 500
    assert [m.to for m in hooks.outbox.sent] == ["admin@acme.test"]
    assert "disabled" in hooks.outbox.sent[0].subject
    assert len(hooks.receiver.posts) == 10
    # Disabled: new events are not delivered to it.
    hooks.world.order()
    assert hooks.stream() == []


def test_410_disables_at_once(hooks: Hooks) -> None:
    endpoint = hooks.subscribe()
    hooks.world.order()
    ((message, _),) = hooks.stream()
    hooks.receiver.answers = [410]
    assert hooks.pipeline.attempt(message) == "disabled"
    assert hooks.queue.take() == []
    shown = hooks.world.admin.get(f"/webhook-endpoints/{endpoint['id']}").json
    assert shown["enabled"] is False and "410" in shown["disabled_reason"]
    # Enabled again by the administrator: a fresh start.
    r = hooks.world.admin.patch(f"/webhook-endpoints/{endpoint['id']}", {"enabled": True})
    assert r.json["enabled"] is True and r.json["disabled_reason"] is None


def test_a_failure_then_a_success_sends_the_same_webhook_id_and_a_copy_of_a_message_does_nothing(hooks: Hooks) -> None:
    endpoint = hooks.subscribe()
    hooks.world.order()
    ((message, _),) = hooks.stream()
    hooks.receiver.answers = [500, 200]
    assert hooks.pipeline.attempt(message) == "retry"
    ((retry, delay),) = hooks.queue.take()
    assert delay == 5 and retry["attempt"] == 1
    assert hooks.pipeline.attempt(message) == "stale"  # SQS delivered the first message twice
    hooks.tick(5)
    assert hooks.pipeline.attempt(retry) == "succeeded"
    first, second = hooks.receiver.posts
    assert first[1]["webhook-id"] == second[1]["webhook-id"] and first[2] == second[2]
    (d,) = hooks.world.admin.get(f"/webhook-endpoints/{endpoint['id']}/deliveries").json["items"]
    assert d["status"] == "succeeded" and d["attempts"] == 2
    # An administrator can send it again.
    r = hooks.world.admin.post(f"/webhook-endpoints/{endpoint['id']}/deliveries/{d['id']}/retry")
    assert r.status_code == 202
    assert hooks.attempt_all(hooks.queue.take()) == ["succeeded"]
    assert len(hooks.receiver.posts) == 3


def test_a_name_that_turns_private_after_registration_is_never_posted_to(hooks: Hooks) -> None:
    hooks.subscribe()
    hooks.world.order()
    ((message, _),) = hooks.stream()
    hooks.dns["erp.example.com"] = ["10.1.2.3"]  # DNS rebinding
    assert hooks.pipeline.attempt(message) == "retry"
    assert hooks.receiver.posts == []
    (d,) = hooks.world.admin.get(
        f"/webhook-endpoints/{hooks.world.admin.get('/webhook-endpoints').json['items'][0]['id']}/deliveries"
    ).json["items"]
    assert "10.1.2.3" in d["last_error"] and d["last_status_code"] is None


def test_a_redelivered_stream_record_delivers_once(hooks: Hooks) -> None:
    hooks.subscribe()
    hooks.world.order()
    event = hooks.tap.event()
    assert run(event) == {"batchItemFailures": []}
    assert run(event) == {"batchItemFailures": []}  # Lambda delivered the batch again
    messages = hooks.queue.take()
    assert len(messages) == 2
    assert sorted(hooks.attempt_all(messages)) == ["stale", "succeeded"]
    assert len(hooks.receiver.posts) == 1


# --- the SQS function, on moto's SQS -------------------------------------------------------------------------
def test_the_delivery_function_reads_the_queue_and_reports_only_failing_messages(hooks: Hooks) -> None:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="ordergate-webhooks")["QueueUrl"]
    hooks.pipeline.queue = SqsQueue(sqs, url)
    hooks.subscribe()
    hooks.world.order()
    run(hooks.tap.event())
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(received) == 1
    poisoned = {
        "messageId": "bad",
        "body": "{not json",
        "receiptHandle": "x",
        "attributes": {},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:ordergate-webhooks",
        "awsRegion": "us-east-1",
    }
    records = [
        {**poisoned, "messageId": m["MessageId"], "body": m["Body"], "receiptHandle": m["ReceiptHandle"]}
        for m in received
    ]
    result = handle_sqs_batch({"Records": [*records, poisoned]}, hooks.pipeline)
    assert result == {"batchItemFailures": [{"itemIdentifier": "bad"}]}
    assert len(hooks.receiver.posts) == 1


def test_an_endpoint_edited_during_an_attempt_fails_the_message_so_it_comes_back(hooks: Hooks) -> None:
    """The attempt's record goes with the endpoint's new failure clock in one transaction; if an
    administrator changed the endpoint meanwhile, the message fails (SQS brings it back) rather than
    being dropped with the delivery left pending."""
    from chalicelib.storage import webhooks as store

    endpoint = hooks.subscribe()
    hooks.world.order()
    ((message, _),) = hooks.stream()
    hooks.receiver.answers = [500]
    real = store.endpoint_and_delivery

    def then_edited(tenant: str, endpoint_id: str, delivery_id: str) -> Any:
        found = real(tenant, endpoint_id, delivery_id)
        assert hooks.world.admin.patch(f"/webhook-endpoints/{endpoint_id}", {"description": "x"}).status_code == 200
        return found

    store.endpoint_and_delivery = then_edited
    try:
        from chalicelib.domain.errors import VersionMismatchError

        with pytest.raises(VersionMismatchError):
            hooks.pipeline.attempt(message)
    finally:
        store.endpoint_and_delivery = real
    (d,) = hooks.world.admin.get(f"/webhook-endpoints/{endpoint['id']}/deliveries").json["items"]
    assert (d["status"], d["attempts"]) == ("pending", 0)
    assert hooks.pipeline.attempt(message) == "succeeded"  # SQS delivers it again
