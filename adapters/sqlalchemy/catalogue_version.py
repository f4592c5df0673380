"""The catalogue version (application.ports.CatalogueVersion) kept by the database itself, so that
every worker and every host sharing the database shares it, and it moves with the commits.

- PostgreSQL: a sequence, `catalogue_version`. The unit of work takes its next value right after
  the commit (a sequence is not transactional: taken before the commit, a reader could find the
  new version, read the data the commit had not published yet, and keep it under the new
  version). A reader asks for `last_value`: one round trip, no lock, no row version. Writers
  never wait on each other for it (a counter row would queue every catalogue write, checkouts
  included, on its row lock until each commit's flush).
- SQLite: the database file's `user_version` header field, set inside the writing transaction
  itself: it is published by the same commit as the data, atomically, so nothing can come
  between them. SQLite serializes writers anyway (BEGIN IMMEDIATE), so no contention is added.

On PostgreSQL the version moves a statement after the commit: a process that dies between the two,
or a connection that drops between them (that write then answers 503, as when a COMMIT's answer is
lost), leaves the version unmoved, and a cached answer can be out of date until the cache's own
maximum age (CATALOG_CACHE_SECONDS) ends it. That is the bound the README states."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sqlalchemy.queries import read_connection

_READ = {
    # Until its first nextval (is_called false), a sequence's last_value is the value it will hand
    # out next: the first move would otherwise leave the version where it was.
    "postgresql": text(
        "SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM catalogue_version"
    ),
    "sqlite": text("PRAGMA user_version"),
}
SQLITE_VERSION_MODULUS = 2**31
"""user_version is a signed 32-bit field: the version wraps around to 0 after 2**31 - 1, which is
harmless, as versions are only compared for equality."""


class SqlCatalogueVersion:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._read = _READ[engine.dialect.name]

    async def current(self) -> int:
        async with read_connection(self._engine) as conn:
            return int((await conn.execute(self._read)).scalar_one())


async def move_on_before_commit(conn: AsyncConnection) -> None:
    """Within the transaction that changed the catalogue, just before its COMMIT (SQLite)."""
    if conn.dialect.name == "sqlite":
        version = int((await conn.execute(_READ["sqlite"])).scalar_one())
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
        await driver.fetchval("SELECT nextval('catalogue_version')")
