"""Building the async engine, with what SQLite needs to behave under concurrent writers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

SQLITE_BUSY_TIMEOUT_SECONDS = 30
READ_ONLY = "bookshop_read_only"
"""Execution option of connections that only read: on SQLite they begin DEFERRED and wait for no writer."""
UNREACHABLE = (OperationalError, OSError, TimeoutError)
"""What a database that is down, restarting or out of reach raises: answered as StoreUnavailable."""


def lost_the_database(error: BaseException) -> bool:
    """True when `error` means the database could not be reached or the connection died under us."""
    return isinstance(error, UNREACHABLE) or (isinstance(error, DBAPIError) and error.connection_invalidated)


def create_engine(url: str, *, pool_size: int = 20, echo: bool = False) -> AsyncEngine:
    """PostgreSQL: `pool_size` connections kept open per process, and as many again for bursts.
    A pool smaller than the requests a worker serves at once makes it open and close connections
    all the time (measured: 3% of a worker's time in asyncpg's connect), so size it for the load."""
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo=echo)
    return create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=False,
        pool_recycle=1800,
    )


def _sqlite_engine(url: str, *, echo: bool) -> AsyncEngine:
    """Every transaction starts with BEGIN IMMEDIATE: it takes the write lock up front (waiting up to
    the busy timeout), so a transaction that reads then writes can never fail half-way because
    another writer got in first. SQLite has no row locks; this is its way to serialize writers."""
    engine = create_async_engine(
        url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False}
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so the BEGIN below is ours.
        dbapi_connection.isolation_level = None
        # SQLite's own lower() folds ASCII only; Python's folds all of Unicode, like PostgreSQL's.
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def _lower(value: str | None) -> str | None:
    return value.lower() if isinstance(value, str) else value
