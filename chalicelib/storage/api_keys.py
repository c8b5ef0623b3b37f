"""API keys of machine clients: stored as the SHA-256 of the key (a 256-bit random secret needs no
slow hash: there is nothing to guess), listed from their own partition, deleted at once."""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import DeleteError, PutError, UpdateError

from chalicelib.domain.errors import NotFoundError
from chalicelib.storage import keys
from chalicelib.storage.items import ApiKeyItem
from chalicelib.storage.paging import Page, partition_page
from chalicelib.storage.table import find_item, is_condition_failure


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    permissions: tuple[str, ...]
    prefix: str
    key_hash: str
    created_at: str
    created_by: str
    last_used_at: str | None


def _out(item: ApiKeyItem) -> ApiKey:
    return ApiKey(
        id=item.id,
        name=item.name,
        permissions=tuple(item.permissions or ()),
        prefix=item.prefix,
        key_hash=item.key_hash,
        created_at=item.created_at,
        created_by=item.created_by,
        last_used_at=item.last_used_at,
    )


def create(tenant: str, key: ApiKey) -> None:
    item = ApiKeyItem(
        *keys.api_key(tenant, key.id),
        id=key.id,
        name=key.name,
        permissions=list(key.permissions),
        prefix=key.prefix,
        key_hash=key.key_hash,
        created_at=key.created_at,
        created_by=key.created_by,
    )
    try:
        item.save(condition=ApiKeyItem.pk.does_not_exist())
    except PutError as exc:  # a fresh 128-bit id taken: never in practice, and never overwrite a key
        if is_condition_failure(exc):
            raise RuntimeError("api key id collision") from exc
        raise


def find(tenant: str, key_id: str) -> ApiKey | None:
    item = find_item(ApiKeyItem, keys.api_key(tenant, key_id))
    return _out(item) if item is not None else None


def get(tenant: str, key_id: str) -> ApiKey:
    found = find(tenant, key_id)
    if found is None:
        raise NotFoundError("api key")
    return found


def page(tenant: str, limit: int, cursor: str | None) -> Page[ApiKey]:
    return partition_page(ApiKeyItem, keys.api_keys_pk(tenant), limit, cursor, _out)


def delete(tenant: str, key_id: str) -> None:
    item = ApiKeyItem(*keys.api_key(tenant, key_id))
    try:
        item.delete(condition=ApiKeyItem.pk.exists(), add_version_condition=False)
    except DeleteError as exc:
        if is_condition_failure(exc):
            raise NotFoundError("api key") from exc
        raise


def touch(tenant: str, key_id: str, now: str, not_since: str) -> None:
    """Record a use, unless one was recorded at `not_since` or later (at most one write a minute).
    Conditional on the key still existing, so a use racing a delete never brings it back."""
    item = ApiKeyItem(*keys.api_key(tenant, key_id))
    try:
        item.update(
            actions=[ApiKeyItem.last_used_at.set(now)],
            condition=ApiKeyItem.pk.exists()
            & (ApiKeyItem.last_used_at.does_not_exist() | (ApiKeyItem.last_used_at < not_since)),
            add_version_condition=False,
        )
    except UpdateError as exc:
        if not is_condition_failure(exc):
            raise
