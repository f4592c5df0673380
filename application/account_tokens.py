"""Making and recognising the one-time tokens sent by email (domain.account_tokens)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from application.errors import InvalidAccountToken
from application.ports import UnitOfWork
from domain.account_tokens import AccountToken, TokenPurpose
from domain.identity import User

TOKEN_BYTES = 32
"""256 bits from the operating system's CSPRNG."""


def hash_account_token(token: str) -> str:
    """The only form in which a token is stored: a token has 256 random bits, so a plain SHA-256
    is enough (there is nothing to slow down the guessing of)."""
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_account_token(
    uow: UnitOfWork, user: User, purpose: TokenPurpose, now: datetime, ttl: timedelta
) -> str:
    """Store a new token's hash in the unit of work and return the token itself, for the email."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    await uow.account_tokens.add(AccountToken.issue(user, purpose, hash_account_token(token), now, ttl))
    return token


async def use_account_token(uow: UnitOfWork, token: str, purpose: TokenPurpose, now: datetime) -> User:
    """The user the token was issued to, locked, the token now used up. InvalidAccountToken for an
    unknown, used or expired token, or one that no longer fits the account (AccountToken.still_fits),
    or an account that is gone or deactivated (then nothing is used up)."""
    used = await uow.account_tokens.use(hash_account_token(token), purpose, now)
    if used is None:
        raise InvalidAccountToken()
    user = await uow.users.get(used.user_id, for_update=True)
    if user is None or not user.is_active or not used.still_fits(user):
        raise InvalidAccountToken()
    return user
