"""Field types shared by every request and response model."""

import re
import unicodedata
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema

from chalicelib.domain.money import MAX_AMOUNT

MAX_MONEY = MAX_AMOUNT
MONEY_PATTERN = r"^[0-9]{1,10}(\.[0-9]{1,2})?$"
# fullmatch and [0-9], not `$` and \d: Python's `$` also matches before a final newline, and its \d
# any script's digits ("١٢"), which Decimal() would then read.
_MONEY = re.compile(r"[0-9]{1,10}(\.[0-9]{1,2})?")
_SIGNED_DECIMAL = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")  # a number, but not money as written: says why
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _parse_money(value: Any) -> Decimal:
    # Money travels as a decimal string: a JSON float would already have lost precision. Only the
    # plain form: no sign, exponent, underscores or spaces (Decimal() would take "-0" or "1E+2").
    # Each refusal says what is wrong with the amount given, not only what a good one looks like.
    if isinstance(value, Decimal):  # from the domain, on the way out
        amount = value
    elif isinstance(value, str) and _MONEY.fullmatch(value):
        amount = Decimal(value)
    elif isinstance(value, str) and _SIGNED_DECIMAL.fullmatch(value):
        amount = Decimal(value)
        if amount < 0:
            raise ValueError("money must not be negative")
        if value.startswith(("+", "-")):  # "+5", "-0.00"
            raise ValueError('money is written without a sign, such as "12.50"')
        places = -int(amount.as_tuple().exponent)
        if places > 2:
            raise ValueError(f"money has at most 2 decimal places; {value} has {places}")
        raise ValueError(f"money must be at most {MAX_MONEY:.2f}")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError('money must be a string such as "12.50", not a JSON number (a float can lose cents)')
    else:
        raise ValueError('money must be a decimal string such as "12.50"')
    if not amount.is_finite() or amount < 0 or amount > MAX_MONEY:
        raise ValueError(f"money must be between 0.00 and {MAX_MONEY:.2f}")
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError("money has at most 2 decimal places")
    return amount.quantize(Decimal("0.01"))


Money = Annotated[
    Decimal,
    BeforeValidator(_parse_money),
    PlainSerializer(lambda d: f"{d:.2f}", return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": MONEY_PATTERN}),
]


def _positive(amount: Decimal) -> Decimal:
    if amount <= 0:
        raise ValueError("money must be more than 0.00")
    return amount


# An amount that records something (an invoice, a credit note, a payment): zero records nothing.
PositiveMoney = Annotated[Money, AfterValidator(_positive)]


def _parse_day(value: Any) -> date:
    # Only "YYYY-MM-DD": pydantic alone would also read 0 or 1700000000 as a Unix time.
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _DAY.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError("not a calendar date") from exc
    raise ValueError("must be a date as YYYY-MM-DD")


Day = Annotated[date, BeforeValidator(_parse_day), WithJsonSchema({"type": "string", "format": "date"})]


def _no_control_chars(value: str) -> str:
    # Every control character (C0, DEL and C1), but tab and line breaks: multi-line text keeps those.
    if any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in value):
        raise ValueError("must not contain control characters")
    return value


# Characters that reorder what a reader sees: bidi embeddings, overrides, isolates and their pops
# ("invoice\u202efdp.exe" shows as "invoiceexe.pdf").
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Line breaks that are not control characters (the C0/C1 ones, \n, \r and NEL, are).
_SEPARATORS = frozenset("\u2028\u2029")


def _single_line(value: str) -> str:
    # A single-line field (a name, a reference, a label, a filename, a subject) is shown inside lines of
    # e-mails and pages written by others: a line break there starts a line that seems to be theirs
    # (issue 23: "PO-7\n\nURGENT… Approve: https://evil.example/"), a bidi control disguises it.
    if any(unicodedata.category(c) == "Cc" or c in _SEPARATORS for c in value):
        raise ValueError("must be one line, without line breaks, tabs or control characters")
    if any(c in BIDI_CONTROLS for c in value):
        raise ValueError("must not contain characters that reorder text (bidi overrides or isolates)")
    return value


# Multi-line text (reasons, notes, messages, descriptions): line breaks are kept.
Text = Annotated[str, AfterValidator(_no_control_chars)]
# Single-line text: every field shown as one line (API.md "Text that stays text", issue 23).
Line = Annotated[str, AfterValidator(_single_line)]
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_single_line)]
ShortText = Annotated[str, Field(max_length=500), AfterValidator(_single_line)]
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-/]*$")]
Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]
# An approver's e-mail link token (services/action_links.py): the tenant, the ids of the users it names and
# its random part, longer than an id.
LinkToken = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_\-]+$")]
# A DNS name of at least two labels (a sender domain): letters, digits and inner hyphens, as SES takes them.
DomainName = Annotated[
    str,
    Field(
        min_length=3,
        max_length=253,
        pattern=r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$",
    ),
]
Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), AfterValidator(_single_line)]
Locale = Annotated[str, Field(pattern=r"^[a-z]{2}$")]
# A JSON true or false only (0 and "yes" are not); pydantic.StrictBool would load pydantic.types at import.
StrictFlag = Annotated[bool, Field(strict=True)]


# defer_build: a model's validator is built when first used, not when app.py imports every schema
# module for its routes (about 100 ms of each cold start, most of it for routes the request is not for).
class RequestModel(BaseModel):
    """Request bodies refuse unknown fields: a typo must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, defer_build=True)


class ResponseModel(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)
