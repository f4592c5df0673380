"""Fixed SQL on the asyncpg connection of a unit of work, inside the unit of work's transaction
(PostgreSQL): what a checkout's dozen statements cost through SQLAlchemy (building, caching,
compiling, processing each row) was most of what a checkout cost, the statements themselves the
rest.

SQLAlchemy's asyncpg adapter opens its transaction lazily, at its first statement: a statement sent
straight to the driver before that would run on its own, in autocommit, and survive a rollback.
So each call first makes sure the transaction is open, SQLAlchemy's and the driver's (the BEGIN
SQLAlchemy would have sent at its first statement); the unit of work's commit and rollback then
end it, whichever path sent its statements."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.driver import connection_lost
from application.errors import StoreUnavailable


class DriverInTransaction:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def _driver(self) -> Any:
        conn = self._conn
        if not conn.in_transaction():
            await conn.begin()
        raw = await conn.get_raw_connection()
        adapted: Any = raw.dbapi_connection
        if adapted._transaction is None:
            await adapted._start_transaction()
        return raw.driver_connection

    async def _run(self, method: str, sql: str, *args: Any) -> Any:
        """A connection that failed because the database is gone, or whose statement timed out or
        was cancelled mid-way, is invalidated, as SQLAlchemy does with its own statements: the
        unit of work then leaves without a ROLLBACK that would wait on a frozen server again."""
        driver = await self._driver()
        try:
            return await getattr(driver, method)(sql, *args)
        except asyncio.CancelledError as error:
            await self._conn.invalidate(error)
            raise
        except Exception as error:
            if connection_lost(error, driver):
                await self._conn.invalidate(error)
                raise StoreUnavailable() from error
            if isinstance(error, TimeoutError):
                await self._conn.invalidate(error)
            raise

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        return list(await self._run("fetch", sql, *args))

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        return await self._run("fetchrow", sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        return await self._run("fetchval", sql, *args)

    async def rowcount(self, sql: str, *args: Any) -> int:
        """Runs a DML statement; how many rows it changed (from its command tag, "UPDATE 1")."""
        status: str = await self._run("execute", sql, *args)
        return int(status.rsplit(" ", 1)[-1])
