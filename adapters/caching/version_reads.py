"""Concurrent readers of the catalogue version sharing a read, without ever being handed a version
from before they asked."""

from __future__ import annotations

import asyncio

from application.errors import StoreUnavailable
from application.ports import CatalogueVersion


class SharedVersionReads:
    """A CatalogueVersion in front of another, that reads it at most once at a time per process.

    A caller may only be given a read that started after it called: one started earlier may have
    left before a write whose response the caller had already received moved the version on. So
    a caller that arrives while a read is running does not join it: it waits for the next one,
    which starts the moment the running one ends and answers everybody who arrived meanwhile.
    Under load that is one read per round trip, whatever the request rate, and each caller waits
    at most two round trips. A failed read fails every caller that shared it. A read that fails
    because the database is out of reach (StoreUnavailable) also answers those waiting for the next
    one: it failed while they waited, and a second read would hold them for twice the time limit
    when the database hangs."""

    def __init__(self, inner: CatalogueVersion) -> None:
        self._inner = inner
        self._running: asyncio.Future[int] | None = None
        self._next: asyncio.Future[int] | None = None

    async def current(self) -> int:
        if self._running is None:
            read = self._start()
        else:
            if self._next is None:
                self._next = asyncio.get_running_loop().create_future()
                self._next.add_done_callback(_retrieve)
            read = self._next
        return await asyncio.shield(read)

    def _start(self) -> asyncio.Future[int]:
        running = asyncio.ensure_future(self._inner.current())
        self._running = running
        running.add_done_callback(self._ended)
        return running

    def _ended(self, running: asyncio.Future[int]) -> None:
        _retrieve(running)
        self._running = None
        waiting, self._next = self._next, None
        if waiting is None or waiting.done():
            return
        if not running.cancelled() and isinstance(running.exception(), StoreUnavailable):
            _pass_on(running, waiting)
        else:
            self._start().add_done_callback(lambda read: _pass_on(read, waiting))


def _pass_on(read: asyncio.Future[int], waiting: asyncio.Future[int]) -> None:
    if waiting.done():
        return
    if read.cancelled():
        waiting.cancel()
    elif (error := read.exception()) is not None:
        waiting.set_exception(error)
    else:
        waiting.set_result(read.result())


def _retrieve(future: asyncio.Future[int]) -> None:
    """Mark a failure as seen: its callers may all have gone (asyncio would log it as never retrieved)."""
    if not future.cancelled():
        future.exception()
