"""Submit, followed from the route (issue 25, docs/ARCHITECTURE.md "Submit, module by module"): which modules
of chalicelib a `POST /orders/{id}/submit` passes through, with and without an Idempotency-Key, as
`sys.setprofile` sees it on the real catalog.

Two counts, both kept true here:

- **The path**: the modules on the call stack each time the request does something: checks its token,
  reads or writes DynamoDB (each of its round trips), changes the order (the domain's transition) and
  presents the answer. These are the modules a reader follows from the route to what the request does.
- **Everything that runs**: every module a function of which runs (the path plus what it computes with:
  money, keys, the item models, the catalog's pricing, ...). Not a target; pinned so that it cannot grow
  unnoticed.

And no call goes back up: every call between two modules of chalicelib goes to the same layer or a lower
one (tests/unit/test_layers.py's ranks), but for the views' accessor `bootstrap.get_services`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import pytest

from tests.functional.conftest import USER_PASSWORD, Api, create_customer, create_user
from tests.unit.test_layers import ENTRY, RANK, layer

# What the request does, by the function that does it: (module, function name).
DOING = {
    ("chalicelib.auth.tokens", "verify"): "checks the token",
    ("botocore.client", "_make_api_call"): "a round trip",
    ("chalicelib.domain.orders", "submit"): "the transition",
    ("chalicelib.api.order_presenters", "order_out"): "presents the order",
}
PATH = [
    "chalicelib.api.http",  # the pipeline: token, permissions, Idempotency-Key, then the view
    "chalicelib.auth.tokens",  # the token's check
    "chalicelib.api.routes.orders",  # the view: one service call, then the presenter
    "chalicelib.api.order_presenters",
    "chalicelib.services.order_actions",  # Lifecycle.submit builds the action; Submit.needs / Submit.apply
    "chalicelib.services.order_writes",  # the one write path: load, read, apply, save
    "chalicelib.domain.orders",  # Order.submit
    "chalicelib.storage.orders",  # load, read, save
    "chalicelib.storage.refs",  # the BatchGet
    "chalicelib.storage.table",  # the transaction
]
EVERYTHING_AT_MOST = 48  # as measured when this test was written (47 without a key, 48 with one)


@dataclass
class Trace:
    path: set[str] = field(default_factory=set)
    doing: list[str] = field(default_factory=list)
    modules: set[str] = field(default_factory=set)
    upward: set[tuple[str, str]] = field(default_factory=set)  # (caller, callee) into a higher layer


def _ours(frame: FrameType | None) -> str | None:
    """The chalicelib module of the nearest frame that is ours, from `frame` up."""
    while frame is not None:
        name = str(frame.f_globals.get("__name__", ""))
        if name.startswith("chalicelib."):
            return name
        frame = frame.f_back
    return None


def _rank(module: str) -> int:
    return 99 if module in ENTRY else RANK[layer(module)]


def traced(call: Callable[[], Any]) -> tuple[Any, Trace]:
    t = Trace()

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event != "call":
            return
        name = str(frame.f_globals.get("__name__", ""))
        doing = DOING.get((name, frame.f_code.co_name))
        if doing is not None:
            t.doing.append(doing)
            f: FrameType | None = frame
            while f is not None:
                module = str(f.f_globals.get("__name__", ""))
                if module.startswith("chalicelib."):
                    t.path.add(module)
                f = f.f_back
        if not name.startswith("chalicelib."):
            return
        t.modules.add(name)
        caller = _ours(frame.f_back)
        accessor = name == "chalicelib.bootstrap" and frame.f_code.co_name == "get_services"
        if caller is not None and not accessor and _rank(name) > _rank(caller):
            t.upward.add((caller, name))

    sys.setprofile(profile)
    try:
        reply = call()
    finally:
        sys.setprofile(None)
    return reply, t


@pytest.fixture
def buyer(admin: Api, anon: Api) -> Api:
    """A buyer of a customer without approval, ordering from the real catalog (its prices, its groups)."""
    shop = admin.post("/product-groups", {"name": "Shop", "portal": True}).json
    product = {"sku": "BOLT-8", "name": "Bolt M8", "base_price": "1.00", "tax_rate": "0.20", "group_id": shop["id"]}
    assert admin.post("/products", product).status_code == 201
    c = create_customer(admin, "C-1")
    create_user(admin, "buyer", ["customer-buyers"], customer_ids=[c["id"]])
    return anon.login("acme", "buyer", USER_PASSWORD, "C-1")


@pytest.mark.parametrize("headers", [{}, {"Idempotency-Key": "submit-once"}], ids=["plain", "with-key"])
def test_submit_passes_ten_modules_and_never_calls_back_up(buyer: Api, headers: dict[str, str]) -> None:
    draft = buyer.post("/orders", {"lines": [{"sku": "BOLT-8", "quantity": 5}]}).json
    reply, t = traced(lambda: buyer.post(f"/orders/{draft['id']}/submit", headers=headers))
    assert reply.status_code == 200 and reply.json["status"] == "submitted", reply.body
    # Three round trips (the order's Query, one BatchGet, one transaction), each one call into botocore.
    assert sorted(set(t.doing)) == sorted(set(DOING.values()))
    assert sorted(t.path) == sorted(PATH)
    assert t.upward == set()
    assert len(t.modules) <= EVERYTHING_AT_MOST, sorted(t.modules)
    assert set(PATH) <= t.modules
    if headers:  # a replay is answered the order the first submit left, presented the same way
        again, _ = traced(lambda: buyer.post(f"/orders/{draft['id']}/submit", headers=headers))
        assert (again.status_code, again.json) == (200, reply.json)
        assert again.headers.get("Idempotent-Replayed") == "true"
