"""Login, token refresh, logout and the caller's own account."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib.api.http import Ctx, endpoint, json_response, no_content
from chalicelib.api.schemas.auth import (
    ChangePasswordRequest,
    LoginRequest,
    LogoutRequest,
    MeResponse,
    RefreshRequest,
    TokenPairResponse,
)
from chalicelib.bootstrap import get_services

if TYPE_CHECKING:
    from chalicelib.services.auth import TokenPair

bp = Blueprint(__name__)
TAGS = ("auth",)


def _pair(p: TokenPair) -> Response:
    return json_response(
        TokenPairResponse(access_token=p.access_token, expires_in=p.expires_in, refresh_token=p.refresh_token)
    )


@endpoint(
    bp,
    "/auth/login",
    "POST",
    summary="Log in",
    public=True,
    request_model=LoginRequest,
    response_model=TokenPairResponse,
    tags=TAGS,
    errors=(401, 429),
)
def login(ctx: Ctx) -> Response:
    body = ctx.body(LoginRequest)
    return _pair(get_services().auth.login(body.tenant, body.username, body.password, body.customer_number))


@endpoint(
    bp,
    "/auth/refresh",
    "POST",
    summary="Exchange a refresh token for a new pair",
    public=True,
    request_model=RefreshRequest,
    response_model=TokenPairResponse,
    tags=TAGS,
    errors=(401,),
)
def refresh(ctx: Ctx) -> Response:
    return _pair(get_services().auth.refresh(ctx.body(RefreshRequest).refresh_token))


@endpoint(
    bp,
    "/auth/logout",
    "POST",
    summary="End this session",
    request_model=LogoutRequest,
    status=204,
    tags=TAGS,
    body_optional=True,
    caller="token",  # ending a session needs no rights: it works whatever became of the user
)
def logout(ctx: Ctx) -> Response:
    get_services().auth.logout(ctx.principal, ctx.body(LogoutRequest).refresh_token)
    return no_content()


@endpoint(bp, "/me", "GET", summary="The caller", response_model=MeResponse, tags=TAGS)
def me(ctx: Ctx) -> Response:
    p = ctx.principal
    user = get_services().auth.me(p)
    return json_response(
        MeResponse(
            id=user.id,
            tenant=p.tenant,
            kind=p.kind.value,
            username=user.username,
            name=user.name,
            email=user.email,
            locale=user.locale,
            permissions=sorted(p.permissions),
            customer_ids=list(p.customer_ids),
            site_ids=list(p.site_ids),
        )
    )


@endpoint(
    bp,
    "/me/password",
    "POST",
    summary="Change the caller's password",
    request_model=ChangePasswordRequest,
    status=204,
    tags=TAGS,
)
def change_password(ctx: Ctx) -> Response:
    body = ctx.body(ChangePasswordRequest)
    get_services().auth.change_password(ctx.principal, body.current_password, body.new_password)
    return no_content()
