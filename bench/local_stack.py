"""The local stack (`make run`) measured over HTTP, in two figures:

- `measure`: stream-to-outbox latency, how long after a request that creates a user its welcome
  e-mail is in the outbox (table → stream → worker → handle_batch → SES → .eml). The worker polls
  the stream and the outbox polls SES every 0.2 s, so the figure is mostly those two intervals: a
  property of the developer stack, not of AWS (where Lambda polls the stream itself).
- `measure_orders`: an order create + submit as a buyer, with 500 and then 50,000 items in the
  table. The stack's DynamoDB is DynamoDB Local (issue 26; before it, moto server, which copied the
  whole table for each transaction until devstack/isolation.py). The filler items are copies of a
  real product item, written straight to DynamoDB Local with BatchWriteItem (not 50,000 HTTP calls).

The phases that are not moto in process: they start `python -m devstack` in a subprocess
(DynamoDB Local, moto server and the API on free localhost ports, a temporary .local/) and talk HTTP
to it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from email.utils import getaddresses
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 150  # DynamoDB Local's JVM: 5 s on an idle machine, 30-40 s measured on a loaded one
MAIL_SECONDS = 20


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _call(url: str, method: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310 - localhost
    try:
        with urllib.request.urlopen(request, timeout=10) as r:  # noqa: S310 - localhost
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def _recipients(outbox: Path, seen: set[Path]) -> list[str]:
    found: list[str] = []
    for path in sorted(outbox.glob("*.eml")):
        if path in seen:
            continue
        seen.add(path)
        msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        found += [address for _, address in getaddresses([str(msg["To"] or "")])]
    return found


class Skipped(Exception):
    """The phase cannot be measured; the message says why (it goes into results.json)."""


@dataclass
class RunningStack:
    api: str
    aws: str
    local_dir: Path
    log: Path
    startup_s: float
    region: str
    dynamodb: str
    table_name: str = "ordergate"

    def admin_token(self) -> str:
        from devstack.seed import DEMO_ADMIN, DEMO_PASSWORD, DEMO_TENANT

        status, pair = _call(
            f"{self.api}/auth/login", "POST", {"tenant": DEMO_TENANT, "username": DEMO_ADMIN, "password": DEMO_PASSWORD}
        )
        if status != 200:
            raise Skipped(f"the demo login failed: {status} {pair}")
        return str(pair["access_token"])

    def expect(self, status: int, body: Any, wanted: int, what: str) -> Any:
        if status != wanted:
            raise Skipped(f"{what} answered {status}, expected {wanted}: {str(body)[:300]}")
        return body


@contextmanager
def running_stack() -> Iterator[RunningStack]:
    """`python -m devstack` on free ports with a temporary .local/, stopped afterwards."""
    from chalicelib import config
    from devstack import settings

    aws_port, api_port, dynamodb_port = _free_port(), _free_port(), _free_port()
    with tempfile.TemporaryDirectory(prefix="ordergate-bench-") as tmp:
        local_dir = Path(tmp) / ".local"
        env = {
            **os.environ,
            settings.LOCAL_AWS_PORT: str(aws_port),
            settings.LOCAL_API_PORT: str(api_port),
            settings.LOCAL_DYNAMODB_PORT: str(dynamodb_port),
            settings.LOCAL_DIR: str(local_dir),
            "PYTHONUNBUFFERED": "1",
        }
        for name in ("ORDERGATE_TABLE", "ORDERGATE_SIGNING_KEY", "POWERTOOLS_LOG_LEVEL"):
            env.pop(name, None)  # the stack sets up its own environment
        region = env.get(config.AWS_REGION) or env.get(config.AWS_REGION_ALT) or "us-east-1"
        log = Path(tmp) / "stack.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "devstack"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        api = f"http://127.0.0.1:{api_port}"
        try:
            started = time.perf_counter()
            while True:
                if process.poll() is not None or time.perf_counter() - started > STARTUP_SECONDS:
                    raise Skipped(f"the local stack did not start: {log.read_text()[-500:]}")
                try:
                    if _call(f"{api}/health", "GET")[0] == 200:
                        break
                except OSError:
                    time.sleep(0.1)
            startup_s = time.perf_counter() - started
            yield RunningStack(
                api,
                f"http://127.0.0.1:{aws_port}",
                local_dir,
                log,
                startup_s,
                region,
                f"http://127.0.0.1:{dynamodb_port}",
            )
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()


def measure(users: int = 20) -> dict[str, Any]:
    try:
        with running_stack() as stack:
            return _measure_mail(stack, users)
    except Skipped as exc:
        return {"skipped": str(exc)}


def _measure_mail(stack: RunningStack, users: int) -> dict[str, Any]:
    api = stack.api
    token = stack.admin_token()
    status, customer = _call(f"{api}/customers", "POST", {"number": "BENCH-1", "name": "Bench Cafe"}, token)
    stack.expect(status, customer, 201, "creating a customer")
    outbox = stack.local_dir / "outbox"
    seen: set[Path] = set(outbox.glob("*.eml"))
    created: dict[str, float] = {}
    arrived: dict[str, float] = {}
    for n in range(users):
        email = f"cook{n}@bench.example"
        status, made = _call(f"{api}/users", "POST", _customer_user(f"cook{n}", email, customer["id"]), token)
        stack.expect(status, made, 201, "creating a user")
        created[email] = time.perf_counter()
        # One user at a time, as people are created: watch the outbox until its mail is there.
        deadline = time.perf_counter() + MAIL_SECONDS
        while email not in arrived and time.perf_counter() < deadline:
            for address in _recipients(outbox, seen):
                arrived.setdefault(address, time.perf_counter())
            time.sleep(0.02)
    latencies = sorted((arrived[e] - created[e]) * 1000 for e in created if e in arrived)
    if not latencies:
        return {"skipped": "no welcome e-mail reached the outbox"}
    return {
        "users": users,
        "delivered": len(latencies),
        "p50_ms": round(statistics.median(latencies)),
        "p95_ms": round(latencies[max(0, int(len(latencies) * 0.95) - 1)]),
        "max_ms": round(latencies[-1]),
        "startup_s": round(stack.startup_s, 1),
        "note": "worker and outbox poll every 0.2 s; the outbox is checked every 20 ms here",
    }


def _customer_user(username: str, email: str, customer_id: str, group: str = "customer-buyers") -> dict[str, Any]:
    return {
        "kind": "customer",
        "username": username,
        "name": username.title(),
        "email": email,
        "password": "cook-password-1",
        "security_group_ids": [group],
        "customer_ids": [customer_id],
    }


# --- order create + submit against the table's size ----------------------------------------------------
TABLE_SIZES = (500, 50_000)
TARGET_ORDER_RATIO = 1.5
BATCH = 25  # BatchWriteItem's limit


def measure_orders(sizes: tuple[int, ...] = TABLE_SIZES, repeats: int = 5) -> dict[str, Any]:
    """Median time of `POST /orders` + `POST /orders/{id}/submit` (a buyer, one line) over HTTP with
    the table filled to each size in turn, in one stack."""
    try:
        with running_stack() as stack:
            return _measure_orders(stack, sizes, repeats)
    except Skipped as exc:
        return {"skipped": str(exc)}


def _measure_orders(stack: RunningStack, sizes: tuple[int, ...], repeats: int) -> dict[str, Any]:
    api = stack.api
    admin = stack.admin_token()
    product = {"sku": "BENCH-FLOUR", "name": "Bench flour", "base_price": "2.50", "tax_rate": "0.20", "portal": True}
    status, made = _call(f"{api}/products", "POST", product, admin)
    made = stack.expect(status, made, 201, "creating a product")
    status, customer = _call(f"{api}/customers", "POST", {"number": "BENCH-O", "name": "Bench Bakery"}, admin)
    stack.expect(status, customer, 201, "creating a customer")
    status, user = _call(f"{api}/users", "POST", _customer_user("baker", "baker@bench.example", customer["id"]), admin)
    stack.expect(status, user, 201, "creating a buyer")
    login = {"tenant": "demo", "username": "baker", "password": "cook-password-1", "customer_number": "BENCH-O"}
    status, pair = _call(f"{api}/auth/login", "POST", login)
    buyer = stack.expect(status, pair, 200, "the buyer's login")["access_token"]

    dynamodb = _emulator_client(stack)
    template = dynamodb.get_item(
        TableName=stack.table_name, Key={"pk": {"S": "T#demo#PRODUCTS"}, "sk": {"S": f"P#{made['id']}"}}
    ).get("Item")
    if template is None:
        raise Skipped("the product item was not found where storage/keys.py puts it")
    results: dict[str, Any] = {"sizes": {}}
    written = 0
    for size in sizes:
        present = _item_count(dynamodb, stack.table_name)
        seed_s = _fill(dynamodb, stack.table_name, template, made["id"], start=written, count=max(0, size - present))
        written += max(0, size - present)
        _wait_for_worker(stack, admin, size)
        runs: list[tuple[float, float]] = []
        for _ in range(repeats):
            started = time.perf_counter()
            status, order = _call(f"{api}/orders", "POST", {"lines": [{"sku": "BENCH-FLOUR", "quantity": 2}]}, buyer)
            stack.expect(status, order, 201, f"POST /orders with {size} items")
            created = time.perf_counter()
            status, done = _call(f"{api}/orders/{order['id']}/submit", "POST", None, buyer)
            stack.expect(status, done, 200, f"submit with {size} items")
            runs.append(((created - started) * 1000, (time.perf_counter() - created) * 1000))
        results["sizes"][str(size)] = {
            "table_items": _item_count(dynamodb, stack.table_name),
            "create_ms": round(statistics.median(r[0] for r in runs), 1),
            "submit_ms": round(statistics.median(r[1] for r in runs), 1),
            "create_and_submit_ms": round(statistics.median(r[0] + r[1] for r in runs), 1),
            "seed_s": round(seed_s, 1),
            "repeats": repeats,
        }
    small, large = (results["sizes"][str(n)]["create_and_submit_ms"] for n in (sizes[0], sizes[-1]))
    results["ratio"] = round(large / small, 2) if small else None
    results["target_ratio"] = TARGET_ORDER_RATIO
    results["note"] = (
        "median of create + submit over HTTP (a buyer, one line); filler items are copies of a product "
        "item written with BatchWriteItem; the stream worker has delivered them before timing starts"
    )
    return results


def _emulator_client(stack: RunningStack) -> Any:
    import boto3

    return boto3.client(
        "dynamodb",
        endpoint_url=stack.dynamodb,
        region_name=stack.region,
        # The stack's own credentials (devstack/environment.py): DynamoDB Local keeps a database per key.
        aws_access_key_id="local",
        aws_secret_access_key="local",
        aws_session_token="local",
    )


def _item_count(dynamodb: Any, table_name: str) -> int:
    return int(dynamodb.describe_table(TableName=table_name)["Table"]["ItemCount"])


def _fill(dynamodb: Any, table: str, template: dict[str, Any], product_id: str, *, start: int, count: int) -> float:
    """`count` more products: the template item with a new id, sku and name each."""
    started = time.perf_counter()
    text = json.dumps(template)
    for first in range(start, start + count, BATCH):
        requests = []
        for n in range(first, min(first + BATCH, start + count)):
            filler_id = f"fill{n:07d}"
            item = json.loads(text.replace(product_id, filler_id).replace("BENCH-FLOUR", f"FILL-{n:07d}"))
            requests.append({"PutRequest": {"Item": item}})
        pending = {table: requests}
        while pending:
            pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
    return time.perf_counter() - started


def _wait_for_worker(stack: RunningStack, admin: str, size: int, timeout_s: float = 600) -> None:
    """Until the stream worker has handled the filler's records: a sentinel user's welcome e-mail
    arrives after them (the stream is in order). Timing with a backlog would measure the worker."""
    sentinel = {"number": f"SENTINEL-{size}", "name": "Sentinel"}
    status, customer = _call(f"{stack.api}/customers", "POST", sentinel, admin)
    stack.expect(status, customer, 201, "creating the sentinel customer")
    email = f"sentinel{size}@bench.example"
    status, made = _call(f"{stack.api}/users", "POST", _customer_user(f"sentinel{size}", email, customer["id"]), admin)
    stack.expect(status, made, 201, "creating the sentinel user")
    deadline = time.perf_counter() + timeout_s
    outbox = stack.local_dir / "outbox"
    while time.perf_counter() < deadline:
        if email in _recipients(outbox, set()):
            return
        time.sleep(0.5)
    raise Skipped(f"the stream worker did not catch up with {size} items within {timeout_s:.0f} s")
