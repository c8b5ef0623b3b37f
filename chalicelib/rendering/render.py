"""Jinja2 renders the e-mails (text and HTML) and the pages from templates/, with the words of words.py.

`*.html` templates are autoescaped (every value a user typed is escaped, whatever field it came through),
`*.txt` not (plain text has nothing to escape, but a value must not
make lines of its own: see `one_line` and `quoted`). Undefined names raise, so a template that names a
value nobody gives fails its test instead of printing nothing. Jinja2 is imported on the first render.

Text that phishes (issue 23): a single-line value (a name, a reference, a number) is written on one line,
its control characters, line breaks and bidirectional overrides replaced by spaces, so it cannot fake a line
of the e-mail; a multi-line value (a reason, a note, a message) keeps its lines but is written as a quoted
block, each line behind "> " in text and inside a bordered <blockquote> in HTML, so a fake
"Approve: https://..." line inside it reads as what someone typed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalicelib.rendering.words import Words

if TYPE_CHECKING:
    from jinja2 import Environment
    from markupsafe import Markup

TEMPLATES = Path(__file__).resolve().parent / "templates"
# C0/C1 controls, line and paragraph separators, bidi embeddings, overrides and isolates, BOM.
_CONTROL = re.compile("[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\ufeff]+")
_SPACES = re.compile(" {2,}")
_NEWLINE = re.compile("\r\n|[\r\n\u2028\u2029\u0085\u000b\u000c]")


def one_line(value: object) -> str:
    """A single-line value as one line of plain text, whatever it holds."""
    if value is None:
        return ""
    return _clean(str(value))


def _clean(line: str) -> str:
    # Runs of plain spaces collapse; no-break spaces stay (Babel writes "20,00\u00a0€" to keep it together).
    return _SPACES.sub(" ", _CONTROL.sub(" ", line)).strip(" ")


def text_lines(value: object) -> list[str]:
    """A multi-line value's lines, each cleaned as a single-line value (empty lines kept)."""
    if value is None:
        return []
    return [_clean(line) for line in _NEWLINE.split(str(value).strip())]


def quoted(value: object) -> str:
    """A multi-line value as a quoted block of plain text: every line behind "> "."""
    return "\n".join(f"> {line}".rstrip() for line in text_lines(value))


def html_lines(value: object) -> Markup:
    """A multi-line value's lines, escaped, with <br> between them (for inside a <blockquote>)."""
    from markupsafe import Markup, escape

    return Markup("<br>\n").join(escape(line) for line in text_lines(value))


@lru_cache(maxsize=1)
def environment() -> Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["one_line"] = one_line
    env.filters["quoted"] = quoted
    env.filters["html_lines"] = html_lines
    return env


def render(template: str, **context: Any) -> str:
    if not template.endswith((".html", ".txt")):
        raise ValueError(f"{template}: a template is .html (escaped) or .txt (plain text)")
    return environment().get_template(template).render(**context)


# --- e-mails --------------------------------------------------------------------------------------------
# The values a catalog sentence may name (templates/email.* show some of them on lines of their own).
SENTENCE_VALUES = frozenset(
    {
        "recipient",
        "supplier",
        "number",
        "customer",
        "reference",
        "status",
        "total",
        "proposed_total",
        "actor",
        "document",
        "file",
        "amount",
        "due_date",
        "carrier",
        "tracking",
        "company_code",
        "username",
        "customer_numbers",
    }
)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Mail:
    """What an e-mail shows besides its event's sentences. Everything is plain text, as typed or as written
    by `Words`; links are URLs this system built (the portal's only when the tenant set `portal_url`)."""

    values: Mapping[str, str | None]  # SENTENCE_VALUES: single-line
    note: str | None = None  # multi-line: a reason, a proposal note, a message, an approver's changes
    lines: Iterable[str] = ()  # the approval e-mail's order lines (written by the caller, single-line each)
    parcel: Iterable[str] = ()  # a shipment's lines: in this parcel, and still to ship
    remaining: Iterable[str] = ()
    lines_more: str | None = None
    reasons: Iterable[str] = ()
    net: str | None = None
    tax: str | None = None
    order_link: str | None = None  # {portal_url}/orders/{id}
    portal_link: str | None = None  # {portal_url}/login
    approve_link: str | None = None  # the yes and no of a decision link: Approve/Reject, or Accept/Decline
    reject_link: str | None = None
    proposal: bool = False  # the links decide a proposal (Accept/Decline), not an approval
    password_link: str | None = None  # an invitation's or a reset's {public_api_url}/password-reset/{token}
    covered: str | None = None  # a delegate's e-mail: the approver they stand in for (single-line)


def _covering(w: Words, covered: str | None) -> str:
    """A delegate's e-mail names the approver they stand in for, after the event's sentence."""
    return " " + w.say(w.data["on_behalf"], covered=one_line(covered)) if covered and one_line(covered) else ""


def email(event: str, w: Words, mail: Mail) -> Rendered:
    entry: dict[str, str] = w.data["events"][event]
    values = {name: one_line(mail.values.get(name)) for name in SENTENCE_VALUES}
    context = {
        "w": w,
        "lang": w.code,
        "layout": entry.get("layout", "order"),
        "v": values,
        "greeting": w.say(w.data["greeting"] if values["recipient"] else w.data["greeting_anonymous"], **values),
        "message": w.say(entry["message"], **values) + _covering(w, mail.covered),
        "footer": w.say(entry.get("footer", ""), **values),
        "note_label": entry.get("note_label", ""),
        "note": mail.note if mail.note and mail.note.strip() else None,
        "lines": [one_line(line) for line in mail.lines],
        "parcel": [one_line(line) for line in mail.parcel],
        "remaining": [one_line(line) for line in mail.remaining],
        "lines_more": one_line(mail.lines_more),
        "reasons": [one_line(r) for r in mail.reasons],
        "net": one_line(mail.net),
        "tax": one_line(mail.tax),
        "order_link": mail.order_link,
        "portal_link": mail.portal_link,
        "approve_link": mail.approve_link,
        "reject_link": mail.reject_link,
        "yes_label": w.labels["accept" if mail.proposal else "approve"],
        "no_label": w.labels["decline" if mail.proposal else "reject"],
        "password_link": mail.password_link,
    }
    subject = one_line(w.say(entry["subject"], **values))  # one line: it becomes a header
    return Rendered(subject, render("email.txt", **context), render("email.html", **context))
