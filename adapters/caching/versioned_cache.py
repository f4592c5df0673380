"""The one cache in front of the catalogue: answers valid only for the catalogue version they were
read under.

Every get reads the current version first (application.ports.CatalogueVersion: a read that
started after the call), then serves the entry for the key only if it was loaded under that very
version; otherwise it loads, and keeps the answer under the version it read before loading. The
unit of work moves the version on once a catalogue write is visible and before the write's
response goes out, so a request that starts after that response can never be served an answer
loaded before the write: read-your-writes on every worker and host, with no expiry to wait for.

- A version that cannot be read is never guessed: the caller gets the error (StoreUnavailable,
  503), and nothing cached is served. (The version lives in the database the answers are loaded
  from: a second try there would only double the wait.)
- `max_age` is a backstop, not the freshness rule: a write whose process died between its
  commit and moving the version on (see adapters.sqlalchemy.catalogue_version) would otherwise
  leave an outdated entry for as long as nothing else moved the version.
- A key is loaded by one caller at a time per version: callers that read the same version share
  the load, since it started after that version was read and so sees every write up to it.
  Nobody waits for a shared load longer than `wait_at_most` (the database's time limit): a hung
  database answers them StoreUnavailable, while the load goes on, bounded by the engine's limits.
- Entries are bounded by total weight (`weigh`, 1 each by default), the least recently used go
  first; entries of an earlier version are all dropped as soon as a newer one is seen."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from application.errors import StoreUnavailable
from application.ports import CatalogueVersion

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class _Entry(Generic[V]):
    value: V
    version: int
    expires: float
    weight: int


def _one(_: object) -> int:
    return 1


def _always(_: object) -> bool:
    return True


class VersionedCache(Generic[K, V]):
    def __init__(
        self,
        version: CatalogueVersion,
        *,
        max_age: float,
        capacity: int = 5_000,
        weigh: Callable[[V], int] = _one,
        keep: Callable[[V], bool] = _always,
        wait_at_most: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`keep` says which answers are worth keeping (the others still go to every caller that
        shared their load); `capacity` bounds the total of `weigh` over the entries kept."""
        self._version = version
        self._max_age = max_age
        self._capacity = capacity
        self._weigh = weigh
        self._keep = keep
        self._wait_at_most = wait_at_most
        self._clock = clock
        self._entries: OrderedDict[K, _Entry[V]] = OrderedDict()
        self._weight = 0
        self._newest_version: int | None = None
        self._loading: dict[tuple[K, int], asyncio.Future[V]] = {}

    @property
    def entry_count(self) -> int:
        return len(self._entries)

    async def get(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        """The answer for `key` as of the current catalogue version: kept, or loaded now."""
        version = await self._version.current()
        if version != self._newest_version:
            self._forget_all()
            self._newest_version = version
        entry = self._entries.get(key)
        if entry is not None and entry.version == version and self._clock() < entry.expires:
            self._entries.move_to_end(key)
            return entry.value
        loading = self._loading.get((key, version))
        if loading is None:
            loading = asyncio.ensure_future(self._load(key, version, load))
            self._loading[(key, version)] = loading
            loading.add_done_callback(self._loaded((key, version)))
        try:
            async with asyncio.timeout(self._wait_at_most):
                return await asyncio.shield(loading)
        except TimeoutError as error:
            raise StoreUnavailable() from error

    async def _load(self, key: K, version: int, load: Callable[[], Awaitable[V]]) -> V:
        started = self._clock()
        value = await load()
        if version == self._newest_version and self._keep(value):
            self._put(key, _Entry(value, version, started + self._max_age, self._weigh(value)))
        return value

    def _put(self, key: K, entry: _Entry[V]) -> None:
        self._forget(key)
        self._entries[key] = entry
        self._weight += entry.weight
        while self._weight > self._capacity and self._entries:
            self._forget(next(iter(self._entries)))

    def _forget(self, key: K) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._weight -= entry.weight

    def _forget_all(self) -> None:
        self._entries.clear()
        self._weight = 0

    def _loaded(self, loading_key: tuple[K, int]) -> Callable[[asyncio.Future[V]], None]:
        def done(future: asyncio.Future[V]) -> None:
            self._loading.pop(loading_key, None)
            if not future.cancelled():
                future.exception()  # seen: its callers may all have given up waiting

        return done
