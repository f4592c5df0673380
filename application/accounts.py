"""Staff managing accounts: from the back office, and from the command line."""

from __future__ import annotations

from dataclasses import dataclass

from application.errors import NotFound
from application.ports import Clock, PasswordHasher, UnitOfWorkFactory
from domain.identity import Role, User, check_password_policy, normalize_email


class SetUserStatus:
    """An admin activates or deactivates an account, or changes its role.

    - Deactivating ends every session at once: all the user's refresh tokens are revoked, and
      their access tokens stop working on the next request. Their orders stay untouched.
    - An admin cannot deactivate or demote themself (the shop would lose its last way back in).
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(
        self, actor: User, user_id: int, *, is_active: bool | None = None, role: Role | None = None
    ) -> User:
        async with self._uow() as uow:
            user = await uow.users.get(user_id)
            if user is None:
                raise NotFound("user", user_id)
            if role is not None:
                user.change_role(role, by=actor)
            if is_active is not None:
                user.set_active(is_active, by=actor)
            await uow.users.update(user)
            if is_active is False:
                await uow.refresh_tokens.revoke_all_for_user(user_id, self._clock.now())
            await uow.commit()
        return user


@dataclass(frozen=True, slots=True)
class AdminAccount:
    user: User
    created: bool


class CreateAdmin:
    """Staff bootstrap from the command line: create an admin, or promote (and reactivate) an
    existing account and set its password. Running it twice with the same input changes nothing
    more."""

    def __init__(self, uow: UnitOfWorkFactory, hasher: PasswordHasher, clock: Clock) -> None:
        self._uow = uow
        self._hasher = hasher
        self._clock = clock

    async def __call__(self, email: str, password: str) -> AdminAccount:
        normalized = normalize_email(email)
        check_password_policy(password)
        password_hash = await self._hasher.hash(password)
        async with self._uow() as uow:
            user = await uow.users.get_by_email(normalized)
            if user is None:
                user = User.register(normalized, password_hash, self._clock.now())
                user.promote_to_admin()
                user = await uow.users.add(user)
                created = True
            else:
                user.promote_to_admin()
                user.password_hash = password_hash
                await uow.users.update(user)
                created = False
            await uow.commit()
        return AdminAccount(user=user, created=created)
