"""Who may use the shop: users, their roles, and the refresh tokens that keep them signed in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.errors import AccountInactive, InvalidValue, SelfLockout
from domain.values import require_choice, require_utc

EMAIL_MAX_LENGTH = 254
PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128
_EMAIL_SHAPE = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s.\x00-\x1f\x7f]+(\.[^@\s.\x00-\x1f\x7f]+)+")
"""Something@domain.tld, with no whitespace or control character anywhere (PostgreSQL refuses NUL)."""


def normalize_email(raw: str) -> str:
    """Trimmed and lower-cased, so one mailbox is one account whatever case it is typed in."""
    email = raw.strip().lower()
    if len(email) > EMAIL_MAX_LENGTH or not _EMAIL_SHAPE.fullmatch(email):
        raise InvalidValue("email", f"must be an email address of at most {EMAIL_MAX_LENGTH} characters")
    return email


def check_password_policy(password: str) -> None:
    if not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH:
        raise InvalidValue(
            "password", f"must be {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters long"
        )


class Role(StrEnum):
    USER = "USER"
    ADMIN = "ADMIN"


@dataclass(eq=False, slots=True, kw_only=True)
class User:
    email: str
    password_hash: str
    created_at: datetime
    role: Role = Role.USER
    is_active: bool = True
    id: int | None = None

    def __post_init__(self) -> None:
        require_utc("created_at", self.created_at)
        self.role = require_choice("role", Role, self.role)

    @classmethod
    def register(cls, email: str, password_hash: str, now: datetime) -> User:
        """A new customer: always a USER, always active, whatever the caller asked for."""
        return cls(email=normalize_email(email), password_hash=password_hash, created_at=now)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def promote_to_admin(self) -> None:
        """Staff bootstrap (the command line): an active ADMIN, whatever the account was before."""
        self.role = Role.ADMIN
        self.is_active = True

    def ensure_active(self) -> None:
        if not self.is_active:
            raise AccountInactive()

    def change_role(self, role: Role | str, *, by: User) -> None:
        new_role = require_choice("role", Role, role)
        if by.id == self.id and new_role is not Role.ADMIN and self.is_admin:
            raise SelfLockout("demote")
        self.role = new_role

    def set_active(self, active: bool, *, by: User) -> None:
        if by.id == self.id and not active:
            raise SelfLockout("deactivate")
        self.is_active = active


@dataclass(eq=False, slots=True, kw_only=True)
class RefreshToken:
    """One sign-in session. Only the hash of the token the client holds is ever kept."""

    user_id: int
    token_hash: str
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        require_utc("issued_at", self.issued_at)
        require_utc("expires_at", self.expires_at)

    @classmethod
    def issue(cls, user_id: int, token_hash: str, now: datetime, ttl: timedelta) -> RefreshToken:
        if ttl <= timedelta(0):
            raise InvalidValue("ttl", "must be positive")
        return cls(user_id=user_id, token_hash=token_hash, issued_at=now, expires_at=now + ttl)

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    def is_live(self, now: datetime) -> bool:
        return not self.is_revoked and not self.is_expired(now)

    def revoke(self, now: datetime) -> None:
        if self.revoked_at is None:
            self.revoked_at = now
