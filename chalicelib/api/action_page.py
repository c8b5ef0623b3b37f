"""The pages opened from an e-mail (API.md "Acting from an e-mail", and the invitation and password-reset
pages): server-rendered HTML from rendering/templates (Jinja2, autoescaped), in the language of the e-mail
that carried the link.

No JavaScript, no external resources: the decision is a plain form a person submits, so a mail scanner
that opens the link (or even runs scripts) decides nothing. Responses are `no-store`, `no-referrer` and
cannot be framed.
"""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.rendering.words import Words, words
from chalicelib.services.action_links import DECISIONS, MAX_REASON, ActionView
from chalicelib.services.password_links import PasswordView

# Who may load what: nothing but this page's own inline style; the form posts back to this origin only.
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
}


def html(template: str, status: int = 200, **context: Any) -> Response:
    from chalicelib.rendering.render import render

    context.setdefault("error", None)
    context.setdefault("sentences", [])
    return Response(
        body=render(template, **context),
        status_code=status,
        headers={"Content-Type": "text/html; charset=utf-8", **SECURITY_HEADERS},
    )


def render(view: ActionView, *, error: str | None = None, status: int = 200) -> Response:
    w = words(view.link.locale)
    number = view.number
    kind = view.link.kind  # approval, or proposal (accept or decline a proposal only an approver may accept)
    title = w.page(f"{kind}_title", number=number) if number else w.page(kind)
    heading = w.page("order_title", number=number) if number else w.page(kind)
    o = view.order
    if view.state == "open" and o is not None:
        return html(
            "action.html",
            status,
            w=w,
            title=title,
            heading=heading,
            error=error,
            order=o,
            submitter=next((h.by_name for h in reversed(o.history) if h.action == "submit"), None),
            reasons=[w.reason(r, o.currency) for r in view.reasons],
            proposed=o.proposed_totals() if kind == "proposal" and o.proposal else None,
            choices=choices(kind, w),
            max_reason=MAX_REASON,
            sentences=[w.page("open_until", at=w.moment(view.expires_at))],
        )
    return html(
        "action.html", status, w=w, title=title, heading=heading, error=error, order=None, sentences=spent(view, w)
    )


def choices(kind: str, w: Words) -> list[dict[str, Any]]:
    """A kind of link's choices (services/action_links.py DECISIONS): the first decides as it is, the second
    (reject, decline) asks for a reason."""
    yes, no = DECISIONS[kind]
    return [
        {"decision": yes, "intro": w.page(f"{yes}_intro"), "button": w.page(yes), "reason": False},
        {"decision": no, "intro": w.page(f"{no}_intro"), "button": w.page(no), "reason": True},
    ]


def spent(view: ActionView, w: Words) -> list[str]:
    """A spent link's page: what became of it and who decided what and when; nothing of the order's state."""
    d = view.decided
    decided = [w.decided(d.action, d.by_name, d.at)] if d is not None else []
    if view.state == "used":
        return [w.page("used"), *decided]
    if view.state == "expired":
        return [w.page("expired", at=w.moment(view.expires_at))]
    return [w.page("superseded"), *decided]


def not_found(locale: str | None = None) -> Response:
    w = words(locale)
    title = w.page("not_found_title")
    return html("page.html", 404, w=w, title=title, heading=title, sentences=[w.page("not_found")])


def refused(message: str, status: int, locale: str | None = None) -> Response:
    w = words(locale)
    title = w.page("refused_title")
    return html("page.html", status, w=w, title=title, heading=title, error=message)


def password_page(view: PasswordView, *, done: bool = False, error: str | None = None, status: int = 200) -> Response:
    """An invitation's or reset's page: the form while the link is open; afterwards what became of it."""
    w = words(view.link.locale)
    title = w.labels["set_password"]
    if done:
        sentences = [w.page("password_done")]
    elif view.state == "open":
        sentences = []
    else:
        sentences = [w.page("password_used" if view.state == "used" else "password_expired")]
    return html(
        "password.html",
        status,
        w=w,
        title=title,
        heading=title,
        error=error,
        open=view.state == "open" and not done,
        intro=w.page("password_intro", username=view.link.username),
        sentences=sentences,
    )
