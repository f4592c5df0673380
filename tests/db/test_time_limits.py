"""The engine's time limits: a slow statement, a busy pool, a locked SQLite file and a database that
freezes in the middle of a transaction all end as StoreUnavailable within the limit, and the
engine serves again as soon as the database does."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.queries import read_connection
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWork
from application.errors import StoreUnavailable
from tests.databases import migrate, sqlite_url
from tests.outages import PostgresCluster

LIMIT = 0.5
SLACK = 0.5


@pytest.fixture
async def bounded_postgres(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(postgres_url, pool_size=1, timeout_seconds=LIMIT)
    yield engine
    await engine.dispose()


@pytest.mark.postgres
async def test_a_statement_slower_than_the_limit_is_store_unavailable_and_the_pool_still_serves(
    bounded_postgres: AsyncEngine,
) -> None:
    started = time.perf_counter()
    with pytest.raises(StoreUnavailable):
        async with read_connection(bounded_postgres) as conn:
            await conn.execute(text("SELECT pg_sleep(5)"))
    elapsed = time.perf_counter() - started

    async with read_connection(bounded_postgres) as conn:
        answer = await conn.scalar(text("SELECT 1"))

    assert elapsed < LIMIT + SLACK
    assert answer == 1


@pytest.mark.postgres
async def test_waiting_for_a_pooled_connection_is_bounded(bounded_postgres: AsyncEngine) -> None:
    """Pool of one, overflow of one: the third reader waits at most the limit for a connection."""
    release = asyncio.Event()

    async def hold() -> None:
        async with read_connection(bounded_postgres):
            await release.wait()

    holders = [asyncio.ensure_future(hold()) for _ in range(2)]
    await asyncio.sleep(0.2)
    started = time.perf_counter()
    try:
        with pytest.raises(StoreUnavailable):
            async with read_connection(bounded_postgres):
                pass
    finally:
        release.set()
        await asyncio.gather(*holders)

    assert LIMIT - 0.1 < time.perf_counter() - started < LIMIT + SLACK


def test_a_locked_sqlite_file_is_store_unavailable_after_the_busy_timeout(tmp_path: Path) -> None:
    path = tmp_path / "bookshop.db"
    migrate(sqlite_url(path))
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process holds the write lock

    async def write() -> None:
        engine = create_engine(sqlite_url(path), timeout_seconds=LIMIT)
        try:
            async with SqlUnitOfWork(engine) as uow:
                await uow.users.get(1)
        finally:
            await engine.dispose()

    started = time.perf_counter()
    try:
        with pytest.raises(StoreUnavailable):
            asyncio.run(write())
    finally:
        writer.execute("ROLLBACK")
        writer.close()

    assert time.perf_counter() - started < LIMIT + SLACK + 0.5


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresCluster]:
    with PostgresCluster() as running:
        migrate(running.url())
        yield running


@pytest.fixture
async def bounded_cluster(cluster: PostgresCluster) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(cluster.url(), pool_size=2, timeout_seconds=LIMIT)
    yield engine
    await engine.dispose()


@pytest.mark.postgres
async def test_a_database_frozen_in_mid_transaction_is_store_unavailable_within_the_limit(
    cluster: PostgresCluster, bounded_cluster: AsyncEngine
) -> None:
    """The transaction has begun on a live server, then the server freezes: the statement times
    out, and leaving the unit of work does not wait on the frozen server either."""
    frozen_at: list[float] = []

    async def read_twice() -> None:
        async with SqlUnitOfWork(bounded_cluster) as uow:
            await uow.users.get(1)
            cluster.freeze()
            frozen_at.append(time.perf_counter())
            await uow.users.get(2)

    try:
        with pytest.raises(StoreUnavailable):
            await read_twice()
        elapsed = time.perf_counter() - frozen_at[0]
    finally:
        cluster.resume()

    async with SqlUnitOfWork(bounded_cluster) as uow:
        found = await uow.users.get(1)

    assert elapsed < LIMIT + SLACK
    assert found is None


@pytest.mark.postgres
async def test_connecting_to_a_frozen_database_is_bounded_and_it_serves_once_thawed(
    cluster: PostgresCluster, bounded_cluster: AsyncEngine
) -> None:
    cluster.freeze()
    try:
        started = time.perf_counter()
        with pytest.raises(StoreUnavailable):
            async with SqlUnitOfWork(bounded_cluster) as uow:
                await uow.users.get(1)
        elapsed = time.perf_counter() - started
    finally:
        cluster.resume()

    async with read_connection(bounded_cluster) as conn:
        answer = await conn.scalar(text("SELECT 1"))

    assert elapsed < LIMIT + SLACK
    assert answer == 1
