"""The page of an invitation or password-reset link: `/password-reset/{token}` (API.md "Authentication and
the caller"), with the rules of the action pages (api/routes/actions.py): no Authorization (the token is the
credential), GET and HEAD only read, a plain form (or JSON) sets the password; every answer no-store,
no-referrer, unframeable; HTML for browsers, JSON for a client asking for it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib.api.http import Ctx, endpoint
from chalicelib.api.routes.actions import FORM, form_or_json, refused, wants_json
from chalicelib.api.schemas.auth import PasswordLinkOut, PasswordSet
from chalicelib.domain.errors import OrderGateError

if TYPE_CHECKING:
    from chalicelib.services.password_links import PasswordLinks, PasswordView

bp = Blueprint(__name__)
TAGS = ("auth",)
PATH = "/password-reset/{token}"


def links() -> PasswordLinks:
    from chalicelib.bootstrap import get_services

    return get_services().password_links


def as_json(view: PasswordView, status: str) -> Response:
    from chalicelib.api.action_page import SECURITY_HEADERS

    body = PasswordLinkOut(
        status=status,  # type: ignore[arg-type]
        purpose=view.link.purpose,  # type: ignore[arg-type]
        expires_at=view.link.valid_until,
    ).model_dump(mode="json")
    return Response(body=body, status_code=200, headers={"Content-Type": "application/json", **SECURITY_HEADERS})


def show(ctx: Ctx, token: str) -> Response:
    from chalicelib.api import action_page

    try:
        view = links().view(token)
    except OrderGateError as exc:
        return refused(ctx, exc)
    return as_json(view, view.state) if wants_json(ctx) else action_page.password_page(view)


@endpoint(
    bp,
    PATH,
    "GET",
    summary="The page of an invitation or password-reset link (HTML; JSON on request)",
    public=True,
    response_model=PasswordLinkOut,
    response_content_type="text/html",
    tags=TAGS,
    html_errors=True,
)
def password_page_get(ctx: Ctx, token: str) -> Response:
    return show(ctx, token)


@endpoint(
    bp,
    PATH,
    "HEAD",
    summary="As GET, without the body (mail scanners); changes nothing",
    public=True,
    response_content_type="text/html",
    tags=TAGS,
    html_errors=True,
)
def password_page_head(ctx: Ctx, token: str) -> Response:
    response = show(ctx, token)
    response.body = ""
    return response


@endpoint(
    bp,
    PATH,
    "POST",
    summary="Set the password through an invitation or reset link (the page's form, or JSON); ends every session",
    public=True,
    request_model=PasswordSet,
    response_model=PasswordLinkOut,
    response_content_type="text/html",
    extra_content_types=(FORM,),
    errors=(410, 422),
    tags=TAGS,
    html_errors=True,
)
def password_page_post(ctx: Ctx, token: str) -> Response:
    from chalicelib.api import action_page

    try:
        view = links().set_password(token, form_or_json(ctx, PasswordSet).password)
    except OrderGateError as exc:
        return refused(
            ctx, exc, lambda error, status: action_page.password_page(links().view(token), error=error, status=status)
        )
    return as_json(view, "password_set") if wants_json(ctx) else action_page.password_page(view, done=True)
