"""One-time tokens a person receives by email to act on their account: reset a forgotten password,
prove they own their address. Only the hash of a token is ever kept; each works once, and only
until it expires."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.errors import InvalidValue
from domain.identity import User
from domain.values import require_utc

PASSWORD_RESET_TTL = timedelta(minutes=30)
"""The default life of a password-reset token (PASSWORD_RESET_TTL_SECONDS)."""
EMAIL_VERIFICATION_TTL = timedelta(hours=48)


class TokenPurpose(StrEnum):
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a purpose, not a password
    EMAIL_VERIFICATION = "email_verification"


@dataclass(eq=False, slots=True, kw_only=True)
class AccountToken:
    user_id: int
    purpose: TokenPurpose
    token_hash: str
    created_at: datetime
    expires_at: datetime
    session_version: int = 0
    """The user's session_version when the token was issued: a password-reset token dies with any
    change of the password, role or state of the account after it (`still_fits`)."""
    used_at: datetime | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        require_utc("created_at", self.created_at)
        require_utc("expires_at", self.expires_at)

    @classmethod
    def issue(
        cls, user: User, purpose: TokenPurpose, token_hash: str, now: datetime, ttl: timedelta
    ) -> AccountToken:
        if user.id is None:
            raise ValueError("a token needs a stored user")
        if ttl <= timedelta(0):
            raise InvalidValue("ttl", "must be positive")
        return cls(
            user_id=user.id,
            purpose=purpose,
            token_hash=token_hash,
            created_at=now,
            expires_at=now + ttl,
            session_version=user.session_version,
        )

    def is_usable(self, now: datetime) -> bool:
        """Not used yet and not expired: the one moment a token does anything."""
        return self.used_at is None and now < self.expires_at

    def still_fits(self, user: User) -> bool:
        """A reset link is for the account as it was when asked for: once the password was changed
        (or reset with another link), or the role or state changed, older links do nothing. A
        verification link only has to be the user's."""
        if user.id != self.user_id:
            return False
        return self.purpose is not TokenPurpose.PASSWORD_RESET or self.session_version == user.session_version
