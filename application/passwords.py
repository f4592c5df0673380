"""What a person does about their password: change it while signed in, or reset a forgotten one
from a link sent by email."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from application.account_changes import store_account_change
from application.account_tokens import issue_account_token, use_account_token
from application.errors import InvalidCredentials
from application.messages import password_reset
from application.own_account import SessionIssuer, TokenPair
from application.ports import Clock, PasswordHasher, UnitOfWorkFactory
from domain.account_tokens import PASSWORD_RESET_TTL, TokenPurpose
from domain.errors import InvalidValue, SessionEnded
from domain.identity import User, check_password_policy, normalize_email

RESET_ANSWER_AFTER = timedelta(milliseconds=250)
"""A reset request answers no sooner than this, whoever the address belongs to (see
RequestPasswordReset)."""


def _check_new_password(password: str) -> None:
    try:
        check_password_policy(password)
    except InvalidValue as refused:
        raise InvalidValue("new_password", refused.message) from refused


class ChangePassword:
    """A signed-in customer changes their password, giving the current one.

    - A wrong current password is refused as a wrong login is (invalid credentials).
    - The new password follows the signup policy (8 to 128 characters).
    - Every session of the user ends (User._change_access: refresh tokens revoked, access tokens
      issued before refused), and the caller gets a new pair, so only the device that changed the
      password stays signed in. Reset links sent before no longer work.
    - Passwords are hashed and verified with no database connection held; the account is read
      again, locked, to store the change: changed meanwhile (another change of password, a
      deactivation) → the session it was asked from is over, refused.
    """

    def __init__(
        self, uow: UnitOfWorkFactory, hasher: PasswordHasher, sessions: SessionIssuer, clock: Clock
    ) -> None:
        self._uow = uow
        self._hasher = hasher
        self._sessions = sessions
        self._clock = clock

    async def __call__(self, user: User, current_password: str, new_password: str) -> TokenPair:
        _check_new_password(new_password)
        if not await self._hasher.verify(user.password_hash, current_password):
            raise InvalidCredentials()
        new_hash = await self._hasher.hash(new_password)
        async with self._uow() as uow:
            current = await uow.users.get(user.id or 0, for_update=True)
            if current is None:
                raise SessionEnded()
            current.ensure_active()
            current.ensure_session_current(user.session_version)
            ended = current.set_password_hash(new_hash)
            await store_account_change(uow, current, sessions_ended=ended, now=self._clock.now())
            pair = await self._sessions.open(uow, current)
            await uow.commit()
        return pair


class RequestPasswordReset:
    """Someone who forgot their password asks for a reset link.

    - For an active account, a single-use token (256 bits; only its hash kept) valid for `ttl` is
      recorded, and an email holding it, in one transaction. For an unknown address, an inactive
      account or something that is not an address, nothing happens.
    - Either way the answer is the same, and comes no sooner than `answer_after` after the request
      began: the known path writes (two rows and a commit), the other only reads, and without the
      floor the difference in time would tell who has an account. A database slower than the floor
      leaks again; the floor is well above a healthy one's commit.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ttl: timedelta = PASSWORD_RESET_TTL,
        *,
        answer_after: timedelta = RESET_ANSWER_AFTER,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._ttl = ttl
        self._answer_after = answer_after.total_seconds()

    async def __call__(self, email: str) -> None:
        began = time.monotonic()
        await self._send_link(email)
        await asyncio.sleep(max(0.0, self._answer_after - (time.monotonic() - began)))

    async def _send_link(self, email: str) -> None:
        try:
            normalized = normalize_email(email)
        except InvalidValue:
            return
        async with self._uow() as uow:
            user = await uow.users.get_by_email(normalized)
            if user is None or not user.is_active:
                return
            now = self._clock.now()
            token = await issue_account_token(uow, user, TokenPurpose.PASSWORD_RESET, now, self._ttl)
            await uow.outbox.add(
                password_reset(user, token, valid_minutes=self._ttl // timedelta(minutes=1)), now
            )
            await uow.commit()


class ResetPassword:
    """The owner of a reset link sets a new password with it.

    - The token works once, until it expires, and only while the account has not changed since it
      was sent (AccountToken.still_fits); anything else is an invalid token, also for an account
      deactivated since.
    - Every session of the user ends: refresh tokens revoked, access tokens issued before refused.
    - Reading the link proves the person reads mail at the address: it counts as verified.
    """

    def __init__(self, uow: UnitOfWorkFactory, hasher: PasswordHasher, clock: Clock) -> None:
        self._uow = uow
        self._hasher = hasher
        self._clock = clock

    async def __call__(self, token: str, new_password: str) -> None:
        _check_new_password(new_password)
        new_hash = await self._hasher.hash(new_password)
        async with self._uow() as uow:
            now = self._clock.now()
            user = await use_account_token(uow, token, TokenPurpose.PASSWORD_RESET, now)
            ended = user.set_password_hash(new_hash)
            user.verify_email()
            await store_account_change(uow, user, sessions_ended=ended, now=now)
            await uow.commit()
