from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from domain.identity import EMAIL_MAX_LENGTH, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from entrypoints.http.schemas.identity import LOGIN_FIELD_MAX_LENGTH

NewPassword = Annotated[
    str,
    msgspec.Meta(
        min_length=PASSWORD_MIN_LENGTH,
        max_length=PASSWORD_MAX_LENGTH,
        description="The signup policy: 8 to 128 characters.",
    ),
]
AccountTokenField = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=512,
        description="The token from the email (a password-reset or an email-verification link).",
    ),
]


class ChangePasswordRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    current_password: Annotated[str, msgspec.Meta(max_length=LOGIN_FIELD_MAX_LENGTH)]
    new_password: NewPassword


class PasswordResetRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    email: Annotated[str, msgspec.Meta(max_length=EMAIL_MAX_LENGTH)]


class PasswordResetConfirmation(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    token: AccountTokenField
    new_password: NewPassword


class VerifyEmailRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    token: AccountTokenField


class AcceptedResponse(msgspec.Struct, kw_only=True):
    """A 202: the request was taken; what follows (an email, or none) is not told."""

    status: Literal["accepted"] = "accepted"
