"""Short-lived HS256 access tokens (PyJWT) and opaque refresh tokens (stored only as SHA-256)."""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

import jwt

from chalicelib.auth.principal import Principal
from chalicelib.domain.errors import UnauthenticatedError
from chalicelib.domain.permissions import UserKind

ALGORITHM = "HS256"
ISSUER = "ordergate"


class TokenSigner:
    def __init__(self, key: str, access_ttl: int) -> None:
        if len(key) < 32:
            raise ValueError("the token signing key must be at least 32 characters")
        self._key = key
        self.access_ttl = access_ttl

    def issue(self, principal: Principal) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "sub": principal.user_id,
            "ten": principal.tenant,
            "knd": principal.kind.value,
            "prm": sorted(principal.permissions),
            "cid": list(principal.customer_ids),
            "sid": list(principal.site_ids),
            "fam": principal.session_id,
            "nam": principal.name,
            # checked by an order write in its transaction (services/callers.py `standing_of`)
            "sep": principal.session_epoch,
            "grp": list(principal.group_ids),
            "gvs": list(principal.group_versions),
            "iat": now,
            "exp": now + self.access_ttl,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def verify(self, token: str) -> Principal:
        try:
            # `algorithms` pinned: a token saying alg "none" or another algorithm is refused.
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "iss"]},
            )
            return Principal(
                tenant=str(claims["ten"]),
                user_id=str(claims["sub"]),
                kind=UserKind(claims["knd"]),
                permissions=frozenset(str(p) for p in claims["prm"]),
                customer_ids=tuple(str(c) for c in claims["cid"]),
                site_ids=tuple(str(s) for s in claims["sid"]),
                session_id=str(claims.get("fam", "")),
                name=str(claims.get("nam", "")),
                session_epoch=int(claims.get("sep", 0)),
                group_ids=tuple(str(g) for g in claims.get("grp", ())),
                group_versions=tuple(int(v) for v in claims.get("gvs", ())),
            )
        except jwt.ExpiredSignatureError as exc:
            raise UnauthenticatedError("The access token has expired.") from exc
        except (jwt.InvalidTokenError, KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise UnauthenticatedError("The access token is not valid.") from exc


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
