"""Opaque, time-ordered identifiers (ULID layout: 48-bit milliseconds + 80 random bits, Crockford base32).

Time order matters: items keyed by these ids list oldest-first in a Query, newest-first with
ScanIndexForward=False, without a separate timestamp key.
"""

from __future__ import annotations

import secrets
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id(after: str | None = None) -> str:
    """A new id; with `after`, one that sorts after it even within the same millisecond (the events
    of one action keep their order in the event feed)."""
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    if after is not None:
        value = max(value, decode(after) + 1)
    return encode(value)


def floor_id(ms: int) -> str:
    """The smallest id of millisecond `ms`: every id made earlier sorts before it."""
    return encode(ms << 80)


def decode(id_: str) -> int:
    value = 0
    for c in id_:
        value = value * 32 + _ALPHABET.index(c)
    return value


def encode(value: int) -> str:
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))
