"""The page an approver opens from an e-mail (API.md "Acting from an e-mail"): plain server-rendered HTML.

No JavaScript, no external resources: the decision is a plain form a person submits, so a mail scanner
that opens the link (or even runs scripts) decides nothing. Every value shown is escaped here, at the one
place values meet markup. Responses are `no-store`, `no-referrer` and cannot be framed.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from html import escape
from typing import Any

from chalice.app import Response

from chalicelib.domain.orders import Order
from chalicelib.services.action_links import MAX_REASON, ActionView

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

STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}"
    "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem;text-align:left}"
    "td.n,th.n{text-align:right}.box{border:1px solid #ccc;padding:1rem;margin:1rem 0}"
    "button{font-size:1rem;padding:.5rem 1.2rem;margin-top:.5rem}textarea{width:100%}"
)

DECISION_WORDS = {
    "approve": "approved",
    "reject": "rejected",
    "accept": "accepted",
    "decline": "declined",
    "cancel": "cancelled",
    "edit": "edited",
    "submit": "submitted again",
    "remind": "reminded with a fresh link (use the newest e-mail)",
    "escalate": "escalated with a fresh link (use the newest e-mail)",
}


# Each kind of link's two forms: (decision, button, what it does).
FORMS = {
    "approval": (
        ("approve", "Approve", "Approve this order: it goes to the supplier as it is."),
        ("reject", "Reject", "Reject this order: it goes back to the submitter's drafts."),
    ),
    "proposal": (
        ("accept", "Accept", "Accept the supplier's proposal: the order is confirmed with the proposed values."),
        ("decline", "Decline", "Decline the proposal: the order goes back to the supplier as it was requested."),
    ),
}


def e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def amount(value: Any, currency: str) -> str:
    try:
        return f"{Decimal(str(value)):,.2f} {currency}"
    except (InvalidOperation, ValueError):
        return f"{value} {currency}"


def reason_sentence(reason: dict[str, Any], currency: str) -> str:
    """Why approval is needed, as a sentence (plain text: escaped by the caller)."""
    code = reason.get("code")
    if code == "over_limit":
        if reason.get("limit") is not None:
            return f"The total is over the submitter's approval limit of {amount(reason['limit'], currency)}."
        return "The submitter has no approval limit: every order of theirs needs approval."
    if code == "over_budget":
        parts = ["The order takes the month over the customer's budget"]
        if reason.get("budget") is not None:
            parts.append(f" of {amount(reason['budget'], currency)}")
        if reason.get("spent") is not None:
            parts.append(f": {amount(reason['spent'], currency)} spent")
            if reason.get("remaining") is not None:
                parts.append(f", {amount(reason['remaining'], currency)} remaining")
        return "".join(parts) + "."
    return "Your organisation's policy asks for approval of every order."


def page(title: str, body: str, status: int = 200) -> Response:
    html = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex, nofollow">'
        f"<title>{e(title)}</title><style>{STYLE}</style></head>\n<body>\n{body}\n</body></html>\n"
    )
    return Response(
        body=html, status_code=status, headers={"Content-Type": "text/html; charset=utf-8", **SECURITY_HEADERS}
    )


def _order_block(o: Order, reasons: list[dict[str, Any]]) -> str:
    submitter = next((h.by_name for h in reversed(o.history) if h.action == "submit"), None)
    rows = "".join(
        f'<tr><td>{e(line.sku)}</td><td>{e(line.name)}</td><td class="n">{e(line.quantity)}</td>'
        f'<td class="n">{e(amount(line.unit_price, o.currency))}</td>'
        f'<td class="n">{e(amount(line.net, o.currency))}</td></tr>'
        for line in o.lines
    )
    t = o.totals
    why = "".join(f"<li>{e(reason_sentence(r, o.currency))}</li>" for r in reasons)
    return (
        f"<p>Customer: <strong>{e(o.customer_name)}</strong>"
        + (f"<br>Submitted by: {e(submitter)}" if submitter else "")
        + (f"<br>Customer reference: {e(o.customer_reference)}" if o.customer_reference else "")
        + "</p>"
        + (f"<h2>Why approval is needed</h2><ul>{why}</ul>" if why else "")
        + '<h2>Lines</h2><table><thead><tr><th>SKU</th><th>Product</th><th class="n">Quantity</th>'
        '<th class="n">Unit price</th><th class="n">Net</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
        "<table><tbody>"
        f'<tr><td>Net</td><td class="n">{e(amount(t.net, o.currency))}</td></tr>'
        f'<tr><td>Tax</td><td class="n">{e(amount(t.tax, o.currency))}</td></tr>'
        f'<tr><th>Total (gross)</th><th class="n">{e(amount(t.gross, o.currency))}</th></tr>'
        + (
            f'<tr><th>Proposed total (gross)</th><th class="n">{e(amount(o.proposed_totals().gross, o.currency))}'
            "</th></tr>"
            if o.proposal
            else ""
        )
        + "</tbody></table>"
    )


def render(view: ActionView, *, error: str | None = None, status: int = 200) -> Response:
    o = view.order
    number = o.number if o else ""
    title = f"Order {number}: approval" if number else "Approval"
    head = f"<h1>Order {e(number)}</h1>" if number else "<h1>Approval</h1>"
    notice = f'<p class="box" role="alert"><strong>{e(error)}</strong></p>' if error else ""
    if view.state == "open" and o is not None:
        yes, no = FORMS[view.link.kind]
        forms = (
            f'<form method="post" class="box"><input type="hidden" name="decision" value="{yes[0]}">'
            f"<p>{yes[2]}</p>"
            f'<button type="submit" name="{yes[0]}">{yes[1]}</button></form>'
            f'<form method="post" class="box" id="reject"><input type="hidden" name="decision" value="{no[0]}">'
            f'<p><label for="reason">{no[2]} Reason:</label></p>'
            f'<textarea id="reason" name="reason" rows="3" maxlength="{MAX_REASON}" required></textarea>'
            f'<button type="submit" name="{no[0]}">{no[1]}</button></form>'
            f"<p>This link works once and until {e(view.expires_at)}.</p>"
        )
        return page(title, head + notice + _order_block(o, view.reasons) + forms, status)
    return page(
        title,
        head
        + notice
        + f'<p class="box">{e(state_sentence(view))}</p>'
        + (_order_block(o, view.reasons) if o is not None else ""),
        status,
    )


def state_sentence(view: ActionView) -> str:
    d = view.decided
    if view.state == "used":
        who = f" by {d.by_name}" if d and d.by_name else ""
        what = DECISION_WORDS.get(d.action, "decided") if d else "decided"
        when = f" on {d.at}" if d else ""
        return f"This link has been used: the order was {what}{who}{when}. Nothing more is needed."
    if view.state == "expired":
        return f"This link expired on {view.expires_at}. Open the order in the portal to decide on it."
    if view.state == "superseded":
        if d is not None:
            who = f" by {d.by_name}" if d.by_name else ""
            return (
                f"The order changed since this e-mail was sent: it was {DECISION_WORDS.get(d.action, d.action)}{who} "
                f"on {d.at}. This link no longer decides anything."
            )
        return "The order changed since this e-mail was sent. This link no longer decides anything."
    return ""


def not_found() -> Response:
    return page(
        "Link not found",
        '<h1>Link not found</h1><p class="box">This link is not valid. Check that it was '
        "copied whole, or open the order in the portal.</p>",
        404,
    )


def refused(message: str, status: int) -> Response:
    return page("Not done", f'<h1>Not done</h1><p class="box" role="alert">{e(message)}</p>', status)
