"""Approvers act from their e-mail: `/actions/{token}` (API.md "Acting from an e-mail").

No Authorization: the token is the credential. GET and HEAD only read (mail scanners open links, some
run scripts); the decision is a POST of the page's plain form, or JSON. A browser gets HTML, every
answer included (the page explains a used, expired or superseded link); a client asking for
`application/json` gets JSON and the error envelope. Every answer is no-store, no-referrer, unframeable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import parse_qs

from chalice.app import Blueprint, Response
from pydantic import BaseModel, ValidationError

from chalicelib.api.http import Ctx, endpoint, validation_error
from chalicelib.api.schemas.actions import ActionDecision, ActionOut
from chalicelib.domain.errors import MalformedRequestError, NotFoundError, OrderGateError

if TYPE_CHECKING:
    from chalicelib.services.action_links import ActionLinks, ActionView

bp = Blueprint(__name__)
TAGS = ("actions",)
FORM = "application/x-www-form-urlencoded"
PATH = "/actions/{token}"
Body = TypeVar("Body", bound=BaseModel)


def links() -> ActionLinks:
    from chalicelib.bootstrap import get_services

    return get_services().action_links


def wants_json(ctx: Ctx) -> bool:
    """JSON for a client that asks for it (or posts JSON); HTML for browsers and anything else."""
    accept = (ctx.header("accept") or "").lower()
    if "text/html" in accept:
        return False
    if "application/json" in accept:
        return True
    return ctx.request.method == "POST" and (ctx.header("content-type") or "").lower().startswith("application/json")


def as_json(view: ActionView, status: int = 200) -> Response:
    from chalicelib.api.action_page import SECURITY_HEADERS
    from chalicelib.api.order_presenters import order_out

    body = ActionOut(
        action=view.link.kind,  # type: ignore[arg-type]
        state=view.state,  # type: ignore[arg-type]
        expires_at=view.expires_at,
        reasons=view.reasons,
        order=order_out(view.order) if view.order is not None else None,
        order_number=view.number,
        decided=view.decided.__dict__ if view.decided else None,  # type: ignore[arg-type]
    ).model_dump(mode="json")
    return Response(body=body, status_code=status, headers={"Content-Type": "application/json", **SECURITY_HEADERS})


def with_security_headers(response: Response) -> Response:
    from chalicelib.api.action_page import SECURITY_HEADERS

    response.headers = {**(response.headers or {}), **SECURITY_HEADERS}
    return response


def refused(ctx: Ctx, exc: OrderGateError, again: Callable[[str, int], Response] | None = None) -> Response:
    """An action of a link page refused (the action pages' and the password pages'): the error envelope for
    JSON; for a browser the page again, as it is now, with what went wrong on top (`again`), or a page saying
    why there is none."""
    from chalicelib.api import action_page
    from chalicelib.api.errors import error_response, status_of

    if wants_json(ctx):
        return with_security_headers(error_response(exc))
    if isinstance(exc, NotFoundError):
        return action_page.not_found()
    if again is not None:
        try:
            message = exc.message if not exc.details else " ".join(d["message"] for d in exc.details)
            return again(message, status_of(exc))
        except OrderGateError:
            pass
    return action_page.refused(exc.message, status_of(exc))


def form_or_json(ctx: Ctx, model: type[Body]) -> Body:
    """The body of a link page's POST: the page's plain form (only the model's fields), or JSON."""
    if not (ctx.header("content-type") or "").lower().startswith(FORM):
        return ctx.body(model)
    try:
        fields = parse_qs(ctx.raw_body().decode("utf-8"), keep_blank_values=True, max_num_fields=10)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedRequestError("The form could not be read.") from exc
    try:
        return model.model_validate({k: v[0] for k, v in fields.items() if k in model.model_fields})
    except ValidationError as exc:
        raise validation_error(exc) from exc


def show(ctx: Ctx, token: str) -> Response:
    from chalicelib.api import action_page

    try:
        view = links().view(token)
    except OrderGateError as exc:
        return refused(ctx, exc)
    return as_json(view) if wants_json(ctx) else action_page.render(view)


@endpoint(
    bp,
    PATH,
    "GET",
    summary="The page of an approver's e-mail link (HTML; JSON on request)",
    public=True,
    response_model=ActionOut,
    response_content_type="text/html",
    tags=TAGS,
    html_errors=True,
)
def action_page_get(ctx: Ctx, token: str) -> Response:
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
def action_page_head(ctx: Ctx, token: str) -> Response:
    response = show(ctx, token)
    response.body = ""
    return response


@endpoint(
    bp,
    PATH,
    "POST",
    summary="Approve or reject (a proposal: accept or decline) from an approver's e-mail link (form or JSON)",
    public=True,
    request_model=ActionDecision,
    response_model=ActionOut,
    response_content_type="text/html",
    extra_content_types=(FORM,),
    errors=(409, 410, 422),
    tags=TAGS,
    html_errors=True,
)
def action_decide(ctx: Ctx, token: str) -> Response:
    from chalicelib.api import action_page

    try:
        body = form_or_json(ctx, ActionDecision)
        view = links().decide(token, body.decision, body.reason)
    except OrderGateError as exc:
        return refused(
            ctx, exc, lambda error, status: action_page.render(links().view(token), error=error, status=status)
        )
    return as_json(view) if wants_json(ctx) else action_page.render(view)
