"""Password reset and invitations by e-mail (API.md "Authentication and the caller"), through the real app,
with the e-mails read from the stream as the stream handler composes them.

A reset is asked without telling whether the identity exists (202 either way), is throttled per user and
per address, and e-mails a one-time link to a page that sets the password and ends every session. A user
created without a password is invited with the same kind of link and cannot log in before using it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.bootstrap import get_services
from chalicelib.notifications.sender import OutgoingEmail
from chalicelib.services.password_links import PasswordLinks
from chalicelib.storage import action_links, keys
from chalicelib.storage.items import PasswordLinkItem
from devstack.fakes import FakeEmailSender
from tests.functional.conftest import USER_PASSWORD, Api, Reply
from tests.functional.order_world import World
from tests.stream_tap import StreamTap, run

FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}
JSON = {"Accept": "application/json"}
LINK = re.compile(r"http://127\.0\.0\.1:8000/password-reset/([A-Za-z0-9_-]+)")
NEW_PASSWORD = "a-brand-new-password"


class Mailbox:
    def __init__(self, world: World) -> None:
        self.world = world
        self.outbox = FakeEmailSender()
        get_services().email_sender = self.outbox
        self.tap = StreamTap()
        self.tap.drain()

    def deliver(self) -> list[OutgoingEmail]:
        before = len(self.outbox.sent)
        assert run(self.tap.event()) == {"batchItemFailures": []}
        return self.outbox.sent[before:]


@pytest.fixture
def mailbox(world: World) -> Mailbox:
    return Mailbox(world)


def ask(api: Api, username: str = "buyer", customer_number: str | None = "C-100", tenant: str = "acme") -> Reply:
    body: dict[str, Any] = {"tenant": tenant, "username": username}
    if customer_number is not None:
        body["customer_number"] = customer_number
    r: Reply = api.as_token(None).post("/auth/password-reset", body)
    return r


def token_of(mail: OutgoingEmail) -> str:
    found = LINK.search(mail.text)
    assert found, mail.text
    assert f'href="http://127.0.0.1:8000/password-reset/{found.group(1)}"' in mail.html
    return found.group(1)


def set_by_form(api: Api, token: str, password: str) -> Reply:
    r: Reply = api.call("POST", f"/password-reset/{token}", raw=urlencode({"password": password}), headers=FORM)
    return r


def page(api: Api, token: str, method: str = "GET") -> Reply:
    r: Reply = api.call(method, f"/password-reset/{token}", headers={"Accept": "text/html"})
    return r


def assert_safe_headers(r: Reply) -> None:
    assert r.headers["Cache-Control"] == "no-store" and r.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]


def logs_in(api: Api, username: str, password: str, customer_number: str = "C-100") -> int:
    body = {"tenant": "acme", "username": username, "password": password, "customer_number": customer_number}
    status: int = api.as_token(None).post("/auth/login", body).status_code
    return status


def test_a_reset_from_the_e_mail_sets_the_password_once_and_ends_every_session(mailbox: Mailbox) -> None:
    w = mailbox.world
    session = w.anon.as_token(None).post(
        "/auth/login", {"tenant": "acme", "username": "buyer", "password": USER_PASSWORD, "customer_number": "C-100"}
    )
    refresh = session.json["refresh_token"]
    known, unknown = ask(w.anon), ask(w.anon, username="nobody")
    assert (known.status_code, known.json) == (unknown.status_code, unknown.json) == (202, {"status": "accepted"})
    [mail] = mailbox.deliver()
    assert mail.to == "buyer@example.test" and "password" in mail.subject.lower()
    token = token_of(mail)
    assert len(token.split("_", 1)[1]) >= 22  # 128 random bits after the tenant
    assert PasswordLinkItem.count(keys.password_link("acme", token)[0]) == 0  # only its hash is stored
    assert PasswordLinkItem.count(keys.password_link("acme", action_links.token_hash(token))[0]) == 1

    for method in ("GET", "HEAD", "GET"):  # opening it (a mail scanner) changes nothing
        r = page(w.anon, token, method)
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
        assert_safe_headers(r)
    html = page(w.anon, token).body.decode()
    assert '<form method="post"' in html and 'type="password"' in html and "<script" not in html
    assert logs_in(w.anon, "buyer", USER_PASSWORD) == 200

    short = set_by_form(w.anon, token, "short")
    assert short.status_code == 422 and "10 to 256 characters" in short.body.decode()
    assert '<form method="post"' in short.body.decode()  # the page again, still open
    r = set_by_form(w.anon, token, NEW_PASSWORD)
    assert r.status_code == 200, r.body
    assert_safe_headers(r)
    assert "Your password is set" in r.body.decode() and "<form" not in r.body.decode()

    assert logs_in(w.anon, "buyer", USER_PASSWORD) == 401
    assert logs_in(w.anon, "buyer", NEW_PASSWORD) == 200
    assert w.anon.as_token(None).post("/auth/refresh", {"refresh_token": refresh}).status_code == 401  # ended

    again = w.anon.post(f"/password-reset/{token}", {"password": "yet-another-password"}, headers=JSON)
    assert again.status_code == 410 and again.json["error"]["code"] == "link_used"
    assert set_by_form(w.anon, token, "yet-another-password").status_code == 410
    assert "has been used" in page(w.anon, token).body.decode()
    assert logs_in(w.anon, "buyer", NEW_PASSWORD) == 200


def test_resets_are_throttled_per_user_and_per_address_and_unknown_identities_get_nothing(
    mailbox: Mailbox,
) -> None:
    w = mailbox.world
    for _ in range(5):
        assert ask(w.anon).status_code == 202
    assert ask(w.anon, customer_number=None).status_code == 202  # a customer user without a number: nobody
    assert ask(w.anon, tenant="nosuchtenant").status_code == 202
    assert ask(w.anon, username="rep", customer_number=None).status_code == 202  # staff: by username alone
    mails = mailbox.deliver()
    assert sorted(m.to for m in mails) == ["buyer@example.test"] * 3 + ["rep@example.test"]
    assert len({token_of(m) for m in mails}) == 4  # each its own link


def test_an_expired_or_unknown_link_sets_nothing(mailbox: Mailbox) -> None:
    w = mailbox.world
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    token = PasswordLinks(get_services().passwords, clock=lambda: long_ago).issue(
        "acme", w.ids["buyer"], "buyer", "reset", "fr"
    )
    r = w.anon.post(f"/password-reset/{token}", {"password": NEW_PASSWORD}, headers=JSON)
    assert r.status_code == 410 and r.json["error"]["code"] == "link_expired"
    shown = page(w.anon, token)
    assert shown.status_code == 200 and "Ce lien a expiré" in shown.body.decode()  # in the e-mail's language
    assert logs_in(w.anon, "buyer", USER_PASSWORD) == 200
    assert w.anon.get("/password-reset/acme_AAAAAAAAAAAAAAAAAAAAAAAAAAAA", headers=JSON).status_code == 404
    assert page(w.anon, "nonsense").status_code == 404


def test_a_user_created_without_a_password_is_invited_in_their_language(mailbox: Mailbox) -> None:
    w = mailbox.world
    body = {
        "kind": "customer",
        "username": "amelie",
        "name": "Amélie",
        "email": "amelie@example.test",
        "locale": "fr",
        "security_group_ids": ["customer-buyers"],
        "customer_ids": [w.customer["id"]],
    }
    r = w.admin.post("/users", body)
    assert r.status_code == 201, r.body
    assert "password" not in r.json
    assert logs_in(w.anon, "amelie", "") in (401, 422) and logs_in(w.anon, "amelie", "anything-at-all") == 401
    [mail] = mailbox.deliver()
    assert mail.to == "amelie@example.test" and "Bonjour Amélie" in mail.text
    assert "7 jours" in mail.text and "/login" not in mail.text  # no portal_url set: no portal link
    token = token_of(mail)
    shown = page(w.anon, token).body.decode()
    assert 'lang="fr"' in shown and "Choisissez un mot de passe pour amelie" in shown

    r = w.anon.post(f"/password-reset/{token}", {"password": NEW_PASSWORD}, headers=JSON)
    assert r.status_code == 200 and r.json["status"] == "password_set" and r.json["purpose"] == "invitation"
    assert logs_in(w.anon, "amelie", NEW_PASSWORD) == 200
