from __future__ import annotations

from tests.functional.conftest import Api


def test_health_needs_no_token(anon: Api) -> None:
    r = anon.get("/health")
    assert r.status_code == 200
    assert r.json == {"status": "ok"}


def test_admin_logs_in_and_sees_themselves(admin: Api) -> None:
    r = admin.get("/me")
    assert r.status_code == 200, r.body
    assert r.json["username"] == "admin"
    assert r.json["kind"] == "staff"
    assert "tenant.admin" in r.json["permissions"]
