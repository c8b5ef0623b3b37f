"""The page of an invitation or password-reset link: `/password-reset/{token}` (API.md "Authentication and
the caller"), with the rules of the action pages (api/routes/actions.py): no Authorization (the token is the
credential), GET and HEAD only read, a plain form (or JSON) sets the password; every answer no-store,
no-referrer, unframeable; HTML for browsers, JSON for a client asking for it."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from chalice.app import Blueprint, Response
from pydantic import ValidationError

from chalicelib.api.http import Ctx, endpoint, validation_error
from chalicelib.api.routes.actions import FORM, wants_json, with_security_headers
from chalicelib.api.schemas.auth import PasswordLinkOut, PasswordSet
from chalicelib.domain.errors import MalformedRequestError, NotFoundError, OrderGateError

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


def refused(ctx: Ctx, exc: OrderGateError, token: str) -> Response:
    from chalicelib.api import action_page
    from chalicelib.api.errors import error_response, status_of

    if wants_json(ctx):
        return with_security_headers(error_response(exc))
    if isinstance(exc, NotFoundError):
        return action_page.not_found()
    try:  # the page again, as it is now, with what went wrong on top
        view = links().view(token)
    except OrderGateError:
        return action_page.refused(exc.message, status_of(exc))
    message = exc.message if not exc.details else " ".join(d["message"] for d in exc.details)
    return action_page.password_page(view, error=message, status=status_of(exc))


def show(ctx: Ctx, token: str) -> Response:
    from chalicelib.api import action_page

    try:
        view = links().view(token)
    except OrderGateError as exc:
        return refused(ctx, exc, token)
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
        view = links().set_password(token, password_of(ctx).password)
    except OrderGateError as exc:
        return refused(ctx, exc, token)
    return as_json(view, "password_set") if wants_json(ctx) else action_page.password_page(view, done=True)


def password_of(ctx: Ctx) -> PasswordSet:
    if not (ctx.header("content-type") or "").lower().startswith(FORM):
        return ctx.body(PasswordSet)
    try:
        fields = parse_qs(ctx.raw_body().decode("utf-8"), keep_blank_values=True, max_num_fields=10)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedRequestError("The form could not be read.") from exc
    try:
        return PasswordSet.model_validate({k: v[0] for k, v in fields.items() if k == "password"})
    except ValidationError as exc:
        raise validation_error(exc) from exc
