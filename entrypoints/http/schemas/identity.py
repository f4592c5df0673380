from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from application.own_account import TokenPair
from domain.identity import EMAIL_MAX_LENGTH, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, User

LOGIN_FIELD_MAX_LENGTH = 1024
"""Login does not re-check the signup policy (that would tell which rule failed), but bounds the
input so nobody can make the server hash a megabyte."""


class SignupRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    email: Annotated[
        str,
        msgspec.Meta(
            max_length=EMAIL_MAX_LENGTH,
            description="NFKC-normalised, trimmed and lower-cased; must be unique. Control and invisible"
            " formatting characters (bidirectional overrides, zero-width characters) are refused.",
        ),
    ]
    password: Annotated[str, msgspec.Meta(min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH)]


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    email: Annotated[str, msgspec.Meta(max_length=LOGIN_FIELD_MAX_LENGTH)]
    password: Annotated[str, msgspec.Meta(max_length=LOGIN_FIELD_MAX_LENGTH)]


class RefreshTokenRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    refresh_token: Annotated[str, msgspec.Meta(min_length=1, max_length=512)]


class TokenPairResponse(msgspec.Struct, kw_only=True):
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"]
    expires_in: Annotated[int, msgspec.Meta(description="Seconds until the access token expires.")]

    @classmethod
    def of(cls, pair: TokenPair) -> TokenPairResponse:
        return cls(
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            token_type="Bearer",  # noqa: S106 - the OAuth token type, not a secret
            expires_in=pair.expires_in,
        )


class UserResponse(msgspec.Struct, kw_only=True):
    id: int
    email: str
    role: Literal["USER", "ADMIN"]
    is_active: bool
    created_at: datetime
    email_verified: bool

    @classmethod
    def of(cls, user: User) -> UserResponse:
        if user.id is None:
            raise ValueError("an unsaved user has no public form")
        return cls(
            id=user.id,
            email=user.email,
            role=user.role.value,
            is_active=user.is_active,
            created_at=user.created_at,
            email_verified=user.email_verified,
        )
