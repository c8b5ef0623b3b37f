"""API.md: after 5 failed logins in 15 minutes for one user, 429 — counted per user, whatever customer
number reached them, and holding under any number of concurrent attempts."""

from __future__ import annotations

import threading
from collections import Counter

from werkzeug.test import Client as WsgiClient

from app import app
from tests.chalice_wsgi import ChaliceWSGI
from tests.functional.conftest import ADMIN_PASSWORD, USER_PASSWORD, Api, create_customer, create_user

BURST = 50


def _burst(bodies: list[dict[str, str]]) -> Counter[int]:
    """Sends the bodies to POST /auth/login all at once; the statuses they got."""
    # Through the WSGI adapter: chalice.test.Client swaps os.environ per request, which threads race on.
    http = WsgiClient(ChaliceWSGI(app))
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(len(bodies))

    def attempt(body: dict[str, str]) -> None:
        barrier.wait()
        status = http.post("/auth/login", json=body).status_code
        with lock:
            statuses[status] += 1

    threads = [threading.Thread(target=attempt, args=(body,)) for body in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def test_fifty_concurrent_wrong_passwords_get_at_most_five_evaluated(admin: Api, anon: Api) -> None:
    wrong = {"tenant": "acme", "username": "admin", "password": "wrong-password"}
    statuses = _burst([wrong] * BURST)
    # A 401 is an evaluated password; the others were refused before their password was looked at.
    assert sum(statuses.values()) == BURST and set(statuses) <= {401, 429}, statuses
    assert 1 <= statuses[401] <= 5, statuses
    right = anon.post("/auth/login", {"tenant": "acme", "username": "admin", "password": ADMIN_PASSWORD})
    assert right.status_code == 429, right.body
    assert right.json["error"]["code"] == "too_many_attempts"
    assert 0 < int(right.headers["Retry-After"]) <= 15 * 60


def test_a_burst_spread_over_spellings_and_an_unknown_user_is_limited_too(admin: Api, anon: Api) -> None:
    spellings = ["ghost", "GHOST", "Ghost", "gHost", "ghosT"]
    statuses = _burst(
        [{"tenant": "acme", "username": spellings[i % 5], "password": f"guess-{i}"} for i in range(BURST)]
    )
    assert statuses[401] <= 5 and statuses[401] + statuses[429] == BURST, statuses


def test_a_user_of_several_customers_has_five_attempts_in_all(admin: Api, anon: Api) -> None:
    first = create_customer(admin, "C-100")
    second = create_customer(admin, "C-200")
    create_user(admin, "buyer", ["customer-buyers"], customer_ids=[first["id"], second["id"]])
    # A user of someone else's customer with the same login name is another user.
    third = create_customer(admin, "C-300")
    create_user(admin, "buyer", ["customer-buyers"], customer_ids=[third["id"]])
    for number in ("C-100", "C-200", "C-100", "c-200", "C-200"):
        body = {"tenant": "acme", "username": "buyer", "password": "wrong-password", "customer_number": number}
        assert anon.post("/auth/login", body).status_code == 401
    for number in ("C-100", "C-200"):
        body = {"tenant": "acme", "username": "buyer", "password": USER_PASSWORD, "customer_number": number}
        assert anon.post("/auth/login", body).status_code == 429
    other = {"tenant": "acme", "username": "buyer", "password": USER_PASSWORD, "customer_number": "C-300"}
    assert anon.post("/auth/login", other).status_code == 200


def test_a_success_gives_the_user_five_attempts_again(admin: Api, anon: Api) -> None:
    wrong = {"tenant": "acme", "username": "admin", "password": "wrong-password"}
    for _ in range(4):
        assert anon.post("/auth/login", wrong).status_code == 401
    assert anon.post("/auth/login", {**wrong, "password": ADMIN_PASSWORD}).status_code == 200
    statuses = _burst([wrong] * 10)
    assert statuses == Counter({401: 5, 429: 5}), statuses
