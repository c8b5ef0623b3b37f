"""Bad input gets a clear 4xx in the error envelope and changes nothing; the OpenAPI document
describes exactly the routes the app serves."""

from __future__ import annotations

from typing import Any

import pytest

from app import app
from chalicelib.api import openapi
from tests.functional.conftest import Api, create_customer


def assert_error(r, status: int, code: str) -> None:
    assert r.status_code == status, r.body
    assert r.json["error"]["code"] == code
    assert r.json["error"]["message"]
    assert "Traceback" not in r.body.decode()


def test_a_body_that_is_not_json_is_a_bad_request(admin: Api) -> None:
    assert_error(admin.post("/customers", raw=b"{not json"), 400, "malformed_request")
    assert_error(admin.post("/customers", raw=b"\xff\xfe"), 400, "malformed_request")
    assert_error(admin.post("/customers"), 400, "malformed_request")


def test_a_body_over_one_mebibyte_is_refused(admin: Api) -> None:
    big = b'{"number": "C-1", "name": "' + b"x" * (1024 * 1024) + b'"}'
    assert_error(admin.post("/customers", raw=big), 413, "payload_too_large")
    assert admin.get("/customers").json["items"] == []


def test_validation_errors_name_each_field(admin: Api) -> None:
    r = admin.post(
        "/customers",
        {
            "number": "C-1",
            "name": "",
            "approval_policy": "sometimes",
            "monthly_budget": 12.5,
            "addresses": [{"kind": "home"}],
            "colour": "red",
        },
    )
    assert_error(r, 422, "validation_failed")
    fields = {d["field"] for d in r.json["error"]["details"]}
    assert {"name", "approval_policy", "monthly_budget", "addresses[0].kind", "colour"} <= fields
    assert admin.get("/customers").json["items"] == []


@pytest.mark.parametrize("amount", ["1000000000.01", "-1.00", "1.234", "abc", "NaN"])
def test_money_outside_the_contract_is_refused(admin: Api, amount: str) -> None:
    r = admin.post("/customers", {"number": "C-1", "name": "A", "monthly_budget": amount})
    assert_error(r, 422, "validation_failed")


def test_control_characters_in_names_are_refused(admin: Api) -> None:
    assert_error(admin.post("/customers", {"number": "C-1", "name": "A\x00B"}), 422, "validation_failed")


def test_unicode_and_injection_looking_text_is_stored_as_is(admin: Api) -> None:
    name = "Zażółć ' OR 1=1; -- <script>"
    c = create_customer(admin, "C-1", name=name)
    assert admin.get(f"/customers/{c['id']}").json["name"] == name
    # A bidi override would reorder what a reader sees of a single-line field (issue 23): refused.
    assert_error(admin.post("/customers", {"number": "C-2", "name": f"{name}\u202e"}), 422, "validation_failed")


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=abc", "cursor=%%%"])
def test_bad_list_parameters_are_bad_requests(admin: Api, query: str) -> None:
    assert_error(admin.get(f"/customers?{query}"), 400, "malformed_request")


def test_an_unsupported_content_type_gets_the_envelope(admin: Api) -> None:
    r = admin.post("/customers", raw=b"number=1", headers={"Content-Type": "text/plain"})
    assert_error(r, 415, "unsupported_media_type")


def test_a_missing_thing_is_404(admin: Api) -> None:
    assert_error(admin.get("/customers/nope"), 404, "not_found")
    assert_error(admin.patch("/users/nope", {"name": "x"}), 404, "not_found")


def test_duplicates_are_409_and_leave_the_original(admin: Api) -> None:
    create_customer(admin, "C-1")
    assert_error(admin.post("/customers", {"number": "C-1", "name": "Other"}), 409, "duplicate")
    assert [c["name"] for c in admin.get("/customers").json["items"]] == ["Customer C-1"]


def test_the_openapi_document_lists_every_route_and_no_other(anon: Api) -> None:
    from openapi_spec_validator import validate

    doc = anon.get("/openapi.json").json
    validate(doc)
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    served = {(path, method) for path, methods in app.routes.items() for method in methods}
    assert documented == served
    assert doc["paths"]["/auth/login"]["post"]["security"] == []
    assert "Error" in doc["components"]["schemas"]


# API.md's list filters, route by route: each must be a documented query parameter.
LIST_PARAMETERS = {
    ("GET", "/orders"): {
        *("limit", "cursor", "status", "customer_id", "created_from", "created_to"),
        "supplier_reference",  # issue 15
    },
    ("GET", "/customers"): {"limit", "cursor", "sales_rep_id"},
    ("GET", "/users"): {"limit", "cursor", "customer_id"},
    ("GET", "/sites"): {"limit", "cursor"},
    ("GET", "/security-groups"): {"limit", "cursor"},
    ("GET", "/orders/{order_id}/messages"): {"limit", "cursor"},
    # issue 15: the event feed's cursor is `after` (API.md "Machine clients")
    ("GET", "/events"): {"after", "type", "limit"},
    ("GET", "/api-keys"): {"limit", "cursor"},
    ("GET", "/webhook-endpoints"): {"limit", "cursor"},
    ("GET", "/webhook-endpoints/{endpoint_id}/deliveries"): {"limit", "cursor"},
}


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, ops in doc["paths"].items() for method, op in ops.items()]


def test_the_served_document_is_the_one_generated_from_the_registrations(anon: Api) -> None:
    assert anon.get("/openapi.json").json == openapi.document()


def test_the_list_filters_of_the_api_spec_are_documented_query_parameters(anon: Api) -> None:
    doc = anon.get("/openapi.json").json
    for (method, path), names in LIST_PARAMETERS.items():
        params = doc["paths"][path][method.lower()]["parameters"]
        assert {p["name"] for p in params if p["in"] == "query"} == names, path
    limit = next(p for p in doc["paths"]["/orders"]["get"]["parameters"] if p["name"] == "limit")
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 100)
    status = next(p for p in doc["paths"]["/orders"]["get"]["parameters"] if p["name"] == "status")
    assert "submitted" in status["schema"]["enum"]


def test_every_operation_documents_parameters_bodies_security_and_the_error_envelope(anon: Api) -> None:
    doc = anon.get("/openapi.json").json
    error_ref = {"$ref": "#/components/schemas/Error"}
    for method, path, op in _operations(doc):
        spec = openapi.find(path, method)
        assert spec is not None
        params = {(p["in"], p["name"]): p for p in op.get("parameters", [])}
        for name in spec.path_params:
            assert params[("path", name)]["schema"]["pattern"], (path, name)
        assert (("header", "If-Match") in params) == spec.if_match, (method, path)
        assert (("header", "Idempotency-Key") in params) == (method == "POST" and not spec.public), (method, path)
        if spec.request_model is not None or spec.content_type != "application/json":
            assert spec.content_type in op["requestBody"]["content"], (method, path)
            assert op["requestBody"]["required"] is not spec.body_optional
            assert "415" in op["responses"]
        assert str(spec.status) in op["responses"], (method, path)
        errors = {code: r for code, r in op["responses"].items() if code.startswith(("4", "5"))}
        assert errors, (method, path)
        assert all(r["content"]["application/json"]["schema"] == error_ref for r in errors.values()), path
        if spec.public:
            assert op["security"] == []
        else:
            assert "security" not in op and {"401", "403", "404"} <= set(errors), (method, path)
    assert doc["security"] == [{"bearer": []}]
    assert doc["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert "429" in doc["paths"]["/auth/login"]["post"]["responses"]


def test_bodies_are_documented_as_they_travel(anon: Api) -> None:
    schemas = anon.get("/openapi.json").json["components"]["schemas"]
    money = {"type": "string", "pattern": r"^[0-9]{1,10}(\.[0-9]{1,2})?$"}
    for model, field in (("InvoiceRequest", "amount"), ("TotalsOut", "gross")):
        assert money.items() <= schemas[model]["properties"][field].items(), model
    assert schemas["LineAdd"]["properties"]["quantity"]["type"] == "number"
    assert schemas["LineOut"]["properties"]["quantity"]["type"] == "number"
    assert {"type": "string", "format": "date"}.items() <= schemas["InvoiceRequest"]["properties"]["date"].items()
    assert schemas["CustomerCreate"]["additionalProperties"] is False  # unknown fields are refused
