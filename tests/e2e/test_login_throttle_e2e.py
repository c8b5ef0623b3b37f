"""Issue 23 point 1 on the local stack over HTTP: 50 concurrent wrong passwords for one user get at most 5
evaluated (401); the others, and then the right password, answer 429."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
import requests

from tests.e2e.test_local_stack import Stack, start_stack

pytestmark = pytest.mark.e2e

BURST = 50


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start_stack(tmp_path_factory.mktemp("throttle"))
    yield running
    running.stop()


def _post(url: str, body: dict[str, str]) -> int:
    """One login attempt. The local server may reset a connection when dozens arrive at once (issue 23
    point 9, its listen queue): a reset connection never reached the app, so it is sent again."""
    for _ in range(20):
        try:
            return requests.post(url, json=body, timeout=60).status_code
        except requests.ConnectionError:
            time.sleep(0.05)
    raise AssertionError("the local server kept resetting the connection")


def test_fifty_concurrent_wrong_passwords_get_at_most_five_evaluated(stack: Stack) -> None:
    admin = stack.login()
    staff = {
        "kind": "staff",
        "username": "throttled",
        "name": "Throttled Staff",
        "email": "throttled@e2e.example",
        "password": "e2e-password-1",
        "security_group_ids": ["sales-reps"],
    }
    created = stack.call("POST", "/users", admin, staff)
    assert created.status_code == 201, created.text
    url = f"{stack.api_url}/auth/login"
    wrong = {"tenant": "demo", "username": "throttled", "password": "wrong-password"}
    barrier = Barrier(BURST)

    def attempt(_: int) -> int:
        barrier.wait()
        return _post(url, wrong)

    with ThreadPoolExecutor(BURST) as pool:
        statuses = Counter(pool.map(attempt, range(BURST)))
    assert set(statuses) <= {401, 429} and 1 <= statuses[401] <= 5, statuses
    right = requests.post(url, json={**wrong, "password": "e2e-password-1"}, timeout=10)
    assert right.status_code == 429, right.text
    assert int(right.headers["Retry-After"]) > 0
