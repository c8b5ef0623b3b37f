"""argon2id password hashing. The "fast" profile exists only so tests do not spend seconds hashing."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 10


@lru_cache(maxsize=2)
def _hasher(profile: str) -> PasswordHasher:
    if profile == "fast":
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()  # argon2id with the library's current recommended parameters


class Passwords:
    def __init__(self, profile: str = "production") -> None:
        self._ph = _hasher(profile)
        # Verifying against this when the user does not exist keeps a bad username as slow as a
        # bad password, so timing does not reveal which usernames exist.
        self._dummy_hash = self._ph.hash("not-a-real-password-0")

    def hash(self, password: str) -> str:
        return self._ph.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return self._ph.verify(password_hash or self._dummy_hash, password) and bool(password_hash)
        except (VerificationError, InvalidHashError):
            return False
