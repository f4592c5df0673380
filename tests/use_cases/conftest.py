from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from adapters.security.argon2_hasher import Argon2PasswordHasher
from adapters.security.jwt_tokens import JwtTokenService
from application.identity import (
    Authenticate,
    CreateAdmin,
    LogIn,
    LogOut,
    RefreshSession,
    SessionIssuer,
    SignUp,
)
from application.ports import UnitOfWorkFactory
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
