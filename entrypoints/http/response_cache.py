"""Public catalogue pages kept as finished responses, for a second, in each worker.

Measured with py-spy and wrk: answering a cached catalogue page through the handler (parameters,
dependency, conversion, encoding) reaches about 43% of a bare Litestar endpoint's throughput;
answering it as stored bytes, about 60%. Behind this sits adapters.caching.shop_window, which loads
each page once at a time and serves a stale one while reloading, so when these responses expire
under load nothing stampedes to the database. Only the public catalogue routes are cached."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Self

import msgspec
from litestar import Request
from litestar.config.response_cache import ResponseCacheConfig
from litestar.status_codes import HTTP_200_OK
from litestar.stores.base import Store
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

from entrypoints.http.query_parameters import VALIDATED_QUERY

RESPONSE_CACHE_STORE = "response_cache"


class BoundedMemoryStore(Store):
    """Entries expire, and the oldest go first past `max_entries` or `max_bytes` (keys and pages
    counted): every search query is a key of its own, and Litestar's MemoryStore keeps expired
    entries until they are asked for again."""

    def __init__(
        self,
        max_entries: int = 5_000,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_bytes: int = 32 * 1024 * 1024,
    ) -> None:
        self._entries: OrderedDict[str, tuple[float | None, bytes]] = OrderedDict()
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._bytes = 0
        self._clock = clock

    @property
    def entry_count(self) -> int:
        """Entries held, expired ones not yet dropped included. (Not `__len__`: Litestar's store
        registry tests a store's truth value and would replace an empty one with a MemoryStore.)"""
        return len(self._entries)

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        seconds = expires_in.total_seconds() if isinstance(expires_in, timedelta) else expires_in
        expires = None if seconds is None else self._clock() + seconds
        data = value.encode() if isinstance(value, str) else value
        self._forget(key)
        self._entries[key] = (expires, data)
        self._bytes += len(key) + len(data)
        while len(self._entries) > self._max_entries or self._bytes > self._max_bytes:
            self._forget(next(iter(self._entries)))

    def _forget(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= len(key) + len(entry[1])

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires is not None and expires <= self._clock():
            self._forget(key)
            return None
        return value

    async def delete(self, key: str) -> None:
        self._forget(key)

    async def delete_all(self) -> None:
        self._entries.clear()
        self._bytes = 0

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
    return ResponseCacheConfig(
        store=RESPONSE_CACHE_STORE,
        default_expiration=seconds,
        key_builder=page_key,
        cache_response_filter=_page_of_a_cached_route,
    )


def page_key(request: Request[Any, Any, Any]) -> str:
    """The method, the path and the route's query parameters as validated (see query_parameters):
    never the query string as sent, so a client cannot make a key of its choosing (junk names,
    `limit=5.000`, a query string of kilobytes); every entry is a query the route accepts. The method
    matters: an OPTIONS request reaches the same route, and its empty 204 must never be served to
    a GET."""
    scope = request.scope
    validated = scope["state"].get(VALIDATED_QUERY)
    if validated is None:
        if scope["query_string"]:
            raise RuntimeError("a cached route needs QueryValidationMiddleware in front of the cache")
        return f"{scope['method']} {scope['path']}"
    return f"{scope['method']} {scope['path']}?{msgspec.json.encode(validated).decode()}"


class ShieldCachedResponses:
    """Hands the layers outside it a copy of each response start, so that what they add to it (the
    request id, CORS headers) never reaches the page cache, which keeps the very messages it is
    sent and stores them once the body is complete: a header added to the original afterwards
    was stored too, and replayed to every later client (one client's X-Request-ID was)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_copy(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": list(message.get("headers", []))}
            await send(message)

        await self.app(scope, receive, send_copy)


def _page_of_a_cached_route(scope: HTTPScope, status: int) -> bool:
    """A 200 to a GET. Litestar would also store what the other methods of a cached route answer
    (an OPTIONS request's 204, whose query string nobody validated)."""
    return scope["method"] == "GET" and status == HTTP_200_OK


def _never(_: HTTPScope, __: int) -> bool:
    return False
