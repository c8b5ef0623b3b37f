"""The pages opened from e-mails, in a real browser, on `make run`'s stack (as test_approve_from_email.py):
a password reset followed from its e-mail, an invitation accepted, and an approval page in French.

The e-mails are read from the stack's outbox (.eml files); their links are followed by Debian's chromium
(headless, without JavaScript: the pages need none); the forms are filled and sent as a person would.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.e2e.test_approve_from_email import (
    ARTIFACTS,
    BROWSER_ARGS,
    CHROMIUM,
    PASSWORD,
    ok,
    text_of,
    wait_for_mail,
)
from tests.e2e.test_local_stack import Stack, start_stack

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
NEW_PASSWORD = "chosen-in-the-browser-1"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start_stack(tmp_path_factory.mktemp("pages-stack"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"This test needs Debian's chromium at {CHROMIUM}: install it with "
            "`sudo apt-get update && sudo apt-get install -y chromium` (.ci/run does so on CI)."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=BROWSER_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def customer(stack: Stack, admin: str, number: str) -> dict[str, Any]:
    body = {"number": number, "name": f"Bistro {number}", "approval_policy": "always"}
    return ok(stack.call("POST", "/customers", admin, body), 201)


def user(stack: Stack, admin: str, username: str, group: str, customer_id: str, **extra: Any) -> dict[str, Any]:
    body = {
        "kind": "customer",
        "username": username,
        "name": username.title(),
        "email": f"{username}@bistro.example",
        "security_group_ids": [group],
        "customer_ids": [customer_id],
        **extra,
    }
    return ok(stack.call("POST", "/users", admin, body), 201)


def link_in(text: str, path: str) -> str:
    found = re.search(rf"(http://\S+/{path}/\S+)", text)
    assert found, text
    return found.group(1)


def logs_in(stack: Stack, username: str, password: str, number: str) -> int:
    body = {"tenant": "demo", "username": username, "password": password, "customer_number": number}
    return requests.post(f"{stack.api_url}/auth/login", json=body, timeout=10).status_code


def choose_password(browser: Any, link: str, shot: str, button: str) -> str:
    page = browser.new_page(java_script_enabled=False)
    try:
        response = page.goto(link)
        assert response is not None and response.status == 200
        assert "no-store" in (response.headers.get("cache-control") or "")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{shot}.png"), full_page=True)
        page.locator("input[type=password]").fill(NEW_PASSWORD)
        page.get_by_role("button", name=button).click()
        page.wait_for_load_state()
        page.screenshot(path=str(ARTIFACTS / f"{shot}-done.png"), full_page=True)
        return str(page.content())
    finally:
        page.close()


def test_a_password_reset_followed_from_the_e_mail(stack: Stack, browser: Any) -> None:
    admin = stack.login()
    c = customer(stack, admin, "E2E-RST")
    user(stack, admin, "rosa", "customer-buyers", c["id"], password=PASSWORD)
    body = {"tenant": "demo", "username": "rosa", "customer_number": "E2E-RST"}
    assert requests.post(f"{stack.api_url}/auth/password-reset", json=body, timeout=10).status_code == 202
    mail = wait_for_mail(stack, "rosa@bistro.example", "new password")
    link = link_in(text_of(mail), "password-reset")
    assert link.startswith(stack.api_url)

    done = choose_password(browser, link, "password-reset", "Save the password")
    assert "Your password is set" in done
    assert logs_in(stack, "rosa", PASSWORD, "E2E-RST") == 401
    assert logs_in(stack, "rosa", NEW_PASSWORD, "E2E-RST") == 200
    again = requests.post(link, json={"password": "another-password-2"}, timeout=10)
    assert again.status_code == 410 and again.json()["error"]["code"] == "link_used"


def test_an_invitation_accepted_in_the_browser(stack: Stack, browser: Any) -> None:
    admin = stack.login()
    c = customer(stack, admin, "E2E-INV")
    user(stack, admin, "ines", "customer-buyers", c["id"], locale="pl")
    assert logs_in(stack, "ines", "anything-at-all", "E2E-INV") == 401  # not before the invitation is used
    mail = wait_for_mail(stack, "ines@bistro.example", "Zaproszenie")
    text = text_of(mail)
    assert "/orders/" not in text and "/login" not in text  # the demo tenant has no portal_url: no portal link
    done = choose_password(browser, link_in(text, "password-reset"), "invitation", "Zapisz hasło")
    assert "Hasło zostało ustawione" in done
    assert logs_in(stack, "ines", NEW_PASSWORD, "E2E-INV") == 200


def test_an_approval_page_in_french(stack: Stack, browser: Any) -> None:
    admin = stack.login()
    c = customer(stack, admin, "E2E-FR")
    user(stack, admin, "paul", "customer-buyers", c["id"], password=PASSWORD)
    user(stack, admin, "claire", "customer-approvers", c["id"], password=PASSWORD, locale="fr")
    product = {"sku": "CAFE-1", "name": "Café moulu", "base_price": "1234.50", "tax_rate": "0.20", "portal": True}
    ok(stack.call("POST", "/products", admin, product), 201)
    buyer = stack.login(username="paul", password=PASSWORD, customer_number="E2E-FR")
    order = ok(stack.call("POST", "/orders", buyer, {"lines": [{"sku": "CAFE-1", "quantity": 2}]}), 201)
    assert ok(stack.call("POST", f"/orders/{order['id']}/submit", buyer))["status"] == "pending_approval"

    mail = wait_for_mail(stack, "claire@bistro.example", "attend votre approbation")
    found = re.search(r"Approuver : (http://\S+/actions/\S+)", text_of(mail))
    assert found, text_of(mail)
    page = browser.new_page(java_script_enabled=False)
    try:
        response = page.goto(found.group(1))
        assert response is not None and response.status == 200
        html = page.content()
        assert '<html lang="fr">' in html
        assert "Pourquoi une approbation est nécessaire" in html and "Prix unitaire" in html
        shown = page.inner_text("body")
        assert "1\u202f234,50\u00a0€" in shown and "2\u202f962,80\u00a0€" in shown  # money the French way
        assert re.search(r"Ce lien fonctionne une fois, jusqu'au \d+ \w+\.? 20\d\d", html)  # a French date
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "approval-page-fr.png"), full_page=True)
        page.get_by_role("button", name="Approuver").click()
        page.wait_for_load_state()
        assert "Approuvée par Claire" in page.content()
    finally:
        page.close()
    assert ok(stack.call("GET", f"/orders/{order['id']}", admin))["status"] == "submitted"
