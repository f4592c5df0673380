from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Self

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sqlalchemy.catalogue_version import move_on_after_commit, move_on_before_commit
from adapters.sqlalchemy.engine import UNREACHABLE, lost_the_database
from adapters.sqlalchemy.in_transaction import DriverInTransaction
from adapters.sqlalchemy.repositories.account_tokens import SqlAccountTokenRepository
from adapters.sqlalchemy.repositories.carts import SqlCartRepository
from adapters.sqlalchemy.repositories.idempotency_keys import SqlIdempotencyKeyRepository
from adapters.sqlalchemy.repositories.orders import SqlOrderRepository
from adapters.sqlalchemy.repositories.outbox import SqlOutbox
from adapters.sqlalchemy.repositories.payment_events import SqlPaymentEventLog
from adapters.sqlalchemy.repositories.products import SqlProductRepository
from adapters.sqlalchemy.repositories.refresh_tokens import SqlRefreshTokenRepository
from adapters.sqlalchemy.repositories.refunds import SqlRefundRepository
from adapters.sqlalchemy.repositories.users import SqlUserRepository
from application.errors import StoreUnavailable


class SqlUnitOfWork:
    """One database transaction on one pooled connection; rolled back unless committed.

    A database that cannot be reached, does not answer within the engine's time limits, is
    shutting down or starting, or drops the connection, is StoreUnavailable (503): when taking the
    connection, at any statement in the block, and at commit."""

    def __init__(
        self,
        engine: AsyncEngine,
        messages_committed: Callable[[Sequence[str]], Awaitable[None]] | None = None,
    ) -> None:
        self._engine = engine
        self._conn: AsyncConnection | None = None
        self._messages_committed = messages_committed
        """Told the ids of the outbox messages a commit made durable (application.deliver_messages)."""

    async def __aenter__(self) -> Self:
        try:
            conn = await self._engine.connect()
        except Exception as error:
            if lost_the_database(error):
                raise StoreUnavailable() from error
            raise
        self._conn = conn
        lean = DriverInTransaction(conn) if conn.dialect.name == "postgresql" else None
        self.users = SqlUserRepository(conn, lean)
        self.refresh_tokens = SqlRefreshTokenRepository(conn)
        self.products = SqlProductRepository(conn, lean)
        self.carts = SqlCartRepository(conn, lean)
        self.orders = SqlOrderRepository(conn, lean)
        self.idempotency_keys = SqlIdempotencyKeyRepository(conn)
        self.payment_events = SqlPaymentEventLog(conn)
        self.refunds = SqlRefundRepository(conn)
        self.outbox = SqlOutbox(conn)
        self.account_tokens = SqlAccountTokenRepository(conn)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if conn.in_transaction():
                await conn.rollback()
        except (*UNREACHABLE, DBAPIError):
            await conn.invalidate()
        finally:
            await conn.close()
        if exc is not None and lost_the_database(exc):
            raise StoreUnavailable() from exc

    async def commit(self) -> None:
        """Commits; when a product or its stock changed, moves the catalogue version on (see
        adapters.sqlalchemy.catalogue_version) before returning, so that the response of the
        request that wrote goes out only once every cache in front of the catalogue is outdated."""
        if self._conn is None:
            raise RuntimeError("commit outside of `async with`")
        catalogue_changed = self.products.changed
        if catalogue_changed:
            await move_on_before_commit(self._conn)
        await self._conn.commit()
        if catalogue_changed:
            self.products.changed = False
            await move_on_after_commit(self._conn)
        recorded, self.outbox.recorded = self.outbox.recorded, []
        if recorded and self._messages_committed is not None:
            await self._messages_committed(recorded)
