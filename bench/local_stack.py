"""Stream-to-outbox latency of the local stack (`make run`): how long after a request that creates a
user its welcome e-mail is in the outbox (table → stream → worker → handle_batch → SES → .eml).

The one phase that is not moto in process: it starts `python -m chalicelib.local` in a subprocess
(moto server and the API on free localhost ports, a temporary .local/) and talks HTTP to it. The
worker polls the stream and the outbox polls SES every 0.2 s, so the figure is mostly those two
intervals: a property of the developer stack, not of AWS (where Lambda polls the stream itself).
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
from email import policy
from email.parser import BytesParser
from email.utils import getaddresses
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 30
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


def measure(users: int = 20) -> dict[str, Any]:
    from chalicelib import config
    from chalicelib.local.seed import DEMO_ADMIN, DEMO_PASSWORD, DEMO_TENANT

    aws_port, api_port = _free_port(), _free_port()
    with tempfile.TemporaryDirectory(prefix="ordergate-bench-") as tmp:
        local_dir = Path(tmp) / ".local"
        env = {
            **os.environ,
            config.LOCAL_AWS_PORT: str(aws_port),
            config.LOCAL_API_PORT: str(api_port),
            config.LOCAL_DIR: str(local_dir),
            "PYTHONUNBUFFERED": "1",
        }
        for name in ("ORDERGATE_TABLE", "ORDERGATE_SIGNING_KEY", "POWERTOOLS_LOG_LEVEL"):
            env.pop(name, None)  # the stack sets up its own environment
        log = Path(tmp) / "stack.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "chalicelib.local"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        api = f"http://127.0.0.1:{api_port}"
        try:
            started = time.perf_counter()
            while True:
                if process.poll() is not None or time.perf_counter() - started > STARTUP_SECONDS:
                    return {"skipped": f"the local stack did not start: {log.read_text()[-500:]}"}
                try:
                    if _call(f"{api}/health", "GET")[0] == 200:
                        break
                except OSError:
                    time.sleep(0.1)
            startup_s = time.perf_counter() - started
            status, pair = _call(
                f"{api}/auth/login", "POST", {"tenant": DEMO_TENANT, "username": DEMO_ADMIN, "password": DEMO_PASSWORD}
            )
            if status != 200:
                return {"skipped": f"the demo login failed: {status} {pair}"}
            token = pair["access_token"]
            status, customer = _call(f"{api}/customers", "POST", {"number": "BENCH-1", "name": "Bench Cafe"}, token)
            if status != 201:
                return {"skipped": f"creating a customer failed: {status} {customer}"}
            outbox = local_dir / "outbox"
            seen: set[Path] = set(outbox.glob("*.eml"))
            created: dict[str, float] = {}
            arrived: dict[str, float] = {}
            for n in range(users):
                email = f"cook{n}@bench.example"
                status, made = _call(
                    f"{api}/users",
                    "POST",
                    {
                        "kind": "customer",
                        "username": f"cook{n}",
                        "name": f"Cook {n}",
                        "email": email,
                        "password": "cook-password-1",
                        "security_group_ids": ["customer-buyers"],
                        "customer_ids": [customer["id"]],
                    },
                    token,
                )
                if status != 201:
                    return {"skipped": f"creating a user failed: {status} {made}"}
                created[email] = time.perf_counter()
                # One user at a time, as people are created: watch the outbox until its mail is there.
                deadline = time.perf_counter() + MAIL_SECONDS
                while email not in arrived and time.perf_counter() < deadline:
                    for address in _recipients(outbox, seen):
                        arrived.setdefault(address, time.perf_counter())
                    time.sleep(0.02)
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
    latencies = sorted((arrived[e] - created[e]) * 1000 for e in created if e in arrived)
    if not latencies:
        return {"skipped": "no welcome e-mail reached the outbox"}
    return {
        "users": users,
        "delivered": len(latencies),
        "p50_ms": round(statistics.median(latencies)),
        "p95_ms": round(latencies[max(0, int(len(latencies) * 0.95) - 1)]),
        "max_ms": round(latencies[-1]),
        "startup_s": round(startup_s, 1),
        "note": "worker and outbox poll every 0.2 s; the outbox is checked every 20 ms here",
    }
