"""Benchmark: import a 10,000-row products CSV through the real endpoint and time it.

    .venv/bin/python scripts/bench_import.py --server --update --reimport   # the limit's figures
    .venv/bin/python scripts/bench_import.py                                 # moto in process
    .venv/bin/python scripts/bench_import.py --server --rows 10000 --lift-limit

Not part of the test suite: a performance target belongs in a benchmark, not in a timed test. The
API Gateway limit is 29 s; the import answers 413 above csv_products.MAX_IMPORT_ROWS (3,000), a
figure this script measured (see the comment there). --lift-limit times bigger files anyway.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "ORDERGATE_TABLE": "ordergate-bench",
        "ORDERGATE_SIGNING_KEY": "bench-signing-key-0123456789abcdef0123456789",
        "ORDERGATE_PASSWORD_HASH_PROFILE": "fast",
    }
)

WORDS = [
    "hex",
    "bolt",
    "nut",
    "washer",
    "screw",
    "zinc",
    "steel",
    "brass",
    "metric",
    "coarse",
    "fine",
    "long",
    "short",
    "heavy",
    "light",
    "anchor",
]
HEADER = "sku,name,description,barcodes,group,unit,min_quantity,order_multiple,base_price,tax_rate,portal,status"


def make_csv(rows: int, variant: int = 0) -> str:
    """`rows` products; another `variant` renames and reprices every one (the worst update)."""
    lines = [HEADER]
    for n in range(rows):
        name = " ".join(WORDS[(n * k + k + variant) % len(WORDS)] for k in (1, 3, 5, 7)) + f" M{n % 40 + variant}"
        lines.append(
            f"SKU-{n:06d},{name},Description of item {n},{4000000000000 + n},Group {n % 20},pcs,1,1,"
            f"{(n % 500) + 1 + variant}.{n % 100:02d},0.20,{'true' if n % 3 else 'false'},active"
        )
    return "\n".join(lines) + "\n"


def run(rows: int, reimport: bool, update: bool) -> None:
    from chalice.test import Client

    from app import app
    from chalicelib import bootstrap
    from chalicelib.config import get_settings
    from chalicelib.services.tenants import create_tenant
    from chalicelib.storage import table

    bootstrap.reset()
    bootstrap.configure_storage(get_settings())
    table.create_table()
    create_tenant(
        bootstrap.get_services().passwords,
        slug="bench",
        name="Bench",
        admin_username="admin",
        admin_password="admin-password-1",
        admin_email="admin@bench.test",
    )
    with Client(app) as client:

        def call(method: str, path: str, body: bytes, content_type: str, token: str | None = None) -> Any:
            headers = {"Content-Type": content_type}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            return client.http.request(method, path, headers=headers, body=body)

        import json

        login = json.dumps({"tenant": "bench", "username": "admin", "password": "admin-password-1"}).encode()
        token = json.loads(call("POST", "/auth/login", login, "application/json").body)["access_token"]
        for g in range(20):
            call("POST", "/product-groups", json.dumps({"name": f"Group {g}"}).encode(), "application/json", token)

        text = make_csv(rows)
        print(f"{rows} rows, {len(text.encode()) / 1024 / 1024:.2f} MiB")
        started = time.perf_counter()
        r = call("POST", "/products/import", text.encode(), "text/csv", token)
        print(f"import: {r.status_code} {r.body.decode()[:200]} in {time.perf_counter() - started:.1f} s")
        if update:
            started = time.perf_counter()
            r = call("POST", "/products/import", make_csv(rows, variant=1).encode(), "text/csv", token)
            print(
                f"update of every row: {r.status_code} {r.body.decode()[:200]} in {time.perf_counter() - started:.1f} s"
            )
        if reimport:
            started = time.perf_counter()
            exported = call("GET", "/products/export", b"", "application/json", token)
            print(f"export: {exported.status_code} in {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            r = call("POST", "/products/import", exported.body, "text/csv", token)
            elapsed = time.perf_counter() - started
            print(f"re-import of the export: {r.status_code} {r.body.decode()[:200]} in {elapsed:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=3_000)
    parser.add_argument("--lift-limit", action="store_true", help="accept more rows than the endpoint allows")
    parser.add_argument("--server", action="store_true", help="moto server over HTTP instead of in process")
    parser.add_argument("--reimport", action="store_true", help="then export and import the export again")
    parser.add_argument("--update", action="store_true", help="then rename and reprice every product by import")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto server's access log
    if args.lift_limit:
        from chalicelib.api import csv_products

        csv_products.MAX_IMPORT_ROWS = max(args.rows, csv_products.MAX_IMPORT_ROWS)
    if args.server:
        from moto.server import ThreadedMotoServer

        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
        server.start()
        host, port = server.get_host_and_port()
        os.environ["ORDERGATE_DYNAMODB_ENDPOINT"] = f"http://{host}:{port}"
        try:
            run(args.rows, args.reimport, args.update)
        finally:
            server.stop()
    else:
        from moto import mock_aws

        with mock_aws():
            run(args.rows, args.reimport, args.update)


if __name__ == "__main__":
    main()
