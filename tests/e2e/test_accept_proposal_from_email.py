"""A proposal only an approver may accept is accepted from the approver's e-mail, in a real browser, on
`make run`'s stack (issue 21): the supplier proposes on an order of a customer whose policy asks for
approval; the buyer is told it waits for an approver; the approver's e-mail carries personal links; the
page's Accept button, clicked in Debian's headless chromium, confirms the order."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.e2e.test_approve_from_email import ARTIFACTS, BROWSER_ARGS, CHROMIUM, PASSWORD, ok, text_of, wait_for_mail
from tests.e2e.test_local_stack import Stack, start_stack

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start_stack(tmp_path_factory.mktemp("proposal-stack"))
    yield running
    running.stop()


def test_an_approver_accepts_a_proposal_from_the_email_in_a_real_browser(stack: Stack) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"This test needs Debian's chromium at {CHROMIUM} (.ci/run installs it).")
    from playwright.sync_api import sync_playwright

    admin = stack.login()
    customer = ok(stack.call("POST", "/customers", admin, {"number": "E2E-PRP", "name": "Café Proposé"}), 201)
    for username, group in (("carl", "customer-buyers"), ("dora", "customer-approvers")):
        user = {
            "kind": "customer",
            "username": username,
            "name": username.title(),
            "email": f"{username}@cafe.example",
            "password": PASSWORD,
            "security_group_ids": [group],
            "customer_ids": [customer["id"]],
        }
        ok(stack.call("POST", "/users", admin, user), 201)
    product = {"sku": "MUG-1", "name": "Mug", "base_price": "8.00", "tax_rate": "0.20", "portal": True}
    ok(stack.call("POST", "/products", admin, product), 201)
    buyer = stack.login(username="carl", password=PASSWORD, customer_number="E2E-PRP")
    order = ok(stack.call("POST", "/orders", buyer, {"lines": [{"sku": "MUG-1", "quantity": 10}]}), 201)
    assert ok(stack.call("POST", f"/orders/{order['id']}/submit", buyer))["status"] == "submitted"
    # From now on the customer's orders need approval: so does accepting the supplier's proposal.
    ok(stack.call("PATCH", f"/customers/{customer['id']}", admin, {"approval_policy": "always"}))
    line = order["lines"][0]["id"]
    proposed = ok(stack.call("POST", f"/orders/{order['id']}/propose", admin, {"lines": [{"id": line, "quantity": 6}]}))
    assert proposed["waiting_on"]["kind"] == "approval"

    wait_for_mail(stack, "carl@cafe.example", "waits for an approver")
    mail = wait_for_mail(stack, "dora@cafe.example", "needs your approval")
    found = re.search(r"Accept: (http://\S+/actions/\S+)", text_of(mail))
    assert found, text_of(mail)
    link = found.group(1)

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=BROWSER_ARGS)
        try:
            page = browser.new_page(java_script_enabled=False)
            response = page.goto(link)
            assert response is not None and response.status == 200
            assert page.get_by_text("Proposed total (gross)").count() == 1
            page.screenshot(path=str(ARTIFACTS / "proposal-page.png"), full_page=True)
            assert ok(stack.call("GET", f"/orders/{order['id']}", admin))["status"] == "awaiting_customer"
            page.get_by_role("button", name="Accept").click()
            page.wait_for_load_state()
            assert "Accepted by Dora" in page.content()
            page.screenshot(path=str(ARTIFACTS / "proposal-done.png"), full_page=True)
        finally:
            browser.close()

    now = ok(stack.call("GET", f"/orders/{order['id']}", admin))
    assert now["status"] == "confirmed"
    assert [line["quantity"] for line in now["lines"]] == [6]
