"""E-mail texts per locale, from files a translator can edit.

`templates/{locale}.json` holds the words of one language: labels, status names, and per event a
subject, a message, and the label of its note. All of it is plain text. `templates/layout.json` holds
the one shape of every e-mail, in text and in HTML; it is the only place with markup, and every value
put into the HTML is escaped first, so neither user input nor a translation can inject markup.
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Any

SUPPORTED = ("en", "fr", "pl", "bg")
FALLBACK = "en"
DIRECTORY = Path(__file__).resolve().parent / "templates"

# What a locale's sentences may say: values about the event (user text among them).
VALUE_FIELDS = frozenset(
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
        "note",
        "document",
        "file",
        "amount",
        "due_date",
        "carrier",
        "tracking",
        "parcel",
        "remaining",
        "link",
        "portal",
        "company_code",
        "username",
        "customer_numbers",
        # the approval e-mail (layout "approval"): each multi-line text is rendered by events.py
        "lines",
        "lines_more",
        "net",
        "tax",
        "reasons",
        "approve_link",
        "reject_link",
    }
)
# What the layout may use besides: the locale's words, and the parts rendered from them.
PART_FIELDS = frozenset({"greeting", "message", "footer", "note_label", "colon", "lang"})
BLOCK = "block_"
LABEL = "label_"

_formatter = string.Formatter()


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def fields_of(template: str) -> list[str]:
    return [name for _, name, _, _ in _formatter.parse(template) if name is not None]


def fill(template: str, values: Mapping[str, str]) -> str:
    return _formatter.vformat(template, (), values)


def pick(*preferences: str | None) -> str:
    """The first supported locale among the preferences (the reader's, the tenant's), else English."""
    for code in preferences:
        if code and code.lower() in SUPPORTED:
            return code.lower()
    return FALLBACK


@lru_cache(maxsize=1)
def layout() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DIRECTORY / "layout.json").read_text(encoding="utf-8"))
    return data


@lru_cache(maxsize=len(SUPPORTED))
def language(code: str) -> Language:
    data = json.loads((DIRECTORY / f"{pick(code)}.json").read_text(encoding="utf-8"))
    return Language(pick(code), data)


class Language:
    def __init__(self, code: str, data: dict[str, Any]) -> None:
        self.code = code
        self.data = data
        self.events: dict[str, dict[str, str]] = data["events"]
        self.labels: dict[str, str] = data["labels"]
        self.statuses: dict[str, str] = data["statuses"]

    # --- formats ------------------------------------------------------------------------------------
    def money(self, amount: str | Decimal | None, currency: str) -> str:
        """`1234.5` → "1,234.50 EUR" in English, "1 234,50 EUR" in French (decimal, never float)."""
        if amount is None or amount == "":
            return ""
        try:
            value = Decimal(str(amount))
        except InvalidOperation:
            return f"{amount} {currency}".strip()
        fmt = self.data["number_format"]
        integer, _, cents = f"{value:,.2f}".partition(".")
        return f"{integer.replace(',', fmt['group'])}{fmt['decimal']}{cents} {currency}".strip()

    def date(self, value: str | None) -> str:
        if not value:
            return ""
        try:
            return date.fromisoformat(value[:10]).strftime(self.data["date_format"])
        except ValueError:
            return value

    def status(self, value: str | None) -> str:
        return self.statuses.get(value or "", value or "")

    # --- rendering ----------------------------------------------------------------------------------
    def render(self, event: str, values: Mapping[str, str | None]) -> Rendered:
        entry = self.events[event]
        plain = {name: "" for name in VALUE_FIELDS} | {k: v or "" for k, v in values.items()}
        words = {f"{LABEL}{k}": v for k, v in self.labels.items()} | {"colon": self.data["colon"], "lang": self.code}
        greeting = self.data["greeting"] if plain["recipient"] else self.data["greeting_anonymous"]
        parts = {
            "greeting": fill(greeting, plain),
            "message": fill(entry["message"], plain) + _covering(self.data, plain),
            "footer": fill(entry.get("footer", ""), plain),
            "note_label": entry.get("note_label", ""),
        }
        subject = " ".join(fill(entry["subject"], plain).split())  # one line: it becomes a header
        shape = layout()["layouts"][entry.get("layout", "order")]
        text_values = plain | words | parts
        html_values = {k: _html(v) for k, v in text_values.items()}
        text = _assemble(shape["text"], text_values, "text")
        html = _assemble(shape["html"], html_values, "html")
        return Rendered(subject, text, html)


def _covering(data: dict[str, Any], values: dict[str, str]) -> str:
    """A delegate's e-mail names the approver they stand in for."""
    return " " + fill(data["on_behalf"], values) if values.get("covered") else ""


def _html(value: str) -> str:
    return escape(value, quote=True).replace("\n", "<br>\n")


def _assemble(lines: list[str], values: dict[str, str], mode: str) -> str:
    """Fill the layout's lines; a block shows only when every value it uses is there, and a line
    holding nothing but an empty block disappears."""
    blocks: dict[str, dict[str, str]] = layout()["blocks"]
    out: list[str] = []
    for line in lines:
        filled_blocks: dict[str, str] = {}
        for name in fields_of(line):
            if name.startswith(BLOCK):
                template = blocks[name.removeprefix(BLOCK)][mode]
                shown = all(values.get(f) for f in fields_of(template))
                filled_blocks[name] = fill(template, values) if shown else ""
        alone = line.strip()[1:-1]
        if line.strip() == f"{{{alone}}}" and alone in filled_blocks and not filled_blocks[alone]:
            continue
        out.append(fill(line, values | filled_blocks))
    return "\n".join(out) + "\n"
