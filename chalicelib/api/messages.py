"""pydantic's validation errors as sentences for a person (API.md: never a library's wording).

One translation, used for JSON bodies (`api/http.py`), query parameters and CSV cells
(`api/csv_products.py`): each error's `type` and `ctx` become a sentence that names the field the
caller got wrong ("lines[0].quantity must be above 0 and at most 1000000."). Our own validators'
messages ("money must be a decimal string such as ...") are reworded to name the field too.
"""

from __future__ import annotations

from typing import Any

# The generic subjects our validators' messages start with ("quantity must be ..."): replaced by
# the field's name, so a message names the field the caller got wrong.
_GENERIC_SUBJECTS = ("money", "quantity", "tax_rate", "stock", "value")
_VERBS = ("must", "has", "is", "may")


def field_path(loc: tuple[int | str, ...] | list[int | str]) -> str:
    """('lines', 0, 'quantity') → 'lines[0].quantity', the form API.md's error details use."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def _ended(text: str) -> str:
    return text if text.endswith((".", "?", "!")) else text + "."


def _own_message(name: str, message: str) -> str:
    """A validator's own message, naming the field: "money must be ..." → "base_price must be ..."."""
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    message = message.strip()
    words = message.split(" ", 2)
    if not name:
        return _sentence(message)
    if len(words) >= 2 and words[0] in _GENERIC_SUBJECTS and words[1] in _VERBS:
        return _ended(f"{name} {message.split(' ', 1)[1]}")
    if words and words[0] in _VERBS:
        return _ended(f"{name} {message}")
    if words and words[0] == "not":  # "not a calendar date"
        return _ended(f"{name} is {message}")
    if words and words[0] == "use":  # "use true or false"
        return f"Use {message.split(' ', 1)[1].rstrip('.')} for {name}."
    return _sentence(message)


def _items(n: Any) -> str:
    return "one item" if n == 1 else f"{n} items"


def _characters(n: Any) -> str:
    return "one character" if n == 1 else f"{n:,} characters" if isinstance(n, int) else f"{n} characters"


def describe(error: Any, name: str | None = None) -> str:
    """One pydantic error (an item of `ValidationError.errors()`) as a sentence naming its field."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    field = name if name is not None else field_path(error.get("loc") or ())
    subject = field or "The request body"
    if kind == "missing":
        return f"Give {field}." if field else "Something is missing from the request body."
    if kind == "extra_forbidden":
        return f"{field} is not a field of this request; remove it." if field else "Remove the unknown field."
    if kind in ("model_type", "model_attributes_type", "dict_type", "dataclass_type"):
        return f"{field} must be an object." if field else "The request body must be a JSON object."
    if kind in ("list_type", "tuple_type", "set_type", "iterable_type"):
        return f"{subject} must be a list."
    if kind in ("string_type", "string_unicode", "str_type"):
        return f"{subject} must be text."
    if kind == "string_too_short":
        n = ctx.get("min_length", 1)
        return f"{subject} may not be empty." if n == 1 else f"{subject} must be at least {_characters(n)} long."
    if kind == "string_too_long":
        return f"{subject} may be at most {_characters(ctx.get('max_length'))} long."
    if kind == "string_pattern_mismatch":
        return f"{subject} is not in the expected format."
    text = isinstance(error.get("input"), str)  # a length constraint on text, not on a list
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        if text:
            return f"{subject} may not be empty." if n == 1 else f"{subject} must be at least {_characters(n)} long."
        return f"Give at least {_items(n)} in {subject}."
    if kind == "too_long":
        if text:
            return f"{subject} may be at most {_characters(ctx.get('max_length'))} long."
        return f"Give at most {_items(ctx.get('max_length'))} in {subject}."
    if kind in ("int_type", "int_parsing", "int_from_float", "float_type", "float_parsing", "decimal_type"):
        return f"{subject} must be a number."
    if kind in ("decimal_parsing", "finite_number"):
        return f"{subject} must be a finite number."
    if kind in ("decimal_max_places",):
        return f"{subject} has at most {ctx.get('decimal_places')} decimal places."
    if kind in ("decimal_max_digits", "decimal_whole_digits"):
        return f"{subject} has too many digits."
    if kind == "greater_than":
        return f"{subject} must be above {ctx.get('gt')}."
    if kind == "greater_than_equal":
        return f"{subject} must be at least {ctx.get('ge')}."
    if kind == "less_than":
        return f"{subject} must be below {ctx.get('lt')}."
    if kind == "less_than_equal":
        return f"{subject} must be at most {ctx.get('le')}."
    if kind in ("bool_type", "bool_parsing"):
        return f"{subject} must be true or false."
    if kind in ("literal_error", "enum"):
        return f"{subject} must be one of {ctx.get('expected', 'the documented values')}."
    if kind.startswith("date") or kind.startswith("datetime"):
        return f"{subject} must be a date as YYYY-MM-DD."
    if kind in ("none_required",):
        return f"{subject} must be null."
    if kind in ("value_error", "assertion_error"):
        return _own_message(field, str(error.get("msg", "")))
    if kind in ("json_invalid", "json_type"):
        return f"{subject} must be valid JSON."
    if kind.startswith("union_tag") or kind == "union_type":
        return f"{subject} is not one of the accepted shapes."
    return f"{subject} is not valid." if field else "The request body is not valid."


def summary(details: list[dict[str, Any]]) -> str:
    """The top-level message of a 422: the one problem, or how many there are."""
    if len(details) == 1:
        return str(details[0]["message"])
    return f"{len(details)} fields are not valid; see details."
