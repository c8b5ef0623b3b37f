from typing import Annotated, Literal

from pydantic import Field

from chalicelib.api.schemas.common import RequestModel, ResponseModel

Slug = Annotated[str, Field(min_length=1, max_length=64)]
Secret = Annotated[str, Field(min_length=1, max_length=1024)]


class LoginRequest(RequestModel):
    tenant: Slug
    username: Annotated[str, Field(min_length=1, max_length=128)]
    password: Secret
    customer_number: Annotated[str, Field(min_length=1, max_length=64)] | None = None


# No upper bound but the body's: a string too long to be a refresh token (an access token sent by
# mistake) is just another invalid one, a 401 like the rest (services/auth.py), not a 422 about length.
RefreshToken = Annotated[str, Field(min_length=1)]


class RefreshRequest(RequestModel):
    refresh_token: RefreshToken


class LogoutRequest(RequestModel):
    refresh_token: RefreshToken | None = None


class TokenPairResponse(ResponseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    refresh_token: str


class MeResponse(ResponseModel):
    id: str
    tenant: str
    kind: str
    username: str
    name: str
    email: str
    locale: str | None
    permissions: list[str]
    customer_ids: list[str]
    site_ids: list[str]


class ChangePasswordRequest(RequestModel):
    current_password: Secret
    new_password: Annotated[str, Field(min_length=10, max_length=1024)]


class HealthResponse(ResponseModel):
    status: str


class PasswordResetRequest(RequestModel):
    """API.md: answered 202 whatever the identity; a known, active user is e-mailed a one-time link."""

    tenant: Slug
    username: Annotated[str, Field(min_length=1, max_length=128)]
    customer_number: Annotated[str, Field(min_length=1, max_length=64)] | None = None


class PasswordResetAccepted(ResponseModel):
    status: Literal["accepted"] = "accepted"


class PasswordSet(RequestModel):
    """The page's form (`password=...`) or the same as JSON; its length is checked by the service, so the
    page can say so in a sentence."""

    password: Secret


class PasswordLinkOut(ResponseModel):
    """An invitation or reset link, as JSON: `status` is `password_set` once a POST set it."""

    status: Literal["open", "used", "expired", "password_set"]
    purpose: Literal["invitation", "reset"]
    expires_at: str
