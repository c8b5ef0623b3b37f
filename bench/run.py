"""OrderGate's benchmark: DynamoDB round trips per request, flat list cost, cold import, 1,000-line
orders and the stream handler, against moto in process (no network).

    python -m bench.run            # or: make bench
    python -m bench.run --quick    # fewer repetitions and a 2,000-order "large" table (a smoke run)

Writes bench/results.json and prints a summary; bench/README.md explains every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import env

env.apply()  # before anything builds a boto3/PynamoDB client

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
TARGET_ROUND_TRIPS = 3
# Capacity targets (issue "One write path"): no order endpoint pays read units for process-kept copies.
TARGET_RCU = {"POST /orders": 30.0, "POST /orders/{order_id}/submit": 25.0}
TARGET_LIST_RATIO = 1.1
TARGET_IMPORT_RATIO = 1.2


# --- moto and the app ------------------------------------------------------------------------------------
@contextmanager
def aws() -> Iterator[Any]:
    """A fresh moto world with the OrderGate table; yields a counter attached to the storage client."""
    from moto import mock_aws

    from bench.counting import storage_clients, storage_counter
    from chalicelib import bootstrap
    from chalicelib.config import get_settings
    from chalicelib.storage import table
    from devstack.isolation import moto_costs_what_it_touches

    moto_costs_what_it_touches()  # moto's wall time and memory only: no DynamoDB figure changes
    with mock_aws():
        bootstrap.reset()
        bootstrap.configure_storage(get_settings())
        table.create_table()
        import boto3  # the order documents' bucket: a declared document's file lands there

        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=get_settings().documents_bucket)
        # versioned, as deployed (infra/) and in the tests: a document is read by the version that arrived
        s3.put_bucket_versioning(Bucket=get_settings().documents_bucket, VersioningConfiguration={"Status": "Enabled"})
        bootstrap.get_services()  # builds the services (and configures storage) as the first request would
        clients = len(storage_clients())
        if clients != 1:
            print(f"note: the item models use {clients} botocore clients (expected 1, see storage/table.py)")
        yield storage_counter()
        bootstrap.reset()


@contextmanager
def client() -> Iterator[Any]:
    from chalice.test import Client

    from app import app

    with Client(app) as c:
        yield c


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn()
    return out, (time.perf_counter() - start) * 1000


# --- endpoints -------------------------------------------------------------------------------------------
@dataclass
class Outcome:
    key: str
    route: str
    figures: dict[str, Any]


def app_routes() -> list[str]:
    from app import app

    return sorted(f"{method} {path}" for path, methods in app.routes.items() for method in methods)


def run_endpoints(repeats: int) -> tuple[dict[str, Any], list[str], list[str]]:
    """Every scenario, `repeats` times on fresh state; round trips must not vary between runs."""
    from bench import world as world_module
    from bench.scenarios import SCENARIOS

    results: dict[str, Any] = {}
    problems: list[str] = []
    with aws() as counter, client() as c:
        w = world_module.build(c)
        routes = app_routes()
        covered = {s.route for s in SCENARIOS}
        unknown = sorted(covered - set(routes))
        problems += [f"scenario for a route the app does not have: {r}" for r in unknown]
        for scenario in SCENARIOS:
            if scenario.route not in routes:
                continue
            runs: list[tuple[dict[str, Any], float, int]] = []
            for i in range(max(repeats, 2)):
                request = scenario.prepare(w)
                if i == 0:
                    # The first run as a fresh Lambda container's first request: no service built, nothing kept
                    # (the settings stay: the stage's environment is the same). The others are a warm
                    # container's. A request must cost the same in both.
                    from chalicelib import bootstrap

                    bootstrap.set_services(None)
                    bootstrap.get_services()  # built as a cold start builds it: no DynamoDB call
                with counter.measure() as tally:
                    start = time.perf_counter()
                    reply = w.send(scenario.actor, request)
                    ms = (time.perf_counter() - start) * 1000
                runs.append((tally.summary(), ms, reply.status))
                if reply.status != scenario.expect:
                    problems.append(
                        f"{scenario.key}: answered {reply.status}, expected {scenario.expect}: {reply.body[:200]!r}"
                    )
            figures = dict(runs[-1][0])
            figures["ms"] = round(statistics.median(r[1] for r in runs), 1)
            figures["app_ms"] = round(statistics.median(r[1] - r[0]["dynamodb_ms"] for r in runs), 1)
            figures["status"] = runs[-1][2]
            figures["fresh_process_calls"] = runs[0][0]["dynamodb_calls"]
            figures["warm_process_calls"] = runs[-1][0]["dynamodb_calls"]
            figures["dynamodb_calls"] = max(r[0]["dynamodb_calls"] for r in runs)  # the worst is reported
            figures["consumed_rcu"] = max(r[0]["consumed_rcu"] for r in runs)
            if len({r[0]["dynamodb_calls"] for r in runs}) > 1:
                figures["unstable_calls"] = [r[0]["dynamodb_calls"] for r in runs]
                problems.append(
                    f"{scenario.key}: round trips vary between runs (the first in a fresh process): "
                    f"{figures['unstable_calls']}"
                )
            if scenario.why:
                figures["why"] = scenario.why
            figures["actor"] = scenario.actor
            results[scenario.key] = figures
        not_exercised = [r for r in routes if r not in covered]
        for r in not_exercised:
            results[r] = {"not_exercised": True}
    return results, not_exercised, problems


# --- list scaling -----------------------------------------------------------------------------------------
LISTS = (
    ("a customer's orders (approver, the organisation's)", "approver", "/orders"),
    ("a customer's orders (buyer, their own)", "buyer", "/orders"),
    ("status work queue (order desk, submitted)", "desk", "/orders?status=submitted"),
    ("sales rep's customers' orders", "rep", "/orders"),
    ("approval queue (approver, pending_approval)", "approver", "/orders?status=pending_approval"),
)
PRIMARY_LISTS = LISTS[:3]  # the two the issue names: a customer's orders, a status work queue


def _measure_list(w: Any, counter: Any, actor: str, path: str, repeats: int) -> dict[str, Any]:
    from bench.world import Request

    times: list[float] = []
    app_times: list[float] = []
    first: dict[str, Any] = {}
    for _ in range(repeats):
        with counter.measure() as tally:
            reply, ms = timed(lambda: w.send(actor, Request("GET", path)))
        times.append(ms)
        app_times.append(ms - tally.summary()["dynamodb_ms"])
        first = {**tally.summary(), "returned": len(reply.json["items"])}
    # Filling a page: follow next_cursor until a page's worth of orders came back (or the list ends).
    got, pages, cursor = 0, 0, None
    with counter.measure() as tally:
        while True:
            sep = "&" if "?" in path else "?"
            page = w.send(actor, Request("GET", path + (f"{sep}cursor={cursor}" if cursor else ""))).json
            pages += 1
            got += len(page["items"])
            cursor = page["next_cursor"]
            if got >= 25 or not cursor or pages >= 500:
                break
    fill = tally.summary()
    return {
        "items_read": first["items_read"],
        "returned": first["returned"],
        "dynamodb_calls": first["dynamodb_calls"],
        "scan_calls": first["scan_calls"],
        "consumed_rcu": first["consumed_rcu"],
        "ms": round(statistics.median(times), 2),
        "app_ms": round(statistics.median(app_times), 2),
        "fill_page": {"requests": pages, "items_read": fill["items_read"], "returned": got},
    }


def run_list_scaling(large: int, repeats: int) -> dict[str, Any]:
    from bench import world as world_module
    from bench.seed import Party, seed_orders

    small = 100
    own = 40  # the branch's orders: the same in both tables
    out: dict[str, Any] = {"small_table_items": small, "large_table_items": large, "lists": {}}
    with aws() as counter, client() as c:
        w = world_module.build(c, background_orders=0)
        branch = Party(w.ids["branch"], (w.ids["branch"], w.ids["hq"]), w.ids["rep"], w.ids["buyer"])
        others = [
            Party(
                f"other{i:04d}",
                (f"other{i:04d}", f"group{i % 7}"),
                w.ids["rep"] if i % 10 == 0 else f"rep{i % 9}",
                f"u{i}",
            )
            for i in range(200)
        ]
        seed_orders([branch], own, seed=1)
        seed_orders(others, small - own, seed=2)
        before = {name: _measure_list(w, counter, actor, path, repeats) for name, actor, path in LISTS}
        _, seed_ms = timed(lambda: seed_orders(others, large - small, seed=3))
        after = {name: _measure_list(w, counter, actor, path, repeats) for name, actor, path in LISTS}
    for name, actor, path in LISTS:
        b, a = before[name], after[name]
        out["lists"][name] = {
            "request": f"GET {path} as {actor}",
            "small": b,
            "large": a,
            "ratio": round(a["items_read"] / max(1, b["items_read"]), 3),
            "time_ratio": round(a["ms"] / max(0.01, b["ms"]), 2),
            "app_time_ratio": round(a["app_ms"] / max(0.01, b["app_ms"]), 2),
            "fill_page_ratio": round(a["fill_page"]["items_read"] / max(1, b["fill_page"]["items_read"]), 2),
        }
    primary = [out["lists"][name] for name, _, _ in PRIMARY_LISTS]
    out["items_read_small"] = max(p["small"]["items_read"] for p in primary)
    out["items_read_large"] = max(p["large"]["items_read"] for p in primary)
    out["ratio"] = max(p["ratio"] for p in primary)
    out["time_ratio"] = max(p["time_ratio"] for p in primary)
    out["app_time_ratio"] = max(p["app_time_ratio"] for p in primary)
    out["seed_ms"] = round(seed_ms)
    return out


# --- cold import ----------------------------------------------------------------------------------------
COLD_APP = "import app"
COLD_BASELINE = "import boto3, chalice, pydantic, pynamodb.models"
# What a handler imports on its first invocation once app.py imports lazily (jwt for the token,
# the service and storage, Powertools' Logger; the stream handler: Powertools' batch utility and the
# item models). "import app" plus these is what that handler's cold start pays for imports in total.
COLD_ORDER_ROUTE = (
    "import app, aws_lambda_powertools, chalicelib.auth.tokens, chalicelib.services.orders, chalicelib.api.idempotency"
)
COLD_STREAM = (
    "import app, aws_lambda_powertools, aws_lambda_powertools.utilities.batch, chalicelib.notifications.stream, "
    "chalicelib.notifications.events"
)
COLD_FIRST_HEALTH = """
import time; t = time.perf_counter()
import app
from chalice.test import Client
with Client(app.app) as c:
    c.http.request("GET", "/health")
print((time.perf_counter() - t) * 1000)
"""


def _fresh_ms(statement: str) -> float:
    code = statement
    if "print(" not in statement:
        code = f"import time; t = time.perf_counter()\n{statement}\nprint((time.perf_counter() - t) * 1000)"
    out = subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", code], cwd=ROOT, env=env.child_env(), capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def run_cold_import(runs: int) -> dict[str, Any]:
    """Medians over fresh interpreters, taking turns so that machine drift hits every figure alike.
    One discarded round first: it writes the bytecode caches, unless PYTHONDONTWRITEBYTECODE is set
    (some machines set it): then every interpreter compiles app.py and chalicelib from source while the
    libraries load the caches pip wrote, which costs the app tens of milliseconds. The result says which."""
    statements = {
        "app": COLD_APP,
        "baseline": COLD_BASELINE,
        "health": COLD_FIRST_HEALTH,
        "order_route": COLD_ORDER_ROUTE,
        "stream": COLD_STREAM,
    }
    for statement in statements.values():
        _fresh_ms(statement)
    samples: dict[str, list[float]] = {name: [] for name in statements}
    for _ in range(runs):
        for name, statement in statements.items():
            samples[name].append(_fresh_ms(statement))
    median = {name: statistics.median(values) for name, values in samples.items()}
    return {
        "app_ms": round(median["app"]),
        "baseline_ms": round(median["baseline"]),
        "ratio": round(median["app"] / median["baseline"], 2),
        "runs": runs,
        "app_runs_ms": [round(x) for x in samples["app"]],
        "baseline_runs_ms": [round(x) for x in samples["baseline"]],
        "baseline": COLD_BASELINE,
        "import_and_first_health_ms": round(median["health"]),
        "app_and_order_route_imports_ms": round(median["order_route"]),
        "app_and_stream_handler_imports_ms": round(median["stream"]),
        "app_bytecode_cached": not env.child_env().get("PYTHONDONTWRITEBYTECODE"),
    }


# --- a 1,000-line order -------------------------------------------------------------------------------------
def run_large_order() -> dict[str, Any]:
    from bench import world as world_module
    from bench.world import BIG_PRODUCTS, Request, import_products, products_csv

    with aws() as counter, client() as c:
        w = world_module.build(c, background_orders=0)
        import_products(w, products_csv("BIG", BIG_PRODUCTS, first=0))
        steps: dict[str, Any] = {}

        def step(name: str, actor: str, request: Request, expect: int) -> Any:
            with counter.measure() as tally:
                reply, ms = timed(lambda: w.send(actor, request))
            steps[name] = {**tally.summary(), "ms": round(ms), "status": reply.status, "ok": reply.status == expect}
            return reply.json

        created = step(
            "create", "buyer", Request("POST", "/orders", {"lines": [{"sku": "BIG-0000", "quantity": 1}]}), 201
        )
        rows = "\n".join(f"BIG-{i:04d},2" for i in range(1, BIG_PRODUCTS))
        imported = step(
            "import",
            "buyer",
            Request(
                "POST",
                f"/orders/{created['id']}/lines/import",
                raw=f"code,quantity\n{rows}\n",
                headers={"Content-Type": "text/csv"},
            ),
            200,
        )
        submitted = step("submit", "buyer", Request("POST", f"/orders/{created['id']}/submit"), 200)
        if submitted and submitted["status"] == "pending_approval":  # over the buyer's limit, as it should be
            step("approve", "approver", Request("POST", f"/orders/{created['id']}/approve"), 200)
        confirmed = step("confirm", "desk", Request("POST", f"/orders/{created['id']}/confirm"), 200)
        read = step("get", "buyer", Request("GET", f"/orders/{created['id']}"), 200)
    lines = len(read["lines"]) if read else 0
    ok = (
        all(s["ok"] for s in steps.values())
        and lines == BIG_PRODUCTS
        and (imported or {}).get("added") == BIG_PRODUCTS - 1
        and (submitted or {}).get("status") in ("submitted", "pending_approval")
        and (confirmed or {}).get("status") == "confirmed"
    )
    return {
        "lines": lines,
        "ok": ok,
        "create_ms": steps["create"]["ms"],
        "import_ms": steps["import"]["ms"],
        "submit_ms": steps["submit"]["ms"],
        "confirm_ms": steps["confirm"]["ms"],
        "get_ms": steps["get"]["ms"],
        "steps": steps,
    }


# --- the stream handler ---------------------------------------------------------------------------------
def _user_records(w: Any, count: int) -> list[dict[str, Any]]:
    """Stream records of `count` new customer users, as DynamoDB Streams would deliver them."""
    from chalicelib.domain.ids import new_id
    from chalicelib.storage import keys
    from chalicelib.storage.items import UserItem

    records = []
    for n in range(count):
        uid = new_id()
        pk, sk = keys.user("acme", uid)
        item = UserItem(
            pk,
            sk,
            id=uid,
            kind="customer",
            username=f"cook{n}",
            name=f"Cook {n}",
            email=f"cook{n}@bistro.example",
            locale="en",
            status="active",
            security_group_ids=["customer-buyers"],
            customer_ids=[w.ids["branch"]],
            site_ids=[],
            password_hash="$argon2id$v=19$m=1024,t=1,p=1$c2FtcGxl$c2FtcGxl",
        )
        item.version = 1
        image = item.serialize()
        records.append(
            {
                "eventID": str(n),
                "eventName": "INSERT",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-1",
                "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/ordergate-bench/stream/2025",
                "dynamodb": {
                    "ApproximateCreationDateTime": 1750000000.0 + n,
                    "Keys": {"pk": {"S": pk}, "sk": {"S": sk}},
                    "NewImage": image,
                    "SequenceNumber": str(1000 + n),
                    "SizeBytes": 400,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
            }
        )
    return records


class _Context:
    function_name = "ordergate-bench-on_table_change"
    aws_request_id = "bench"


def run_stream(records: int, batch_size: int = 100) -> dict[str, Any]:
    from app import on_table_change
    from bench import world as world_module
    from chalicelib.bootstrap import get_services
    from chalicelib.notifications import stream
    from devstack.fakes import FakeEmailSender

    with aws() as counter, client() as c:
        w = world_module.build(c, background_orders=0)
        outbox = FakeEmailSender()
        get_services().email_sender = outbox
        events = _user_records(w, records)
        per_record: list[float] = []
        original = stream.handle_record

        def timed_record(  # Powertools needs the parameter named `record`
            record: Any, notifications: Any, directory: Any, fan_out: Any
        ) -> None:
            start = time.perf_counter()
            try:
                original(record, notifications, directory, fan_out)
            finally:
                per_record.append((time.perf_counter() - start) * 1000)

        stream.handle_record = timed_record
        failures = 0
        batch_ms: list[float] = []
        try:
            with counter.measure() as tally:
                for i in range(0, records, batch_size):
                    event = {"Records": events[i : i + batch_size]}
                    result, ms = timed(lambda e=event: on_table_change(e, _Context()))  # type: ignore[misc]
                    batch_ms.append(ms)
                    failures += len(result.get("batchItemFailures", []))
        finally:
            stream.handle_record = original
    total_s = sum(batch_ms) / 1000
    summary = tally.summary()
    return {
        "records": records,
        "emails": len(outbox.sent),
        "failures": failures,
        "records_per_s": round(records / total_s) if total_s else 0,
        "p50_ms": round(statistics.median(per_record), 3),
        "p95_ms": round(statistics.quantiles(per_record, n=20)[-1], 3),
        "batch_size": batch_size,
        "batch_p50_ms": round(statistics.median(batch_ms), 1),
        "dynamodb_calls": summary["dynamodb_calls"],
        "dynamodb_calls_per_record": round(summary["dynamodb_calls"] / records, 3),
    }


def run_local_stack(users: int) -> dict[str, Any]:
    import importlib.util

    if importlib.util.find_spec("devstack.worker") is None:  # the local stack's stream worker
        return {"skipped": "the local stack (devstack) is not on this branch"}
    from bench import local_stack

    return local_stack.measure(users)


def run_local_orders() -> dict[str, Any]:
    import importlib.util

    if importlib.util.find_spec("devstack.worker") is None:
        return {"skipped": "the local stack (devstack) is not on this branch"}
    from bench import local_stack

    return local_stack.measure_orders()


# --- output -----------------------------------------------------------------------------------------------
def verdicts(results: dict[str, Any], not_exercised: list[str]) -> list[str]:
    misses: list[str] = []
    for key, f in results["endpoints"].items():
        if f.get("not_exercised"):
            continue
        if f["dynamodb_calls"] > TARGET_ROUND_TRIPS and not f.get("why"):
            misses.append(f"{key}: {f['dynamodb_calls']} round trips (target {TARGET_ROUND_TRIPS})")
        if f["scan_calls"]:
            misses.append(f"{key}: {f['scan_calls']} Scan calls")
        if key in TARGET_RCU and f["consumed_rcu"] > TARGET_RCU[key]:
            misses.append(f"{key}: {f['consumed_rcu']:g} RCU (target {TARGET_RCU[key]:g})")
    if "list_scaling" in results and results["list_scaling"]["ratio"] > TARGET_LIST_RATIO:
        misses.append(f"list ratio {results['list_scaling']['ratio']} (target ≤ {TARGET_LIST_RATIO})")
    if "cold_import" in results and results["cold_import"]["ratio"] > TARGET_IMPORT_RATIO:
        misses.append(f"cold import ratio {results['cold_import']['ratio']} (target ≤ {TARGET_IMPORT_RATIO})")
    lo_stack = results.get("local_orders") or {}
    if lo_stack.get("ratio") is not None and lo_stack["ratio"] > lo_stack["target_ratio"]:
        misses.append(f"local stack order ratio {lo_stack['ratio']} (target ≤ {lo_stack['target_ratio']})")
    if "large_order" in results and not results["large_order"]["ok"]:
        misses.append("the 1,000-line order failed")
    if "webhooks" in results:
        from bench import webhooks

        misses += webhooks.verdicts(results["webhooks"])
    misses += [f"{r}: not exercised (add a row to bench/scenarios.py)" for r in not_exercised]
    return misses


def table(results: dict[str, Any]) -> str:
    rows = [("endpoint", "calls", "scan", "read", "written", "RCU", "WCU", "ms", "operations")]
    for key, f in results["endpoints"].items():
        if f.get("not_exercised"):
            rows.append((key, "-", "-", "-", "-", "-", "-", "-", "NOT EXERCISED"))
            continue
        ops = " ".join(f"{op} x{n}" if n > 1 else op for op, n in f["operations"].items())
        mark = "" if f["dynamodb_calls"] <= TARGET_ROUND_TRIPS else (" (by design)" if f.get("why") else " !")
        rows.append(
            (
                key,
                f"{f['dynamodb_calls']}{mark}",
                str(f["scan_calls"]),
                str(f["items_read"]),
                str(f["items_written"]),
                f"{f['consumed_rcu']:g}",
                f"{f['consumed_wcu']:g}",
                f"{f['ms']:.1f}",
                ops,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def summary_text(results: dict[str, Any], misses: list[str]) -> str:
    out = [table(results), ""]
    if "list_scaling" in results:
        ls = results["list_scaling"]
        out.append(
            f"list scaling ({ls['small_table_items']} → {ls['large_table_items']} orders): "
            f"items read {ls['items_read_small']} → {ls['items_read_large']}, ratio {ls['ratio']}, "
            f"time ratio {ls['time_ratio']} (moto's index queries walk the table), "
            f"app-side time ratio {ls['app_time_ratio']}"
        )
        for name, f in ls["lists"].items():
            out.append(
                f"  {name}: read {f['small']['items_read']} → {f['large']['items_read']} (ratio {f['ratio']}); "
                f"to fill a page {f['small']['fill_page']['items_read']} → {f['large']['fill_page']['items_read']} "
                f"({f['large']['fill_page']['requests']} request(s))"
            )
    if "cold_import" in results:
        ci = results["cold_import"]
        out.append(
            f"cold import: app {ci['app_ms']} ms, baseline {ci['baseline_ms']} ms, ratio {ci['ratio']}; "
            f"import + first /health {ci['import_and_first_health_ms']} ms; with an order route's imports "
            f"{ci['app_and_order_route_imports_ms']} ms, with the stream handler's "
            f"{ci['app_and_stream_handler_imports_ms']} ms"
            + ("" if ci.get("app_bytecode_cached", True) else " (PYTHONDONTWRITEBYTECODE: app compiled from source)")
        )
    if "large_order" in results:
        lo = results["large_order"]
        out.append(
            f"1,000-line order: ok={lo['ok']} lines={lo['lines']} create {lo['create_ms']} ms, "
            f"import {lo['import_ms']} ms, "
            f"submit {lo['submit_ms']} ms, confirm {lo['confirm_ms']} ms; round trips "
            + ", ".join(f"{k} {v['dynamodb_calls']}" for k, v in lo["steps"].items())
        )
    st = results.get("stream") or {}
    if "records" in st:
        out.append(
            f"stream: {st['records']} records → {st['emails']} e-mails, {st['records_per_s']} records/s, "
            f"p50 {st['p50_ms']} ms/record, {st['dynamodb_calls_per_record']} DynamoDB calls/record"
        )
    if "local_stack" in st:
        local = st["local_stack"]
        if "p50_ms" in local:
            out.append(
                f"local stack, user created → welcome e-mail in the outbox: p50 {local['p50_ms']} ms, "
                f"p95 {local['p95_ms']} ms, max {local['max_ms']} ms ({local['delivered']}/{local['users']})"
            )
        else:
            out.append(f"local stack: {local.get('skipped', 'not measured')}")
    if "local_orders" in results:
        lo_stack = results["local_orders"]
        if "sizes" in lo_stack:
            figures = ", ".join(
                f"{size} items {f['create_and_submit_ms']} ms (create {f['create_ms']}, submit {f['submit_ms']})"
                for size, f in lo_stack["sizes"].items()
            )
            out.append(f"local stack, order create + submit over HTTP: {figures}; ratio {lo_stack['ratio']}")
        else:
            out.append(f"local stack orders: {lo_stack.get('skipped', 'not measured')}")
    if "webhooks" in results:
        costs, local = results["webhooks"]["costs"], results["webhooks"]["local"]
        feed = costs["events_feed"]
        out.append(
            f"webhooks: fan-out to 10 endpoints {costs['fan_out_10_endpoints']['dynamodb_calls']} round trips, "
            f"an attempt {costs['attempt']['dynamodb_calls']}; GET /events with {feed['events_kept']} events "
            f"kept: {feed['operations']}, {feed['items_read']} items read; local stack delivery "
            + (f"p50 {local['p50_s']} s (max {local['max_s']} s)" if "p50_s" in local else local.get("skipped", "?"))
        )
    out.append("")
    out.append("targets met" if not misses else "targets missed:\n  " + "\n  ".join(misses))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 repetition, 2,000-order large table, 3 cold runs")
    phases = ["endpoints", "lists", "cold", "large", "stream", "local", "local-orders", "webhooks"]
    parser.add_argument("--only", choices=phases, action="append")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    only = set(args.only or phases)
    repeats = 1 if args.quick else 3
    results: dict[str, Any] = {"generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    from bench.world import CATALOG_NOTE

    results["notes"] = [
        CATALOG_NOTE,
        "Times are moto in process on this machine: compare them with each other, not with AWS.",
        "Consumed capacity is computed from item sizes (moto reports a constant); see bench/README.md.",
    ]
    not_exercised: list[str] = []
    problems: list[str] = []
    if "endpoints" in only:
        results["endpoints"], not_exercised, problems = run_endpoints(repeats)
    if "lists" in only:
        results["list_scaling"] = run_list_scaling(2_000 if args.quick else 10_000, repeats)
    if "cold" in only:
        results["cold_import"] = run_cold_import(3 if args.quick else 7)
    if "large" in only:
        results["large_order"] = run_large_order()
    if "stream" in only:
        results["stream"] = run_stream(200 if args.quick else 1000)
    if "local" in only:
        results.setdefault("stream", {})["local_stack"] = run_local_stack(5 if args.quick else 20)
    if "local-orders" in only:
        results["local_orders"] = run_local_orders()
    if "webhooks" in only:  # issue 15: bench/webhooks.py
        from bench import webhooks

        results["webhooks"] = {
            "costs": webhooks.measure_costs(2_000 if args.quick else 10_000),
            "local": webhooks.measure_local(5 if args.quick else 10),
        }
    results.setdefault("endpoints", {})
    misses = verdicts(results, not_exercised)
    results["targets_missed"] = misses
    results["problems"] = problems
    args.output.write_text(json.dumps(results, indent=2, sort_keys=False) + "\n")
    print(summary_text(results, misses))
    if problems:
        print("\nproblems:\n  " + "\n  ".join(problems))
    print(f"\nwrote {os.path.relpath(args.output, ROOT)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
