"""The hot PostgreSQL reads on the asyncpg connection itself: a fixed SQL text that asyncpg prepares
once per connection (its statement cache) and runs with the arguments alone. No statement is built,
keyed, compiled or its rows processed by SQLAlchemy per call — measured, that was two thirds of
what reading one product cost, the query itself one third.

The connection still comes from the engine's pool, so every time limit holds as on the SQLAlchemy
path: the pool's timeout bounds waiting for a connection, asyncpg's `command_timeout` and the
server's `statement_timeout` (both set on every connection by `create_engine`) bound the
statement. A database out of reach is StoreUnavailable (503). Reads only, in autocommit: outside a
unit of work, whose transaction SQLAlchemy's driver adapter opens lazily and would not see these."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import greenlet_spawn

from adapters.sqlalchemy.engine import lost_the_database
from application.errors import StoreUnavailable

PRODUCT_COLUMNS = "id, title, series, author, price_cents, stock, is_active, created_at"
USER_COLUMNS = "id, email, password_hash, role, is_active, session_version, created_at, email_verified"
USER_BY_ID = f"SELECT {USER_COLUMNS} FROM users WHERE id = $1"  # noqa: S608 - fixed text


def connection_lost(error: BaseException, driver: Any) -> bool:
    """`error`, raised on this asyncpg connection, means the database is gone (StoreUnavailable,
    503). Besides what `lost_the_database` knows: asyncpg refuses a connection it knows is closed
    (the server ended the session) with a bare InterfaceError that says nothing of it."""
    return lost_the_database(error) or (driver is not None and driver.is_closed())


@asynccontextmanager
async def driver_connection(engine: AsyncEngine) -> AsyncIterator[Any]:
    """The asyncpg connection of a pooled connection, given back to the pool afterwards. One that
    failed because the database is gone, or whose statement was cancelled mid-way, is discarded
    rather than pooled (it may be mid-protocol). Giving back runs where SQLAlchemy's pool may do
    I/O (closing a connection beyond the pool's size), as AsyncConnection does."""
    try:
        pooled = await engine.raw_connection()
    except Exception as error:
        if lost_the_database(error):
            raise StoreUnavailable() from error
        raise
    failed: BaseException | None = None
    try:
        yield pooled.driver_connection
    except asyncio.CancelledError as error:
        failed = error
        raise
    except Exception as error:
        if connection_lost(error, pooled.driver_connection):
            failed = error
            raise StoreUnavailable() from error
        raise
    finally:
        if failed is not None:
            await greenlet_spawn(pooled.invalidate, failed)
        await greenlet_spawn(pooled.close)


async def on_the_driver(driver: Any, sql: str) -> Any:
    """`fetchval` on a driver connection; a database gone is StoreUnavailable (503)."""
    try:
        return await driver.fetchval(sql)
    except Exception as error:
        if connection_lost(error, driver):
            raise StoreUnavailable() from error
        raise


def utc(value: datetime) -> datetime:
    return value.astimezone(UTC)
