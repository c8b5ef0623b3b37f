"""Tenant settings and the creation of a whole tenant (settings, built-in groups, first admin)."""

from __future__ import annotations

import dataclasses

from pynamodb.exceptions import TransactWriteError, UpdateError

from chalicelib.domain.clock import now_iso
from chalicelib.domain.errors import DuplicateError, VersionMismatchError
from chalicelib.domain.model import CodeName, SecurityGroup, TenantSettings, User
from chalicelib.storage import keys
from chalicelib.storage.groups import group_item, index_item
from chalicelib.storage.items import TenantItem
from chalicelib.storage.mapping import item_values
from chalicelib.storage.table import find_item, is_condition_failure, transaction
from chalicelib.storage.users import user_items


def _to_domain(item: TenantItem) -> TenantSettings:
    return item_values(
        item,
        TenantSettings,
        delivery_methods=[CodeName(**m) for m in item.delivery_methods or []],
        payment_methods=[CodeName(**m) for m in item.payment_methods or []],
        approval_link_hours=int(item.approval_link_hours or 72),
        approval_reminder_hours=int(item.approval_reminder_hours or 0) or None,
        approval_escalation_hours=int(item.approval_escalation_hours or 0) or None,
    )


def _apply(item: TenantItem, s: TenantSettings) -> None:
    for f in dataclasses.fields(TenantSettings):
        if f.name in ("version", "delivery_methods", "payment_methods"):
            continue
        setattr(item, f.name, getattr(s, f.name))
    item.approval_reminder_hours = s.approval_reminder_hours or 0  # 0: never
    item.approval_escalation_hours = s.approval_escalation_hours or 0
    item.delivery_methods = [dataclasses.asdict(m) for m in s.delivery_methods]
    item.payment_methods = [dataclasses.asdict(m) for m in s.payment_methods]


def get_settings(tenant: str) -> TenantSettings | None:
    item = find_item(TenantItem, keys.tenant_settings(tenant))
    return _to_domain(item) if item is not None else None


def create_tenant(settings: TenantSettings, groups: list[SecurityGroup], admin: User) -> None:
    """All or nothing: a tenant never exists without its built-in groups and first administrator."""
    pk, sk = keys.tenant_settings(settings.slug)
    item = TenantItem(pk, sk, created_at=now_iso())
    _apply(item, settings)
    try:
        with transaction() as tx:
            tx.save(item)  # version condition: fails if the tenant exists
            for g in groups:
                tx.save(group_item(settings.slug, g))
            tx.save(index_item(settings.slug, groups))
            for it in user_items(settings.slug, admin):
                tx.save(it)
    except TransactWriteError as exc:
        if is_condition_failure(exc):
            raise DuplicateError(f"A tenant '{settings.slug}' already exists.") from exc
        raise


def save_settings(settings: TenantSettings) -> TenantSettings:
    """One conditional update on the version the caller read (no read first): a concurrent change
    makes this raise VersionMismatchError."""
    values = TenantItem(*keys.tenant_settings(settings.slug))
    _apply(values, settings)
    actions = []
    for f in dataclasses.fields(TenantSettings):
        if f.name in ("version", "slug"):
            continue
        attribute = getattr(TenantItem, f.name)
        value = getattr(values, f.name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    item = TenantItem(*keys.tenant_settings(settings.slug))
    item.version = settings.version  # PynamoDB adds `version = :read` and increments it
    try:
        item.update(actions=actions)
    except UpdateError as exc:
        if is_condition_failure(exc):
            raise VersionMismatchError() from exc
        raise
    return _to_domain(item)  # UpdateItem returned the new item
