"""Admins managing accounts, on every store."""

from __future__ import annotations

import pytest

from adapters.security.jwt_tokens import JwtTokenService
from application.errors import InvalidRefreshToken, NotFound
from application.ports import UnitOfWorkFactory
from application.staff_accounts import ChangeUserAccess
from domain.errors import AccountInactive, SelfLockout
from domain.identity import Role, User
from tests.fakes import FrozenClock
from tests.use_cases.conftest import Identity

PASSWORD = "correct horse"


async def _admin(identity: Identity) -> User:
    return (await identity.create_admin("staff@example.com", PASSWORD)).user


async def test_deactivating_ends_every_session_and_keeps_them_out(
    identity: Identity, uow: UnitOfWorkFactory, clock: FrozenClock, tokens: JwtTokenService
) -> None:
    admin = await _admin(identity)
    ann = await identity.sign_up("ann@example.com", PASSWORD)
    laptop = await identity.log_in("ann@example.com", PASSWORD)
    phone = await identity.log_in("ann@example.com", PASSWORD)

    changed = await ChangeUserAccess(uow, clock)(admin, ann.id or 0, is_active=False)

    assert not changed.is_active
    async with uow() as tx:
        for pair in (laptop, phone):
            stored = await tx.refresh_tokens.get_by_hash(tokens.hash_refresh_token(pair.refresh_token))
            assert stored is not None
            assert stored.is_revoked
    with pytest.raises(AccountInactive):
        await identity.authenticate(laptop.access_token)
    with pytest.raises((AccountInactive, InvalidRefreshToken)):
        await identity.refresh(phone.refresh_token)


async def test_reactivating_lets_the_user_back_in(
    identity: Identity, uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    admin = await _admin(identity)
    ann = await identity.sign_up("ann@example.com", PASSWORD)
    change_access = ChangeUserAccess(uow, clock)
    await change_access(admin, ann.id or 0, is_active=False)

    await change_access(admin, ann.id or 0, is_active=True)

    assert (await identity.log_in("ann@example.com", PASSWORD)).access_token


async def test_roles_change_both_ways(identity: Identity, uow: UnitOfWorkFactory, clock: FrozenClock) -> None:
    admin = await _admin(identity)
    ann = await identity.sign_up("ann@example.com", PASSWORD)
    change_access = ChangeUserAccess(uow, clock)

    promoted = await change_access(admin, ann.id or 0, role=Role.ADMIN)
    demoted = await change_access(admin, ann.id or 0, role=Role.USER)

    assert promoted.role is Role.ADMIN
    assert demoted.role is Role.USER


@pytest.mark.parametrize("change", [{"is_active": False}, {"role": Role.USER}])
async def test_an_admin_cannot_lock_themself_out(
    identity: Identity, uow: UnitOfWorkFactory, clock: FrozenClock, change: dict[str, object]
) -> None:
    admin = await _admin(identity)

    with pytest.raises(SelfLockout):
        await ChangeUserAccess(uow, clock)(admin, admin.id or 0, **change)  # type: ignore[arg-type]

    async with uow() as tx:
        stored = await tx.users.get(admin.id or 0)
    assert stored is not None
    assert stored.is_admin
    assert stored.is_active


async def test_a_missing_user_is_not_found(
    identity: Identity, uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    admin = await _admin(identity)

    with pytest.raises(NotFound):
        await ChangeUserAccess(uow, clock)(admin, 999, is_active=False)
