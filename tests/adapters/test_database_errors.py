"""Which database errors mean "the database is not there" (503), as the driver and SQLAlchemy raise them."""

from __future__ import annotations

import pytest
from asyncpg import exceptions as pg  # type: ignore[import-untyped]
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from adapters.sqlalchemy.engine import lost_the_database


def as_sqlalchemy_raises_it(error: Exception, wrapper: type[DBAPIError] = DBAPIError) -> DBAPIError:
    """Wrapped the way SQLAlchemy wraps a driver error: the driver's error as `orig` and cause."""
    try:
        raise wrapper("SELECT 1", None, error) from error
    except DBAPIError as wrapped:
        return wrapped


@pytest.mark.parametrize(
    "error",
    [
        pg.CannotConnectNowError("the database system is starting up"),
        pg.CannotConnectNowError("the database system is shutting down"),
        pg.AdminShutdownError("terminating connection due to administrator command"),
        pg.CrashShutdownError("terminating connection because of crash of another server process"),
        pg.QueryCanceledError("canceling statement due to statement timeout"),
        pg.TooManyConnectionsError("sorry, too many clients already"),
        pg.ConnectionFailureError("connection failure"),
        pg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError(),
        PoolTimeout("QueuePool limit of size 5 overflow 5 reached, connection timed out, timeout 1.00"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_the_database_not_being_there_is_recognised_raw_or_wrapped(error: Exception) -> None:
    assert lost_the_database(error)
    assert lost_the_database(as_sqlalchemy_raises_it(error))


@pytest.mark.parametrize(
    "wrapped",
    [
        as_sqlalchemy_raises_it(pg.UniqueViolationError("duplicate key value"), IntegrityError),
        as_sqlalchemy_raises_it(pg.CheckViolationError("violates check constraint"), IntegrityError),
        as_sqlalchemy_raises_it(pg.UndefinedColumnError("column does not exist")),
        as_sqlalchemy_raises_it(pg.InterfaceError("the server expects 2 arguments"), InterfaceError),
    ],
    ids=["unique", "check", "undefined column", "bad arguments"],
)
def test_a_refusal_or_a_defect_is_not_an_outage(wrapped: DBAPIError) -> None:
    assert not lost_the_database(wrapped)
