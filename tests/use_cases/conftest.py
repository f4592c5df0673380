from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from adapters.security.argon2_hasher import Argon2PasswordHasher
from adapters.security.jwt_tokens import JwtTokenService
from application.accounts import CreateAdmin
from application.identity import (
    Authenticate,
    LogIn,
    LogOut,
    RefreshSession,
    SessionIssuer,
    SignUp,
)
from application.ports import UnitOfWorkFactory
from domain.identity import User
from tests.conftest import TEST_JWT_SECRET
from tests.fakes import FrozenClock, RecordingHasher

REFRESH_TTL = timedelta(days=14)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def hasher() -> Iterator[RecordingHasher]:
    inner = Argon2PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    yield RecordingHasher(inner)
    inner.close()


@pytest.fixture
def tokens() -> JwtTokenService:
    return JwtTokenService(TEST_JWT_SECRET, access_token_ttl_seconds=900)


@dataclass(frozen=True)
class Identity:
    sign_up: SignUp
    log_in: LogIn
    refresh: RefreshSession
    log_out: LogOut
    authenticate: Authenticate
    create_admin: CreateAdmin


@pytest.fixture
def identity(
    uow: UnitOfWorkFactory, hasher: RecordingHasher, tokens: JwtTokenService, clock: FrozenClock
) -> Identity:
    sessions = SessionIssuer(tokens, clock, REFRESH_TTL)
    return Identity(
        sign_up=SignUp(uow, hasher, clock),
        log_in=LogIn(uow, hasher, sessions),
        refresh=RefreshSession(uow, tokens, sessions, clock),
        log_out=LogOut(uow, tokens, clock),
        authenticate=Authenticate(uow, tokens),
        create_admin=CreateAdmin(uow, hasher, clock),
    )


async def edit_user(uow: UnitOfWorkFactory, user_id: int | None, change: Callable[[User], None]) -> None:
    """Change a stored user behind the use cases' back (what an admin or the CLI would do)."""
    async with uow() as tx:
        stored = await tx.users.get(user_id or 0)
        assert stored is not None
        change(stored)
        await tx.users.update(stored)
        await tx.commit()


def deactivate(user: User) -> None:
    user.is_active = False
