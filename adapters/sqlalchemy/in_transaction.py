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

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection


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

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        return list(await (await self._driver()).fetch(sql, *args))

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        return await (await self._driver()).fetchrow(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        return await (await self._driver()).fetchval(sql, *args)

    async def rowcount(self, sql: str, *args: Any) -> int:
        """Runs a DML statement; how many rows it changed (from its command tag, "UPDATE 1")."""
        status = await (await self._driver()).execute(sql, *args)
        return int(status.rsplit(" ", 1)[-1])
