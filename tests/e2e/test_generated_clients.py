"""Clients we did not write: a Python client (openapi-python-client) and a TypeScript one (openapi-typescript
+ openapi-fetch, compiled with `tsc --strict`) are generated from the document the local stack serves, and
each drives one full order (create, a line, submit, approve, confirm, ship, invoice, pay) against it.

Where a generator cannot use the document (a schema dropped, an operation skipped, a body the types
make a client send in full) the document is what gets fixed (api/openapi.py), never this test: it fails
on any such warning. The generator versions are pinned (pyproject.toml; tests/generated_clients/package.json
with its lock, installed by the Makefile)."""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.test_local_stack import ROOT, Stack, start_stack

pytestmark = pytest.mark.e2e

TS = ROOT / "tests" / "generated_clients"
PASSWORD = "clients-password-1"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start_stack(tmp_path_factory.mktemp("clients-stack"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def served(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    r = requests.get(f"{stack.api_url}/openapi.json", timeout=10)
    assert r.status_code == 200
    path = tmp_path_factory.mktemp("document") / "openapi.json"
    path.write_text(r.text)
    return path


def ok(r: requests.Response, status: int = 200) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    return body


def people(stack: Stack, suffix: str) -> dict[str, str]:
    """A portal product, a customer whose orders always need approval, its buyer and approver: set up
    over plain HTTP, so what the generated clients do is the order itself."""
    admin = stack.login()
    sku = f"GEN-{suffix}"
    product = {"sku": sku, "name": "Toner", "base_price": "12.50", "tax_rate": "0.2", "portal": True}
    ok(stack.call("POST", "/products", admin, product), 201)
    number = f"GEN-C-{suffix}"
    customer = ok(stack.call("POST", "/customers", admin, {"number": number, "name": "Client Ltd"}), 201)
    ok(stack.call("PATCH", f"/customers/{customer['id']}", admin, {"approval_policy": "always"}))
    tokens = {"staff": admin, "sku": sku}
    for who, group in (("buyer", "customer-buyers"), ("approver", "customer-approvers")):
        user = {
            "kind": "customer",
            "username": f"{who}-{suffix}",
            "name": f"{who.title()} {suffix}",
            "email": f"{who}-{suffix}@client.example",
            "password": PASSWORD,
            "security_group_ids": [group],
            "customer_ids": [customer["id"]],
        }
        ok(stack.call("POST", "/users", admin, user), 201)
        tokens[who] = stack.login(username=f"{who}-{suffix}", password=PASSWORD, customer_number=number)
    return tokens


def test_a_generated_python_client_drives_a_full_order(stack: Stack, served: Path, tmp_path: Path) -> None:
    out = tmp_path / "ordergate_client"
    tool = Path(sys.executable).parent / "openapi-python-client"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        [str(tool), "generate", "--path", str(served), "--output-path", str(out), "--meta", "none"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # A CSV body is offered as text/csv (which it cannot send) and as bytes (which it sends): the one
    # warning allowed. Any other means a schema, a response or an operation the client lost.
    warnings = re.findall(r"^WARNING.*\n(.*)$", done.stdout, re.MULTILINE)
    assert set(warnings) <= {"Unsupported content type text/csv"}, done.stdout
    assert "Unable to" not in done.stdout and "will not be generated" not in done.stdout, done.stdout
    document = json.loads(served.read_text())
    generated = {p.stem for p in (out / "api").rglob("*.py")}
    operations = {op["operationId"] for item in document["paths"].values() for op in item.values()}
    assert {re.sub(r"(?<!^)(?=[A-Z])", "_", o).lower() for o in operations} <= generated

    sys.path.insert(0, str(tmp_path))
    try:
        drive_python(stack, importlib.import_module)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == "ordergate_client" or m.startswith("ordergate_client.")]:
            del sys.modules[name]


def drive_python(stack: Stack, load: Any) -> None:
    tokens = people(stack, "PY")
    client_module = load("ordergate_client")
    models = load("ordergate_client.models")

    def call(operation: str, token: str, *args: Any, **kwargs: Any) -> Any:
        module = load(f"ordergate_client.api.orders.{operation}")
        client = client_module.AuthenticatedClient(base_url=stack.api_url, token=token)
        answer = module.sync(*args, client=client, **kwargs)
        assert isinstance(answer, models.OrderOut), answer
        return answer

    order = call("post_orders", tokens["buyer"], body=models.OrderCreate(customer_reference="PY-1"))
    order = call(
        "post_orders_order_id_lines", tokens["buyer"], order.id, body=models.LineAdd(sku=tokens["sku"], quantity=3)
    )
    order = call("post_orders_order_id_submit", tokens["buyer"], order.id)
    assert order.status == "pending_approval"
    order = call("post_orders_order_id_approve", tokens["approver"], order.id)
    order = call("post_orders_order_id_confirm", tokens["staff"], order.id)
    shipment = models.ShipmentRequest(date=date(2026, 12, 7), document_number="DN-PY-1")
    order = call("post_orders_order_id_shipments", tokens["staff"], order.id, body=shipment)
    gross = order.totals.gross
    invoice = models.InvoiceRequest(date=date(2026, 12, 7), number="INV-PY-1", amount=gross)
    order = call("post_orders_order_id_invoices", tokens["staff"], order.id, body=invoice)
    payment = models.PaymentRequest(date=date(2026, 12, 8), reference="PAY-PY-1", amount=gross)
    order = call("post_orders_order_id_payments", tokens["staff"], order.id, body=payment)
    assert (order.status, order.payment_status) == ("completed", "paid")
    assert gross == "45.00"  # 3 x 12.50 + 20 % tax: the money came through as the document says, a string
    stored = ok(stack.call("GET", f"/orders/{order.id}", stack.login()))
    assert (stored["status"], stored["invoice_status"], stored["customer_reference"]) == (
        "completed",
        "invoiced",
        "PY-1",
    )


def test_a_generated_typescript_client_drives_a_full_order(stack: Stack, served: Path) -> None:
    if shutil.which("npx") is None or not (TS / "node_modules" / ".installed").exists():
        pytest.fail("the TypeScript generators are not installed: run `make generated-clients` (npm is needed)")
    (TS / "generated").mkdir(exist_ok=True)
    schema = TS / "generated" / "schema.d.ts"
    generate = ["npx", "--no-install", "openapi-typescript", str(served), "-o", str(schema)]
    done = subprocess.run(generate, cwd=TS, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "⚠" not in done.stdout + done.stderr, done.stdout + done.stderr
    compiled = subprocess.run(
        ["npx", "--no-install", "tsc", "-p", "."], cwd=TS, capture_output=True, text=True, timeout=300
    )
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr  # the types express every call made

    tokens = people(stack, "TS")
    env = {
        **os.environ,
        "ORDERGATE_API": stack.api_url,
        "ORDERGATE_BUYER_TOKEN": tokens["buyer"],
        "ORDERGATE_APPROVER_TOKEN": tokens["approver"],
        "ORDERGATE_STAFF_TOKEN": tokens["staff"],
        "ORDERGATE_SKU": tokens["sku"],
    }
    ran = subprocess.run(
        ["node", "generated/js/order.js"], cwd=TS, env=env, capture_output=True, text=True, timeout=120
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    result = json.loads(ran.stdout.strip().splitlines()[-1])
    assert result["steps"] == [
        "create:draft",
        "line:draft",
        "submit:pending_approval",
        "approve:submitted",
        "confirm:confirmed",
        "ship:shipped",
        "invoice:shipped",
        "pay:completed",
    ]
    order = ok(stack.call("GET", f"/orders/{result['id']}", stack.login()))
    assert (order["status"], order["payment_status"], order["invoice_status"]) == ("completed", "paid", "invoiced")
