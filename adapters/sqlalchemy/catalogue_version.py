"""The catalogue version (application.ports.CatalogueVersion) kept by the database itself, so that
every worker and every host sharing the database shares it, and it moves with the commits.

- PostgreSQL: a sequence, `catalogue_version`. The unit of work takes its next value right after
  the commit (a sequence is not transactional: taken before the commit, a reader could find the
  new version, read the data the commit had not published yet, and keep it under the new
  version). A reader asks for its `last_value`: one round trip, no lock, no row version. Writers
  never wait on each other for it (a counter row would queue every catalogue write, checkouts
  included, on its row lock until each commit's flush).
- SQLite: the database file's `user_version` header field, set inside the writing transaction
  itself: it is published by the same commit as the data, atomically, so nothing can come
  between them. SQLite serializes writers anyway (BEGIN IMMEDIATE), so no contention is added.

On PostgreSQL the version moves a statement after the commit: a process that dies between the two,
or a connection that drops between them (that write then answers 503, as when a COMMIT's answer is
lost), leaves the version unmoved, and a cached answer can be out of date until the cache's own
maximum age (CATALOG_CACHE_SECONDS) ends it. That is the bound the README states.

The version is read on every cached read, so reading it is kept cheap: see each reader."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sqlalchemy.driver import on_the_driver
from adapters.sqlalchemy.engine import lost_the_database
from adapters.sqlalchemy.queries import read_connection
from application.errors import StoreUnavailable

POSTGRES_READ = "SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM catalogue_version"
"""Until its first nextval (is_called false) a sequence's last_value is the value it will hand out
next: read as is, the first move would leave the version where it was."""
SQLITE_READ = "PRAGMA user_version"
SQLITE_VERSION_MODULUS = 2**31
"""user_version is a signed 32-bit field: the version wraps around to 0 after 2**31 - 1, which is
harmless, as versions are only compared for equality."""


class PostgresCatalogueVersion:
    """Reads on one connection of the engine's pool kept for it (SharedVersionReads in front makes
    it one read at a time per process), straight on the driver: a prepared statement, one round
    trip, without the pool checkout, the statement compiling and the result machinery each
    read through SQLAlchemy would cost. A kept connection found closed is replaced before it is
    used; one that fails otherwise than by timing out (the server ended it a moment ago, and
    the driver has not noticed yet) is replaced and the read tried once more. A time-out is not
    tried again: a hung server would make the caller wait twice the time limit."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._conn: AsyncConnection | None = None
        self._lock = asyncio.Lock()

    async def current(self) -> int:
        async with self._lock:
            kept = self._conn is not None
            try:
                return await self._read()
            except Exception as error:
                await self._drop(invalidate=True)
                if not kept or isinstance(error, TimeoutError):
                    _raise_unavailable(error)
                    raise
            try:
                return await self._read()
            except Exception as error:
                await self._drop(invalidate=True)
                _raise_unavailable(error)
                raise

    async def _read(self) -> int:
        driver = await self._driver()
        return int(await on_the_driver(driver, POSTGRES_READ))

    async def _driver(self) -> Any:
        if self._conn is not None:
            driver = (await self._conn.get_raw_connection()).driver_connection
            if driver is not None and not driver.is_closed():
                return driver
            await self._drop(invalidate=True)
        self._conn = await self._engine.connect()
        driver = (await self._conn.get_raw_connection()).driver_connection
        if driver is None:
            raise RuntimeError("a pooled connection without its driver connection")
        return driver

    async def _drop(self, *, invalidate: bool) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if invalidate:
            with contextlib.suppress(Exception):  # it failed already; what matters is its error
                await conn.invalidate()
        await conn.close()

    async def close(self) -> None:
        """Give the connection back to the pool (before the pool is disposed of)."""
        async with self._lock:
            await self._drop(invalidate=False)


def _raise_unavailable(error: Exception) -> None:
    """StoreUnavailable (503) when `error` says the database is out of reach."""
    if lost_the_database(error):
        raise StoreUnavailable() from error


class SqliteCatalogueVersion:
    """Reads a field of the database file's header through a plain sqlite3 connection of its own,
    on the event loop itself: a few microseconds, where aiosqlite's hop to its thread and back
    (three of them through SQLAlchemy: BEGIN, the PRAGMA, ROLLBACK) costs tens. In WAL mode a
    reader never waits for a writer; in the rare moments it would have to (another connection
    recovering the WAL), this connection does not wait (busy timeout 0) and the read goes through
    the engine, which waits the asynchronous way."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        database = make_url(engine.url).database
        self._path = None if database in (None, "", ":memory:") else Path(database).resolve()
        self._conn: sqlite3.Connection | None = None

    async def current(self) -> int:
        if self._path is not None:
            try:
                if self._conn is None:
                    self._conn = sqlite3.connect(
                        f"{self._path.as_uri()}?mode=rw",
                        uri=True,
                        timeout=0,
                        isolation_level=None,
                        check_same_thread=False,
                    )
                return int(self._conn.execute(SQLITE_READ).fetchone()[0])
            except sqlite3.OperationalError:
                pass
        async with read_connection(self._engine) as conn:
            return int((await conn.exec_driver_sql(SQLITE_READ)).scalar_one())

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


SqlCatalogueVersion = PostgresCatalogueVersion | SqliteCatalogueVersion


def sql_catalogue_version(engine: AsyncEngine) -> SqlCatalogueVersion:
    if engine.dialect.name == "postgresql":
        return PostgresCatalogueVersion(engine)
    return SqliteCatalogueVersion(engine)


async def move_on_before_commit(conn: AsyncConnection) -> None:
    """Within the transaction that changed the catalogue, just before its COMMIT (SQLite)."""
    if conn.dialect.name == "sqlite":
        version = int((await conn.exec_driver_sql(SQLITE_READ)).scalar_one())
        # PRAGMA takes no bound parameters; the value is an int we computed.
        await conn.exec_driver_sql(f"PRAGMA user_version = {(version + 1) % SQLITE_VERSION_MODULUS}")


async def move_on_after_commit(conn: AsyncConnection) -> None:
    """Right after the COMMIT of a transaction that changed the catalogue (PostgreSQL), on the
    connection that committed: one round trip, outside any transaction, straight on the driver's
    connection (through SQLAlchemy it would be BEGIN, the statement and COMMIT: three; and switching
    the connection to autocommit would outlast this statement for the rest of the unit of work)."""
    if conn.dialect.name == "postgresql":
        driver = (await conn.get_raw_connection()).driver_connection
        if driver is None:
            raise RuntimeError("the connection that just committed has no driver connection")
        await on_the_driver(driver, "SELECT nextval('catalogue_version')")
