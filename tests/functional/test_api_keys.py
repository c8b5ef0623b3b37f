"""API keys (API.md "Machine clients"): shown once, stored hashed, acting as staff with the key's
permissions only, refused at once when deleted, last use kept without a write on every request."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.storage import keys
from chalicelib.storage.items import ApiKeyItem
from tests.functional.conftest import Api
from tests.functional.order_world import World


def make_key(admin: Api, *permissions: str, name: str = "ERP") -> dict[str, Any]:
    r = admin.post("/api-keys", {"name": name, "permissions": list(permissions)})
    assert r.status_code == 201, r.body
    return dict(r.json)


def test_the_key_is_shown_once_and_stored_only_as_its_hash(admin: Api) -> None:
    created = make_key(admin, "orders.read_all", "orders.fulfil")
    key = created["key"]
    assert key.startswith(created["prefix"]) and len(created["prefix"]) < len(key)
    assert created["permissions"] == ["orders.fulfil", "orders.read_all"]
    assert created["last_used_at"] is None

    shown = admin.get(f"/api-keys/{created['id']}").json
    listed = admin.get("/api-keys").json["items"]
    assert "key" not in shown and all("key" not in k for k in listed)
    assert [k["id"] for k in listed] == [created["id"]]
    # Nothing stored holds the key: only its SHA-256.
    item = ApiKeyItem.get(*keys.api_key("acme", created["id"]))
    raw = str(item.serialize())
    assert key not in raw and key.split("_")[-1] not in raw
    assert item.key_hash == hashlib.sha256(key.encode()).hexdigest()


def test_a_key_acts_as_staff_with_its_permissions_only(world: World) -> None:
    key = make_key(world.admin, "orders.read_all", "orders.fulfil")["key"]
    erp = world.anon.as_token(key)
    order = world.order()
    assert world.buyer.post(f"/orders/{order['id']}/submit").status_code == 200
    assert erp.get(f"/orders/{order['id']}").status_code == 200
    assert erp.get("/orders").json["items"][0]["id"] == order["id"]
    # orders.review is not the key's: confirming is refused, and so is administering the tenant.
    assert erp.post(f"/orders/{order['id']}/confirm").status_code == 403
    assert erp.get("/api-keys").status_code == 403
    assert erp.post("/api-keys", {"name": "mine", "permissions": []}).status_code == 403
    assert erp.patch("/settings", {"default_locale": "en"}).status_code == 403
    assert erp.get("/me").status_code == 404  # a key is no user: there is no account to show


def test_a_key_has_the_scope_of_staff_with_its_permissions(world: World) -> None:
    order = world.order()
    assert world.buyer.post(f"/orders/{order['id']}/submit").status_code == 200
    # orders.review without orders.read_all is a sales rep's scope: their customers only (a key has none).
    rep_like = world.anon.as_token(make_key(world.admin, "orders.review")["key"])
    assert rep_like.post(f"/orders/{order['id']}/confirm").status_code == 404
    desk_like = world.anon.as_token(make_key(world.admin, "orders.read_all", "orders.review", name="Colibri")["key"])
    r = desk_like.post(f"/orders/{order['id']}/confirm")
    assert r.status_code == 200, r.body
    assert r.json["status"] == "confirmed"
    assert r.json["history"][-1]["by_name"] == "Colibri"


def test_a_deleted_key_answers_401_at_once(world: World) -> None:
    created = make_key(world.admin, "orders.read_all")
    erp = world.anon.as_token(created["key"])
    assert erp.get("/orders").status_code == 200
    assert world.admin.delete(f"/api-keys/{created['id']}").status_code == 204
    r = erp.get("/orders")
    assert r.status_code == 401 and r.json["error"]["code"] == "unauthenticated"
    assert world.admin.get(f"/api-keys/{created['id']}").status_code == 404
    assert world.admin.delete(f"/api-keys/{created['id']}").status_code == 404


@pytest.mark.parametrize(
    "forged",
    [
        "ogk_acme_01ARZ3NDEKTSV4RRFFQ69G5FAV_" + "A" * 43,  # a well-formed key nobody created
        "ogk_acme",
        "ogk_" + "x" * 5000,
    ],
)
def test_a_key_that_is_not_one_is_401(world: World, forged: str) -> None:
    r = world.anon.as_token(forged).get("/orders")
    assert r.status_code == 401


def test_a_key_is_bound_to_its_tenant_and_its_secret(world: World) -> None:
    key = make_key(world.admin, "orders.read_all")["key"]
    _, tenant, key_id, secret = key.split("_", 3)
    other_tenant = f"ogk_globex_{key_id}_{secret}"
    other_secret = f"ogk_{tenant}_{key_id}_{'B' * 43}"
    assert world.anon.as_token(other_tenant).get("/orders").status_code == 401
    assert world.anon.as_token(other_secret).get("/orders").status_code == 401


def test_only_grantable_staff_permissions_and_only_administrators(world: World) -> None:
    for perms in (["tenant.admin"], ["orders.place"], ["nonsense"]):
        r = world.admin.post("/api-keys", {"name": "x", "permissions": perms})
        assert r.status_code == 422, r.body
        assert r.json["error"]["details"][0]["field"] == "permissions"
    assert world.desk.post("/api-keys", {"name": "x", "permissions": []}).status_code == 403
    assert world.buyer.get("/api-keys").status_code == 403
    assert world.admin.get("/api-keys").json["items"] == []


def test_last_used_at_is_written_at_most_once_a_minute(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.services import api_keys as service
    from chalicelib.storage import api_keys as store

    created = make_key(world.admin, "orders.read_all")
    erp = world.anon.as_token(created["key"])
    writes: list[str] = []
    real_touch = store.touch

    def counting_touch(tenant: str, key_id: str, now: str, not_since: str) -> None:
        writes.append(now)
        real_touch(tenant, key_id, now, not_since)

    monkeypatch.setattr(store, "touch", counting_touch)
    for _ in range(5):
        assert erp.get("/orders").status_code == 200
    assert len(writes) == 1
    first = world.admin.get(f"/api-keys/{created['id']}").json["last_used_at"]
    assert first is not None
    # Two minutes later the next use is recorded again.
    later = datetime.now(UTC) + timedelta(minutes=2)
    monkeypatch.setattr(service, "utcnow", lambda: later)
    assert erp.get("/orders").status_code == 200
    assert len(writes) == 2
    assert world.admin.get(f"/api-keys/{created['id']}").json["last_used_at"] > first
