"""Any change of password, role or account state ends every session of the user, on every store:
refresh tokens are revoked and access tokens issued before are refused. A change that changes
nothing ends nothing. A sign-in racing such a change never outlives it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from adapters.security.jwt_tokens import JwtTokenService
from application.errors import InvalidCredentials, InvalidRefreshToken
from application.own_account import LogIn, SessionIssuer, TokenPair
from application.ports import PasswordHasher, UnitOfWorkFactory
from application.staff_accounts import ChangeUserAccess
from domain.errors import AccountInactive, SessionEnded
from domain.identity import Role, User
from tests.fakes import FrozenClock
from tests.use_cases.conftest import REFRESH_TTL, Identity, edit_user

PASSWORD = "correct horse"
NEW_PASSWORD = "a brand new password"


async def _admin(identity: Identity) -> User:
    return (await identity.create_admin("staff@example.com", "staff password")).user


async def _assert_ended(identity: Identity, pair: TokenPair) -> None:
    with pytest.raises(SessionEnded):
        await identity.authenticate(pair.access_token)
    with pytest.raises(InvalidRefreshToken):
        await identity.refresh(pair.refresh_token)


async def _assert_alive(identity: Identity, pair: TokenPair) -> None:
    assert (await identity.authenticate(pair.access_token)).id is not None
    assert (await identity.refresh(pair.refresh_token)).refresh_token


# --- create-admin --------------------------------------------------------------------------------


async def test_promoting_an_existing_account_ends_the_sessions_it_had(identity: Identity) -> None:
    """The red team's reproduction: whoever signed up first must not become admin through the
    session they already hold."""
    squatter = await identity.sign_up("newhire@example.com", PASSWORD)
    pair = await identity.log_in("newhire@example.com", PASSWORD)

    account = await identity.create_admin("newhire@example.com", NEW_PASSWORD)

    assert (account.created, account.sessions_ended) == (False, True)
    assert account.user.id == squatter.id
    await _assert_ended(identity, pair)
    with pytest.raises(InvalidCredentials):
        await identity.log_in("newhire@example.com", PASSWORD)
    staff = await identity.log_in("newhire@example.com", NEW_PASSWORD)
    assert (await identity.authenticate(staff.access_token)).role is Role.ADMIN


async def test_promoting_with_the_password_already_set_still_ends_the_sessions(identity: Identity) -> None:
    await identity.sign_up("ann@example.com", PASSWORD)
    pair = await identity.log_in("ann@example.com", PASSWORD)

    account = await identity.create_admin("ann@example.com", PASSWORD)

    assert account.sessions_ended
    await _assert_ended(identity, pair)


async def test_create_admin_run_again_with_the_same_password_ends_nothing(identity: Identity) -> None:
    await identity.create_admin("staff@example.com", PASSWORD)
    pair = await identity.log_in("staff@example.com", PASSWORD)

    again = await identity.create_admin("staff@example.com", PASSWORD)

    assert (again.created, again.sessions_ended) == (False, False)
    await _assert_alive(identity, pair)


async def test_create_admin_with_another_password_for_an_admin_ends_their_sessions(
    identity: Identity,
) -> None:
    await identity.create_admin("staff@example.com", PASSWORD)
    pair = await identity.log_in("staff@example.com", PASSWORD)

    again = await identity.create_admin("staff@example.com", NEW_PASSWORD)

    assert again.sessions_ended
    await _assert_ended(identity, pair)
    assert (await identity.log_in("staff@example.com", NEW_PASSWORD)).access_token


# --- an admin changing an account (PATCH /admin/users/{id}) --------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        [{"role": Role.ADMIN}],
        [{"role": Role.ADMIN}, {"role": Role.USER}],
        [{"is_active": False}, {"is_active": True}],
        [{"role": Role.ADMIN, "is_active": False}, {"is_active": True}],
    ],
    ids=["promote", "promote-then-demote", "deactivate-then-reactivate", "both-at-once"],
)
async def test_every_change_of_role_or_state_ends_the_sessions_for_good(
    identity: Identity, uow: UnitOfWorkFactory, clock: FrozenClock, changes: list[dict[str, object]]
) -> None:
    admin = await _admin(identity)
    ann = await identity.sign_up("ann@example.com", PASSWORD)
    laptop = await identity.log_in("ann@example.com", PASSWORD)
    phone = await identity.log_in("ann@example.com", PASSWORD)

    for change in changes:
        await ChangeUserAccess(uow, clock)(admin, ann.id or 0, **change)  # type: ignore[arg-type]

    for pair in (laptop, phone):
        await _assert_ended(identity, pair)
    await _assert_alive(identity, await identity.log_in("ann@example.com", PASSWORD))


@pytest.mark.parametrize(
    "same", [{"role": Role.USER}, {"is_active": True}, {"role": Role.USER, "is_active": True}, {}], ids=repr
)
async def test_setting_what_is_already_there_ends_nothing(
    identity: Identity, uow: UnitOfWorkFactory, clock: FrozenClock, same: dict[str, object]
) -> None:
    admin = await _admin(identity)
    ann = await identity.sign_up("ann@example.com", PASSWORD)
    pair = await identity.log_in("ann@example.com", PASSWORD)

    await ChangeUserAccess(uow, clock)(admin, ann.id or 0, **same)  # type: ignore[arg-type]

    await _assert_alive(identity, pair)


async def test_a_change_of_one_user_leaves_the_others_signed_in(
    identity: Identity, uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    admin = await _admin(identity)
    admin_pair = await identity.log_in("staff@example.com", "staff password")
    ann = await identity.sign_up("ann@example.com", PASSWORD)
    await identity.sign_up("bob@example.com", PASSWORD)
    bob = await identity.log_in("bob@example.com", PASSWORD)

    await ChangeUserAccess(uow, clock)(admin, ann.id or 0, role=Role.ADMIN)

    await _assert_alive(identity, bob)
    await _assert_alive(identity, admin_pair)


async def test_the_session_version_is_stored(
    identity: Identity, uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    admin = await _admin(identity)
    ann = await identity.sign_up("ann@example.com", PASSWORD)

    await ChangeUserAccess(uow, clock)(admin, ann.id or 0, role=Role.ADMIN)
    await ChangeUserAccess(uow, clock)(admin, ann.id or 0, role=Role.ADMIN)

    async with uow() as tx:
        stored = await tx.users.get(ann.id or 0)
    assert stored is not None
    assert stored.session_version == ann.session_version + 1


# --- a sign-in racing a change (the password is verified outside any transaction) ---------------


class HasherThatChangesTheAccount:
    """Verifies for real, but lets the account change while it does (as an admin's request landing
    during the slow hash would)."""

    def __init__(self, inner: PasswordHasher, meanwhile: Callable[[], Awaitable[None]]) -> None:
        self._inner = inner
        self._meanwhile = meanwhile

    async def hash(self, password: str) -> str:
        return await self._inner.hash(password)

    async def verify(self, password_hash: str, password: str) -> bool:
        verified = await self._inner.verify(password_hash, password)
        await self._meanwhile()
        return verified

    async def verify_dummy(self, password: str) -> None:
        await self._inner.verify_dummy(password)


async def _log_in_while(
    uow: UnitOfWorkFactory,
    hasher: PasswordHasher,
    sessions: SessionIssuer,
    meanwhile: Callable[[], Awaitable[None]],
) -> TokenPair:
    return await LogIn(uow, HasherThatChangesTheAccount(hasher, meanwhile), sessions)(
        "ann@example.com", PASSWORD
    )


async def _live_refresh_tokens(uow: UnitOfWorkFactory, user_id: int, clock: FrozenClock) -> int:
    """How many refresh tokens of the user are live (counted by revoking them in a transaction
    that is then rolled back)."""
    async with uow() as tx:
        return await tx.refresh_tokens.revoke_all_for_user(user_id, clock.now())


@pytest.fixture
def sessions(tokens: JwtTokenService, clock: FrozenClock) -> SessionIssuer:
    return SessionIssuer(tokens, clock, REFRESH_TTL)


async def test_a_deactivation_during_the_password_check_issues_no_session(
    identity: Identity,
    uow: UnitOfWorkFactory,
    clock: FrozenClock,
    hasher: PasswordHasher,
    sessions: SessionIssuer,
) -> None:
    admin = await _admin(identity)
    ann = await identity.sign_up("ann@example.com", PASSWORD)

    async def deactivate() -> None:
        await ChangeUserAccess(uow, clock)(admin, ann.id or 0, is_active=False)

    with pytest.raises(AccountInactive):
        await _log_in_while(uow, hasher, sessions, deactivate)

    assert await _live_refresh_tokens(uow, ann.id or 0, clock) == 0


async def test_a_role_change_during_the_password_check_is_invalid_credentials(
    identity: Identity,
    uow: UnitOfWorkFactory,
    clock: FrozenClock,
    hasher: PasswordHasher,
    sessions: SessionIssuer,
) -> None:
    admin = await _admin(identity)
    ann = await identity.sign_up("ann@example.com", PASSWORD)

    async def promote() -> None:
        await ChangeUserAccess(uow, clock)(admin, ann.id or 0, role=Role.ADMIN)

    with pytest.raises(InvalidCredentials):
        await _log_in_while(uow, hasher, sessions, promote)

    assert await _live_refresh_tokens(uow, ann.id or 0, clock) == 0
    assert (await identity.log_in("ann@example.com", PASSWORD)).access_token  # a fresh try works


async def test_a_password_change_during_the_password_check_is_invalid_credentials(
    identity: Identity,
    uow: UnitOfWorkFactory,
    clock: FrozenClock,
    hasher: PasswordHasher,
    sessions: SessionIssuer,
) -> None:
    ann = await identity.sign_up("ann@example.com", PASSWORD)
    new_hash = await hasher.hash(NEW_PASSWORD)

    def set_new_password(user: User) -> None:
        user.set_password_hash(new_hash)

    async def change_password() -> None:
        await edit_user(uow, ann.id, set_new_password)

    with pytest.raises(InvalidCredentials):
        await _log_in_while(uow, hasher, sessions, change_password)

    assert await _live_refresh_tokens(uow, ann.id or 0, clock) == 0
    with pytest.raises(InvalidCredentials):
        await identity.log_in("ann@example.com", PASSWORD)


async def test_a_change_that_changes_nothing_during_the_password_check_does_not_refuse(
    identity: Identity,
    uow: UnitOfWorkFactory,
    clock: FrozenClock,
    hasher: PasswordHasher,
    sessions: SessionIssuer,
) -> None:
    admin = await _admin(identity)
    ann = await identity.sign_up("ann@example.com", PASSWORD)

    async def confirm() -> None:
        await ChangeUserAccess(uow, clock)(admin, ann.id or 0, is_active=True, role=Role.USER)

    pair = await _log_in_while(uow, hasher, sessions, confirm)

    await _assert_alive(identity, pair)
