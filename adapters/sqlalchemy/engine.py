"""Building the async engine: every wait on the database bounded, and what SQLite needs to behave
under concurrent writers."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from asyncpg.exceptions import ConnectionDoesNotExistError  # type: ignore[import-untyped]
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

SQLITE_BUSY_TIMEOUT_SECONDS = 30
"""SQLite's busy timeout when no time limit is given (migrations, maintenance)."""
READ_ONLY = "bookshop_read_only"
"""Execution option of connections that only read: on SQLite they begin DEFERRED and wait for no writer."""
UNREACHABLE = (OperationalError, OSError, TimeoutError, PoolTimeout)
"""What a database that is down, restarting, hung or out of reach raises (TimeoutError: the server
did not answer in time; PoolTimeout: no pooled connection came free in time)."""
GONE_SQLSTATES = ("08", "53", "57P", "57014")
"""PostgreSQL error classes that mean the database is not there to serve: connection exceptions
(08), insufficient resources such as too many connections (53), operator intervention — shutting
down, crashed, starting up (57P01-57P05) — and a statement cancelled by statement_timeout (57014)."""


def lost_the_database(error: BaseException) -> bool:
    """True when `error` means the database could not be reached, did not answer in time, is
    shutting down or starting, or the connection died under us: answered as StoreUnavailable (503),
    never as a defect. Looks through SQLAlchemy's wrapping at what the driver raised."""
    for link in _causes(error):
        if isinstance(link, (*UNREACHABLE, ConnectionDoesNotExistError)):
            return True
        if isinstance(link, DBAPIError) and link.connection_invalidated:
            return True
        sqlstate = getattr(link, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(GONE_SQLSTATES):
            return True
    return False


def _causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    link: BaseException | None = error
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        yield link
        orig = getattr(link, "orig", None)
        link = orig if isinstance(orig, BaseException) and id(orig) not in seen else link.__cause__


def create_engine(
    url: str, *, pool_size: int = 20, echo: bool = False, timeout_seconds: float | None = None
) -> AsyncEngine:
    """PostgreSQL: `pool_size` connections kept open per process, and as many again for bursts.
    A pool smaller than the requests a worker serves at once makes it open and close connections
    all the time (measured: 3% of a worker's time in asyncpg's connect), so size it for the load.

    `timeout_seconds` bounds every wait on the database: connecting (asyncpg's `timeout`), taking
    a connection from a busy pool (`pool_timeout`), each statement, BEGIN, COMMIT and ROLLBACK (the
    driver's `command_timeout`, which also covers a server that stopped answering altogether, and
    the server's own `statement_timeout`, which frees the server and its locks), and SQLite's busy
    timeout. A wait that runs out raises, and the unit of work and the read side answer 503. None
    keeps the drivers' defaults: for migrations and maintenance, whose statements may rightly run
    long. The application passes DB_TIMEOUT_SECONDS."""
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo=echo, timeout_seconds=timeout_seconds)
    bounds: dict[str, Any] = {}
    if timeout_seconds is not None:
        bounds["pool_timeout"] = timeout_seconds
        bounds["connect_args"] = {
            "timeout": timeout_seconds,
            "command_timeout": timeout_seconds,
            "server_settings": {"statement_timeout": str(math.ceil(timeout_seconds * 1000))},
        }
    engine = create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=False,
        pool_recycle=1800,
        **bounds,
    )
    _recover_from_outages(engine)
    return engine


def _recover_from_outages(engine: AsyncEngine) -> None:
    """What pooled connections do when the server hangs, restarts or goes away, so that requests
    answer 503 within the bound meanwhile and 200 again as soon as it is back, with no restart.
    (A statement that timed out needs nothing here: asyncpg cancels it, and drops the connection
    itself when the server does not acknowledge the cancel within the next command's time limit.)

    - A server that restarted closed every connection it had: each closed one is noticed when it
      is taken from the pool (asyncpg saw the socket close; no round trip) and replaced then, so
      the first requests after a restart do not fail on dead connections.
    - Closing a pooled connection never waits on the server: it is aborted rather than said goodbye
      to (SQLAlchemy waits up to 2 s for a hung server's answer to the goodbye; PostgreSQL does not
      mind an idle client leaving without it)."""

    @event.listens_for(engine.sync_engine.pool, "checkout")
    def _on_checkout(_dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        driver = record.driver_connection
        if driver is not None and driver.is_closed():
            raise DisconnectionError("the server closed this pooled connection")

    @event.listens_for(engine.sync_engine.pool, "close")
    def _on_close(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        driver = record.driver_connection
        if driver is not None and not driver.is_closed():
            driver.terminate()


def _sqlite_engine(url: str, *, echo: bool, timeout_seconds: float | None) -> AsyncEngine:
    """Every transaction starts with BEGIN IMMEDIATE: it takes the write lock up front (waiting up to
    the busy timeout), so a transaction that reads then writes can never fail half-way because
    another writer got in first. SQLite has no row locks; this is its way to serialize writers."""
    busy_timeout = SQLITE_BUSY_TIMEOUT_SECONDS if timeout_seconds is None else timeout_seconds
    database = make_url(url).database
    bounds: dict[str, Any] = {}
    if timeout_seconds is not None and database not in (None, "", ":memory:"):
        bounds["pool_timeout"] = timeout_seconds  # an in-memory database has a single connection
    engine = create_async_engine(
        url, echo=echo, connect_args={"timeout": busy_timeout, "check_same_thread": False}, **bounds
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
