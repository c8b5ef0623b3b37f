"""Bad input gets a clear 4xx in the error envelope and changes nothing; the OpenAPI document
describes exactly the routes the app serves."""

from __future__ import annotations

import pytest

from app import app
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
    name = "Zażółć ' OR 1=1; -- <script>\u202e"
    c = create_customer(admin, "C-1", payment_terms=name)
    assert admin.get(f"/customers/{c['id']}").json["payment_terms"] == name


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
