"""Order documents through `make run`: a buyer uploads a PDF straight to the emulator's S3 with the presigned
POST the API gave (as a browser form would), the stack feeds the S3 event to the handler, and the supplier
downloads it through the presigned link: byte for byte, as an attachment with its name."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.e2e.test_local_stack import Stack, start_stack

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.7\n" + os.urandom(70_000) + b"\n%%EOF\n"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start_stack(tmp_path_factory.mktemp("documents"))
    yield running
    running.stop()


def ok(r: requests.Response, status: int = 200) -> dict[str, object]:
    assert r.status_code == status, r.text
    body: dict[str, object] = r.json()
    return body


def test_a_buyer_uploads_a_pdf_and_the_supplier_downloads_it_byte_for_byte(stack: Stack, tmp_path: Path) -> None:
    admin = stack.login()
    ok(
        stack.call(
            "POST",
            "/products",
            admin,
            {"sku": "DOC-1", "name": "Pallet", "base_price": "10", "tax_rate": "0.2", "portal": True},
        ),
        201,
    )
    customer = ok(stack.call("POST", "/customers", admin, {"number": "DOC-C", "name": "Buyer Ltd"}), 201)
    user = {
        "kind": "customer",
        "username": "pat",
        "name": "Pat Buyer",
        "email": "pat@buyer.example",
        "password": "pat-password-1",
        "security_group_ids": ["customer-buyers"],
        "customer_ids": [customer["id"]],
    }
    ok(stack.call("POST", "/users", admin, user), 201)
    login = {"tenant": "demo", "username": "pat", "password": "pat-password-1", "customer_number": "DOC-C"}
    buyer = str(ok(requests.post(f"{stack.api_url}/auth/login", json=login, timeout=10))["access_token"])
    order = ok(stack.call("POST", "/orders", buyer, {"lines": [{"sku": "DOC-1", "quantity": 1}]}), 201)
    oid = order["id"]

    declared = ok(
        stack.call(
            "POST",
            f"/orders/{oid}/documents",
            buyer,
            {
                "filename": "Bestellung 42.pdf",
                "content_type": "application/pdf",
                "size": len(PDF),
                "kind": "purchase_order",
            },
        ),
        201,
    )
    upload, document = declared["upload"], declared["document"]
    assert isinstance(upload, dict) and isinstance(document, dict)
    assert upload["url"].startswith(f"http://127.0.0.1:{stack.aws_port}/")  # the emulator's S3
    # What a browser form (or `curl -F`) sends: the fields, then the file.
    refused = requests.post(upload["url"], data=upload["fields"], files={"file": ("x.pdf", PDF + b"!")}, timeout=10)
    assert refused.status_code == 400 and "EntityTooLarge" in refused.text
    sent = requests.post(upload["url"], data=upload["fields"], files={"file": ("x.pdf", PDF)}, timeout=10)
    assert sent.status_code == 204, sent.text

    listed = ok(stack.call("GET", f"/orders/{oid}/documents", admin))["items"]
    assert isinstance(listed, list)
    assert [(d["id"], d["status"]) for d in listed] == [(document["id"], "available")]

    link = requests.get(
        f"{stack.api_url}/orders/{oid}/documents/{document['id']}/download",
        headers={"Authorization": f"Bearer {admin}"},
        allow_redirects=False,
        timeout=10,
    )
    assert link.status_code == 302, link.text
    got = requests.get(link.headers["Location"], timeout=10)
    assert got.status_code == 200
    assert got.content == PDF
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert "Bestellung%2042.pdf" in got.headers["Content-Disposition"]
