"""Public catalogue pages kept as finished responses, each valid only for the catalogue version it
was read under (see adapters.caching.versioned_cache, which the container puts behind `PageCache`).

A cached page is answered as stored bytes, without the handler, its parameters, the shop window
or encoding (measured with py-spy and wrk: the handler path reached about 43% of a bare Litestar
endpoint's throughput, stored bytes about 60%). Only the routes marked `opt={CACHED_PAGE: True}`
are cached, only their GETs, and only a 200 is kept; a page that is loaded while other requests
for the same query wait is handed to them too, whatever its status, as it answers their request
equally well (it was read after they asked the version)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

import msgspec
from litestar.enums import ScopeType
from litestar.status_codes import HTTP_200_OK
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

from entrypoints.http.query_parameters import VALIDATED_QUERY

CACHED_PAGE = "cached_page"
"""Route option: the route's GET answers may be kept by the page cache."""
PAGE_CACHE_BYTES = 32 * 1024 * 1024
"""The most the pages kept take, keys and bodies counted (every search is a page of its own)."""
ENTRY_OVERHEAD_BYTES = 200
"""What an entry costs besides its key and body, roughly: so that tiny pages count too."""


@dataclass(frozen=True, slots=True)
class StoredPage:
    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes

    def worth_keeping(self) -> bool:
        return self.status == HTTP_200_OK

    def weight(self) -> int:
        return ENTRY_OVERHEAD_BYTES + len(self.body) + sum(len(k) + len(v) for k, v in self.headers)


class PageCache(Protocol):
    """Pages by key, each served only while the catalogue version it was read under is current."""

    async def get(self, key: str, load: Callable[[], Awaitable[StoredPage]]) -> StoredPage: ...


class CataloguePageCache:
    """ASGI middleware (in every route's stack, after the query string was validated). Each
    client gets its own copy of a page's messages, so what the layers outside add to them (the
    request id) is never kept nor replayed to another client."""

    def __init__(self, app: ASGIApp, pages: PageCache) -> None:
        self.app = app
        self._pages = pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != ScopeType.HTTP
            or scope["method"] != "GET"
            or not scope["route_handler"].opt.get(CACHED_PAGE)
        ):
            await self.app(scope, receive, send)
            return
        page = await self._pages.get(page_key(scope), lambda: self._render(scope, receive))
        await send({"type": "http.response.start", "status": page.status, "headers": list(page.headers)})
        await send({"type": "http.response.body", "body": page.body, "more_body": False})

    async def _render(self, scope: HTTPScope, receive: Receive) -> StoredPage:
        status = 500
        headers: tuple[tuple[bytes, bytes], ...] = ()
        body: list[bytes] = []

        async def keep(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = tuple((bytes(k), bytes(v)) for k, v in message.get("headers", ()))
            elif message["type"] == "http.response.body":
                body.append(bytes(message.get("body", b"")))

        await self.app(scope, receive, keep)
        return StoredPage(status, headers, b"".join(body))


def page_key(scope: HTTPScope) -> str:
    """The path and the route's query parameters as validated (see query_parameters): never the
    query string as sent, so a client cannot make a key of its choosing (junk names, `limit=5.000`,
    a query string of kilobytes); every entry is a query the route accepts."""
    validated = scope["state"].get(VALIDATED_QUERY)
    if validated is None:
        if scope["query_string"]:
            raise RuntimeError("a cached route needs QueryValidationMiddleware in front of the cache")
        return scope["path"]
    return f"{scope['path']}?{msgspec.json.encode(validated).decode()}"
