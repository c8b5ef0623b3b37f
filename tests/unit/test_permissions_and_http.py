from __future__ import annotations

import pytest
from pydantic import BaseModel

from chalicelib.api.http import PAGE, Ctx, patch_changes
from chalicelib.api.messages import field_path
from chalicelib.api.openapi import RouteSpec
from chalicelib.domain.errors import ValidationFailedError
from chalicelib.domain.permissions import BUILTIN_GROUPS, PERMISSION_KIND, UserKind


def group(name: str) -> set[str]:
    return {p.value for p in next(g for g in BUILTIN_GROUPS if g.name == name).permissions}


def test_builtin_groups_are_those_of_the_product_spec() -> None:
    assert group("Administrators") == {p.value for p, k in PERMISSION_KIND.items() if k == UserKind.STAFF}
    assert group("Sales reps") == {"orders.review", "orders.create_on_behalf"}
    assert group("Order desk") == {"orders.read_all", "orders.review", "orders.fulfil"}
    assert group("Customer buyers") == {"orders.place"}
    assert group("Customer approvers") == {"orders.place", "orders.approve", "orders.view_org"}
    assert group("Customer admins") == {p.value for p, k in PERMISSION_KIND.items() if k == UserKind.CUSTOMER}


def test_builtin_groups_hold_only_permissions_of_their_kind() -> None:
    for g in BUILTIN_GROUPS:
        assert all(PERMISSION_KIND[p] == g.kind for p in g.permissions)


def test_error_field_paths_read_like_the_api_spec() -> None:
    assert field_path(("lines", 0, "quantity")) == "lines[0].quantity"
    assert field_path(("name",)) == "name"


class Body(BaseModel):
    name: str | None = None
    note: str | None = None


def test_patch_changes_keep_only_what_was_sent() -> None:
    assert patch_changes(Body.model_validate({"name": "x"})) == {"name": "x"}


def test_patch_null_clears_only_nullable_fields() -> None:
    assert patch_changes(Body.model_validate({"note": None}), frozenset({"note"})) == {"note": None}
    with pytest.raises(ValidationFailedError):
        patch_changes(Body.model_validate({"name": None}), frozenset({"note"}))


def _ctx(**kw: object) -> Ctx:
    spec = RouteSpec("/things", "GET", "things", False, None, None, 200, "application/json", (), **kw)  # type: ignore[arg-type]
    return Ctx(request=None, principal_or_none=None, spec=spec)  # type: ignore[arg-type]


def test_a_view_cannot_read_a_query_parameter_its_registration_does_not_declare() -> None:
    with pytest.raises(RuntimeError, match="does not declare the query parameter 'status'"):
        _ctx(query=PAGE).query("status")
    assert _ctx(query=PAGE).page_args() == (25, None)


def test_a_view_cannot_honour_if_match_without_declaring_it() -> None:
    with pytest.raises(RuntimeError, match="does not declare If-Match"):
        _ctx().if_match()


def test_a_429_says_when_in_its_header_and_its_message() -> None:
    from chalicelib.api.errors import error_response
    from chalicelib.domain.errors import TooManyAttemptsError

    for seconds, words in (
        (1, "1 second"),
        (45, "45 seconds"),
        (60, "1 minute"),
        (61, "2 minutes"),
        (900, "15 minutes"),
    ):
        r = error_response(TooManyAttemptsError(seconds))
        assert r.status_code == 429 and r.headers["Retry-After"] == str(seconds)
        assert r.body["error"]["message"] == f"Too many failed logins for this user; try again in {words}."
