"""Issue 15's targets (`make bench`, phase "webhooks"):

* a webhook delivery costs at most 2 DynamoDB round trips per endpoint per event (one attempt);
* the fan-out of one event to 10 endpoints at most 3;
* GET /events is one Query whatever the tenant's volume (10,000 events in the day it reads);
* the local stack delivers a webhook within 2 s p50 of the action that caused it.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TARGET_ATTEMPT = 2
TARGET_FAN_OUT = 3
TARGET_LOCAL_P50_S = 2.0


@dataclass
class _Queue:
    sent: list[dict[str, Any]] = field(default_factory=list)

    def send(self, messages: list[dict[str, Any]], delay_seconds: int = 0) -> None:
        self.sent += messages


def measure_costs(events: int = 10_000) -> dict[str, Any]:
    """Round trips of the fan-out, an attempt and GET /events, on moto in process."""
    from bench.run import aws, client
    from bench.world import TENANT, Request
    from bench.world import build as build_world
    from chalicelib.domain.ids import encode
    from chalicelib.storage import keys
    from chalicelib.storage.items import BaseItem, OrderEventItem
    from chalicelib.storage.webhooks import Endpoint, create_endpoint
    from chalicelib.webhooks.delivery import Pipeline
    from chalicelib.webhooks.post import Outcome

    out: dict[str, Any] = {}
    with aws() as counter, client() as c:
        w = build_world(c, background_orders=0)
        tenant = TENANT
        for i in range(10):
            create_endpoint(
                tenant,
                Endpoint(
                    f"EP{i:02d}",
                    "https://93.184.216.34/in",
                    ("*",),
                    None,
                    True,
                    "2026-12-01T00:00:00Z",
                    secrets=({"secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "expires_at": None},),
                ),
            )
        queue = _Queue()
        pipeline = Pipeline(queue, lambda target, headers, body: Outcome(200, None), resolve=lambda h, p: [h])
        event = {
            "id": "01JEVENT000000000000000000",
            "type": "order.submitted",
            "occurred_at": "2026-12-01T00:00:00Z",
            "order_id": "o",
            "order_number": "1",
            "customer_id": "c",
            "actor": {"id": "u", "kind": "customer"},
            "data": {"status": "submitted"},
        }
        with counter.measure() as tally:
            pipeline.fan_out(tenant, event)
        out["fan_out_10_endpoints"] = {"dynamodb_calls": tally.round_trips, "target": TARGET_FAN_OUT}
        with counter.measure() as tally:
            pipeline.attempt(queue.sent[0])
        out["attempt"] = {"dynamodb_calls": tally.round_trips, "target": TARGET_ATTEMPT}
        # 10,000 events of yesterday (settled), written directly; the feed reads from just before them.
        day = datetime.now(UTC) - timedelta(days=1)
        base = int(day.replace(hour=1).timestamp() * 1000)
        with BaseItem.batch_write() as batch:
            for i in range(events):
                id_ = encode(((base + i) << 80) | 12345)
                batch.save(
                    OrderEventItem(
                        keys.order_events_pk(tenant),
                        id_,
                        id=id_,
                        event_type="order.submitted",
                        occurred_at=day.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        order_id="o",
                        order_number="1",
                        customer_id="c",
                        actor={"id": "u", "kind": "customer"},
                        data={"status": "submitted"},
                        order={},
                    )
                )
        from chalicelib.services.event_feed import Cursor

        cursor = Cursor(encode((base << 80) - 1)).encode()  # just before the first of them
        with counter.measure() as tally:
            reply = w.send("desk", Request("GET", f"/events?after={cursor}&limit=100"))
        summary = tally.summary()
        out["events_feed"] = {
            "events_kept": events,
            "dynamodb_calls": summary["dynamodb_calls"],
            "operations": summary["operations"],
            "items_read": summary["items_read"],
            "returned": len(reply.json["items"]),
            "target": "one Query",
        }
    return out


def measure_local(actions: int = 10) -> dict[str, Any]:
    """Seconds from an action's response to the receiver's POST, through `make run`."""
    from bench.local_stack import Skipped, _call, running_stack

    got: list[tuple[str, float]] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            with lock:
                got.append((json.loads(body).get("type", ""), time.perf_counter()))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with running_stack() as stack:
            token = stack.admin_token()
            url = f"http://127.0.0.1:{server.server_address[1]}/in"
            stack.expect(
                *_call(f"{stack.api}/webhook-endpoints", "POST", {"url": url, "event_types": ["order.created"]}, token),
                201,
                "subscribe",
            )
            status, customer = _call(f"{stack.api}/customers", "POST", {"number": "WH-B", "name": "Bench"}, token)
            stack.expect(status, customer, 201, "customer")
            product = {"sku": "WH-B", "name": "Flour", "base_price": "1.00", "tax_rate": "0.23", "portal": True}
            stack.expect(*_call(f"{stack.api}/products", "POST", product, token), 201, "product")
            latencies = []
            for _ in range(actions):
                with lock:
                    before = len(got)
                body = {"customer_id": customer["id"], "lines": [{"sku": "WH-B", "quantity": 1}]}
                status, reply = _call(f"{stack.api}/orders", "POST", body, token)
                done = time.perf_counter()
                stack.expect(status, reply, 201, "order")
                deadline = done + 15
                while time.perf_counter() < deadline:
                    with lock:
                        if len(got) > before:
                            latencies.append(got[before][1] - done)
                            break
                    time.sleep(0.01)
            if not latencies:
                return {"skipped": "no webhook arrived"}
            return {
                "actions": actions,
                "delivered": len(latencies),
                "p50_s": round(statistics.median(latencies), 3),
                "max_s": round(max(latencies), 3),
                "target_p50_s": TARGET_LOCAL_P50_S,
            }
    except Skipped as exc:
        return {"skipped": str(exc)}
    finally:
        server.shutdown()
        server.server_close()


def verdicts(results: dict[str, Any]) -> list[str]:
    misses = []
    costs = results.get("costs") or {}
    if costs.get("attempt", {}).get("dynamodb_calls", 0) > TARGET_ATTEMPT:
        misses.append(f"webhook attempt: {costs['attempt']['dynamodb_calls']} round trips (target {TARGET_ATTEMPT})")
    if costs.get("fan_out_10_endpoints", {}).get("dynamodb_calls", 0) > TARGET_FAN_OUT:
        misses.append(f"webhook fan-out: {costs['fan_out_10_endpoints']['dynamodb_calls']} round trips")
    feed = costs.get("events_feed") or {}
    if feed and feed.get("operations") != {"Query": 1}:
        misses.append(f"GET /events: {feed.get('operations')} (target one Query)")
    local = results.get("local") or {}
    if local.get("p50_s") is not None and local["p50_s"] > TARGET_LOCAL_P50_S:
        misses.append(f"local webhook p50 {local['p50_s']} s (target ≤ {TARGET_LOCAL_P50_S} s)")
    return misses
