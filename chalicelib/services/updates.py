"""Read-modify-write with optimistic locking, the one way services change an existing entity.

With `If-Match` the caller's version must still be current (else 412). Without it the change is
applied to the current state: a concurrent writer makes the conditional write fail, and the
change is re-applied to the fresh state, so no update is ever lost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from chalicelib.domain.errors import ConflictError, VersionMismatchError
from chalicelib.retry import attempts

ATTEMPTS = 10  # each round of concurrent writers lets one through: enough for a burst of them


class Versioned(Protocol):
    version: int


V = TypeVar("V", bound=Versioned)


def apply_change(
    expected: int | None,
    load: Callable[[], V],
    change: Callable[[V], V],
    write: Callable[[V, V], V],
) -> V:
    for _ in attempts(ATTEMPTS, pause=0.01):  # writers that collided spread out before they read again
        current = load()
        if expected is not None and current.version != expected:
            raise VersionMismatchError()
        after = change(current)
        try:
            return write(current, after)
        except VersionMismatchError:
            if expected is not None:
                raise
    raise ConflictError("The resource is being changed by others right now; try again.")
