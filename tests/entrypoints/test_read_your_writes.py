"""Read-your-writes through real servers: `bookshop serve --workers 2` with the default settings
(each worker keeps catalogue pages), on SQLite and on PostgreSQL. Both workers hold the page
before each write; every read is sent after the write's response was received, on a connection of
its own (the kernel spreads them over the workers), and must show the write: not one stale read."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import Any

import httpx

from tests.entrypoints.conftest import ADMIN, log_in
from tests.entrypoints.servers import Server
from tests.http.shopping_helpers import HOME

READS = 100
"""Reads after each write, at the least, spread over both workers."""
BATCH = 50
Json = dict[str, Any]
request_numbers = itertools.count()


class Shop:
    def __init__(self, http: httpx.AsyncClient, server: Server, admin: dict[str, str]) -> None:
        self.http, self.server, self.admin = http, server, admin

    def url(self, path: str) -> str:
        return f"{self.server.url}{path}"

    async def write(self, method: str, path: str, body: Json) -> Json:
        response = await self.http.request(method, self.url(path), json=body, headers=self.admin)
        assert response.status_code in (200, 201), response.text
        written: Json = response.json()
        return written

    async def reads(
        self, tag: str, path: Callable[[int], str], *, at_least: int = READS
    ) -> list[httpx.Response]:
        """At least `at_least` GETs, BATCH at a time, until both workers have answered some."""
        answers: list[httpx.Response] = []
        while len(answers) < at_least or len(self.server.pids_that_served(request_ids=f"{tag}-")) < 2:
            assert len(answers) < 10 * at_least, "one worker took every connection"
            answers += await asyncio.gather(
                *(
                    self.http.get(
                        self.url(path(n)), headers={"X-Request-ID": f"{tag}-{next(request_numbers)}"}
                    )
                    for n in range(BATCH)
                )
            )
        return answers


def on_every_route(product_id: int, q: str) -> Callable[[int], str]:
    """The product's page, the first page of the list and a search finding it, in turn."""
    paths = [f"/products/{product_id}", "/products?limit=100", f"/products/search?q={q}"]
    return lambda n: paths[n % 3]


def shown(answer: httpx.Response, product_id: int) -> Json | None:
    """The product as the answer shows it; None when it is not there (404, or not in the page)."""
    if answer.status_code == 404:
        return None
    assert answer.status_code == 200, answer.text
    body: Json = answer.json()
    if "items" not in body:
        return body
    found = [item for item in body["items"] if item["id"] == product_id]
    return found[0] if found else None


async def test_two_workers_never_serve_a_page_a_completed_write_made_stale(
    serve: Any, fresh_connections: httpx.AsyncClient
) -> None:
    server: Server = serve(AUTH_RATE_LIMIT="0")
    shop = Shop(fresh_connections, server, await log_in(fresh_connections, server, *ADMIN))
    book = await shop.write(
        "POST",
        "/admin/products",
        {
            "title": "Prince Caspian",
            "series": "NARNIA",
            "author": "C. S. Lewis",
            "price_cents": 799,
            "stock": 10,
        },
    )
    pages = on_every_route(book["id"], "caspian")
    stale: dict[str, int] = {}

    await shop.reads("warm-price", pages)
    await shop.write("PATCH", f"/admin/products/{book['id']}", {"price_cents": 999})
    seen = [shown(a, book["id"]) for a in await shop.reads("price", pages)]
    stale["price"] = sum(p is None or p["price_cents"] != 999 for p in seen)

    await shop.write("PATCH", f"/admin/products/{book['id']}", {"is_active": False})
    stale["deactivated"] = sum(shown(a, book["id"]) is not None for a in await shop.reads("gone", pages))
    await shop.write("PATCH", f"/admin/products/{book['id']}", {"is_active": True})
    stale["restored"] = sum(shown(a, book["id"]) is None for a in await shop.reads("back", pages))

    buyer = await _buyer(shop, book["id"], quantity=3)
    await shop.reads("warm-stock", pages)
    paid = await shop.http.post(
        shop.url("/checkout"), json={"payment_method_id": "pm_card_visa"}, headers=buyer
    )
    assert paid.status_code == 201, paid.text
    seen = [shown(a, book["id"]) for a in await shop.reads("stock", pages)]
    stale["stock after checkout"] = sum(p is None or p["stock"] != 7 for p in seen)

    stale["pages after new products"] = await _stale_pages_after_new_products(shop)

    assert stale == dict.fromkeys(stale, 0)


async def _buyer(shop: Shop, product_id: int, *, quantity: int) -> dict[str, str]:
    credentials = {"email": "buyer@example.com", "password": "correct horse battery"}
    assert (await shop.http.post(shop.url("/auth/signup"), json=credentials)).status_code == 201
    buyer = await log_in(shop.http, shop.server, credentials["email"], credentials["password"])
    body = {"product_id": product_id, "quantity": quantity}
    assert (await shop.http.post(shop.url("/cart/add"), json=body, headers=buyer)).status_code == 200
    shipped = await shop.http.put(shop.url("/cart/shipping-address"), json=HOME, headers=buyer)
    assert shipped.status_code == 200, shipped.text
    return buyer


LIMIT = 4


def page_of(n: int) -> str:
    """The n-th of the pages of two orders, 3 pages each (up to 12 products)."""
    sort = ("id", "-created_at")[n // 3 % 2]
    return f"/products?sort={sort}&limit={LIMIT}&offset={n % 3 * LIMIT}"


async def _stale_pages_after_new_products(shop: Shop) -> int:
    """Every page of both orders is held by both workers; five books are added; then each read of
    each page must carry the new total, and each order's pages together must hold every book
    once: no page from before may show up."""
    await shop.reads("warm-pages", page_of)
    for n in range(5):
        await shop.write(
            "POST",
            "/admin/products",
            {
                "title": f"The Last Battle {n}",
                "series": "NARNIA",
                "author": "C. S. Lewis",
                "price_cents": 799,
            },
        )
    everything = await shop.http.get(shop.url("/admin/products?limit=100"), headers=shop.admin)
    on_sale = sorted(p["id"] for p in everything.json()["items"] if p["is_active"])
    assert len(on_sale) == 6

    answers = await shop.reads("pages", page_of)
    stale = sum(int(a.json()["total"] != len(on_sale)) for a in answers)
    by_page: dict[str, set[tuple[int, ...]]] = {}
    for answer in answers:
        by_page.setdefault(str(answer.request.url), set()).add(tuple(p["id"] for p in answer.json()["items"]))
    stale += sum(len(versions) - 1 for versions in by_page.values())  # one answer per page, or some were old
    for sort in ("id", "-created_at"):
        walked: list[int] = []
        for offset in (0, LIMIT, 2 * LIMIT):
            answer = await shop.http.get(shop.url(f"/products?sort={sort}&limit={LIMIT}&offset={offset}"))
            walked += [p["id"] for p in answer.json()["items"]]
        stale += int(sorted(walked) != on_sale)  # every book once: no overlap, none missed
    return stale


WRITES = 60
READERS = 8


async def test_under_a_stream_of_writes_every_read_shows_at_least_the_last_acknowledged_one(
    serve: Any, fresh_connections: httpx.AsyncClient
) -> None:
    """A writer changes the price again and again (price 1000 + k for write k); readers note the
    last write whose response had arrived before they sent each read: the read must show it, or
    a later one."""
    server: Server = serve(AUTH_RATE_LIMIT="0")
    shop = Shop(fresh_connections, server, await log_in(fresh_connections, server, *ADMIN))
    book = await shop.write(
        "POST",
        "/admin/products",
        {"title": "The Silver Chair", "series": "NARNIA", "author": "C. S. Lewis", "price_cents": 1000},
    )
    await shop.reads("warm", lambda _: f"/products/{book['id']}")
    acknowledged = 0
    writing = True
    reads: list[tuple[int, int]] = []

    async def writer() -> None:
        nonlocal acknowledged, writing
        for k in range(1, WRITES + 1):
            await shop.write("PATCH", f"/admin/products/{book['id']}", {"price_cents": 1000 + k})
            acknowledged = k
        writing = False

    async def reader() -> None:
        while writing:
            floor = acknowledged
            answer = await shop.http.get(
                shop.url(f"/products/{book['id']}"),
                headers={"X-Request-ID": f"stream-{next(request_numbers)}"},
            )
            assert answer.status_code == 200, answer.text
            reads.append((floor, answer.json()["price_cents"] - 1000))

    await asyncio.gather(writer(), *(reader() for _ in range(READERS)))

    assert len(reads) >= READS
    assert len(server.pids_that_served(request_ids="stream-")) == 2
    assert [(floor, seen) for floor, seen in reads if seen < floor] == []
    assert max(seen for _, seen in reads) >= WRITES - 1  # the reads did follow the writes
