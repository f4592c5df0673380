"""Who is calling, and staff accounts made from the command line."""

from __future__ import annotations

from dataclasses import replace

import pytest

from adapters.security.jwt_tokens import JwtTokenService
from application.errors import InvalidAccessToken
from application.ports import UnitOfWorkFactory
from domain.errors import AccountInactive, InvalidValue
from domain.identity import Role
from tests.fakes import FrozenClock
from tests.use_cases.conftest import Identity, deactivate, edit_user

PASSWORD = "correct horse"


async def test_authenticate_returns_the_user_as_the_database_knows_them(
    identity: Identity, tokens: JwtTokenService, clock: FrozenClock
) -> None:
    user = await identity.sign_up("ann@example.com", PASSWORD)
    claiming_admin = replace(user, role=Role.ADMIN)

    caller = await identity.authenticate(tokens.issue_access_token(claiming_admin, clock.now()))

    assert caller.id == user.id
    assert caller.role is Role.USER  # the token says ADMIN; the database wins


async def test_a_deactivated_account_is_refused_with_a_still_valid_token(
    identity: Identity, uow: UnitOfWorkFactory
) -> None:
    user = await identity.sign_up("ann@example.com", PASSWORD)
    pair = await identity.log_in("ann@example.com", PASSWORD)
    await edit_user(uow, user.id, deactivate)

    with pytest.raises(AccountInactive):
        await identity.authenticate(pair.access_token)


async def test_a_refresh_token_is_not_an_access_token(identity: Identity) -> None:
    await identity.sign_up("ann@example.com", PASSWORD)
    pair = await identity.log_in("ann@example.com", PASSWORD)

    with pytest.raises(InvalidAccessToken):
        await identity.authenticate(pair.refresh_token)


async def test_create_admin_makes_a_new_admin_who_can_log_in(identity: Identity) -> None:
    account = await identity.create_admin("Staff@Example.com", PASSWORD)

    assert account.created
    assert account.user.role is Role.ADMIN
    assert account.user.email == "staff@example.com"
    assert (await identity.log_in("staff@example.com", PASSWORD)).access_token


async def test_create_admin_promotes_and_reactivates_an_existing_user(
    identity: Identity, uow: UnitOfWorkFactory
) -> None:
    user = await identity.sign_up("ann@example.com", PASSWORD)
    await edit_user(uow, user.id, deactivate)

    account = await identity.create_admin("ann@example.com", "a new password")

    assert not account.created
    assert account.user.id == user.id
    async with uow() as tx:
        promoted = await tx.users.get(user.id or 0)
    assert promoted is not None
    assert promoted.role is Role.ADMIN
    assert promoted.is_active
    assert (await identity.log_in("ann@example.com", "a new password")).access_token


async def test_create_admin_twice_leaves_one_admin(identity: Identity, uow: UnitOfWorkFactory) -> None:
    first = await identity.create_admin("staff@example.com", PASSWORD)
    second = await identity.create_admin("staff@example.com", PASSWORD)

    assert second.user.id == first.user.id
    async with uow() as tx:
        stored = await tx.users.get_by_email("staff@example.com")
    assert stored is not None
    assert stored.role is Role.ADMIN


async def test_create_admin_keeps_the_password_policy(identity: Identity) -> None:
    with pytest.raises(InvalidValue):
        await identity.create_admin("staff@example.com", "short")
