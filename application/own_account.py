"""What a person does with their own account and sessions: sign up, log in, refresh, log out; and
who is calling. (What staff do to accounts is application.staff_accounts.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from application.account_tokens import issue_account_token
from application.errors import (
    InvalidAccessToken,
    InvalidCredentials,
    InvalidRefreshToken,
)
from application.messages import welcome
from application.ports import Clock, PasswordHasher, TokenService, UnitOfWork, UnitOfWorkFactory
from application.queries import UserQueries
from domain.account_tokens import EMAIL_VERIFICATION_TTL, TokenPurpose
from domain.errors import InvalidValue, SessionEnded
from domain.identity import RefreshToken, User, check_password_policy, normalize_email


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret


class SessionIssuer:
    """Opens a session: a short-lived access token and a stored (hashed) refresh token."""

    def __init__(self, tokens: TokenService, clock: Clock, refresh_token_ttl: timedelta) -> None:
        self._tokens = tokens
        self._clock = clock
        self._ttl = refresh_token_ttl

    async def open(self, uow: UnitOfWork, user: User) -> TokenPair:
        if user.id is None:
            raise ValueError("a session needs a stored user")
        now = self._clock.now()
        refresh_token = self._tokens.new_refresh_token()
        token_hash = self._tokens.hash_refresh_token(refresh_token)
        await uow.refresh_tokens.add(RefreshToken.issue(user.id, token_hash, now, self._ttl))
        return TokenPair(
            access_token=self._tokens.issue_access_token(user, now),
            refresh_token=refresh_token,
            expires_in=self._tokens.access_token_ttl_seconds,
        )


class SignUp:
    """A visitor opens an account.

    - The email is NFKC-normalised, trimmed and lower-cased and must look like an address, with no
      control or invisible formatting character; one account per email.
    - The password is 8 to 128 characters; only its argon2id hash is kept.
    - A new account is always an active USER.
    - The new customer is welcomed by email, recorded with the account (application.outbox); the
      email holds the link that verifies the address (application.email_verification), valid 48 hours.
    """

    def __init__(self, uow: UnitOfWorkFactory, hasher: PasswordHasher, clock: Clock) -> None:
        self._uow = uow
        self._hasher = hasher
        self._clock = clock

    async def __call__(self, email: str, password: str) -> User:
        normalized = normalize_email(email)
        check_password_policy(password)
        password_hash = await self._hasher.hash(password)
        async with self._uow() as uow:
            now = self._clock.now()
            user = await uow.users.add(User.register(normalized, password_hash, now))
            token = await issue_account_token(
                uow, user, TokenPurpose.EMAIL_VERIFICATION, now, EMAIL_VERIFICATION_TTL
            )
            await uow.outbox.add(welcome(user, verification_token=token), now)
            await uow.commit()
        return user


class LogIn:
    """A customer signs in with email and password and gets a token pair.

    - Unknown email and wrong password are the same refusal, and take the same time: a dummy hash
      is verified for an unknown email, so the answer does not reveal who has an account.
    - A deactivated account is told so, but only once the password is right.
    - No database connection is held while the password is verified. So the account is read again,
      locked, in the transaction that stores the refresh token: deactivated meanwhile → refused as
      inactive; its password, role or state changed meanwhile (the password checked may be the old
      one) → refused as invalid credentials. A session never outlives the change that ends it.
    """

    def __init__(self, uow: UnitOfWorkFactory, hasher: PasswordHasher, sessions: SessionIssuer) -> None:
        self._uow = uow
        self._hasher = hasher
        self._sessions = sessions

    async def __call__(self, email: str, password: str) -> TokenPair:
        user = await self._find(email)
        if user is None:
            await self._hasher.verify_dummy(password)
            raise InvalidCredentials()
        if not await self._hasher.verify(user.password_hash, password):
            raise InvalidCredentials()
        user.ensure_active()
        async with self._uow() as uow:
            current = await uow.users.get(user.id or 0, for_update=True)
            if current is None:
                raise InvalidCredentials()
            current.ensure_active()
            try:
                current.ensure_session_current(user.session_version)
            except SessionEnded as ended:
                raise InvalidCredentials() from ended
            pair = await self._sessions.open(uow, current)
            await uow.commit()
        return pair

    async def _find(self, email: str) -> User | None:
        try:
            normalized = normalize_email(email)
        except InvalidValue:
            return None
        async with self._uow() as uow:
            return await uow.users.get_by_email(normalized)


class RefreshSession:
    """A client trades its refresh token for a new pair (rotation).

    - The presented token is revoked and a new one issued, atomically: of concurrent refreshes of
      one token, exactly one succeeds.
    - A token that was already revoked coming back means a copy is in someone else's hands: every
      refresh token of the user is revoked, so thief and victim both have to log in again — unless
      it comes back within `reuse_grace` of its revocation (RefreshToken.reuse_is_theft): two tabs
      refreshing at once, the late one is refused and the family stays valid.
    - Unknown or expired tokens are refused; a deactivated account is told so.
    - The user's row is locked for the transaction, so a change of the account that ends its
      sessions cannot slip between the checks and the new token.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        tokens: TokenService,
        sessions: SessionIssuer,
        clock: Clock,
        *,
        reuse_grace: timedelta,
    ) -> None:
        self._uow = uow
        self._tokens = tokens
        self._sessions = sessions
        self._clock = clock
        self._reuse_grace = reuse_grace

    async def __call__(self, refresh_token: str) -> TokenPair:
        token_hash = self._tokens.hash_refresh_token(refresh_token)
        now = self._clock.now()
        async with self._uow() as uow:
            stored = await uow.refresh_tokens.get_by_hash(token_hash)
            if stored is None or stored.is_expired(now):
                raise InvalidRefreshToken()
            user = await uow.users.get(stored.user_id, for_update=True)
            if user is None:
                raise InvalidRefreshToken()
            user.ensure_active()
            if not await uow.refresh_tokens.consume(token_hash, now):
                # Read again: a concurrent refresh may have revoked it since the read above (on
                # PostgreSQL the UPDATE waited for that transaction to commit).
                revoked = await uow.refresh_tokens.get_by_hash(token_hash)
                if revoked is not None and revoked.reuse_is_theft(now, self._reuse_grace):
                    await uow.refresh_tokens.revoke_all_for_user(stored.user_id, now)
                    await uow.commit()
                raise InvalidRefreshToken()
            pair = await self._sessions.open(uow, user)
            await uow.commit()
        return pair


class LogOut:
    """A client ends its session by revoking its refresh token. Logging out twice is fine."""

    def __init__(self, uow: UnitOfWorkFactory, tokens: TokenService, clock: Clock) -> None:
        self._uow = uow
        self._tokens = tokens
        self._clock = clock

    async def __call__(self, refresh_token: str) -> None:
        token_hash = self._tokens.hash_refresh_token(refresh_token)
        now = self._clock.now()
        async with self._uow() as uow:
            stored = await uow.refresh_tokens.get_by_hash(token_hash)
            if stored is None:
                raise InvalidRefreshToken()
            if stored.is_revoked:
                return
            if stored.is_expired(now):
                raise InvalidRefreshToken()
            await uow.refresh_tokens.revoke(token_hash, now)
            await uow.commit()


class Authenticate:
    """Who is calling: the user behind a valid access token, as the database knows them now.

    Role and activity come from the database, not the token, so a demotion or a deactivation
    takes effect on the very next request; a token issued before the account's password, role or
    state last changed is refused (its session version is an old one). A read, so it takes the
    read side (no transaction)."""

    def __init__(self, users: UserQueries, tokens: TokenService) -> None:
        self._users = users
        self._tokens = tokens

    async def __call__(self, access_token: str) -> User:
        claims = self._tokens.read_access_token(access_token)
        user = await self._users.get_user(claims.user_id)
        if user is None:
            raise InvalidAccessToken("the account behind this token no longer exists")
        user.ensure_active()
        user.ensure_session_current(claims.session_version)
        return user
