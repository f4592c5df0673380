"""Proving an address: signing up sends a link (application.own_account.SignUp, in the welcome
email); the person follows it, or asks for another."""

from __future__ import annotations

from datetime import timedelta

from application.account_tokens import issue_account_token, use_account_token
from application.messages import verify_email
from application.ports import Clock, UnitOfWorkFactory
from domain.account_tokens import EMAIL_VERIFICATION_TTL, TokenPurpose
from domain.identity import User


class VerifyEmail:
    """The person follows the link: the address is verified. The token works once, until it
    expires (48 hours); a link of an account deactivated since does nothing. Ends no session."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, token: str) -> User:
        async with self._uow() as uow:
            user = await use_account_token(uow, token, TokenPurpose.EMAIL_VERIFICATION, self._clock.now())
            if user.verify_email():
                await uow.users.update(user)
            await uow.commit()
        return user


class ResendVerificationEmail:
    """A signed-in customer asks for another verification link (the first one expired or got lost).
    Earlier links keep working until they expire. An address already verified gets nothing."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ttl: timedelta = EMAIL_VERIFICATION_TTL) -> None:
        self._uow = uow
        self._clock = clock
        self._ttl = ttl

    async def __call__(self, user_id: int) -> bool:
        """True when an email was recorded."""
        async with self._uow() as uow:
            user = await uow.users.get(user_id)
            if user is None or user.email_verified:
                return False
            now = self._clock.now()
            token = await issue_account_token(uow, user, TokenPurpose.EMAIL_VERIFICATION, now, self._ttl)
            await uow.outbox.add(verify_email(user, token), now)
            await uow.commit()
        return True
