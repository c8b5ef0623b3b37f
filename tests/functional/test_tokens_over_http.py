"""Access and refresh tokens as an attacker would present them, over HTTP: every forgery is a 401
in the error envelope, on every protected route, and a refresh token that comes back twice ends
the whole session."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
import warnings
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from chalice.test import Client
from werkzeug.test import Client as WsgiClient

from app import app
from chalicelib.api import openapi
from tests.chalice_wsgi import ChaliceWSGI
from tests.conftest import aws_environment
from tests.functional.conftest import ADMIN_PASSWORD, Api, make_tenant

KEY = os.environ["ORDERGATE_SIGNING_KEY"]


@pytest.fixture(scope="module")
def anon() -> Iterator[Api]:
    """One tenant for the module: the tests here only log in, refresh and read."""
    with aws_environment():
        yield Api(Client(app))


@pytest.fixture(scope="module")
def admin(anon: Api) -> Api:
    make_tenant("acme")
    return anon.login("acme", "admin", ADMIN_PASSWORD)


def claims_of(api: Api) -> dict[str, Any]:
    return jwt.decode(str(api.token), options={"verify_signature": False})


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def forged(admin: Api) -> dict[str, str]:
    """Tokens an attacker could make from a real one, by name."""
    real = str(admin.token)
    claims = claims_of(admin)
    now = int(time.time())
    header, payload, signature = real.split(".")
    with warnings.catch_warnings():  # PyJWT warns that the test key is short for HS512: that is the point
        warnings.simplefilter("ignore")
        hs512 = jwt.encode(claims, KEY, algorithm="HS512")
    return {
        "signed with another key": jwt.encode(claims, "another-key-0123456789abcdef0123456789", algorithm="HS256"),
        "alg none": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "alg none, real signature kept": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.{signature}",
        "HS512 with the right key": hs512,
        "expired": jwt.encode({**claims, "iat": now - 3600, "exp": now - 1}, KEY, algorithm="HS256"),
        "permissions added, signature kept": f"{header}.{b64({**claims, 'prm': ['tenant.admin', 'x']})}.{signature}",
        "other tenant, signature kept": f"{header}.{b64({**claims, 'ten': 'globex'})}.{signature}",
        "no expiry": jwt.encode({k: v for k, v in claims.items() if k != "exp"}, KEY, algorithm="HS256"),
        "another issuer": jwt.encode({**claims, "iss": "someone-else"}, KEY, algorithm="HS256"),
        "unknown kind": jwt.encode({**claims, "knd": "robot"}, KEY, algorithm="HS256"),
        "permissions not a list": jwt.encode({**claims, "prm": 7}, KEY, algorithm="HS256"),
        "signature stripped": f"{header}.{payload}.",
        "truncated": real[:-5],
        "garbage": "not-a-token",
        "empty segments": "..",
        "huge": "a" * 100_000,
        "unicode": "ééé.ééé.ééé",
    }


FORGERIES = [
    "signed with another key",
    "alg none",
    "alg none, real signature kept",
    "HS512 with the right key",
    "expired",
    "permissions added, signature kept",
    "other tenant, signature kept",
    "no expiry",
    "another issuer",
    "unknown kind",
    "permissions not a list",
    "signature stripped",
    "truncated",
    "garbage",
    "empty segments",
    "huge",
    "unicode",
]


def test_the_forgery_list_names_every_forgery(admin: Api) -> None:
    assert sorted(forged(admin)) == sorted(FORGERIES)


@pytest.mark.parametrize("name", FORGERIES)
def test_a_forged_or_expired_access_token_is_401_on_every_protected_route(admin: Api, name: str) -> None:
    token = forged(admin)[name]
    api = admin.as_token(token)
    for spec in openapi.ROUTES:
        if spec.public:
            continue
        path = spec.path.format(**dict.fromkeys(spec.path_params, "01ABCDEFGHJKMNPQRSTVWXYZ00"))
        if spec.content_type == "application/json":
            r = api.call(spec.method, path, {} if spec.request_model else None)
        else:
            r = api.call(spec.method, path, raw=b"", headers={"Content-Type": spec.content_type})
        assert r.status_code == 401, (name, spec.method, spec.path, r.status_code, r.body[:200])
        assert r.json["error"]["code"] == "unauthenticated"
        assert r.headers.get("WWW-Authenticate") == "Bearer"


@pytest.mark.parametrize(
    "header", ["Basic YWRtaW46cGFzcw==", "Bearer", "Bearer ", "Token {token}", "{token}", "Bearer  {token} extra"]
)
def test_only_a_bearer_token_authenticates(admin: Api, header: str) -> None:
    r = admin.as_token(None).get("/me", headers={"Authorization": header.format(token=admin.token)})
    assert r.status_code == 401, r.body


def test_the_scheme_name_is_case_insensitive(admin: Api) -> None:
    assert admin.as_token(None).get("/me", headers={"Authorization": f"bearer {admin.token}"}).status_code == 200


def _login(anon: Api) -> dict[str, Any]:
    r = anon.post("/auth/login", {"tenant": "acme", "username": "admin", "password": ADMIN_PASSWORD})
    assert r.status_code == 200, r.body
    return dict(r.json)


def test_a_refresh_token_used_twice_ends_the_session_for_both_holders(admin: Api, anon: Api) -> None:
    stolen = _login(anon)["refresh_token"]
    rightful = anon.post("/auth/refresh", {"refresh_token": stolen})
    assert rightful.status_code == 200
    replay = anon.post("/auth/refresh", {"refresh_token": stolen})
    assert replay.status_code == 401
    assert replay.json["error"]["code"] == "unauthenticated"
    # The rotated token the rightful holder got is dead too, and so is everything after it.
    assert anon.post("/auth/refresh", {"refresh_token": rightful.json["refresh_token"]}).status_code == 401
    assert anon.post("/auth/refresh", {"refresh_token": stolen}).status_code == 401
    # Another login of the same user is another session, untouched.
    other = _login(anon)["refresh_token"]
    assert anon.post("/auth/refresh", {"refresh_token": other}).status_code == 200


def test_two_concurrent_refreshes_with_one_token_leave_no_live_session(admin: Api, anon: Api) -> None:
    token = _login(anon)["refresh_token"]
    # Through the WSGI adapter: chalice.test.Client swaps os.environ per request, which threads race on.
    http = WsgiClient(ChaliceWSGI(app))
    results: list[tuple[int, Any]] = []
    barrier = threading.Barrier(2)

    def refresh() -> None:
        barrier.wait()
        r = http.post("/auth/refresh", json={"refresh_token": token})
        results.append((r.status_code, r.get_json()))

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(status for status, _ in results) in ([200, 401], [401, 401])
    for status, body in results:  # whoever won holds a token of a session that has ended
        if status == 200:
            assert anon.post("/auth/refresh", {"refresh_token": body["refresh_token"]}).status_code == 401


@pytest.mark.parametrize(
    "token",
    ["acme.", ".abc", "globex.abc", "acme." + "x" * 500, "é" * 300 + ".x", "acme\x00.x", "T#acme#REFRESH#x.y"],
)
def test_a_made_up_refresh_token_is_401(admin: Api, anon: Api, token: str) -> None:
    r = anon.post("/auth/refresh", {"refresh_token": token})
    assert r.status_code == 401, r.body


@pytest.mark.parametrize("length", [100_000, 500_000])  # the body stays under 1 MiB
def test_a_string_far_too_long_to_be_a_refresh_token_is_401_too(admin: Api, anon: Api, length: int) -> None:
    for token in ("acme." + "x" * length, "x" * length + ".acme", "é" * (length // 8)):
        r = anon.post("/auth/refresh", {"refresh_token": token})
        assert r.status_code == 401, r.body[:300]
        assert r.json["error"]["code"] == "unauthenticated"


def test_an_access_token_sent_to_refresh_is_the_401_of_any_invalid_refresh_token(admin: Api, anon: Api) -> None:
    pair = _login(anon)
    r = anon.post("/auth/refresh", {"refresh_token": pair["access_token"]})
    assert r.status_code == 401, r.body
    assert r.json["error"] == {"code": "unauthenticated", "message": "The refresh token is not valid.", "details": []}
    # Sent to logout by mistake it ends nothing it does not name: the session of the caller ends as always.
    assert (
        anon.as_token(pair["access_token"]).post("/auth/logout", {"refresh_token": pair["access_token"]}).status_code
        == 204
    )
    assert anon.post("/auth/refresh", {"refresh_token": pair["refresh_token"]}).status_code == 401


def test_a_refresh_token_moved_to_another_tenant_is_401(admin: Api, anon: Api) -> None:
    real = _login(anon)["refresh_token"]
    secret = real.partition(".")[2]
    assert anon.post("/auth/refresh", {"refresh_token": f"globex.{secret}"}).status_code == 401
    assert anon.post("/auth/refresh", {"refresh_token": real}).status_code == 200  # the real one still works
