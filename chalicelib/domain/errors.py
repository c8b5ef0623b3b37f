"""Typed domain errors. `api/errors.py` maps each to one HTTP status; nothing else does."""

from __future__ import annotations

from typing import Any


class OrderGateError(Exception):
    """Base of every error a client may see. `code` is the API's snake_case error code."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None, details: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details or []


class MalformedRequestError(OrderGateError):
    code = "malformed_request"


class UnauthenticatedError(OrderGateError):
    code = "unauthenticated"


class InvalidCredentialsError(UnauthenticatedError):
    code = "invalid_credentials"

    def __init__(self) -> None:
        # One message for every kind of bad login, so the answer never tells which part was wrong.
        super().__init__("The tenant, customer number, username or password is not correct.")


class ForbiddenError(OrderGateError):
    code = "forbidden"


class NotFoundError(OrderGateError):
    code = "not_found"

    def __init__(self, what: str = "resource") -> None:
        super().__init__(f"The {what} does not exist.")


class ConflictError(OrderGateError):
    code = "conflict"


class TransactionConflictError(ConflictError):
    """DynamoDB cancelled a write for another transaction under way on one of its items: nothing was
    written and no condition failed, so the write may be tried again; a 409 once the retries run out."""

    def __init__(self) -> None:
        super().__init__("The data is being changed by others right now; try again.")


class DuplicateError(ConflictError):
    code = "duplicate"


class InvalidTransitionError(ConflictError):
    code = "invalid_transition"


class LinkUsedError(ConflictError):
    """An approver's one-time e-mail link was spent already (or is gone, or ran out) when the decision it
    carried was written: nothing was written. The action page says by whom (services/action_links.py)."""

    code = "action_used"

    def __init__(self) -> None:
        super().__init__("This link was used already.")


class GoneError(OrderGateError):
    """What the request names existed but is no longer usable (an expired action link)."""

    code = "gone"


class VersionMismatchError(OrderGateError):
    code = "version_mismatch"

    def __init__(self) -> None:
        super().__init__("The resource was changed since you read it; fetch it again and retry.")


class PayloadTooLargeError(OrderGateError):
    code = "payload_too_large"


class ValidationFailedError(OrderGateError):
    code = "validation_failed"


class TooManyAttemptsError(OrderGateError):
    code = "too_many_attempts"

    def __init__(self, retry_after: int) -> None:
        self.retry_after = max(1, retry_after)  # seconds: the Retry-After header says the same
        super().__init__(f"Too many failed logins for this user; try again in {_wait(self.retry_after)}.")


def _wait(seconds: int) -> str:
    """45 → "45 seconds", 600 → "10 minutes", 601 → "11 minutes": never sooner than the header says."""
    if seconds < 60:
        return "1 second" if seconds == 1 else f"{seconds} seconds"
    minutes = -(-seconds // 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def invalid_field(field: str, message: str) -> ValidationFailedError:
    return ValidationFailedError("The request body failed validation.", details=[{"field": field, "message": message}])


# --- a write refused for something that changed since it was read: the use case reads again -------------
class BudgetExceededError(Exception):
    """A budget move's condition failed: the month was spent meanwhile. Read again and decide again."""


class NumberTakenError(Exception):
    """Another order took the order number read for this one: read the counter again."""


class ParentsMovedError(Exception):
    """The customer's stored line of parents, which an order's approval path was taken from, changed."""
