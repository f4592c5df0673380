"""The statements sent straight to asyncpg on PostgreSQL answer as the SQLAlchemy ones do when the
server has ended the session: StoreUnavailable (503), never a bare driver error (500)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.in_transaction import DriverInTransaction
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWork
from application.errors import StoreUnavailable

pytestmark = pytest.mark.backends("postgres")


async def _close_driver(conn: AsyncConnection) -> None:
    """What asyncpg knows once the server ended a session: its connection is closed."""
    driver: Any = (await conn.get_raw_connection()).driver_connection
    await driver.close()


async def _statement_after_the_server_ended_the_session(engine: AsyncEngine) -> None:
    async with SqlUnitOfWork(engine) as uow:
        assert await uow.users.get(1) is None  # the lean path works, and opened the transaction
        conn = uow._conn  # the test plays the server ending the session
        assert conn is not None
        await _close_driver(conn)
        await DriverInTransaction(conn).fetchval("SELECT 1")


async def test_a_statement_on_a_connection_the_server_ended_is_store_unavailable(database_url: str) -> None:
    engine = create_engine(database_url, pool_size=1)
    try:
        with pytest.raises(StoreUnavailable):
            await _statement_after_the_server_ended_the_session(engine)
        async with SqlUnitOfWork(engine) as uow:  # the pool gave up the dead connection
            assert await uow.users.get(1) is None
    finally:
        await engine.dispose()
