"""The catalogue version's readers on a real database: they keep working when the database drops
their connection, and a version that cannot be read is StoreUnavailable, never a guess."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sqlalchemy.catalogue_version import (
    POSTGRES_READ,
    PostgresCatalogueVersion,
    sql_catalogue_version,
)
from adapters.sqlalchemy.engine import create_engine
from application.errors import StoreUnavailable
from tests.outages import silent_listener


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=2, timeout_seconds=2)
    yield engine
    await engine.dispose()


@pytest.mark.backends("postgres")
async def test_a_connection_the_server_closed_is_replaced_without_a_failed_read(engine: AsyncEngine) -> None:
    version = sql_catalogue_version(engine)
    assert isinstance(version, PostgresCatalogueVersion)
    first = await version.current()
    async with engine.connect() as conn:  # what a server restart does to it
        ended = await conn.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query LIKE :version_read"
            ),
            {"version_read": f"{POSTGRES_READ[:30]}%"},
        )
    assert ended == 1

    try:
        assert await version.current() == first
    finally:
        await version.close()


async def test_a_version_that_cannot_be_read_is_store_unavailable() -> None:
    with silent_listener() as port:  # a database that accepts connections and never answers
        engine = create_engine(
            f"postgresql+asyncpg://postgres@127.0.0.1:{port}/bookshop", pool_size=1, timeout_seconds=0.5
        )
        version = sql_catalogue_version(engine)
        try:
            with pytest.raises(StoreUnavailable):
                await version.current()
        finally:
            await version.close()
            await engine.dispose()
