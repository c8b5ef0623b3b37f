"""Trying a write again when another writer got there first (an optimistic write that lost a race, a
DynamoDB TransactionConflict): `attempts` paces the tries with a growing, jittered pause, so writers that
collided do not collide again in step. What AWS refuses for throttling, botocore retries by itself: its
standard retry mode, on every client bootstrap.py builds and on PynamoDB's (its default)."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator


def attempts(limit: int, pause: float) -> Iterator[int]:
    """The tries 0 to limit - 1; before each after the first, a random pause of up to `pause` times its number."""
    for attempt in range(limit):
        if attempt:
            time.sleep(random.uniform(0, pause * attempt))  # noqa: S311 - jitter, not crypto
        yield attempt
