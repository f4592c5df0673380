"""Who may use the shop: users, their roles, and the refresh tokens that keep them signed in."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.errors import AccountInactive, EmailNotVerified, InvalidValue, SelfLockout, SessionEnded
from domain.values import require_choice, require_utc

EMAIL_MAX_LENGTH = 254
PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128
_EMAIL_SHAPE = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s.\x00-\x1f\x7f]+(\.[^@\s.\x00-\x1f\x7f]+)+")
"""Something@domain.tld, with no whitespace or control character anywhere (PostgreSQL refuses NUL)."""
_UNSEEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
"""Control characters, formatting characters (bidirectional overrides and isolates U+202A to U+202E and
U+2066 to U+2069, zero-width characters U+200B to U+200F, U+061C, U+FEFF, the soft hyphen...) and lone
surrogates: invisible, or they make one address display as another."""


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def normalize_email(raw: str) -> str:
    """One mailbox is one account however it is typed: NFKC-normalised (a fullwidth `A` (U+FF21) is `a`, a
    ligature its letters), trimmed and lower-cased. Lower-casing can leave a string that is no
    longer in NFKC, so the result is normalised once more: normalising twice changes nothing.

    An address that still holds a control or formatting character (after trimming) is refused."""
    email = _nfkc(_nfkc(raw).strip().lower())
    if any(unicodedata.category(char) in _UNSEEN_CATEGORIES for char in email):
        raise InvalidValue("email", "must not hold control or invisible formatting characters")
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
    session_version: int = 0
    """Moves on every change of password, role or account state (see `_change_access`): sessions
    opened at an earlier version are over."""
    id: int | None = None
    email_verified: bool = False
    """The person proved they read mail at `email` (application.email_verification). Accounts
    older than the proof were taken as verified by the migration that introduced it."""

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

    def promote_to_admin(self) -> bool:
        """Staff bootstrap (the command line): an active ADMIN, whatever the account was before.
        True when that ended the account's sessions."""
        return self._change_access(role=Role.ADMIN, is_active=True)

    def ensure_active(self) -> None:
        if not self.is_active:
            raise AccountInactive()

    def ensure_session_current(self, session_version: int) -> None:
        """Refuses a session opened at another version of the account (see `_change_access`)."""
        if session_version != self.session_version:
            raise SessionEnded()

    def change_role(self, role: Role | str, *, by: User) -> bool:
        """True when the role changed, which ends the user's sessions."""
        new_role = require_choice("role", Role, role)
        if by.id == self.id and new_role is not Role.ADMIN and self.is_admin:
            raise SelfLockout("demote")
        return self._change_access(role=new_role)

    def set_active(self, active: bool, *, by: User) -> bool:
        """True when the state changed, which ends the user's sessions."""
        if by.id == self.id and not active:
            raise SelfLockout("deactivate")
        return self._change_access(is_active=active)

    def verify_email(self) -> bool:
        """True when the address was not verified before. Ends no session."""
        if self.email_verified:
            return False
        self.email_verified = True
        return True

    def ensure_may_check_out(self, *, require_verified_email: bool) -> None:
        """An active account; with REQUIRE_VERIFIED_EMAIL, one whose address is verified."""
        self.ensure_active()
        if require_verified_email and not self.email_verified:
            raise EmailNotVerified()

    def set_password_hash(self, password_hash: str) -> bool:
        """A new password (hashed by the caller). True when it differs, which ends every session."""
        return self._change_access(password_hash=password_hash)

    def _change_access(
        self, *, role: Role | None = None, is_active: bool | None = None, password_hash: str | None = None
    ) -> bool:
        """THE rule of sessions: any change of password, role or account state ends every session
        of the user — refresh tokens and the access tokens issued before it alike — so nobody keeps
        powers, or an account, through a session opened under the old ones. It moves
        `session_version`; the use case revokes the refresh tokens, and an access token carrying
        an older version is refused. Setting what is already there changes nothing and ends
        nothing. Returns whether the sessions ended."""
        before = (self.role, self.is_active, self.password_hash)
        after = (
            before[0] if role is None else role,
            before[1] if is_active is None else is_active,
            before[2] if password_hash is None else password_hash,
        )
        if after == before:
            return False
        self.role, self.is_active, self.password_hash = after
        self.session_version += 1
        return True


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

    def reuse_is_theft(self, now: datetime, grace: timedelta) -> bool:
        """This token, revoked, was presented again. Within `grace` of its revocation that is a
        client racing itself (two tabs refreshing at once: the loser presents the token the winner
        just rotated), refused but harmless; later, a copy is in someone else's hands. A token that
        is not revoked (it expired) is no reuse at all."""
        return self.revoked_at is not None and now - self.revoked_at >= grace

    def revoke(self, now: datetime) -> None:
        if self.revoked_at is None:
            self.revoked_at = now
