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
