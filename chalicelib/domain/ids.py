"""Opaque, time-ordered identifiers (ULID layout: 48-bit milliseconds + 80 random bits, Crockford base32).

Time order matters: items keyed by these ids list oldest-first in a Query, newest-first with
ScanIndexForward=False, without a separate timestamp key.
"""

from __future__ import annotations

import secrets
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id() -> str:
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_id_after(previous: str | None) -> str:
    """A new id that sorts after `previous` (an id made earlier in the same process, the same millisecond
    perhaps): the events one action records keep their order wherever they are sorted by id."""
    made = new_id()
    if previous is None or made > previous:
        return made
    digits = [_ALPHABET.index(c) for c in previous]
    for i in range(len(digits) - 1, -1, -1):  # previous + 1, in base 32
        digits[i] = (digits[i] + 1) % 32
        if digits[i]:
            break
    return "".join(_ALPHABET[d] for d in digits)
