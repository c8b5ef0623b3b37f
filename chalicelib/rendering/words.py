"""The words of one language: its catalog (catalogs/{code}.json, shared by the e-mails and the pages) and
Babel for money, numbers and dates. Every amount, date and approval reason a person reads is written here,
by one function each, so an e-mail and a page never say the same thing two ways.

Babel is imported on the first amount or date written, not when app.py is imported (cold start).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

SUPPORTED = ("en", "fr", "pl", "bg")
FALLBACK = "en"
CATALOGS = Path(__file__).resolve().parent / "catalogs"


def pick(*preferences: str | None) -> str:
    """The first supported locale among the preferences (the reader's, the tenant's), else English."""
    for code in preferences:
        if code and code.lower() in SUPPORTED:
            return code.lower()
    return FALLBACK


@lru_cache(maxsize=len(SUPPORTED))
def words(code: str | None) -> Words:
    chosen = pick(code)
    return Words(chosen, json.loads((CATALOGS / f"{chosen}.json").read_text(encoding="utf-8")))


class _Blank(dict[str, str]):
    """A sentence's placeholder without a value reads as nothing, never as a KeyError in an e-mail."""

    def __missing__(self, key: str) -> str:
        return ""


class Words:
    def __init__(self, code: str, data: dict[str, Any]) -> None:
        self.code = code
        self.data = data
        self.labels: dict[str, str] = data["labels"]
        self.pages: dict[str, str] = data["pages"]
        self.colon: str = data["colon"]

    def say(self, sentence: str, **values: object) -> str:
        """A catalog sentence with its placeholders filled (plain text: the templates escape it)."""
        return sentence.format_map(_Blank({k: "" if v is None else str(v) for k, v in values.items()}))

    def page(self, key: str, **values: object) -> str:
        return self.say(self.pages[key], **values)

    # --- formats (Babel) ------------------------------------------------------------------------------
    def money(self, amount: object, currency: str) -> str:
        """`1234.5` EUR → "€1,234.50" in English, "1 234,50 €" in French (decimal, never float)."""
        if amount is None or amount == "":
            return ""
        try:
            value = Decimal(str(amount))
        except InvalidOperation:
            return f"{amount} {currency}".strip()
        from babel.numbers import format_currency

        try:
            return str(format_currency(value, currency, locale=self.code))
        except ValueError:  # not a currency Babel knows (a code is only checked for its shape)
            return f"{value:,.2f} {currency}"

    def number(self, value: object) -> str:
        from babel.numbers import format_decimal

        try:
            return str(format_decimal(Decimal(str(value)), locale=self.code))
        except InvalidOperation:
            return str(value)

    def date(self, value: str | None) -> str:
        """`2026-04-01` → "Apr 1, 2026" / "1 avr. 2026"."""
        if not value:
            return ""
        try:
            day = date.fromisoformat(value[:10])
        except ValueError:
            return value
        from babel.dates import format_date

        return str(format_date(day, format="medium", locale=self.code))

    def moment(self, value: str | None) -> str:
        """An ISO 8601 UTC timestamp as the reader writes a date and time, in UTC (said so: a page cannot
        know the reader's time zone without JavaScript)."""
        if not value:
            return ""
        try:
            at = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        from babel.dates import format_datetime

        return str(format_datetime(at.astimezone(UTC), format="medium", tzinfo=UTC, locale=self.code)) + " UTC"

    # --- the words of the domain ----------------------------------------------------------------------
    def status(self, value: str | None) -> str:
        statuses: dict[str, str] = self.data["statuses"]
        return statuses.get(value or "", value or "")

    def reason(self, reason: dict[str, Any], currency: str) -> str:
        """Why an order waits (a reason of `approval_reasons` or `acceptance_reasons`: policy, over_limit,
        over_budget; or the supplier's credit_hold), as a sentence: the one rendering of a reason, for the
        e-mails, the action page and the API's `waiting_on` messages (in English)."""
        texts: dict[str, str] = self.data["reasons"]
        code = str(reason.get("code"))
        amounts = {
            k: self.money(reason[k], currency)
            for k in ("limit", "budget", "spent", "remaining")
            if reason.get(k) is not None
        }
        if code == "over_limit" and "limit" not in amounts:
            return texts["no_limit"]
        return self.say(texts.get(code, texts["policy"]), **amounts)

    def decided(self, action: str | None, by: str | None, at: str | None) -> str:
        """Who decided (or changed) an order, what and when: all a spent action link tells."""
        decisions: dict[str, str] = self.data["decisions"]
        what = decisions.get(action or "", decisions["other"])
        key = "decided" if by else "decided_anonymous"
        return self.page(key, what=what, who=by, at=self.moment(at))
