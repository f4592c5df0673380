"""Migration 0014: accounts made before email verification existed count as verified (checkout
with REQUIRE_VERIFIED_EMAIL must not lock them out); accounts made after start unverified."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWork
from domain.identity import User
from tests.databases import POSTGRES_URL, migrate, recreate_postgres_schema, sqlite_url

BACKENDS = ["sqlite", *([pytest.param("postgres", marks=pytest.mark.postgres)] if POSTGRES_URL else [])]
OLD_USER = (
    "INSERT INTO users (email, password_hash, role, is_active, created_at, session_version) "
    "VALUES ('old@example.com', 'hash', 'USER', true, '2026-11-01T10:00:00+00:00', 0)"
)


@pytest.fixture
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "before.db")
        return
    assert POSTGRES_URL is not None
    asyncio.run(recreate_postgres_schema(POSTGRES_URL))
    yield POSTGRES_URL
    asyncio.run(recreate_postgres_schema(POSTGRES_URL))  # put the shared schema back at head
    migrate(POSTGRES_URL)


async def _users_after_migration(url: str) -> tuple[User | None, User]:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.exec_driver_sql(OLD_USER)
        await asyncio.to_thread(migrate, url)
        async with SqlUnitOfWork(engine) as uow:
            old = await uow.users.get_by_email("old@example.com")
            new = await uow.users.add(User.register("new@example.com", "hash", datetime.now(UTC)))
            await uow.commit()
        async with SqlUnitOfWork(engine) as uow:
            stored_new = await uow.users.get(new.id or 0)
        assert stored_new is not None
        return old, stored_new
    finally:
        await engine.dispose()


@pytest.mark.parametrize("url", BACKENDS, indirect=True)
def test_accounts_older_than_the_migration_are_verified_and_new_ones_are_not(url: str) -> None:
    migrate(url, "0013")

    old, new = asyncio.run(_users_after_migration(url))

    assert old is not None
    assert old.email_verified
    assert not new.email_verified
