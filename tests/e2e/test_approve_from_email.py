"""An approver decides from the e-mail, in a real browser, on `make run`'s stack.

The stack runs in a subprocess; the approval e-mail is read from its outbox (.eml files), its link is
followed by Debian's chromium (headless, driven by Playwright; never a browser Playwright downloads),
the page is kept as a screenshot (build/e2e/approval-page.png), the Approve button is clicked as a
person would, and the order is then `submitted` and its sales rep e-mailed.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_local_stack import ROOT, Stack, mail_to, start_stack

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CHROMIUM = Path(os.environ.get("ORDERGATE_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(os.environ.get("ORDERGATE_E2E_ARTIFACTS", ROOT / "build" / "e2e"))
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
MAIL_SECONDS = 15
PASSWORD = "e2e-password-1"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start_stack(tmp_path_factory.mktemp("approval-stack"))
    yield running
    running.stop()


def wait_for_mail(stack: Stack, address: str, subject_part: str) -> EmailMessage:
    outbox = stack.local_dir / "outbox"
    deadline = time.monotonic() + MAIL_SECONDS
    while time.monotonic() < deadline:
        for message in mail_to(outbox, address):
            if subject_part in str(message["Subject"]):
                return message
        time.sleep(0.2)
    pytest.fail(f"no e-mail '{subject_part}' to {address} within {MAIL_SECONDS} s:\n{stack.output()}")


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def ok(response: object, status: int = 200) -> dict[str, Any]:
    import requests

    assert isinstance(response, requests.Response)
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def test_an_approver_approves_from_the_email_in_a_real_browser(stack: Stack) -> None:
    if not CHROMIUM.exists():
        pytest.fail(
            f"This test needs Debian's chromium at {CHROMIUM}: install it with "
            "`sudo apt-get update && sudo apt-get install -y chromium` (.ci/run does so on CI)."
        )
    from playwright.sync_api import sync_playwright

    admin = stack.login()
    rep = ok(
        stack.call(
            "POST",
            "/users",
            admin,
            {
                "kind": "staff",
                "username": "rita",
                "name": "Rita Rep",
                "email": "rita@demo.example.com",
                "password": PASSWORD,
                "security_group_ids": ["sales-reps"],
            },
        ),
        201,
    )
    customer = ok(
        stack.call(
            "POST",
            "/customers",
            admin,
            {
                "number": "E2E-APR",
                "name": "Bistro <Lumière>",
                "approval_policy": "always",
                "sales_rep_id": rep["id"],
            },
        ),
        201,
    )
    for username, group in (("bob", "customer-buyers"), ("ann", "customer-approvers")):
        ok(
            stack.call(
                "POST",
                "/users",
                admin,
                {
                    "kind": "customer",
                    "username": username,
                    "name": username.title(),
                    "email": f"{username}@bistro.example",
                    "password": PASSWORD,
                    "security_group_ids": [group],
                    "customer_ids": [customer["id"]],
                },
            ),
            201,
        )
    ok(
        stack.call(
            "POST",
            "/products",
            admin,
            {
                "sku": "TEA-1",
                "name": "Green tea",
                "base_price": "12.50",
                "tax_rate": "0.20",
                "portal": True,
            },
        ),
        201,
    )
    buyer = stack.login(username="bob", password=PASSWORD, customer_number="E2E-APR")
    order = ok(stack.call("POST", "/orders", buyer, {"lines": [{"sku": "TEA-1", "quantity": 4}]}), 201)
    submitted = ok(stack.call("POST", f"/orders/{order['id']}/submit", buyer))
    assert submitted["status"] == "pending_approval"

    mail = wait_for_mail(stack, "ann@bistro.example", "needs your approval")
    found = re.search(r"Approve: (http://\S+/actions/\S+)", text_of(mail))
    assert found, text_of(mail)
    link = found.group(1)
    assert link.startswith(stack.api_url)

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=BROWSER_ARGS)
        try:
            page = browser.new_page(java_script_enabled=False)  # the page needs none
            response = page.goto(link)
            assert response is not None and response.status == 200
            assert "no-store" in (response.headers.get("cache-control") or "")
            assert page.get_by_text("Bistro <Lumière>").count() >= 1  # shown escaped, as text
            assert page.get_by_text("TEA-1").count() >= 1
            page.screenshot(path=str(ARTIFACTS / "approval-page.png"), full_page=True)
            # Opening the page decided nothing.
            assert ok(stack.call("GET", f"/orders/{order['id']}", admin))["status"] == "pending_approval"

            page.get_by_role("button", name="Approve").click()
            page.wait_for_load_state()
            assert "Approved by Ann" in page.content()
            page.screenshot(path=str(ARTIFACTS / "approval-done.png"), full_page=True)
        finally:
            browser.close()

    now = ok(stack.call("GET", f"/orders/{order['id']}", admin))
    assert now["status"] == "submitted"
    assert now["history"][-1]["by_name"] == "Ann"
    wait_for_mail(stack, "rita@demo.example.com", "New order")
