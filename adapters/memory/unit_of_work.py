from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Self

from adapters.memory.repositories.account_tokens import MemoryAccountTokenRepository
from adapters.memory.repositories.carts import MemoryCartRepository
from adapters.memory.repositories.idempotency_keys import MemoryIdempotencyKeyRepository
from adapters.memory.repositories.orders import MemoryOrderRepository
from adapters.memory.repositories.outbox import MemoryOutbox
from adapters.memory.repositories.payment_events import MemoryPaymentEventLog
from adapters.memory.repositories.products import MemoryProductRepository
from adapters.memory.repositories.refresh_tokens import MemoryRefreshTokenRepository
from adapters.memory.repositories.refunds import MemoryRefundRepository
from adapters.memory.repositories.users import MemoryUserRepository
from adapters.memory.store import MemoryStore, Tables


class MemoryUnitOfWork:
    """Works on a snapshot of the store and publishes it on commit, so a use case that fails after
    writing leaves nothing behind, exactly as a database rollback would."""

    def __init__(
        self,
        store: MemoryStore,
        messages_committed: Callable[[Sequence[str]], Awaitable[None]] | None = None,
    ) -> None:
        self._store = store
        self._work: Tables | None = None
        self._messages_committed = messages_committed

    async def __aenter__(self) -> Self:
        await self._store.lock.acquire()
        self._begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._work = None
        self._store.lock.release()

    async def commit(self) -> None:
        if self._work is None:
            raise RuntimeError("commit outside of `async with`")
        self._store.committed = self._work
        if self.products.changed:
            self._store.catalogue_version += 1
        recorded = self.outbox.recorded
        self._begin()
        if recorded and self._messages_committed is not None:
            await self._messages_committed(recorded)

    def _begin(self) -> None:
        work = self._store.committed.snapshot()
        self._work = work
        self.users = MemoryUserRepository(work, self._store)
        self.refresh_tokens = MemoryRefreshTokenRepository(work, self._store)
        self.products = MemoryProductRepository(work, self._store)
        self.carts = MemoryCartRepository(work, self._store)
        self.orders = MemoryOrderRepository(work, self._store)
        self.idempotency_keys = MemoryIdempotencyKeyRepository(work)
        self.payment_events = MemoryPaymentEventLog(work)
        self.refunds = MemoryRefundRepository(work, self._store)
        self.outbox = MemoryOutbox(work)
        self.account_tokens = MemoryAccountTokenRepository(work, self._store)
