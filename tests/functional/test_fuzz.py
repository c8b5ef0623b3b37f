"""Property-based fuzzing of every operation in the served OpenAPI document against the real app.

schemathesis reads `GET /openapi.json` and generates requests for each operation: valid ones,
invalid ones (negative mode) and boundary values (its coverage phase). Each request is sent twice,
as the tenant's administrator and as a customer buyer, through the Chalice app in process (a WSGI
adapter over chalice's own API Gateway emulation, tests/chalice_wsgi.py). No input may produce a
5xx, and every response must match what the document says of its status, content type and body.

Random ids find nothing, so path parameters, list filters and body references are often swapped
for real ones (orders in several statuses, their lines, the customer, users, a site, a group, the
catalog's skus), and path parameters sometimes for hostile strings (3 KB of UTF-8, control
characters, injection-looking text) that must end in a 4xx, never in a DynamoDB key error. (None
holds a raw `/`, `#` or `?`: sent unencoded, the request would not reach the route at all.)

`make test` runs a few examples per operation (FUZZ_MAX_EXAMPLES, default 5, fixed seed);
`make fuzz` runs many more and prints how many requests were sent.
"""

from __future__ import annotations

import copy
import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from chalice.test import Client
from hypothesis import HealthCheck, settings
from schemathesis import checks as st_checks
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi import checks as openapi_checks

from app import app
from tests.chalice_wsgi import ChaliceWSGI
from tests.conftest import aws_environment
from tests.functional.conftest import ADMIN_PASSWORD, USER_PASSWORD, Api, make_tenant
from tests.functional.order_world import World, build_world, offer

QUICK_EXAMPLES = 5
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", str(QUICK_EXAMPLES)))
SEED = int(os.environ.get("FUZZ_SEED", "20261123"))
CALLERS = ("admin", "buyer")

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {
            "mode": "all",
            "max-examples": MAX_EXAMPLES,
            # Unknown query parameters are ignored by design (cache busters), so not a negative case;
            # and every request carries a real caller's token, added below, so no generated auth.
            "allow-extra-parameters": False,
            "with-security-parameters": False,
        },
        "phases": {"stateful": {"enabled": False}},
        # The coverage phase sends every boundary of a schema, here bodies of 10,000 and 10,001 price
        # entries: generating and checking them takes schemathesis minutes. The quick run in `make test`
        # leaves that phase out for the price-entry operations (test_limits.py sends those boundaries
        # itself); `make fuzz` keeps it.
        "operations": []
        if MAX_EXAMPLES > QUICK_EXAMPLES
        else [
            {"include-path-regex": "^/(price-lists|customers/[^/]+/prices)", "phases": {"coverage": {"enabled": False}}}
        ],
        # A body over the 1 MiB limit (e.g. one entry more than maxItems, each a large object) is refused
        # before it is parsed: 413 is a rejection of invalid data like the defaults.
        "checks": {
            "negative_data_rejection": {
                "expected-statuses": [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429, "5xx"]
            }
        },
    }
)
schema = schemathesis.openapi.from_wsgi("/openapi.json", ChaliceWSGI(app), config=CONFIG)

CHECKS = [
    st_checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.negative_data_rejection,
]

HOSTILE = (  # no `/`, `#`, `?` or dot segments: clients do not encode them, and the request would miss the route
    "é" * 1100,  # 2,200 bytes: over DynamoDB's sort-key limit once prefixed
    "x" * 2100,  # over the partition-key limit
    "🦄" * 300,
    "a\x00b",
    "\x1b[31m",
    "...%2F..%2Fsettings",
    "%00",
    "CUSTOMER%23x",
    "' OR '1'='1",
    '"; DROP TABLE orders; --',
    "${jndi:ldap:x}",
    "<script>alert(1)<\\script>",
    "\u202eevil",
    " ",
)
# Text no encoder can write: lone surrogates, which JSON may escape ("\ud800") and json.loads returns in
# a str. Put into generated bodies (json.dumps escapes them again, so the request itself is ASCII);
# hypothesis' own strings never hold them.
BROKEN_UNICODE = ("\ud800", "\udfff", "a\ud83dz", "\udc00\ud800", "ok \ud83d\ude00 \ud83d")
TEXT = (*HOSTILE, *BROKEN_UNICODE)


@dataclass
class Pool:
    """Real values of the seeded world, by the name of the parameter or field they fit."""

    tokens: dict[str, str] = field(default_factory=dict)
    anon: Api | None = None  # to sign a caller in again (`_token`)
    values: dict[str, list[str]] = field(default_factory=dict)
    order_lines: dict[str, list[str]] = field(default_factory=dict)
    requests: int = 0
    keys: int = 0
    by_status: dict[int, int] = field(default_factory=dict)
    by_code: dict[str, int] = field(default_factory=dict)


POOL = Pool()
REFS = {"product_id", "sku", "barcode"}


def _seed(world: World) -> None:
    admin, buyer = world.admin, world.buyer
    world.catalog.add(offer("p8", "PRICEY", "999999999.99"))  # so amounts can reach API.md's bounds
    site = admin.post("/sites", {"code": "WAW", "name": "Warsaw"}).json
    group = admin.post("/security-groups", {"name": "Fuzzed", "kind": "customer", "permissions": []}).json
    draft = world.order()
    submitted = buyer.post(f"/orders/{world.order()['id']}/submit").json
    to_confirm = buyer.post(f"/orders/{world.order()['id']}/submit").json
    confirmed = world.desk.post(f"/orders/{to_confirm['id']}/confirm").json
    staff_draft = world.order(admin, customer_id=world.customer["id"])
    orders = [draft, submitted, confirmed, staff_draft]
    from tests.functional.test_order_documents import upload

    document = upload(world, buyer, submitted["id"])  # available: its download answers a redirect
    POOL.tokens.update({"admin": str(admin.token), "buyer": str(buyer.token)})
    POOL.anon = world.anon
    POOL.order_lines.update({o["id"]: [line["id"] for line in o["lines"]] for o in orders})
    POOL.values.update(
        {
            "customer_id": [world.customer["id"]],
            # Not the buyer's: a write is decided on its caller as stored now (API.md), and the administrator
            # deactivating or demoting the buyer would turn the buyer's later cases into 401s.
            "user_id": [world.ids["approver"], world.ids["rep"]],
            "sales_rep_id": [world.ids["rep"]],
            "site_id": [site["id"]],
            "group_id": [group["id"], "customer-buyers"],
            "sku": ["SKU-1", "PRICEY", "BOX-6", "HIDDEN"],
            "barcode": ["5901234123457"],
            "product_id": ["p1", "p2"],
            "status": ["draft", "submitted", "confirmed"],
            "document_id": [document["id"]],
        }
    )


@pytest.fixture(scope="module", autouse=True)
def fuzz_world() -> Iterator[None]:
    with aws_environment():
        anon = Api(Client(app))
        make_tenant("acme")
        _seed(build_world(anon.login("acme", "admin", ADMIN_PASSWORD), anon))
        yield


def summary() -> str | None:
    """One line for the end of the run (tests/conftest.py prints it): what the fuzzer sent and got."""
    if not POOL.requests:
        return None
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(POOL.by_status.items()))
    codes = ", ".join(f"{code}: {n}" for code, n in sorted(POOL.by_code.items(), key=lambda kv: -kv[1]))
    return (
        f"fuzz: {POOL.requests} requests (max_examples={MAX_EXAMPLES}, seed={SEED}); statuses {statuses}\n"
        f"fuzz: error codes {codes}"
    )


def _real_path(names: list[str], order_id: str, choose: Callable[[str, list[Any]], Any]) -> dict[str, str]:
    out = {}
    for name in names:
        if name == "order_id":
            out[name] = order_id
        elif name == "line_id":
            out[name] = choose(name, POOL.order_lines[order_id] or ["none"])
        elif POOL.values.get(name):
            out[name] = choose(name, POOL.values[name])
    return out


def _realistic(value: Any, choose: Callable[[str, list[Any]], Any], where: str = "") -> Any:
    """The body with every field that names something set to a real value of its kind."""
    if isinstance(value, list):
        return [_realistic(v, choose, f"{where}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, dict):
        return value
    lines = [line for ids in POOL.order_lines.values() for line in ids]
    out = {}
    refs = sorted(REFS & value.keys())
    if refs:  # a product is named by exactly one of product_id, sku, barcode: keep one, real
        keep = choose(f"{where}.ref", refs)
        value = {**value, **{r: None for r in refs if r != keep}, keep: choose(f"{where}.{keep}", POOL.values[keep])}
    for key, v in value.items():
        if key in REFS:
            out[key] = v
        elif key == "quantity" and isinstance(v, int | float):  # whole units pass min/multiple rules
            out[key] = choose(f"{where}.quantity", [v, 1, 2, 12, 1000, 1_000_000])
        elif key in POOL.values and isinstance(v, str):
            out[key] = choose(f"{where}.{key}", POOL.values[key])
        elif key == "id" and isinstance(v, str) and lines:
            out[key] = choose(f"{where}.id", lines)
        else:
            out[key] = _realistic(v, choose, f"{where}.{key}")
    return out


def _strings(value: Any, where: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Where a body holds text: every string value, and every key of an object (as its path, key last)."""
    if isinstance(value, str):
        yield where
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, (*where, i))
    elif isinstance(value, dict):
        for k, v in value.items():
            yield (*where, ("key", k))
            yield from _strings(v, (*where, k))


def _put_text(body: Any, where: tuple[Any, ...], text: str) -> None:
    """Replace the string (or key) at `where` (non-empty: a body is an object) by `text`, in place."""
    parent = body
    for step in where[:-1]:
        parent = parent[step]
    last = where[-1]
    if isinstance(last, tuple):  # a key: the same value under the new key
        parent[text] = parent.pop(last[1])
    else:
        parent[last] = text


def _pick(case: schemathesis.Case[Any], what: str, options: list[Any]) -> Any:
    """A choice that depends only on the generated case: runs stay reproducible (and keep schemathesis'
    coverage phase, which `@schema.given` would switch off)."""
    seed = repr((what, case.operation.label, case.path_parameters, case.query, case.body)).encode()
    return options[int.from_bytes(hashlib.sha256(seed).digest()[:8], "big") % len(options)]


def _point_at_real_things(case: schemathesis.Case[Any]) -> None:
    """Swap generated references for real ones (or path ids for hostile strings), in place.

    Only in components generated as valid: a negative case keeps its one invalid part. schemathesis
    notices the edits and re-checks which parts of the case are still valid before it judges.
    """
    meta = case.meta
    if case.headers and not (meta and meta.is_negative_at(ParameterLocation.HEADER)):
        # A fixed generated Idempotency-Key would make every later POST a 409 "key reused" (a third of
        # all requests did): one of its own per case, so requests reach their handler. Likewise a
        # generated If-Match is almost never the version: mostly leave it out.
        if "Idempotency-Key" in case.headers:
            POOL.keys += 1
            case.headers["Idempotency-Key"] = f"fuzz-{POOL.keys}"
        if "If-Match" in case.headers and _pick(case, "if-match", [0, 0, 1]) == 0:
            del case.headers["If-Match"]
    if case.path_parameters and not (meta and meta.is_negative_at(ParameterLocation.PATH)):
        names = sorted(case.path_parameters)
        choice = _pick(case, "path", ["generated", "real", "real", "hostile"])
        if choice == "real":
            order_id = _pick(case, "order", list(POOL.order_lines))
            case.path_parameters.update(_real_path(names, order_id, lambda what, xs: _pick(case, what, xs)))
        elif choice == "hostile":
            case.path_parameters.update(dict.fromkeys(names, _pick(case, "hostile", list(HOSTILE))))
    if case.query and not (meta and meta.is_negative_at(ParameterLocation.QUERY)) and _pick(case, "q", [0, 1]):
        case.query.update({k: _pick(case, k, POOL.values[k]) for k in case.query if POOL.values.get(k)})
    positive_body = isinstance(case.body, dict) and not (meta and meta.is_negative_at(ParameterLocation.BODY))
    if positive_body and _pick(case, "body", [0, 1]):
        case.body = _realistic(case.body, lambda what, xs: _pick(case, what, xs))
    # The string strategy's hostile part: in every other case with a valid body, one text of it (a
    # value, or an object's key) becomes hostile text, nearly half the time broken (lone surrogates). It must
    # end in a 2xx or a 4xx, never a 5xx. Values three times as often as keys: a bad key is refused as
    # an unknown field, a bad value among valid ones gets further (to storage, a hash, an e-mail).
    # Changed in place once the case's validity is settled (reading `meta` re-checks the edits above):
    # schemathesis' own validator cannot encode a lone surrogate, and `case.call` sends in-place values
    # without judging them again. The case keeps the validity it was generated with; no check asks a
    # valid body to succeed, so a 422 is judged only as a documented answer.
    texts = list(_strings(case.body)) if positive_body else []  # a negative case keeps its one invalid part
    if texts and _pick(case, "text", [0, 1]):
        values = [w for w in texts if not (w and isinstance(w[-1], tuple))]
        where = _pick(case, "text at", values * 3 + [w for w in texts if w not in values])
        text = _pick(case, "hostile text", [*BROKEN_UNICODE, *TEXT])  # TEXT ends with BROKEN_UNICODE too
        case.body = copy.deepcopy(case.body)  # an explicit example's body may be sent again: keep it as it was
        _ = case.meta
        _put_text(case.body, where, text)


def _token(case: schemathesis.Case[Any], caller: str) -> str:
    """The caller's token; for logging out, a session of its own: a logout ends its session's writes too
    (API.md), which would turn the caller's later cases into 401s."""
    if case.operation.path != "/auth/logout" or POOL.anon is None:
        return POOL.tokens[caller]
    fresh = POOL.anon.login("acme", "admin", ADMIN_PASSWORD) if caller == "admin" else None
    fresh = fresh or POOL.anon.login("acme", "buyer", USER_PASSWORD, "C-100")
    return str(fresh.token)


@schema.parametrize()
@settings(deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), max_examples=MAX_EXAMPLES)
def test_no_request_gets_a_server_error_or_an_undocumented_answer(case: schemathesis.Case[Any]) -> None:
    _point_at_real_things(case)
    for caller in CALLERS:
        response = case.call(headers={"Authorization": f"Bearer {_token(case, caller)}"})
        POOL.requests += 1
        POOL.by_status[response.status_code] = POOL.by_status.get(response.status_code, 0) + 1
        if response.status_code >= 400:
            try:
                code = str(response.json()["error"]["code"])
            except (ValueError, KeyError, TypeError):
                code = f"{response.status_code} without the envelope"
            POOL.by_code[code] = POOL.by_code.get(code, 0) + 1
        case.validate_response(response, checks=CHECKS)
