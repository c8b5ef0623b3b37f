"""Field types shared by every request and response model."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

MAX_MONEY = Decimal("1000000000.00")


def _parse_money(value: Any) -> Decimal:
    # Money travels as a decimal string: a JSON float would already have lost precision.
    # A Decimal can only come from our own code (JSON has none): presenters build responses from it.
    if isinstance(value, Decimal):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError('money must be a decimal string such as "12.50"')
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:
        raise ValueError('money must be a decimal string such as "12.50"') from exc
    if not amount.is_finite() or amount < 0 or amount > MAX_MONEY:
        raise ValueError("money must be between 0.00 and 1000000000.00")
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError("money has at most 2 decimal places")
    return amount.quantize(Decimal("0.01"))


Money = Annotated[
    Decimal,
    BeforeValidator(_parse_money),
    PlainSerializer(lambda d: f"{d:.2f}", return_type=str, when_used="json"),
    Field(json_schema_extra={"type": "string", "pattern": r"^\d{1,10}(\.\d{1,2})?$"}),
]


def _no_control_chars(value: str) -> str:
    if any(ord(c) < 32 and c not in "\t\n\r" for c in value):
        raise ValueError("must not contain control characters")
    return value


Text = Annotated[str, AfterValidator(_no_control_chars)]
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_no_control_chars)]
ShortText = Annotated[str, Field(max_length=500), AfterValidator(_no_control_chars)]
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-/]*$")]
Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]
Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Locale = Annotated[str, Field(pattern=r"^[a-z]{2}$")]


class RequestModel(BaseModel):
    """Request bodies refuse unknown fields: a typo must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class ResponseModel(BaseModel):
    model_config = ConfigDict(extra="ignore")
