"""Read-your-writes, measured: after each write's 2xx response, many reads spread over the workers,
each of which must see the write (the contract's General rule). Stale reads are counted, not
asserted: the bench reports, the tests judge.

Per round: the page is read first through every connection (so each worker holds whatever it
caches), then written, then read `reads` times at once over the same `connections` keep-alive
connections. They are opened all at once, and the kernel hands them to the workers as each is free
to accept: usually to both, but not always, so the processes holding them are read back from the
socket table (`ss`) before the write, and the connections opened anew until at least two workers
hold some. The table reports the fewest workers seen holding the read connections in any round."""

from __future__ import annotations

import asyncio
import re
import subprocess
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from bench.seeding import read

Verdict = Callable[[httpx.Response], bool]
"""True when a read shows the write."""


@dataclass
class FreshnessCheck:
    server: str
    check: str
    writes: int
    reads: int
    stale: int
    workers: int
    """The fewest worker processes seen holding the read connections in one round."""


@dataclass
class Freshness:
    base: str
    port: int
    database_url: str
    admin_token: str
    reads: int
    connections: int
    workers: int = 2
    """Workers that must hold some of the read connections (at most 2 are asked for)."""
    _client: httpx.AsyncClient = field(init=False, repr=False)
    _seen_workers: list[int] = field(default_factory=list, init=False, repr=False)

    async def run(
        self, server: str, *, rounds: int, products: tuple[int, int, int], buyer_tokens: list[str]
    ) -> list[FreshnessCheck]:
        price_id, shelf_id, stock_id = products
        self._client = self._new_client()
        try:
            return [
                await self._price(server, price_id, rounds),
                *await self._shelf(server, shelf_id, rounds),
                await self._stock(server, stock_id, buyer_tokens[:rounds]),
                await self._new_products(server, rounds),
            ]
        finally:
            await self._client.aclose()

    def _new_client(self) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=self.connections, max_keepalive_connections=self.connections)
        return httpx.AsyncClient(base_url=self.base, limits=limits, timeout=30)

    async def _price(self, server: str, product_id: int, rounds: int) -> FreshnessCheck:
        price = await self._scalar("SELECT price_cents FROM products WHERE id = :id", product_id)
        stale = 0
        for n in range(1, rounds + 1):
            new_price = price + n

            def fresh(response: httpx.Response, new_price: int = new_price) -> bool:
                return response.status_code == 200 and response.json()["price_cents"] == new_price

            stale += await self._round(
                f"/products/{product_id}",
                self._admin("PATCH", f"/admin/products/{product_id}", {"price_cents": new_price}),
                fresh,
            )
        return await self._check(server, "price change (PATCH /admin/products/{id})", rounds, stale)

    async def _shelf(self, server: str, product_id: int, rounds: int) -> list[FreshnessCheck]:
        """Withdrawn: every read must be 404. Put back on sale with a new price: every read must be
        200 with that price (a page cached before the withdrawal would show the old one)."""
        price = await self._scalar("SELECT price_cents FROM products WHERE id = :id", product_id)
        withdrawn = restored = 0
        for n in range(1, rounds + 1):
            path = f"/admin/products/{product_id}"
            withdrawn += await self._round(
                f"/products/{product_id}",
                self._admin("PATCH", path, {"is_active": False}),
                lambda response: response.status_code == 404,
            )

            def fresh(response: httpx.Response, new_price: int = price + n) -> bool:
                return response.status_code == 200 and response.json()["price_cents"] == new_price

            restored += await self._round(
                f"/products/{product_id}",
                self._admin("PATCH", path, {"is_active": True, "price_cents": price + n}),
                fresh,
            )
        return [
            await self._check(server, "withdrawn from sale: 404", rounds, withdrawn, seen=2 * rounds),
            await self._check(server, "back on sale, new price: 200", rounds, restored, seen=2 * rounds),
        ]

    async def _stock(self, server: str, product_id: int, buyer_tokens: list[str]) -> FreshnessCheck:
        """A buyer puts one copy in the cart and checks out: the public stock is one less."""
        stale = 0
        for token in buyer_tokens:
            headers = {"Authorization": f"Bearer {token}"}
            added = await self._client.post("/cart/add", json={"product_id": product_id}, headers=headers)
            _require_2xx(added, "POST /cart/add")
            expected = await self._scalar("SELECT stock FROM products WHERE id = :id", product_id) - 1

            async def checkout(headers: dict[str, str] = headers) -> httpx.Response:
                return await self._client.post(
                    "/checkout", json={"payment_method_id": "pm_card_visa"}, headers=headers
                )

            def fresh(response: httpx.Response, expected: int = expected) -> bool:
                return response.status_code == 200 and response.json()["stock"] == expected

            stale += await self._round(f"/products/{product_id}", checkout, fresh)
        return await self._check(server, "stock after a checkout (POST /checkout)", len(buyer_tokens), stale)

    async def _new_products(self, server: str, rounds: int) -> FreshnessCheck:
        """A new product: the first page's `total` counts it."""
        stale = 0
        for n in range(rounds):
            expected = await self._scalar("SELECT count(*) FROM products WHERE is_active", None) + 1
            body = {"title": f"Freshly shelved #{n}", "series": "HP", "author": "Bench", "price_cents": 100}

            def fresh(response: httpx.Response, expected: int = expected) -> bool:
                return response.status_code == 200 and response.json()["total"] == expected

            stale += await self._round("/products", self._admin("POST", "/admin/products", body), fresh)
        return await self._check(server, "new product: GET /products total", rounds, stale)

    async def _round(self, path: str, write: Callable[[], Awaitable[httpx.Response]], fresh: Verdict) -> int:
        await self._spread(path)
        _require_2xx(await write(), "the write")
        responses = await asyncio.gather(*(self._client.get(path) for _ in range(self.reads)))
        self._seen_workers.append(self._workers())
        return sum(not fresh(response) for response in responses)

    async def _spread(self, path: str, tries: int = 20) -> None:
        """Read the page through every connection, opened anew until they reach enough workers."""
        wanted = min(2, self.workers)
        for _ in range(tries):
            await asyncio.gather(*(self._client.get(path) for _ in range(2 * self.connections)))
            if self._workers() >= wanted:
                return
            await self._client.aclose()
            self._client = self._new_client()
            await asyncio.sleep(0.2)

    def _admin(
        self, method: str, path: str, body: dict[str, object]
    ) -> Callable[[], Awaitable[httpx.Response]]:
        async def write() -> httpx.Response:
            response = await self._client.request(
                method, path, json=body, headers={"Authorization": f"Bearer {self.admin_token}"}
            )
            _require_2xx(response, f"{method} {path}")
            return response

        return write

    async def _check(
        self, server: str, check: str, writes: int, stale: int, *, seen: int | None = None
    ) -> FreshnessCheck:
        """`seen`: the rounds whose workers count for this check (the last `writes` by default)."""
        workers = min(self._seen_workers[-(seen or writes) :])
        return FreshnessCheck(server, check, writes, writes * self.reads, stale, workers)

    def _workers(self) -> int:
        """Distinct processes holding the server side of this client's connections."""
        output = subprocess.run(
            ["ss", "-Htnp", "state", "established", f"( sport = :{self.port} )"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        return len(set(re.findall(r"pid=(\d+)", output)))

    async def _scalar(self, sql: str, product_id: int | None) -> int:
        return int((await read(self.database_url, sql, {"id": product_id}))[0][0])


def _require_2xx(response: httpx.Response, what: str) -> None:
    if not response.is_success:
        raise RuntimeError(f"freshness check: {what} answered {response.status_code}: {response.text[:300]}")
