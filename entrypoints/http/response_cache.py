"""Public catalogue pages kept as finished responses, for a second, in each worker.

Measured with py-spy and wrk: answering a cached catalogue page through the handler (parameters,
dependency, conversion, encoding) reaches about 43% of a bare Litestar endpoint's throughput;
answering it as stored bytes, about 60%. Behind this sits adapters.caching.catalog, which loads
each page once at a time and serves a stale one while reloading, so when these responses expire
under load nothing stampedes to the database. Only the public catalogue routes are cached."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Self

from litestar import Request
from litestar.config.response_cache import ResponseCacheConfig
from litestar.stores.base import Store
from litestar.types import HTTPScope

RESPONSE_CACHE_STORE = "response_cache"


class BoundedMemoryStore(Store):
    """Entries expire, and the oldest go first past `max_entries`: every search query is a key of its
    own, and Litestar's MemoryStore keeps expired entries until they are asked for again."""

    def __init__(self, max_entries: int = 5_000, clock: Callable[[], float] = time.monotonic) -> None:
        self._entries: OrderedDict[str, tuple[float | None, bytes]] = OrderedDict()
        self._max_entries = max_entries
        self._clock = clock

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        seconds = expires_in.total_seconds() if isinstance(expires_in, timedelta) else expires_in
        expires = None if seconds is None else self._clock() + seconds
        self._entries[key] = (expires, value.encode() if isinstance(value, str) else value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires is not None and expires <= self._clock():
            del self._entries[key]
            return None
        return value

    async def delete(self, key: str) -> None:
        self._entries.pop(key, None)

    async def delete_all(self) -> None:
        self._entries.clear()

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] is None:
            return None
        return max(0, int(entry[0] - self._clock()))

    def with_namespace(self, namespace: str) -> Self:
        raise NotImplementedError("one store per app: no namespaces needed")


def response_cache_config(seconds: int) -> ResponseCacheConfig:
    """`seconds` 0 turns it off (nothing is ever stored)."""
    if seconds <= 0:
        return ResponseCacheConfig(store=RESPONSE_CACHE_STORE, cache_response_filter=_never)
    return ResponseCacheConfig(store=RESPONSE_CACHE_STORE, default_expiration=seconds, key_builder=page_key)


def page_key(request: Request[Any, Any, Any]) -> str:
    """The method, the path and the query string as sent. Litestar's default key sorts the parsed
    query parameters, which took a tenth of a cached page's time (py-spy); the price is that the
    same query written in another order is another entry. The method matters: an OPTIONS request
    reaches the same route, and its empty 204 must never be served to a GET."""
    scope = request.scope
    return f"{scope['method']} {scope['path']}?{scope['query_string'].decode('latin-1')}"


def _never(_: HTTPScope, __: int) -> bool:
    return False
