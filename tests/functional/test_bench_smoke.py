"""The benchmark's harness cannot rot: its counting hook sees one endpoint's round trips, and every
scenario names a route the app has. (`make bench` runs the benchmark itself; it is not a test.)"""

from __future__ import annotations

from app import app
from bench.counting import storage_counter
from bench.scenarios import SCENARIOS
from tests.functional.conftest import Api


def test_the_counting_hook_sees_the_round_trips_of_one_request(admin: Api) -> None:
    counter = storage_counter()
    with counter.measure() as tally:
        r = admin.get("/settings")
    assert r.status_code == 200
    figures = tally.summary()
    assert figures["operations"] == {"GetItem": 1}
    assert (figures["dynamodb_calls"], figures["scan_calls"], figures["items_read"]) == (1, 0, 1)
    assert figures["consumed_rcu"] == 0.5
    with counter.measure() as nothing:
        pass
    assert nothing.summary()["dynamodb_calls"] == 0


def test_every_scenario_names_a_route_of_the_app() -> None:
    routes = {f"{method} {path}" for path, methods in app.routes.items() for method in methods}
    assert {s.route for s in SCENARIOS} <= routes
