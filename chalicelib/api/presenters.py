"""Domain objects → response models. The only place that decides what a caller may see of them."""

from __future__ import annotations

import dataclasses

from chalicelib.api.schemas.admin import (
    CustomerOut,
    CustomerPortalOut,
    GroupOut,
    SettingsOut,
    SiteOut,
    UserOut,
)
from chalicelib.auth.principal import Principal
from chalicelib.domain.model import Customer, SecurityGroup, Site, TenantSettings, User


def settings_out(s: TenantSettings) -> SettingsOut:
    return SettingsOut.model_validate(dataclasses.asdict(s))


def group_out(g: SecurityGroup) -> GroupOut:
    return GroupOut(id=g.id, name=g.name, kind=g.kind.value, permissions=g.permissions, builtin=g.builtin)


def site_out(s: Site) -> SiteOut:
    return SiteOut.model_validate(dataclasses.asdict(s))


def user_out(u: User) -> UserOut:
    data = dataclasses.asdict(u)
    data.pop("password_hash")  # never leaves the service
    data["kind"] = u.kind.value
    return UserOut.model_validate(data)


def customer_out(c: Customer, principal: Principal) -> CustomerOut | CustomerPortalOut:
    data = dataclasses.asdict(c)
    if principal.is_customer:
        return CustomerPortalOut.model_validate(data)
    return CustomerOut.model_validate(data)
