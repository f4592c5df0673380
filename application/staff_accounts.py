"""What staff do to accounts: change someone's access from the back office, and bootstrap an admin
from the command line. (What a person does with their own account is application.own_account.)"""

from __future__ import annotations

from dataclasses import dataclass

from application.account_changes import store_account_change
from application.errors import NotFound
from application.ports import Clock, PasswordHasher, UnitOfWorkFactory
from domain.identity import Role, User, check_password_policy, normalize_email


class ChangeUserAccess:
    """An admin activates or deactivates an account, or changes its role.

    - Any change of role or state ends every session of the user at once: all their refresh
      tokens are revoked and the access tokens issued before are refused. Setting what is already
      there changes nothing and ends nothing. Their orders stay untouched.
    - An admin cannot deactivate or demote themself (the shop would lose its last way back in).
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(
        self, actor: User, user_id: int, *, is_active: bool | None = None, role: Role | None = None
    ) -> User:
        async with self._uow() as uow:
            user = await uow.users.get(user_id, for_update=True)
            if user is None:
                raise NotFound("user", user_id)
            ended = False
            if role is not None:
                ended = user.change_role(role, by=actor)
            if is_active is not None:
                ended = user.set_active(is_active, by=actor) or ended
            await store_account_change(uow, user, sessions_ended=ended, now=self._clock.now())
            await uow.commit()
        return user


@dataclass(frozen=True, slots=True)
class AdminAccount:
    user: User
    created: bool
    sessions_ended: bool
    """An existing account changed (promoted, reactivated or given another password): every
    session it had is over, refresh tokens and earlier access tokens alike."""


class CreateAdmin:
    """Staff bootstrap from the command line: create an admin, or promote (and reactivate) an
    existing account and set its password.

    - Promoting an existing account ends every session it had: whoever signed it up (perhaps not
      the staff member now taking it over) must log in again, with the new password.
    - Running it twice with the same input changes nothing more: the password already set is
      recognised (verified against the stored hash) and kept, so no session ends."""

    def __init__(self, uow: UnitOfWorkFactory, hasher: PasswordHasher, clock: Clock) -> None:
        self._uow = uow
        self._hasher = hasher
        self._clock = clock

    async def __call__(self, email: str, password: str) -> AdminAccount:
        normalized = normalize_email(email)
        check_password_policy(password)
        password_hash = await self._hash_unless_already_set(normalized, password)
        async with self._uow() as uow:
            user = await uow.users.get_by_email(normalized, for_update=True)
            if user is None:
                user = User.register(normalized, password_hash, self._clock.now())
                user.promote_to_admin()
                user = await uow.users.add(user)
                await uow.commit()
                return AdminAccount(user=user, created=True, sessions_ended=False)
            ended = user.promote_to_admin()
            ended = user.set_password_hash(password_hash) or ended
            await store_account_change(uow, user, sessions_ended=ended, now=self._clock.now())
            await uow.commit()
        return AdminAccount(user=user, created=False, sessions_ended=ended)

    async def _hash_unless_already_set(self, email: str, password: str) -> str:
        """The stored hash when it already is this password (a fresh hash of the same password
        would look like a change of password), else a new one. Verified outside any transaction."""
        async with self._uow() as uow:
            existing = await uow.users.get_by_email(email)
        if existing is not None and await self._hasher.verify(existing.password_hash, password):
            return existing.password_hash
        return await self._hasher.hash(password)
